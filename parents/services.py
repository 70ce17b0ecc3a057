"""What the parent page shows and what a parent's answer does."""

from __future__ import annotations

import dataclasses
import datetime
import zoneinfo

import segno
from django.db import transaction
from django.utils import timezone

from attendance.models import Attendance
from attendance.roll_call import pickup_people
from enrollment.models import Enrollment, Guardianship
from factories.models import AuditEntry, Factory
from pickups import codes

from .models import ParentContact, ParentNotice


def factory_now(factory: Factory) -> datetime.datetime:
    return timezone.now().astimezone(zoneinfo.ZoneInfo(factory.time_zone))


@dataclasses.dataclass
class ChildToday:
    """One child on the parent page: today's place in the programme."""

    enrollment: Enrollment
    expected_today: bool
    record: Attendance | None
    next_days: list[datetime.date]
    pickups: list[str]
    notices: list[ParentNotice]
    # The parent's own pickup code for this child and season, and its QR (SVG).
    code: str = ""
    qr_svg: str = ""

    @property
    def child(self):
        return self.enrollment.child

    def notice(self, kind: str) -> ParentNotice | None:
        return next((n for n in self.notices if n.kind == kind), None)


def family_today(contact: ParentContact) -> list[ChildToday]:
    """The parent's children in this factory's current seasons, with today's
    status. Only their own children: the link names one worker."""
    factory = contact.worker.factory
    today = factory_now(factory).date()
    child_ids = Guardianship.objects.filter(
        worker=contact.worker, child__anonymised_at__isnull=True
    ).values("child_id")
    enrollments = (
        Enrollment.objects.filter(
            child_id__in=child_ids,
            status=Enrollment.Status.ENROLLED,
            season__factory=factory,
            season__end_date__gte=today,
        )
        .select_related("child", "season", "group")
        .order_by("child__name", "season__start_date")
    )
    family = []
    for enrollment in enrollments:
        season = enrollment.season
        stay = [
            day
            for day in season.opening_days()
            if enrollment.arrival_date <= day <= enrollment.departure_date
        ]
        record = (
            Attendance.objects.filter(enrollment=enrollment, date=today)
            .select_related("recorded_by")
            .first()
        )
        notices = list(ParentNotice.objects.filter(enrollment=enrollment).on(today))
        # As the teacher's check-out lists them (a one-day pickup included).
        listed = pickup_people([enrollment.child_id], today).get(enrollment.child_id, [])
        pickups = [person["name"] for person in listed]
        code = _pickup_code(contact, enrollment)
        family.append(
            ChildToday(
                code=code,
                qr_svg=_qr(code) if code else "",
                enrollment=enrollment,
                expected_today=today in stay and season.status == season.Status.RUNNING,
                record=record,
                next_days=[day for day in stay if day > today][:3],
                pickups=pickups,
                notices=notices,
            )
        )
    return family


def _pickup_code(contact: ParentContact, enrollment: Enrollment) -> str:
    rows = codes.issue(child=enrollment.child, season=enrollment.season)
    mine = next((row for row in rows if row.worker_id == contact.worker_id), None)
    return codes.code_of(mine) if mine else ""


def _qr(code: str) -> str:
    """The code as an inline SVG, for the teacher to scan at the door."""
    return segno.make(code, error="m").svg_inline(scale=4, title=code)


def give_notice(
    *, contact: ParentContact, enrollment: Enrollment, kind: str, **details
) -> ParentNotice:
    """Record a parent's answer for today (a newer one of the same kind replaces
    the older), audited. It changes no record of the child: the roll call shows it."""
    today = factory_now(contact.worker.factory).date()
    with transaction.atomic():
        ParentNotice.objects.filter(enrollment=enrollment, kind=kind).on(today).update(
            withdrawn_at=timezone.now()
        )
        notice = ParentNotice.objects.create(
            enrollment=enrollment, worker=contact.worker, date=today, kind=kind, **details
        )
        AuditEntry.objects.record(
            user=None,
            factory_id=contact.worker.factory_id,
            instance=notice,
            action=AuditEntry.Action.CREATE,
            changes={
                "kind": [None, kind],
                "enrollment": [None, enrollment.pk],
                "given_by": [None, f"parent:{contact.worker_id}"],
                **{field: [None, str(value)] for field, value in details.items() if value},
            },
        )
    return notice


def stop_messages(contact: ParentContact) -> None:
    if contact.stopped_at is None:
        ParentContact.objects.filter(pk=contact.pk).update(stopped_at=timezone.now())
        AuditEntry.objects.record(
            user=None,
            factory_id=contact.worker.factory_id,
            instance=contact,
            action=AuditEntry.Action.UPDATE,
            changes={"stopped_at": [None, "parent"]},
        )


def revoke_links(contact: ParentContact, *, user) -> None:
    ParentContact.objects.filter(pk=contact.pk).update(link_version=contact.link_version + 1)
    AuditEntry.objects.record(
        user=user,
        factory_id=contact.worker.factory_id,
        instance=contact,
        action=AuditEntry.Action.UPDATE,
        changes={"link_version": [contact.link_version, contact.link_version + 1]},
    )
