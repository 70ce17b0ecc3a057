"""Season set-up workflows: each changes several rows and writes the audit trail.

Status moves, rollover and rosters lock the season's row, as enrollment
decisions (and moving a child between groups) do.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from factories.invitations import revoke_role
from factories.models import AuditEntry, Membership, Role, User

from .models import (
    ActivitySlot,
    ConductPolicy,
    Group,
    RatioRule,
    Season,
    Teacher,
    TeacherAssignment,
    TeacherPolicyAcceptance,
)
from .readiness import season_readiness
from .signals import season_status_changed

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


def teacher_save(
    *, teacher: Teacher, accepts: ConductPolicy | None, user, new_login: bool = False
) -> Teacher:
    """Save a directory entry. A linked login becomes a teacher of the factory (so
    the roll call finds their groups); an accepted code of conduct is recorded
    with its version and time. Requirement changes are audited.

    `new_login` makes an account for the teacher, with no password: they set one
    through an invitation link (`factories.views.invitation`)."""
    created = teacher.pk is None
    with transaction.atomic():
        before = _row(teacher, REQUIREMENT_FIELDS)
        teacher.save()
        if new_login and not teacher.user_id:
            teacher.user = _new_login(teacher)
            teacher.save(update_fields=["user"])
        if teacher.user_id:
            Membership.objects.get_or_create(
                user_id=teacher.user_id, factory_id=teacher.factory_id, role=Role.TEACHER
            )
        if before.get("user_id") not in (None, teacher.user_id):
            _release_login(before["user_id"], teacher)
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


def teacher_remove(*, teacher: Teacher, user) -> None:
    """Take a teacher out of the directory (the admin's delete): their login
    loses the factory as when it is unlinked."""
    with transaction.atomic():
        AuditEntry.objects.record(
            user=user,
            factory_id=teacher.factory_id,
            instance=teacher,
            action=AuditEntry.Action.DELETE,
            changes={"user_id": [teacher.user_id, None]},
        )
        login_id = teacher.user_id
        teacher.delete()
        if login_id is not None:
            _release_login(login_id, teacher)


def _release_login(login_id: int, teacher: Teacher) -> None:
    """A login unlinked from (or left by) a teacher entry stops being a teacher of
    the factory, unless another entry there still uses it; an invitation given
    for it no longer works (see factories.invitations.revoke_role)."""
    if Teacher.objects.filter(factory_id=teacher.factory_id, user_id=login_id).exists():
        return
    login = User.objects.filter(pk=login_id).first()
    if login is not None:
        revoke_role(login, teacher.factory_id, Role.TEACHER)


def _new_login(teacher: Teacher) -> User:
    """An account named after the directory entry, unique, without a password yet."""
    base = f"t{teacher.pk}-{teacher.factory.code}"[:140]
    username, n = base, 1
    while User.objects.filter(username=username).exists():
        n += 1
        username = f"{base}-{n}"
    login = User(username=username, display_name=teacher.name, phone=teacher.phone)
    login.set_unusable_password()
    login.save()
    return login


def _json(value):
    return value.isoformat() if isinstance(value, datetime.date) else value
