"""Roll-call workflows: each changes a record, writes the audit trail and keeps
the daily counts, in one transaction.

Every write first locks the group's row, so taps on the same group (two
teachers, a double-submitted form, "mark all" racing a single tap) are
applied one after another; the unique (enrollment, date) constraint remains
the last line of defence.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from enrollment.models import Child, Enrollment
from enrollment.services import ANONYMISED, export_row
from enrollment.signals import child_anonymising, child_exporting, enrollment_moved
from factories.models import AuditEntry
from spaces.models import Group, Teacher

from .models import Attendance, GroupDay, Incident, StaffShift

AUDITED_FIELDS = ("status", "absence_reason", "check_in_at", "check_out_at", "picked_up_by")


def _snapshot(record: Attendance | None) -> dict:
    if record is None:
        return {}
    return {
        field: (value.isoformat() if isinstance(value, datetime.datetime) else value)
        for field in AUDITED_FIELDS
        if (value := getattr(record, field))
    }


def _diff(before: dict, after: dict) -> dict:
    return {
        field: [before.get(field), after.get(field)]
        for field in AUDITED_FIELDS
        if before.get(field) != after.get(field)
    }


def _lock_group(group: Group) -> None:
    Group.objects.select_for_update().filter(pk=group.pk).exists()


def _audit(*, user, group: Group, record: Attendance, before: dict, created: bool) -> None:
    changes = _diff(before, _snapshot(record))
    if changes:
        AuditEntry.objects.record(
            user=user,
            factory_id=group.season.factory_id,
            instance=record,
            action=AuditEntry.Action.CREATE if created else AuditEntry.Action.UPDATE,
            changes=changes,
        )


def roll_call_mark(
    *,
    enrollment: Enrollment,
    group: Group,
    day: datetime.date,
    status: str,
    absence_reason: str = "",
    user,
) -> Attendance:
    """Mark one child for one day. Today, arriving sets the check-in time once;
    marking absent or excused clears the times (a correction)."""
    now = timezone.now()
    with transaction.atomic():
        _lock_group(group)
        record = Attendance.objects.filter(enrollment=enrollment, date=day).first()
        before = _snapshot(record)
        created = record is None
        if created:
            record = Attendance(enrollment=enrollment, date=day)
        record.group = group
        record.status = status
        record.recorded_by = user
        if record.attended:
            record.absence_reason = ""
            if record.check_in_at is None and day == timezone.localdate(now):
                record.check_in_at = now
        else:
            record.absence_reason = absence_reason
            record.check_in_at = record.check_out_at = None
            record.picked_up_by = record.dropped_off_by = ""
        record.save()
        _audit(user=user, group=group, record=record, before=before, created=created)
        # The reports' daily counts move with the roll call, in the same transaction.
        GroupDay.refresh(group, day)
    return record


def roll_call_mark_all_present(*, group: Group, day: datetime.date, user) -> int:
    """Mark every child without a record yet as present; returns how many."""
    now = timezone.now()
    check_in_at = now if day == timezone.localdate(now) else None
    with transaction.atomic():
        _lock_group(group)
        roster = Enrollment.objects.for_roll_call(group, day).prefetch_related(None)
        marked = set(
            Attendance.objects.filter(date=day, enrollment__in=roster).values_list(
                "enrollment_id", flat=True
            )
        )
        records = Attendance.objects.bulk_create(
            Attendance(
                enrollment_id=enrollment_id,
                group=group,
                date=day,
                status=Attendance.Status.PRESENT,
                check_in_at=check_in_at,
                recorded_by=user,
            )
            for enrollment_id in roster.values_list("pk", flat=True)
            if enrollment_id not in marked
        )
        AuditEntry.objects.bulk_create(
            AuditEntry(
                user=user,
                factory_id=group.season.factory_id,
                model=Attendance._meta.label_lower,
                object_id=str(record.pk),
                action=AuditEntry.Action.CREATE,
                changes=_diff({}, _snapshot(record)),
            )
            for record in records
        )
        GroupDay.refresh(group, day)
    return len(records)


def roll_call_check_out(*, record: Attendance, picked_up_by: str, user) -> Attendance:
    """Record who picked the child up and when. The caller has checked that
    `picked_up_by` is an authorised person."""
    with transaction.atomic():
        _lock_group(record.group)
        record.refresh_from_db()
        before = _snapshot(record)
        record.check_out_at = timezone.now()
        record.picked_up_by = picked_up_by
        record.recorded_by = user
        record.save()
        _audit(user=user, group=record.group, record=record, before=before, created=False)
    return record


def staff_toggle_duty(*, teacher: Teacher, group: Group, day: datetime.date) -> StaffShift:
    """A teacher checks in with a group, or out again if already on duty."""
    now = timezone.now()
    with transaction.atomic():
        shift, created = StaffShift.objects.select_for_update().get_or_create(
            teacher=teacher, date=day, defaults={"group": group, "check_in_at": now}
        )
        if not created:
            shift.check_out_at = None if shift.check_out_at else now
            shift.save(update_fields=["check_out_at"])
    return shift


@receiver(enrollment_moved)
def _move_todays_record(sender, *, enrollment: Enrollment, **kwargs) -> None:
    """Today's roll-call record moves with a child who changes group, so today's
    counts are right in both groups; earlier records keep the group the child was
    in that day (history). Runs inside the move's transaction."""
    Attendance.objects.filter(enrollment=enrollment, date=timezone.localdate()).update(
        group_id=enrollment.group_id
    )


@receiver(child_anonymising)
def _scrub_child(sender, *, child: Child, **kwargs) -> None:
    """Who dropped off and picked up, the free text of incidents naming the child,
    and what the audit trail recorded of both."""
    records = Attendance.objects.filter(enrollment__child=child)
    incidents = Incident.objects.filter(children=child)
    AuditEntry.objects.scrub(
        model=Attendance._meta.label_lower,
        object_ids=list(records.values_list("pk", flat=True)),
        mark=ANONYMISED,
        keep=("status", "absence_reason", "check_in_at", "check_out_at"),
    )
    AuditEntry.objects.scrub(
        model=Incident._meta.label_lower,
        object_ids=list(incidents.values_list("pk", flat=True)),
        mark=ANONYMISED,
    )
    records.update(dropped_off_by="", picked_up_by="")
    incidents.update(description=ANONYMISED, action_taken="")


@receiver(child_exporting)
def _export_attendance(sender, *, child: Child, **kwargs) -> tuple[str, list[dict]]:
    fields = (
        "date",
        "status",
        "absence_reason",
        "check_in_at",
        "check_out_at",
        "dropped_off_by",
        "picked_up_by",
    )
    records = Attendance.objects.filter(enrollment__child=child).order_by("date")
    return "attendance", [export_row(a, *fields) for a in records]


@receiver(child_exporting)
def _export_incidents(sender, *, child: Child, **kwargs) -> tuple[str, list[dict]]:
    fields = (
        "occurred_at",
        "kind",
        "severity",
        "description",
        "action_taken",
        "guardian_informed_at",
    )
    return "incidents", [export_row(i, *fields) for i in Incident.objects.filter(children=child)]
