"""Enrollment workflows: applications, decisions, capacity and the waitlist.

Every decision that can change who holds a place locks the season's row
first (`SELECT ... FOR UPDATE`), so two HR staff clicking on the last place
at once are served one after the other: the second sees the place taken and
the child is waitlisted. Counting without that lock overbooked in
STACK-NOTES' measurements.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from factories.models import AuditEntry
from spaces.models import Calendar, Group, Season

from .models import (
    ERASED_REFUSAL,
    Consent,
    Enrollment,
)
from .signals import enrollment_decided, enrollment_moved, waitlist_promoted

Status = Enrollment.Status


def eligibility_problems(enrollment: Enrollment) -> list[str]:
    """Why this child cannot be enrolled in this season; empty when they can."""
    season, child = enrollment.season, enrollment.child
    if child.is_erased:
        return [str(ERASED_REFUSAL)]
    problems = []
    age = season.age_on_start(child.date_of_birth)
    if not season.min_age <= age <= season.max_age:
        problems.append(
            _("Aged %(age)d when the season starts; this season takes ages %(min)d to %(max)d.")
            % {"age": age, "min": season.min_age, "max": season.max_age}
        )
    if enrollment.departure_date < season.start_date or enrollment.arrival_date > season.end_date:
        problems.append(_("The child's stay does not overlap the season's dates."))
    if not any(
        c.kind == Consent.Kind.DATA_PROCESSING and c.withdrawn_at is None
        for c in enrollment.consents.all()
    ):
        problems.append(_("The guardian has not consented to the processing of the child's data."))
    overlapping = Enrollment.objects.filter(
        child=child,
        status=Status.ENROLLED,
        season__start_date__lte=season.end_date,
        season__end_date__gte=season.start_date,
    ).exclude(pk=enrollment.pk)
    if overlapping.exists():
        problems.append(_("Already enrolled in another season at the same time."))
    if enrollment.roster_check:
        problems.append(
            _("Not on the roster: confirm or correct the worker before enrolling the child.")
        )
    return problems


@dataclass
class Decision:
    enrollment: Enrollment
    status: str
    message: str


def _audit(enrollment: Enrollment, user, before: str, reason: str = "") -> None:
    changes = {"status": [before, enrollment.status]}
    if enrollment.group_id:
        changes["group"] = [None, enrollment.group_id]
    if reason:
        changes["reason"] = [None, reason]
    AuditEntry.objects.record(
        user=user,
        factory_id=enrollment.season.factory_id,
        instance=enrollment,
        action=AuditEntry.Action.UPDATE,
        changes=changes,
    )


def _group_with_room(season: Season, age: int, wanted: Group | None) -> Group | None:
    """The wanted group if it has room, else the first group for the age with room."""
    groups = season.groups.annotate(
        taken=Count("enrollments", filter=Q(enrollments__status=Status.ENROLLED))
    ).order_by("min_age", "pk")
    if wanted is not None:
        groups = groups.filter(pk=wanted.pk)
    else:
        groups = groups.filter(min_age__lte=age, max_age__gte=age)
    for group in groups:
        if group.taken < group.capacity:
            return group
    return None


def _lock(season: Season) -> None:
    Season.objects.select_for_update().filter(pk=season.pk).exists()


class Places:
    """A season's places as decisions need them: read once under the season's
    row lock, then kept up to date by the decisions themselves, so that a
    bulk decision on 20 children counts the season once, not 20 times."""

    def __init__(self, season: Season):
        _lock(season)
        self.season = season
        self.enrolled = season.enrollments.filter(status=Status.ENROLLED).count()
        self.has_groups = season.groups.exists()
        # Children promoted on the way: a bulk decision reads these rows again.
        self.promoted: set[int] = set()

    @property
    def free(self) -> bool:
        return self.enrolled < self.season.capacity


def _place(
    enrollment: Enrollment,
    *,
    group: Group | None,
    user,
    now,
    places: Places,
    reason: str = "",
    room: Group | None = None,
) -> Decision:
    """Enroll if the season and a group have room, else waitlist. `room`: a group
    the caller has just found with room for this child."""
    season = places.season
    before = enrollment.status
    if room is None and places.has_groups:
        age = season.age_on_start(enrollment.child.date_of_birth)
        room = _group_with_room(season, age, group)
    if places.free and (room is not None or not places.has_groups):
        enrollment.status, enrollment.group = Status.ENROLLED, room
        places.enrolled += 1
        if room is None:
            message = _("%(child)s is enrolled.") % {"child": enrollment.child.name}
        else:
            message = _("%(child)s is enrolled. Group: %(group)s.") % {
                "child": enrollment.child.name,
                "group": room.name,
            }
    else:
        enrollment.status, enrollment.group = Status.WAITLISTED, None
        if not places.free:
            message = _("The season is full: %(child)s is on the waitlist.")
        else:
            message = _("No group for this age has room: %(child)s is on the waitlist.")
        message %= {"child": enrollment.child.name}
    enrollment.decided_at = now
    enrollment.status_reason = reason
    enrollment.save(update_fields=["status", "group", "decided_at", "status_reason"])
    _audit(enrollment, user, before)
    enrollment_decided.send(sender=Enrollment, enrollment=enrollment, before=before)
    return Decision(enrollment, enrollment.status, message)


def _enroll(enrollment: Enrollment, *, group: Group | None, user, places: Places) -> Decision:
    if enrollment.child.is_erased:
        return Decision(enrollment, "refused", str(ERASED_REFUSAL))
    if enrollment.status == Status.ENROLLED:
        return Decision(enrollment, enrollment.status, _("Already enrolled."))
    problems = eligibility_problems(enrollment)
    if problems:
        return Decision(enrollment, "refused", " ".join(problems))
    return _place(enrollment, group=group, user=user, now=timezone.now(), places=places)


def _set_status(enrollment: Enrollment, *, status: str, reason: str, user, places: Places):
    # An erased child's place can still be given up, never taken or queued for.
    if enrollment.child.is_erased and status not in (Status.WITHDRAWN, Status.DECLINED):
        return Decision(enrollment, "refused", str(ERASED_REFUSAL))
    before = enrollment.status
    enrollment.status = status
    enrollment.status_reason = reason
    enrollment.decided_at = timezone.now()
    if status != Status.ENROLLED:
        enrollment.group = None
    enrollment.save(update_fields=["status", "status_reason", "decided_at", "group"])
    _audit(enrollment, user, before, reason)
    enrollment_decided.send(sender=Enrollment, enrollment=enrollment, before=before)
    message = {
        Status.WAITLISTED: _("%(child)s is on the waitlist."),
        Status.DECLINED: _("%(child)s's application is declined."),
        Status.WITHDRAWN: _("%(child)s is withdrawn."),
    }.get(status, _("%(child)s is updated.")) % {"child": enrollment.child.name}
    decision = Decision(enrollment, status, message)
    if before == Status.ENROLLED:
        places.enrolled -= 1
        promoted = promote_waitlist(user=user, places=places)
        if promoted:
            decision.message += " " + _("%(child)s was promoted from the waitlist.") % {
                "child": promoted.child.name
            }
    return decision


def enrollments_decide(
    *,
    season: Season,
    enrollments,
    user,
    status: str | None = None,
    group: Group | None = None,
    reason: str = "",
) -> list[Decision]:
    """HR's bulk decision on the ticked applications of one season: enroll them
    (`status` None, into `group` or by age) or give them `status`, in
    application order. One transaction: all of them change, or none (a
    failure half-way rolls back every child). The season is locked and
    counted once; the rows are read once, after the lock (again only for a
    child promoted by an earlier row)."""
    with transaction.atomic():
        places = Places(season)
        rows = list(
            enrollments.filter(season=season)
            .select_related("child", "season")
            .prefetch_related("consents")
            .order_by("applied_at", "pk")
        )
        decisions = []
        for enrollment in rows:
            if enrollment.pk in places.promoted:
                # Given a place freed by an earlier row of this action: decide
                # on what it is now, not on the copy read before.
                enrollment.refresh_from_db()
            if status is None:
                decision = _enroll(enrollment, group=group, user=user, places=places)
            else:
                decision = _set_status(
                    enrollment, status=status, reason=reason, user=user, places=places
                )
            decisions.append(decision)
        return decisions


def promote_waitlist(*, user, places: Places) -> Enrollment | None:
    """Give a freed place to the first eligible child on the waitlist (by application
    time). `places` holds the season's lock."""
    season = places.season
    if not places.free:
        return None
    waiting = (
        season.enrollments.filter(status=Status.WAITLISTED)
        .select_related("child", "season")
        .prefetch_related("consents")
        .order_by("applied_at", "pk")
    )
    now = timezone.now()
    # In small chunks: the first child waiting usually takes the place.
    for enrollment in waiting.iterator(chunk_size=10):
        if eligibility_problems(enrollment):
            continue
        room = None
        if places.has_groups:
            age = season.age_on_start(enrollment.child.date_of_birth)
            room = _group_with_room(season, age, None)
            if room is None:
                continue  # no group for this child's age has room: the next child may fit
        _place(
            enrollment,
            group=None,
            user=user,
            now=now,
            places=places,
            reason=_("Promoted from the waitlist"),
            room=room,
        )
        places.promoted.add(enrollment.pk)
        # HR calls the family: the notifications app emails them, after commit.
        waitlist_promoted.send(sender=Enrollment, enrollment=enrollment)
        return enrollment
    return None


