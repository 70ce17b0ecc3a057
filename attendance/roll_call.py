"""The roll call of one group on one day, as the pages read it: the group
fetched once with the user's role, the roster with each child's record, who
may pick a child up, the header's counts, and the roll-call status of groups
for the season and home pages."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.db.models import (
    BooleanField,
    CharField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from enrollment.models import AuthorisedPickup, Enrollment, Guardianship, Relationship
from factories.models import Membership, Role
from factories.scoping import CHILDREN_STAFF, STAFF
from spaces import vetting
from spaces.models import (
    ClosedDay,
    Group,
    RatioRule,
    Season,
    Teacher,
    TeacherAssignment,
    join_list,
)

from .models import ATTENDED, Attendance, GroupDay, StaffShift

RECORD_FIELDS = (
    "id",
    "group_id",
    "status",
    "absence_reason",
    "check_in_at",
    "check_out_at",
    "dropped_off_by",
    "picked_up_by",
    "recorded_by_id",
    "updated_at",
)


# What the floors above add to a child's row for a day, read in the roster's
# own query (no query more for the page): each callable of ROW_ANNOTATIONS
# takes the day and gives {name: expression on Enrollment}; each of ROW_NOTES
# turns the values read into lines shown under the child's name. The parent
# channel shows a parent's "absent today", "I will be late" and "someone else
# picks up today" this way.
ROW_ANNOTATIONS: list = []
# The `kind` from which a pickup list's row is for one day only (0 guardians, 1 authorised).
DAY_ONLY = 2
ROW_NOTES: list = []
# People a floor above allows to pick a child up on one day only (a parent's
# "someone else picks up today"): each callable of DAY_PICKUP_ROWS takes the
# children (ids or a subquery) and the day and gives rows of (child id, kind,
# name, relationship, phone) to add to the pickup list's UNION; each of
# DAY_PICKUP_LISTED takes a name and the day and gives an expression on
# Enrollment: whether that person may pick the child up that day.
DAY_PICKUP_ROWS: list = []
DAY_PICKUP_LISTED: list = []


@dataclass(slots=True)
class RosterRow:
    """One child on the roll call of a day: the enrollment (with its child), the
    day's record if there is one, and, for a check-out, whether the person
    named is on the child's pickup list (read in the same query); `notes`: what
    the floors above show on the row (ROW_NOTES)."""

    enrollment: Enrollment
    record: Attendance | None = None
    pickup_listed: bool = False
    notes: list[str] = field(default_factory=list)


def roster_with_records(enrollments, day: datetime.date) -> list[RosterRow]:
    """The roster with each child's record of `day`, in ONE query (a LEFT JOIN on
    the day's row, which the (enrollment, date) constraint keeps to one)."""
    rows = []
    for enrollment in _with_record_columns(enrollments, day):
        values = {field: getattr(enrollment, f"rec_{field}") for field in RECORD_FIELDS}
        record = None
        if values["id"] is not None:
            record = Attendance(enrollment=enrollment, date=day, **values)
            record._state.adding = False
        listed = bool(getattr(enrollment, "is_pickup_listed", False))
        notes = [line for note in ROW_NOTES for line in note(enrollment)]
        rows.append(RosterRow(enrollment, record, listed, notes))
    return rows


def _with_record_columns(enrollments, day: datetime.date):
    extra = {name: value for annotate in ROW_ANNOTATIONS for name, value in annotate(day).items()}
    return enrollments.annotate(
        rec=FilteredRelation("attendances", condition=Q(attendances__date=day)),
        **{f"rec_{field}": F(f"rec__{field}") for field in RECORD_FIELDS},
        **extra,
    )


def roll_call_roster(
    access: GroupAccess,
    day: datetime.date,
    *,
    enrollment_id: int | None = None,
    enrollment_ids: set[int] | None = None,
    pickup: str | None = None,
) -> list[RosterRow]:
    """The children of the group `access` was fetched for (by `roll_call_group`,
    which says whether its user sees them) on `day`, each with the day's
    record, in roll-call order; only the one child `enrollment_id` (or the
    children `enrollment_ids`: a batch of taps) if given;
    `pickup`: whether that person is on the child's list, in the same query.
    One query, none for a user who does not see the children (a manager reads
    the counts)."""
    if not access.sees_children:
        return []
    roster = Enrollment.objects.for_roll_call(access.group, day)
    if enrollment_id is not None:
        roster = roster.filter(pk=enrollment_id)
    if enrollment_ids is not None:
        roster = roster.filter(pk__in=enrollment_ids)
    if pickup is not None:
        roster = roster.annotate(is_pickup_listed=pickup_listed(pickup, day))
    return roster_with_records(roster, day)


