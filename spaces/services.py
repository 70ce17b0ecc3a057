"""Workflows of the spaces app: each changes several rows and writes the audit trail.

Roll call: every write first locks the group's row, so taps on the same
group (two teachers, a double-submitted form, "mark all" racing a single
tap) are applied one after another; the unique (enrollment, date)
constraint remains the last line of defence.

Season set-up: status moves, rollover, rosters and moving a child between
groups lock the season's row, as enrollment decisions do, so a move and an
enrollment cannot both take a group's last place.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from enrollment.models import Enrollment
from factories.models import AuditEntry, Membership, Role
from reports.models import GroupDay

from .models import (
    ActivitySlot,
    Attendance,
    ConductPolicy,
    Group,
    RatioRule,
    Season,
    StaffShift,
    Teacher,
    TeacherAssignment,
    TeacherPolicyAcceptance,
)
from .readiness import season_readiness
from .signals import season_status_changed

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


# --- season set-up ---------------------------------------------------------------


def _lock_season(season: Season) -> None:
    Season.objects.select_for_update().filter(pk=season.pk).exists()


def season_set_status(*, season: Season, status: str, user) -> str | None:
    """Move a season forward in its lifecycle; returns why not (None when moved).

    Opening for applications and starting to run both need a ready season:
    opening promises parents a safe place, so the same blocking items that
    stop a season running stop it opening. Closing is always allowed.
    """
    with transaction.atomic():
        _lock_season(season)
        season.refresh_from_db()
        before = season.status
        wanted = Season.Status(status).label
        if status == before:
            return _("The season is already: %(status)s.") % {"status": wanted}
        if status not in season.next_statuses():
            return _("A season cannot go back from “%(now)s” to “%(then)s”.") % {
                "now": season.get_status_display(),
                "then": wanted,
            }
        if status in (Season.Status.OPEN, Season.Status.RUNNING):
            blockers = season_readiness(season).blockers
            if blockers:
                return _("The season cannot move to “%(status)s” yet. Still to do: %(items)s.") % {
                    "status": wanted,
                    "items": "; ".join(item.label for item in blockers),
                }
        season.status = status
        season.save(update_fields=["status"])
        AuditEntry.objects.record(
            user=user,
            factory_id=season.factory_id,
            instance=season,
            action=AuditEntry.Action.UPDATE,
            changes={"status": [before, status]},
        )
        season_status_changed.send(sender=Season, season=season, old=before, new=status, user=user)
    return None


def season_rollover(
    *,
    source: Season,
    name: str,
    start_date: datetime.date,
    end_date: datetime.date,
    enrollment_deadline: datetime.date | None,
    returning: list[Teacher],
    user,
) -> Season:
    """A new season in planning, copied from `source`: its settings, ratio rules,
    groups (in the same rooms; rooms belong to the factory), weekly plans, and
    the assignments of the teachers who are coming back.

    Not copied: closed days (public holidays move from year to year), the
    application link, children, and lead teachers who are not coming back.
    """
    returning_ids = {teacher.pk for teacher in returning}
    with transaction.atomic():
        season = Season.objects.create(
            factory_id=source.factory_id,
            name=name,
            start_date=start_date,
            end_date=end_date,
            enrollment_deadline=enrollment_deadline,
            opening_weekdays=source.opening_weekdays,
            opens_at=source.opens_at,
            closes_at=source.closes_at,
            capacity=source.capacity,
            min_age=source.min_age,
            max_age=source.max_age,
            children_per_teacher=source.children_per_teacher,
            document_languages=source.document_languages,
            rolled_over_from=source,
        )
        RatioRule.objects.bulk_create(
            RatioRule(
                season=season,
                min_age=rule.min_age,
                max_age=rule.max_age,
                children_per_teacher=rule.children_per_teacher,
            )
            for rule in source.ratio_rules.all()
        )
        new_group = {}
        for group in source.groups.order_by("min_age", "pk"):
            new_group[group.pk] = Group.objects.create(
                season=season,
                name=group.name,
                space_id=group.space_id,
                min_age=group.min_age,
                max_age=group.max_age,
                capacity=group.capacity,
                lead_teacher_id=(
                    group.lead_teacher_id if group.lead_teacher_id in returning_ids else None
                ),
            )
        ActivitySlot.objects.bulk_create(
            ActivitySlot(
                group=new_group[slot.group_id],
                weekday=slot.weekday,
                block=slot.block,
                kind=slot.kind,
                note=slot.note,
            )
            for slot in ActivitySlot.objects.filter(group__season=source)
        )
        TeacherAssignment.objects.bulk_create(
            TeacherAssignment(
                teacher_id=assignment.teacher_id,
                season=season,
                group=new_group.get(assignment.group_id),
                weekdays=assignment.weekdays,
            )
            for assignment in source.assignments.filter(teacher_id__in=returning_ids)
        )
        AuditEntry.objects.record(
            user=user,
            factory_id=season.factory_id,
            instance=season,
            action=AuditEntry.Action.CREATE,
            changes={
                "rolled_over_from": [None, source.pk],
                "returning": [None, sorted(returning_ids)],
            },
        )
    return season


def assignment_conflicts(
    *, teacher: Teacher, season: Season, weekdays: str, ignore: TeacherAssignment | None = None
) -> list[TeacherAssignment]:
    """The teacher's other assignments at the same time: in a season whose dates
    overlap this one's, on a shared working day."""
    others = TeacherAssignment.objects.filter(
        teacher=teacher,
        season__start_date__lte=season.end_date,
        season__end_date__gte=season.start_date,
    ).select_related("season", "group")
    if ignore is not None and ignore.pk:
        others = others.exclude(pk=ignore.pk)
    return [a for a in others if set(a.weekdays) & set(weekdays)]


