"""Roll-call workflows: each changes a record, writes the audit trail and keeps
the daily counts, in one transaction.

Every write first locks the group's row, so taps on the same group (two
teachers, a double-submitted form, "mark all" racing a single tap) are
applied one after another; the unique (enrollment, date) constraint remains
the last line of defence.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Q
from django.dispatch import receiver
from django.utils import timezone

from enrollment.models import Child, Enrollment
from enrollment.privacy import ANONYMISED, export_row
from enrollment.signals import child_anonymising, child_exporting, enrollment_moved
from factories.models import AuditEntry
from spaces.models import Group, Teacher

from .models import NO_RECORD, Attendance, GroupDay, Incident, RollCallOp, StaffShift

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


def _current_record(enrollment: Enrollment, day: datetime.date, locked: bool):
    """The child's record of `day`: the one the caller read under the lock, or read now."""
    if locked and hasattr(enrollment, "day_records"):
        return enrollment.day_record
    return Attendance.objects.filter(enrollment=enrollment, date=day).first()


def tap_time(tapped_at: datetime.datetime | None, day: datetime.date, now) -> datetime.datetime:
    """When a check-in or check-out happened: the phone's time of the tap when it
    falls on `day` and not after now (the form already refused a tap from the
    future or from before the correction window), else now."""
    if tapped_at is not None and timezone.localdate(tapped_at) == day:
        return min(tapped_at, now)
    return now


def _check_in_time(tapped_at, day: datetime.date, now) -> datetime.datetime | None:
    if tapped_at is not None and timezone.localdate(tapped_at) == day:
        return min(tapped_at, now)
    return now if day == timezone.localdate(now) else None


def roll_call_mark(
    *,
    enrollment: Enrollment,
    group: Group,
    day: datetime.date,
    status: str,
    absence_reason: str = "",
    user,
    tapped_at: datetime.datetime | None = None,
    locked: bool = False,
) -> Attendance:
    """Mark one child for one day. Arriving sets the check-in time once (the time
    of the tap, so a tap queued offline keeps it; today only for a tap made
    online without one); marking absent or excused clears the times (a correction).

    `locked`: the caller already holds the group's lock and read the child's
    record under it (the tap view), so neither is done again."""
    now = timezone.now()
    # No savepoint: the writes commit or roll back with the caller's transaction.
    with transaction.atomic(savepoint=False):
        if not locked:
            _lock_group(group)
        record = _current_record(enrollment, day, locked)
        before = _snapshot(record)
        created = record is None
        if created:
            record = Attendance(enrollment=enrollment, date=day)
        record.group = group
        record.status = status
        record.recorded_by = user
        if record.attended:
            record.absence_reason = ""
            if record.check_in_at is None:
                record.check_in_at = _check_in_time(tapped_at, day, now)
        else:
            record.absence_reason = absence_reason
            record.check_in_at = record.check_out_at = None
            record.picked_up_by = record.dropped_off_by = ""
        record.save()
        _audit(user=user, group=group, record=record, before=before, created=created)
        # The reports' daily counts move with the roll call, in the same transaction
        # (kept on the record for the header the tap answers with).
        record.counts = GroupDay.recount(group, day)
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
        GroupDay.recount(group, day)
    return len(records)


def roll_call_check_out(
    *,
    record: Attendance,
    picked_up_by: str,
    user,
    tapped_at: datetime.datetime | None = None,
    locked: bool = False,
) -> Attendance:
    """Record who picked the child up and when (the time of the tap, never before
    the check-in). The caller has checked that `picked_up_by` is an authorised
    person; `locked` as for `roll_call_mark`."""
    with transaction.atomic(savepoint=False):
        if not locked:
            _lock_group(record.group)
            record.refresh_from_db()
        before = _snapshot(record)
        out = tap_time(tapped_at, record.date, timezone.now())
        record.check_out_at = max(out, record.check_in_at) if record.check_in_at else out
        record.picked_up_by = picked_up_by
        record.recorded_by = user
        record.save()
        _audit(user=user, group=record.group, record=record, before=before, created=False)
        # "Children here now" is one of the daily counts.
        record.counts = GroupDay.recount(record.group, record.date)
    return record


@dataclass
class TapOutcome:
    """What became of a tap: applied (`counts` are the new daily counts), kept
    (nothing to change: the same as on the server, sent again, or the teacher
    kept a colleague's value), or a conflict the teacher must settle.

    `applied`: the record's version is this tap's doing (applied now, or sent
    again and the record is still what it made), so the phone may pass it on
    to the child's next queued taps; never after a conflict or a colleague's
    value."""

    record: Attendance | None
    counts: GroupDay | None = None
    kept: bool = False
    applied: bool = False
    conflict: bool = False
    mine: dict = field(default_factory=dict)
    tapped_at: datetime.datetime | None = None