def roll_call_refusal(
    access: GroupAccess, day: datetime.date, *, today: datetime.date
) -> str | None:
    """Why the user `access` was fetched for (by `roll_call_group`, with their
    role) may not take or correct its group's roll call on `day`; None if they
    may. No query, but one for a teacher (their safeguarding checks)."""
    if day > today:
        return gettext("A roll call cannot be taken for a day that has not come yet.")
    if not access.group.season.is_opening_day(day, closed=access.is_closed_day):
        return gettext("The space is closed on this day: there is no roll call.")
    role = access.role
    if role == Role.COORDINATOR:
        return None
    if role == Role.TEACHER:
        days_back = settings.ROLL_CALL_TEACHER_DAYS_BACK
        if (today - day).days <= days_back:
            if access.not_cleared is ...:
                access.not_cleared = _not_cleared(access.my_teacher_id, day)
            return access.not_cleared
        return ngettext(
            "Teachers can correct a roll call up to %(n)d day back; ask your coordinator.",
            "Teachers can correct a roll call up to %(n)d days back; ask your coordinator.",
            days_back,
        ) % {"n": days_back}
    return gettext("Only this group's teachers and the coordinator can take its roll call.")


def _not_cleared(teacher_id: int | None, day: datetime.date) -> str | None:
    """A teacher without their safeguarding checks takes no roll call (one query)."""
    missing = vetting.missing(teacher_id, day) if teacher_id else []
    if not missing:
        return None
    return gettext("You cannot take the roll call yet: missing %(missing)s.") % {
        "missing": join_list(missing)
    }


def _user_at_group(user) -> dict:
    """Annotations of a group with what `user` is to it: their best role at its
    factory (`best_role`: coordinator, HR, manager, or None), whether they teach
    it (`teaches`: its lead teacher, or assigned to it or to its whole season:
    `Group.objects.taught_by`) and their teacher row at the factory
    (`my_teacher_id`; within one factory the model's order is by name).

    Written in SQL: the same three as ORM subqueries cost this page and every
    tap about 3.5 ms of Python to build (bench/http.py), more than the rest of
    the query; the database's work is the same. Tables from the models."""
    group, season, membership, teacher, assignment = (
        connection.ops.quote_name(model._meta.db_table)
        for model in (Group, Season, Membership, Teacher, TeacherAssignment)
    )
    factory = f"(SELECT s.factory_id FROM {season} s WHERE s.id = {group}.season_id)"
    best_role = f"""SELECT m.role FROM {membership} m
        WHERE m.user_id = %s AND m.factory_id = {factory} AND m.role IN (%s, %s, %s)
        ORDER BY CASE m.role WHEN %s THEN 0 WHEN %s THEN 1 ELSE 2 END LIMIT 1"""
    teaches = f"""EXISTS (SELECT 1 FROM {teacher} t WHERE t.user_id = %s AND (
        t.id = {group}.lead_teacher_id OR EXISTS (SELECT 1 FROM {assignment} a
            WHERE a.teacher_id = t.id AND (a.group_id = {group}.id
                OR (a.group_id IS NULL AND a.season_id = {group}.season_id)))))"""
    my_teacher = f"""SELECT t.id FROM {teacher} t
        WHERE t.user_id = %s AND t.factory_id = {factory} ORDER BY t.name LIMIT 1"""
    roles = STAFF
    ranked = [Role.COORDINATOR, Role.HR]  # 0 and 1 in the ORDER BY; the manager 2
    return {
        "best_role": RawSQL(best_role, [user.pk, *roles, *ranked], CharField()),
        "teaches": RawSQL(teaches, [user.pk], BooleanField()),
        "my_teacher_id": RawSQL(my_teacher, [user.pk], IntegerField()),
    }


@dataclass(slots=True)
class GroupAccess:
    """A group as one user meets it on one day's roll call, fetched once by
    `roll_call_group`: their role in its roll call (`Role.COORDINATOR` takes any
    day's, `Role.TEACHER` recent days', None only reads), whether they see its
    children, their teacher row at the factory, whether the space is closed
    that day, and the day's counts if the day has a row (`GroupDay`)."""

    group: Group
    role: str | None
    sees_children: bool
    my_teacher_id: int | None
    is_closed_day: bool
    counts: GroupDay | None
    # What the teacher's safeguarding checks refuse (None: nothing), read once
    # for a request (a batch of taps asks for each tap): `_not_cleared`.
    not_cleared: str | None | object = field(default=..., repr=False)