def teacher_assign(
    *, teacher: Teacher, season: Season, group: Group | None, weekdays: str, user
) -> TeacherAssignment:
    """Put a teacher on a season's roster (the caller's form checked the rules)."""
    with transaction.atomic():
        _lock_season(season)
        assignment = TeacherAssignment.objects.create(
            teacher=teacher, season=season, group=group, weekdays=weekdays
        )
        AuditEntry.objects.record(
            user=user,
            factory_id=season.factory_id,
            instance=assignment,
            action=AuditEntry.Action.CREATE,
            changes={"teacher": [None, teacher.pk], "group": [None, group.pk if group else None]},
        )
    return assignment


def teacher_unassign(*, assignment: TeacherAssignment, user) -> None:
    """Take a teacher off the roster; a group they led loses its lead teacher."""
    with transaction.atomic():
        season = assignment.season
        _lock_season(season)
        if assignment.group_id:
            Group.objects.filter(pk=assignment.group_id, lead_teacher=assignment.teacher).update(
                lead_teacher=None
            )
        AuditEntry.objects.record(
            user=user,
            factory_id=season.factory_id,
            instance=assignment,
            action=AuditEntry.Action.DELETE,
            changes={
                "teacher": [assignment.teacher_id, None],
                "group": [assignment.group_id, None],
            },
        )
        assignment.delete()


GROUP_AUDITED = ("name", "space_id", "min_age", "max_age", "capacity", "lead_teacher_id")


def _row(instance, fields: tuple[str, ...]) -> dict:
    """The stored values of `fields`, before an edit is saved ({} for a new row)."""
    if instance.pk is None:
        return {}
    return type(instance).objects.filter(pk=instance.pk).values(*fields).get()


def _changes(before: dict, instance, fields: tuple[str, ...]) -> dict:
    return {
        name: [_json(before.get(name)), _json(getattr(instance, name))]
        for name in fields
        if before.get(name) != getattr(instance, name)
    }


def group_save(*, group: Group, user) -> Group:
    """Save a group; its lead teacher joins the group's roster if not on it, so the
    readiness checks (and the roll call) count them."""
    created = group.pk is None
    with transaction.atomic():
        _lock_season(group.season)
        before = _row(group, GROUP_AUDITED)
        group.save()
        if group.lead_teacher_id:
            TeacherAssignment.objects.get_or_create(
                teacher_id=group.lead_teacher_id, season=group.season, group=group
            )
        AuditEntry.objects.record(
            user=user,
            factory_id=group.season.factory_id,
            instance=group,
            action=AuditEntry.Action.CREATE if created else AuditEntry.Action.UPDATE,
            changes=_changes(before, group, GROUP_AUDITED),
        )
    return group


# Teacher fields whose changes decide whether a teacher may work with children.
REQUIREMENT_FIELDS = ("training_completed_on", "background_check_on", "user_id")


def teacher_save(*, teacher: Teacher, accepts: ConductPolicy | None, user) -> Teacher:
    """Save a directory entry. A linked login becomes a teacher of the factory (so
    the roll call finds their groups); an accepted code of conduct is recorded
    with its version and time. Requirement changes are audited."""
    created = teacher.pk is None
    with transaction.atomic():
        before = _row(teacher, REQUIREMENT_FIELDS)
        teacher.save()
        if teacher.user_id:
            Membership.objects.get_or_create(
                user_id=teacher.user_id, factory_id=teacher.factory_id, role=Role.TEACHER
            )
        changes = _changes(before, teacher, REQUIREMENT_FIELDS)
        if accepts is not None:
            _acceptance, new = TeacherPolicyAcceptance.objects.get_or_create(
                teacher=teacher, policy=accepts, defaults={"recorded_by": user}
            )
            if new:
                changes["code_of_conduct"] = [None, accepts.version]
        if changes or created:
            AuditEntry.objects.record(
                user=user,
                factory_id=teacher.factory_id,
                instance=teacher,
                action=AuditEntry.Action.CREATE if created else AuditEntry.Action.UPDATE,
                changes=changes,
            )
    return teacher


def _json(value):
    return value.isoformat() if isinstance(value, datetime.date) else value


def enrollment_move(*, enrollment: Enrollment, group: Group, user) -> str | None:
    """Move an enrolled child to another group of the same season; returns why
    not (None when moved).

    Today's roll-call record moves with the child, so today's counts are right
    in both groups; earlier records keep the group the child was in that day
    (history), and later days have no records yet.
    """
    with transaction.atomic():
        _lock_season(enrollment.season)
        enrollment.refresh_from_db()
        if enrollment.status != Enrollment.Status.ENROLLED:
            return _("Only an enrolled child can be moved.")
        if group.season_id != enrollment.season_id:
            return _("A child can only move to a group of the same season.")
        taken = (
            Group.objects.filter(pk=group.pk)
            .annotate(
                n=Count("enrollments", filter=Q(enrollments__status=Enrollment.Status.ENROLLED))
            )
            .values_list("n", flat=True)
            .get()
        )
        if taken >= group.capacity:
            return _("%(group)s is full.") % {"group": group.name}
        before = enrollment.group_id
        enrollment.group = group
        enrollment.save(update_fields=["group"])
        Attendance.objects.filter(enrollment=enrollment, date=timezone.localdate()).update(
            group=group
        )
        AuditEntry.objects.record(
            user=user,
            factory_id=enrollment.season.factory_id,
            instance=enrollment,
            action=AuditEntry.Action.UPDATE,
            changes={"group": [before, group.pk]},
        )
    return None
