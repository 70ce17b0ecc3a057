"""Roll-call workflows: each changes a record, writes the audit trail and keeps
the daily counts, in one transaction.

Every write first locks the group's row, so taps on the same group (two
teachers, a double-submitted form, "mark all" racing a single tap) are
applied one after another; the unique (enrollment, date) constraint remains
the last line of defence.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import uuid
from dataclasses import dataclass
from typing import ClassVar

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext as _

from enrollment.models import Enrollment
from factories.models import AuditEntry, audit_diff, audit_snapshot
from spaces.models import Calendar, Group, Season, Teacher, days_left_out, some_days

from .models import ATTENDED, NO_RECORD, Attendance, GroupDay, Incident, RollCallOp, StaffShift
from .roll_call import GroupAccess, RosterRow, roll_call_refusal
from .signals import attendance_changed

AUDITED_FIELDS = ("status", "absence_reason", "check_in_at", "check_out_at", "picked_up_by")


def _snapshot(record: Attendance | None) -> dict:
    return audit_snapshot(record, AUDITED_FIELDS)


def _lock_group(group: Group) -> None:
    Group.objects.select_for_update().filter(pk=group.pk).exists()


def _audit(*, user, group: Group, record: Attendance, before: dict, created: bool) -> None:
    entry = AuditEntry.objects.record_change(
        user=user,
        factory_id=group.season.factory_id,
        instance=record,
        before=before,
        fields=AUDITED_FIELDS,
        created=created,
    )
    if entry is not None:
        # The parent channel (a floor above) tells the parents who chose it.
        attendance_changed.send(sender=Attendance, changes=[(record, before)])


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


# --- the taps a phone sends -----------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Tap:
    """What a phone adds to every tap, online or queued offline (forms.TapFields):
    its id (applied once), the version of the record the teacher saw (a change
    made since is a conflict), when it was made, and the teacher's choice when
    settling a conflict ("mine" or "theirs")."""

    kind: ClassVar[str]
    op_id: uuid.UUID | None = None
    seen: str | None = None
    tapped_at: datetime.datetime | None = None
    resolution: str = ""


@dataclass(frozen=True, kw_only=True)
class Mark(Tap):
    """Present, late, absent (with a reason) or excused."""

    kind: ClassVar[str] = "mark"
    status: str
    absence_reason: str = ""

    def is_same(self, record: Attendance | None) -> bool:
        """Whether the record already says this (two teachers marking a child the
        same way is not a conflict)."""
        reason = "" if self.status in ATTENDED else self.absence_reason
        return (
            record is not None and record.status == self.status and record.absence_reason == reason
        )

    @property
    def fields(self) -> dict:
        """What the phone posts again to settle a conflict in its favour."""
        return {"status": self.status, "absence_reason": self.absence_reason}

    def label(self) -> str:
        label = str(Attendance.Status(self.status).label)
        if self.absence_reason:
            label += " · " + str(Attendance.AbsenceReason(self.absence_reason).label)
        return label


@dataclass(frozen=True, kw_only=True)
class CheckOut(Tap):
    """Who picked the child up (the form checked they are on the child's list)."""

    kind: ClassVar[str] = "check_out"
    picked_up_by: str

    def is_same(self, record: Attendance | None) -> bool:
        return (
            record is not None
            and record.check_out_at is not None
            and record.picked_up_by == self.picked_up_by
        )

    @property
    def fields(self) -> dict:
        return {"picked_up_by": self.picked_up_by}

    def label(self) -> str:
        return gettext("Checked out by %(name)s") % {"name": self.picked_up_by}


@dataclass(frozen=True)
class BadTap:
    """A tap its form could not take (not a status, not on the pickup list, a
    time in the future): refused with `reason`, after the record's own refusals."""

    kind: str
    reason: str = ""


class Outcome(enum.StrEnum):
    SAVED = "saved"  # the record says what the tap wanted (written now, or already)
    APPLIED = "applied"  # this tap (its op id) was applied before: nothing done again
    CONFLICT = "conflict"  # a colleague changed the record since: nothing written
    REFUSED = "refused"  # not allowed, or not readable: nothing written; `reason`
    ASK_REASON = "ask_reason"  # absent without a reason yet: nothing written


@dataclass(frozen=True)
class TapResult:
    """What became of one tap: the outcome, the child's record now, and the new
    daily counts when the tap wrote (None: the counts the group was read with)."""

    outcome: Outcome
    tap: Tap | BadTap
    record: Attendance | None
    counts: GroupDay | None = None
    reason: str = ""
    # The record's version is this tap's doing (written now, or sent again and
    # the record is still what it made): the phone may pass it on to the child's
    # next queued taps; never after a conflict or a colleague's value.
    applied: bool = False


def roll_call_tap(
    *,
    access: GroupAccess,
    row: RosterRow,
    day: datetime.date,
    user,
    tap: Mark | CheckOut | BadTap,
    recount: bool = True,
) -> TapResult:
    """Apply one tap on one child's roll call of `day`, online or from a phone's
    offline queue, and say what became of it. The caller holds the group's lock
    (`roll_call_group(..., lock=True)` in its transaction) and read `row` under
    it, so the record checked here is the one the change applies to.

    In order: the day and the user's window (`roll_call_refusal`); for a
    check-out, the record's state (already checked out, not checked in); the
    form's own refusal; an absence without its reason; then the tap itself:
    applied once by its op id; "theirs" keeps the record; a tap that saw
    another version of a record it would change is a conflict (both values
    go to the audit trail, nothing is written); otherwise the record is
    written and the daily counts recounted (`recount=False`: the caller
    recounts once, after a batch)."""
    record = row.record
    refusal = roll_call_refusal(access, day, today=timezone.localdate())
    if refusal is None and tap.kind == CheckOut.kind:
        if record is not None and record.check_out_at and _applied_before(tap, user):
            # This check-out sent again after it was applied (its answer was lost).
            return TapResult(Outcome.APPLIED, tap, record, applied=_still_mine(tap, record, user))
        refusal = check_out_refusal(record, seen=getattr(tap, "seen", None))
    if refusal is None and isinstance(tap, BadTap):
        refusal = tap.reason
    if refusal is not None:
        return TapResult(Outcome.REFUSED, tap, record, reason=refusal)
    if isinstance(tap, Mark) and tap.status == Attendance.Status.ABSENT and not tap.absence_reason:
        return TapResult(Outcome.ASK_REASON, tap, record)
    group, enrollment = access.group, row.enrollment
    if tap.op_id is not None and not RollCallOp.claim(
        op_id=tap.op_id, user=user, enrollment_id=enrollment.pk, day=day
    ):
        return TapResult(Outcome.APPLIED, tap, record, applied=_still_mine(tap, record, user))
    if tap.resolution == "theirs" and record is not None:
        _audit_note(user, group, record, {"conflict_resolved": [tap.fields, "theirs"]})
        return TapResult(Outcome.SAVED, tap, record)
    same = tap.is_same(record)
    changed_since = record is not None and tap.seen not in (None, record.version)
    if changed_since and not same and tap.resolution != "mine":
        # Not applied: sent again, it must show the conflict again.
        RollCallOp.objects.filter(user=user, op_id=tap.op_id).delete()
        _audit_note(user, group, record, {"conflict": [_snapshot(record), tap.fields]})
        return TapResult(Outcome.CONFLICT, tap, record)
    if same:
        return TapResult(Outcome.SAVED, tap, record)
    if tap.resolution == "mine" and record is not None:
        _audit_note(user, group, record, {"conflict_resolved": [_snapshot(record), "mine"]})
    if isinstance(tap, CheckOut):
        record.group = group
        _write_check_out(record, picked_up_by=tap.picked_up_by, user=user, tapped_at=tap.tapped_at)
    else:
        record = _write_mark(
            record,
            enrollment=enrollment,
            group=group,
            day=day,
            status=tap.status,
            absence_reason=tap.absence_reason,
            user=user,
            tapped_at=tap.tapped_at,
        )
    # The reports' daily counts move with the roll call, in the same transaction.
    counts = GroupDay.recount(group, day) if recount else None
    return TapResult(Outcome.SAVED, tap, record, counts, applied=True)


def _still_mine(tap: Tap, record: Attendance | None, user) -> bool:
    """A tap sent again: its version only if nobody changed the record since."""
    return record is not None and tap.is_same(record) and record.recorded_by_id == user.pk


def roll_call_taps(
    *,
    access: GroupAccess,
    day: datetime.date,
    user,
    taps: list[tuple[int | None, Mark | CheckOut | BadTap]],
    rows: dict[int, RosterRow],
) -> tuple[list[tuple[int | None, TapResult]], GroupDay | None]:
    """A phone's queued taps (enrollment id, tap), applied in order as
    `roll_call_tap` applies each, under the one lock of the group the caller
    holds; `rows`: the children of the batch read under it (updated here as
    taps write). The daily counts are recounted once, at the end (returned;
    None if nothing was written). A child not in `rows` is refused.

    A tap's `seen` is the version the phone saw before it queued its first tap
    on the child; a later tap that saw the same version sees the one the
    earlier tap wrote, as the phone's own queue would have told it."""
    results = []
    wrote_from: dict[tuple[int, str], str] = {}  # (child, version seen) -> version written
    wrote = False
    for enrollment_id, tap in taps:
        row = rows.get(enrollment_id)
        if row is None:
            reason = gettext("This child is not on this roll call.")
            results.append((enrollment_id, TapResult(Outcome.REFUSED, tap, None, reason=reason)))
            continue
        seen = getattr(tap, "seen", None)
        if (enrollment_id, seen) in wrote_from:
            tap = dataclasses.replace(tap, seen=wrote_from[enrollment_id, seen])
        before = row.record.version if row.record is not None else NO_RECORD
        result = roll_call_tap(access=access, row=row, day=day, user=user, tap=tap, recount=False)
        results.append((enrollment_id, result))
        if result.outcome in (Outcome.SAVED, Outcome.APPLIED) and result.record is not None:
            rows[enrollment_id] = dataclasses.replace(row, record=result.record)
            wrote = wrote or result.record.version != before
            if seen is not None:
                wrote_from[enrollment_id, seen] = result.record.version
    return results, (GroupDay.recount(access.group, day) if wrote else None)


def _applied_before(tap: Tap | BadTap, user) -> bool:
    """Whether `user` applied this tap before (op ids are the phone's: per user)."""
    op_id = getattr(tap, "op_id", None)
    return op_id is not None and RollCallOp.objects.filter(user=user, op_id=op_id).exists()


def check_out_refusal(record: Attendance | None, *, seen: str | None = None) -> str | None:
    """Why the child's record refuses a check-out, or None. A phone's tap carries
    the version it saw (`seen`): a colleague's check-out since is a conflict to
    settle (`roll_call_tap`); anything else may not redo a check-out."""
    if record is not None and record.check_out_at and seen is None:
        return gettext("This child was already checked out at %(time)s by %(name)s.") % {
            "time": timezone.localtime(record.check_out_at).strftime("%H:%M"),
            "name": record.picked_up_by,
        }
    if record is None or record.check_in_at is None:
        return gettext("This child has not been checked in, so cannot be checked out.")
    return None


def _write_mark(
    record: Attendance | None,
    *,
    enrollment: Enrollment,
    group: Group,
    day: datetime.date,
    status: str,
    absence_reason: str,
    user,
    tapped_at: datetime.datetime | None,
) -> Attendance:
    """Write a mark on the child's record of `day` (`record`, read under the
    group's lock; None: none yet). Arriving sets the check-in time once (the
    time of the tap, so a tap queued offline keeps it; today only for a tap
    made online without one); absent or excused clears the times (a correction)."""
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
            record.check_in_at = _check_in_time(tapped_at, day, timezone.now())
    else:
        record.absence_reason = absence_reason
        record.check_in_at = record.check_out_at = None
        record.picked_up_by = record.dropped_off_by = ""
    record.save()
    _audit(user=user, group=group, record=record, before=before, created=created)
    return record


def _write_check_out(
    record: Attendance, *, picked_up_by: str, user, tapped_at: datetime.datetime | None
) -> None:
    """Record who picked the child up and when (the time of the tap, never before
    the check-in). The caller holds the group's lock."""
    before = _snapshot(record)
    out = tap_time(tapped_at, record.date, timezone.now())
    record.check_out_at = max(out, record.check_in_at) if record.check_in_at else out
    record.picked_up_by = picked_up_by
    record.recorded_by = user
    record.save()
    _audit(user=user, group=record.group, record=record, before=before, created=False)


def roll_call_mark(
    *,
    enrollment: Enrollment,
    group: Group,
    day: datetime.date,
    status: str,
    absence_reason: str = "",
    user,
    tapped_at: datetime.datetime | None = None,
) -> Attendance:
    """Mark one child for one day outside a phone's tap (no scope, no window:
    the caller decided): lock the group, read the record, write, recount."""
    with transaction.atomic():
        _lock_group(group)
        record = Attendance.objects.filter(enrollment=enrollment, date=day).first()
        record = _write_mark(
            record,
            enrollment=enrollment,
            group=group,
            day=day,
            status=status,
            absence_reason=absence_reason,
            user=user,
            tapped_at=tapped_at,
        )
        GroupDay.recount(group, day)
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
                changes=audit_diff({}, _snapshot(record)),
            )
            for record in records
        )
        attendance_changed.send(sender=Attendance, changes=[(record, {}) for record in records])
        GroupDay.recount(group, day)
    return len(records)


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