def roll_call_group(
    user, group_id: int, day: datetime.date, *, lock: bool = False
) -> GroupAccess | None:
    """The group as the roll call needs it, fetched once, with what the page and
    a tap ask of it (closed day, the user's role, teacher row and view of the
    children, the day's counts), so that permissions cost no further query.
    `lock`: take the group's row lock (a tap), held until the caller's
    transaction ends. None if out of `user`'s scope.

    The scope is `Group.objects.visible_to(user)` (a superuser; HR, a
    coordinator or a manager of the factory; a teacher of the group), asked of
    this one group in the same query: the user's best role at the factory and
    whether they teach it, not the scope's subqueries over every factory.
    tests/attendance/test_roll_call_access.py holds the two to the same answers."""
    if not user.is_authenticated:
        return None
    groups = Group.objects.select_related("season__factory").annotate(
        is_closed_day=Exists(ClosedDay.objects.filter(season=OuterRef("season"), date=day)),
        **_user_at_group(user),
        counted=FilteredRelation("days", condition=Q(days__date=day)),
        **{f"counted_{field}": F(f"counted__{field}") for field in DAY_COUNTS},
    )
    if lock:
        groups = groups.select_for_update(of=("self",))
    else:
        # The header's ratio rules. A tap reads them when it renders its answer,
        # after the commit: not while it holds the lock. Unordered: the strictest
        # rule is taken whatever the order, and the model's order joins the factory.
        groups = groups.prefetch_related(
            Prefetch("season__ratio_rules", RatioRule.objects.order_by())
        )
    # Unordered (the model's order joins the season and factory): one row by its key.
    group = groups.filter(pk=group_id).order_by().first()
    if group is None:
        return None
    best_role, teaches = group.best_role, bool(group.teaches)
    if not (user.is_superuser or best_role or teaches):
        return None
    if user.is_superuser or best_role == Role.COORDINATOR:
        role = Role.COORDINATOR
    else:
        role = Role.TEACHER if teaches else None
    counts = None
    if group.counted_id is not None:
        counts = GroupDay(
            pk=group.counted_id,
            group=group,
            date=day,
            expected=group.counted_expected,
            recorded=group.counted_recorded,
            attended=group.counted_attended,
            here=group.counted_here,
        )
    return GroupAccess(
        group=group,
        role=role,
        # Enrollment.objects.visible_to(user) on this group: HR, coordinators, its teachers.
        sees_children=bool(user.is_superuser or best_role in CHILDREN_STAFF or teaches),
        my_teacher_id=group.my_teacher_id,
        is_closed_day=bool(group.is_closed_day),
        counts=counts,
    )


def _pickup_rows(children, day: datetime.date | None = None):
    """Guardians and authorised pickup people of `children` (ids, or a subquery
    of them), and on `day` those allowed for that day only (DAY_PICKUP_ROWS), as
    one UNION of (child, kind, name, relationship, phone)."""
    columns = ("child_id", "kind", "person", "relationship", "tel")
    guardians = (
        Guardianship.objects.filter(child_id__in=children)
        .annotate(kind=Value(0), person=F("worker__name"), tel=F("worker__phone"))
        .values_list(*columns)
    )
    pickups = (
        AuthorisedPickup.objects.filter(child_id__in=children)
        .annotate(kind=Value(1), person=F("name"), tel=F("phone"))
        .values_list(*columns)
    )
    for_the_day = [rows(children, day) for rows in DAY_PICKUP_ROWS] if day else []
    return guardians.union(pickups, *for_the_day, all=True)


def _people(rows) -> dict[int, list[dict]]:
    labels = dict(Relationship.choices)
    people: dict[int, list[dict]] = {}
    for child_id, kind, name, relationship, phone in sorted(rows, key=lambda row: row[:3]):
        people.setdefault(child_id, []).append(
            {
                "name": name,
                "relationship": str(labels.get(relationship, relationship)),
                "phone": phone,
                # Allowed for this day only, by a floor above (DAY_PICKUP_ROWS).
                "today_only": kind >= DAY_ONLY,
            }
        )
    return people


def pickup_people(child_ids, day: datetime.date | None = None) -> dict[int, list[dict]]:
    """Who may pick each child up (guardians first, then the authorised pickup
    people, then those allowed on `day` only), with relationship and phone, in
    one query (a UNION) for a whole roster."""
    return _people(_pickup_rows(child_ids, day))


def pickup_listed(name: str, day: datetime.date | None = None):
    """Whether `name` is on the child's list (a guardian or an authorised pickup
    person, or allowed on `day` only), as an expression for the roster's query."""
    listed = Exists(
        Guardianship.objects.filter(child=OuterRef("child"), worker__name=name)
    ) | Exists(AuthorisedPickup.objects.filter(child=OuterRef("child"), name=name))
    for allowed in DAY_PICKUP_LISTED if day else []:
        listed |= allowed(name, day)
    return listed