def enrollment_move(*, enrollment: Enrollment, group: Group, user) -> str | None:
    """Move an enrolled child to another group of the same season; returns why
    not (None when moved).

    Today's roll-call record moves with the child, so today's counts are right
    in both groups; earlier records keep the group the child was in that day
    (history), and later days have no records yet.
    """
    with transaction.atomic():
        _lock(enrollment.season)
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
        enrollment_moved.send(sender=Enrollment, enrollment=enrollment, previous_group_id=before)
        AuditEntry.objects.record(
            user=user,
            factory_id=enrollment.season.factory_id,
            instance=enrollment,
            action=AuditEntry.Action.UPDATE,
            changes={"group": [before, group.pk]},
        )
    return None


def calendar_refusals(season: Season, old: Calendar, new: Calendar) -> list[str]:
    """Registered in `spaces.models.CALENDAR_GUARDS`: the children whose stay met
    the season's old dates and would not meet the new ones (a withdrawn child's
    stay is history and may fall outside)."""
    if (old.start, old.end) == (new.start, new.end):
        return []
    stays = (
        season.enrollments.exclude(status=Enrollment.Status.WITHDRAWN)
        .filter(departure_date__gte=old.start, arrival_date__lte=old.end)
        .filter(Q(departure_date__lt=new.start) | Q(arrival_date__gt=new.end))
        .order_by("arrival_date", "pk")
    )
    names = list(stays.values_list("child__name", flat=True)[:4])
    if not names:
        return []
    n = stays.count()
    shown = "、".join(names[:3]) + ("…" if n > 3 else "")
    return [ngettext(
        "%(n)d child's stay would no longer meet the season's dates (%(names)s): "
        "change the arrival and departure first.",
        "%(n)d children's stays would no longer meet the season's dates (%(names)s): "
        "change their arrival and departure first.",
        n,
    ) % {"n": n, "names": shown}]  # fmt: skip