def calendar_refusals(season: Season, old: Calendar, new: Calendar) -> list[str]:
    """Registered in `spaces.models.CALENDAR_GUARDS`: the roll calls, teachers on
    duty and incidents a change of the season's days would leave outside it.
    Read by date (a season holds a hundred days at most), not row by row."""
    recorded = days_left_out(old, new, [
        *Attendance.objects.filter(group__season=season).order_by().values_list("date", flat=True)
        .distinct(),
        *StaffShift.objects.filter(group__season=season).order_by().values_list("date", flat=True)
        .distinct(),
    ])  # fmt: skip
    # An incident may happen on any day of the season (not only an opening day).
    inside = Calendar(new.start, new.end, "1234567")
    was_inside = Calendar(old.start, old.end, "1234567")
    times = Incident.objects.filter(group__season=season).values_list("occurred_at", flat=True)
    incidents = days_left_out(was_inside, inside, [timezone.localdate(at) for at in times])
    reasons = []
    if recorded:
        reasons.append(ngettext(
            "Roll calls or teachers on duty are recorded on %(n)d day this change would take "
            "out of the season (%(days)s). Keep it an opening day.",
            "Roll calls or teachers on duty are recorded on %(n)d days this change would take "
            "out of the season (%(days)s). Keep them opening days.",
            len(recorded),
        ) % {"n": len(recorded), "days": some_days(recorded)})  # fmt: skip
    if incidents:
        reasons.append(_(
            "Incidents are recorded on days this change would take out of the season (%(days)s)."
        ) % {"days": some_days(incidents)})  # fmt: skip
    return reasons