DAY_COUNTS = ("id", "expected", "recorded", "attended", "here")


@dataclass(frozen=True, slots=True)
class HeaderCounts:
    """The roll call header's counts: children expected, marked, attended
    (present or late) and here now (checked in, not yet picked up)."""

    expected: int
    marked: int
    present: int
    here: int

    @classmethod
    def of_day(cls, counts: GroupDay) -> HeaderCounts:
        return cls(counts.expected, counts.recorded, counts.attended, counts.here)

    @classmethod
    def of_roster(cls, roster: list[RosterRow]) -> HeaderCounts:
        records = [row.record for row in roster if row.record is not None]
        return cls(
            expected=len(roster),
            marked=len(records),
            present=sum(r.attended for r in records),
            here=sum(r.is_here for r in records),
        )


def day_summary(
    access: GroupAccess,
    day: datetime.date,
    counts: GroupDay | None = None,
    roster: list[RosterRow] | None = None,
) -> HeaderCounts:
    """The header's counts from the daily counts (`counts` a tap just wrote, or
    the row fetched with the group); when the day has no row yet (records
    loaded in bulk, or none taken), counted from `roster` (the group's whole
    roster of the day with its records, as `roll_call_roster` gives it to
    whoever may take the roll call), else from the attendance rows."""
    counts = counts or access.counts
    if counts is not None:
        return HeaderCounts.of_day(counts)
    if roster is not None:
        return HeaderCounts.of_roster(roster)
    return roll_call_summary(access.group, day)


def _count(queryset):
    return Coalesce(
        Subquery(queryset.order_by().values("group").annotate(n=Count("pk")).values("n")), 0
    )


def roll_call_summary(group: Group, day: datetime.date) -> HeaderCounts:
    """Counts for the roll call's header from the attendance rows, in one query
    whatever the group size."""
    records = Attendance.objects.filter(group=group, date=day)
    row = (
        Group.objects.filter(pk=group.pk)
        .annotate(
            n_expected=_count(Enrollment.objects.for_roll_call(group, day)),
            n_marked=_count(records),
            n_present=_count(records.filter(status__in=ATTENDED)),
            n_here=_count(records.filter(check_in_at__isnull=False, check_out_at__isnull=True)),
        )
        .values_list("n_expected", "n_marked", "n_present", "n_here")
        .first()
    ) or (0, 0, 0, 0)
    return HeaderCounts(*row)


def teachers_on_duty(group: Group, day: datetime.date) -> list[StaffShift]:
    """The shifts of `group` on `day`, with their teachers, by check-in: today
    those not yet ended; on a past day every shift of the day (the teachers went
    off duty at closing, and were there for the children counted present)."""
    shifts = StaffShift.objects.filter(group=group, date=day)
    if day >= timezone.localdate():
        shifts = shifts.filter(check_out_at__isnull=True)
    return list(shifts.select_related("teacher").order_by("check_in_at"))


def with_roll_call_status(groups, day: datetime.date):
    """Annotate children expected on `day`, roll-call records taken that day, and
    whether the group's space opens that day (`opens_on_day`).

    Counted in subqueries, not joins, so the two counts do not multiply.
    Registered with `spaces.models.GROUP_DAY_ANNOTATIONS` (see apps.py), so the
    season page in `spaces` shows it without importing this app.
    """
    expected = (
        Enrollment.objects.filter(
            group=OuterRef("pk"),
            status=Enrollment.Status.ENROLLED,
            arrival_date__lte=day,
            departure_date__gte=day,
        )
        .values("group")
        .annotate(n=Count("pk"))
        .values("n")
    )
    recorded = (
        Attendance.objects.filter(group=OuterRef("pk"), date=day)
        .values("group")
        .annotate(n=Count("pk"))
        .values("n")
    )
    present = recorded.filter(status__in=ATTENDED)
    # A holiday or a weekday the space does not open: no roll call is missing.
    opens = Q(season__opening_weekdays__contains=str(day.isoweekday())) & ~Exists(
        ClosedDay.objects.filter(season=OuterRef("season"), date=day)
    )
    return groups.annotate(
        n_expected=Coalesce(Subquery(expected), 0),
        n_recorded=Coalesce(Subquery(recorded), 0),
        n_present=Coalesce(Subquery(present), 0),
        opens_on_day=ExpressionWrapper(opens, output_field=BooleanField()),
    )
