"""Is a season ready to open? The checklist on the season page.

`season_readiness` reads the season's groups, rooms, roster, checks and rules
in a fixed number of queries and returns the items the page shows. The
blocking ones are what `services.season_set_status` refuses to open a
season over; the others are flags for the coordinator (a failed weekly
safety check of a running season).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import (
    M2_PER_CHILD,
    ConductPolicy,
    Group,
    SafetyCheck,
    Season,
    Space,
    Teacher,
    TeacherPolicyAcceptance,
    join_list,
)

# A running season's rooms are checked again every week.
WEEKLY_CHECK_DAYS = 7


@dataclass
class Item:
    key: str  # stable, for tests and templates
    label: str
    done: bool
    blocking: bool = True
    details: list[str] = field(default_factory=list)


@dataclass
class Readiness:
    items: list[Item]

    @property
    def blockers(self) -> list[Item]:
        return [item for item in self.items if item.blocking and not item.done]

    @property
    def flags(self) -> list[Item]:
        """Open items that do not block: things the coordinator should look at."""
        return [item for item in self.items if not item.blocking and not item.done]

    @property
    def to_do(self) -> list[Item]:
        return [item for item in self.items if not item.done]

    @property
    def ready(self) -> bool:
        return not self.blockers


def _names(teachers: list[Teacher]) -> list[str]:
    return sorted(teacher.name for teacher in teachers)


def _room_items(
    season: Season,
    groups: list[Group],
    checks: list[SafetyCheck],
    today: datetime.date,
) -> list[Item]:
    spaces: dict[int, Space] = {g.space_id: g.space for g in groups if g.space_id}
    without_room = [g.name for g in groups if not g.space_id]
    rooms = Item("rooms", _("Every group has a room"), done=not without_room, details=without_room)
    safety = Item("safety", _("Each room passed its pre-opening safety check"), done=bool(spaces))
    # `checks` are newest first, all after the previous season ended.
    weekly = Item(
        "weekly", _("Weekly safety checks are up to date and passed"), done=True, blocking=False
    )
    for space in sorted(spaces.values(), key=lambda s: s.name):
        own = [c for c in checks if c.space_id == space.pk]
        pre = next(
            (
                c
                for c in own
                if c.kind == SafetyCheck.Kind.PRE_OPENING and c.checked_on <= season.end_date
            ),
            None,
        )
        if pre is None:
            safety.done = False
            safety.details.append(_("%(room)s: not checked yet.") % {"room": space.name})
        elif not pre.passed:
            safety.done = False
            safety.details.append(
                _("%(room)s: failed on %(day)s: %(items)s.")
                % {"room": space.name, "day": pre.checked_on, "items": join_list(pre.failed_items)}
            )
        if season.status != Season.Status.RUNNING:
            continue
        latest = own[0] if own else None
        if latest is not None and not latest.passed:
            weekly.done = False
            weekly.details.append(
                _("%(room)s: the check on %(day)s failed: %(items)s. %(notes)s")
                % {
                    "room": space.name,
                    "day": latest.checked_on,
                    "items": join_list(latest.failed_items),
                    "notes": latest.notes,
                }
            )
        elif latest is None or (today - latest.checked_on).days > WEEKLY_CHECK_DAYS:
            weekly.done = False
            weekly.details.append(
                _("%(room)s: no check in the last %(n)d days.")
                % {"room": space.name, "n": WEEKLY_CHECK_DAYS}
            )
    if not spaces:
        safety.details.append(_("No room yet."))
    items = [rooms, safety]
    if season.status == Season.Status.RUNNING:
        items.append(weekly)
    return items


def _roster_items(season: Season, roster: list[Teacher], groups: list[Group]) -> list[Item]:
    without_lead = [g.name for g in groups if not g.lead_teacher_id]
    leads = Item(
        "leads", _("Every group has a lead teacher"), done=not without_lead, details=without_lead
    )
    untrained = [t for t in roster if not t.trained_for(season)]
    training = Item(
        "training",
        _("Every teacher on the roster completed this year's training"),
        done=not untrained,
        details=_names(untrained),
    )
    unchecked = [t for t in roster if not t.background_checked_for(season)]
    background = Item(
        "background",
        _("Every teacher on the roster has a background check on file"),
        done=not unchecked,
        details=_names(unchecked),
    )
    policy = ConductPolicy.objects.current()
    if policy is None:
        conduct = Item(
            "conduct",
            _("A code of conduct is published"),
            done=False,
            details=[_("An administrator publishes it in the administration pages.")],
        )
    else:
        accepted = set(
            TeacherPolicyAcceptance.objects.filter(policy=policy, teacher__in=roster).values_list(
                "teacher_id", flat=True
            )
        )
        missing = [t for t in roster if t.pk not in accepted]
        conduct = Item(
            "conduct",
            _("Every teacher on the roster accepted the code of conduct (version %(n)d)")
            % {"n": policy.version},
            done=not missing,
            details=_names(missing),
        )
    return [leads, training, conduct, background]


def _capacity_item(season: Season, groups: list[Group]) -> Item:
    item = Item(
        "capacity",
        _("The rooms are big enough (%(m2)s m² per child)") % {"m2": M2_PER_CHILD},
        done=True,
    )
    room_total = 0
    for space in sorted({g.space for g in groups if g.space_id}, key=lambda s: s.name):
        places = sum(g.capacity for g in groups if g.space_id == space.pk)
        if space.room_for is None:
            item.done = False
            item.details.append(_("%(room)s: its area is not recorded.") % {"room": space.name})
            continue
        room_total += space.room_for
        if places > space.room_for:
            item.done = False
            item.details.append(
                _("%(room)s: its groups take %(places)d children; it has room for %(n)d.")
                % {"room": space.name, "places": places, "n": space.room_for}
            )
    if item.done and season.capacity > room_total:
        item.done = False
        item.details.append(
            _("The season takes %(n)d children; its rooms hold %(room)d.")
            % {"n": season.capacity, "room": room_total}
        )
    return item


def _staffing_item(groups: list[Group], assignments) -> Item:
    """Each group staffed for a full group (children come off the waitlist any
    day) at its age band's ratio; teachers on the whole season cover gaps."""
    item = Item("staffing", _("Enough teachers for the ratio rules"), done=True)
    pool = len({a.teacher_id for a in assignments if a.group_id is None})
    short = 0
    for group in groups:
        staff = {a.teacher_id for a in assignments if a.group_id == group.pk}
        if group.lead_teacher_id:
            staff.add(group.lead_teacher_id)
        limit = group.children_per_teacher
        needed = group.teachers_needed(group.capacity)
        if needed > len(staff):
            short += needed - len(staff)
            item.details.append(
                ngettext(
                    "%(group)s: %(needed)d teachers needed for %(n)d children "
                    "(1 per %(limit)d), %(have)d on the roster.",
                    "%(group)s: %(needed)d teachers needed for %(n)d children "
                    "(1 per %(limit)d), %(have)d on the roster.",
                    needed,
                )
                % {
                    "group": group.name,
                    "needed": needed,
                    "n": group.capacity,
                    "limit": limit,
                    "have": len(staff),
                }
            )
    if short > pool:
        item.done = False
    elif short:
        item.details.append(_("Teachers on the whole season cover the gap (%(n)d).") % {"n": pool})
    return item