def _is_same(record: Attendance | None, wanted: dict) -> bool:
    """Whether the record already says what the tap wants (two teachers marking
    a child the same way is not a conflict)."""
    if record is None:
        return False
    if "picked_up_by" in wanted:
        return record.check_out_at is not None and record.picked_up_by == wanted["picked_up_by"]
    reason = wanted["absence_reason"] if wanted["status"] in ("absent", "excused") else ""
    return record.status == wanted["status"] and record.absence_reason == reason


def roll_call_tap(
    *,
    enrollment: Enrollment,
    group: Group,
    day: datetime.date,
    user,
    wanted: dict,
    op_id: uuid.UUID | None = None,
    seen: str | None = None,
    tapped_at: datetime.datetime | None = None,
    resolution: str = "",
) -> TapOutcome:
    """Apply one tap from a phone (a mark, or a check-out when `wanted` names the
    pickup person), online or from its offline queue. The caller holds the
    group's lock and read `enrollment.day_record` under it.

    - `op_id`: applied once; the same tap sent again changes nothing.
    - `seen`: the record's version on the phone; if a colleague changed the
      record since and the tap wants something else, nothing is written: the
      teacher is shown both values and chooses (`resolution` "mine" or
      "theirs"). The conflict and the choice go to the audit trail.
    - `tapped_at`: check-in and check-out keep the time of the tap.
    """
    record = enrollment.day_record
    if op_id is not None and not RollCallOp.claim(
        op_id=op_id, user=user, enrollment_id=enrollment.pk, day=day
    ):
        # Sent again (its answer was lost): its version only if nobody changed it since.
        mine = _is_same(record, wanted) and record.recorded_by_id == user.pk
        return TapOutcome(record, kept=True, applied=mine)
    if resolution == "theirs" and record is not None:
        _audit_note(user, group, record, {"conflict_resolved": [wanted, "theirs"]})
        return TapOutcome(record, kept=True)
    same = _is_same(record, wanted)
    version = record.version if record is not None else NO_RECORD
    if seen is not None and seen != version and not same and resolution != "mine":
        if record is not None:
            # Not applied: sent again, it must show the conflict again.
            RollCallOp.objects.filter(user=user, op_id=op_id).delete()
            _audit_note(user, group, record, {"conflict": [_snapshot(record), wanted]})
            return TapOutcome(record, conflict=True, mine=wanted, tapped_at=tapped_at)
    if same:
        return TapOutcome(record, kept=True)
    if resolution == "mine" and record is not None:
        _audit_note(user, group, record, {"conflict_resolved": [_snapshot(record), "mine"]})
    if "picked_up_by" in wanted:
        record.group = group
        record = roll_call_check_out(
            record=record,
            picked_up_by=wanted["picked_up_by"],
            user=user,
            tapped_at=tapped_at,
            locked=True,
        )
    else:
        record = roll_call_mark(
            enrollment=enrollment,
            group=group,
            day=day,
            status=wanted["status"],
            absence_reason=wanted["absence_reason"],
            user=user,
            tapped_at=tapped_at,
            locked=True,
        )
    return TapOutcome(record, counts=record.counts, applied=True)


def _audit_note(user, group: Group, record: Attendance, changes: dict) -> None:
    AuditEntry.objects.record(
        user=user,
        factory_id=group.season.factory_id,
        instance=record,
        action=AuditEntry.Action.UPDATE,
        changes=changes,
    )


def staff_toggle_duty(*, teacher: Teacher, group: Group, day: datetime.date) -> StaffShift:
    """A teacher checks in with a group, or out again if already on duty with it.
    A teacher on duty with another group that day moves to this one: a teacher
    has one shift a day (`shift_one_per_day`), and toggling it off there would
    leave them never on duty here."""
    now = timezone.now()
    with transaction.atomic():
        shift, created = StaffShift.objects.select_for_update().get_or_create(
            teacher=teacher, date=day, defaults={"group": group, "check_in_at": now}
        )
        if created:
            return shift
        if shift.group_id != group.pk:
            shift.group, shift.check_in_at, shift.check_out_at = group, now, None
            shift.save(update_fields=["group", "check_in_at", "check_out_at"])
        else:
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


@receiver(child_anonymising)
def _forget_kept_roll_calls(sender, *, child: Child, **kwargs) -> None:
    """Phones that kept a roll call naming the child drop it, or fetch it again,
    the next time they reach the server: the staff who may have opened it
    (the factory's members and teachers, superusers) get a new phone mark
    (attendance/middleware.py), so no page kept with the old one is served."""
    User = get_user_model()
    staff = User.objects.filter(
        Q(memberships__factory=child.factory_id)
        | Q(teacher_profiles__factory=child.factory_id)
        | Q(is_superuser=True)
    )
    User.objects.filter(pk__in=staff.values("pk")).update(
        kept_pages_version=F("kept_pages_version") + 1
    )


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