def season_readiness(season: Season, *, today: datetime.date | None = None) -> Readiness:
    """The checklist for `season`, in about eight queries whatever its size:
    groups, rules, roster, previous season, checks, policy, acceptances."""
    today = today or timezone.localdate()
    prefetch_related_objects([season], "ratio_rules")
    # Each group's `season` is this instance (a related manager sets it), so
    # `group.children_per_teacher` reads the prefetched rules.
    groups = list(season.groups.select_related("space", "lead_teacher").order_by("min_age", "pk"))
    assignments = list(season.assignments.select_related("teacher"))
    roster = {a.teacher_id: a.teacher for a in assignments}
    roster.update({g.lead_teacher_id: g.lead_teacher for g in groups if g.lead_teacher_id})
    spaces = {g.space_id for g in groups if g.space_id}
    after = season.checks_count_after()
    checks = SafetyCheck.objects.filter(space__in=spaces)
    if after is not None:
        checks = checks.filter(checked_on__gt=after)
    checks = list(checks) if spaces else []
    items = [
        Item("groups", _("The season has groups"), done=bool(groups)),
        *_room_items(season, groups, checks, today),
        *_roster_items(season, list(roster.values()), groups),
        _capacity_item(season, groups),
        _staffing_item(groups, assignments),
    ]
    return Readiness(items)
