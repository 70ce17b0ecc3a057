"""The roll call of one group on one day, as the pages read it: the group
fetched once with the user's role, the roster with each child's record, who
may pick a child up, the header's counts, and the roll-call status of groups
for the season and home pages."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db.models import (
    Count,
    Exists,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext, ngettext

from enrollment.models import AuthorisedPickup, Enrollment, Guardianship, Relationship
from factories.models import Membership, Role
from spaces.models import ClosedDay, Group, Teacher

from .models import Attendance, GroupDay, StaffShift

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


def roster_with_records(enrollments, day: datetime.date) -> list[Enrollment]:
    """The roster with each child's record of `day`, in ONE query (a LEFT JOIN on
    the day's row, which the (enrollment, date) constraint keeps to one), read
    by `Enrollment.day_record`."""
    return _attach_records(list(_with_record_columns(enrollments, day)), day)


def _with_record_columns(enrollments, day: datetime.date):
    return enrollments.annotate(
        rec=FilteredRelation("attendances", condition=Q(attendances__date=day)),
        **{f"rec_{field}": F(f"rec__{field}") for field in RECORD_FIELDS},
    )


def _attach_records(roster: list[Enrollment], day: datetime.date) -> list[Enrollment]:
    for enrollment in roster:
        values = {field: getattr(enrollment, f"rec_{field}") for field in RECORD_FIELDS}
        record = None
        if values["id"] is not None:
            record = Attendance(enrollment=enrollment, date=day, **values)
            record._state.adding = False
        enrollment.day_records = [record] if record else []
    return roster


def roll_call_roster(
    user, group: Group, day: datetime.date, *, enrollment_id: int | None = None
) -> list[Enrollment]:
    """The children of `group` on `day` that `user` may see, each with the day's
    record (`Enrollment.day_record`), in roll-call order; only the one child
    `enrollment_id` if given. One query: `roster_with_records` over
    `Enrollment.objects.visible_to(user).for_roll_call(group, day)`."""
    roster = Enrollment.objects.visible_to(user).for_roll_call(group, day)
    if enrollment_id is not None:
        roster = roster.filter(pk=enrollment_id)
    return roster_with_records(roster, day)


def roll_call_refusal(
    group: Group, user, day: datetime.date, *, today: datetime.date
) -> str | None:
    """Why `user` may not take or correct this group's roll call on `day`; None if they may.
    A group fetched by `roll_call_group` answers without a query."""
    if day > today:
        return gettext("A roll call cannot be taken for a day that has not come yet.")
    if not group.season.is_opening_day(day, closed=getattr(group, "is_closed_day", None)):
        return gettext("The space is closed on this day: there is no roll call.")
    role = group.rc_role if hasattr(group, "rc_role") else group.roll_call_role(user)
    if role == Role.COORDINATOR:
        return None
    if role == Role.TEACHER:
        days_back = settings.ROLL_CALL_TEACHER_DAYS_BACK
        if (today - day).days <= days_back:
            return None
        return ngettext(
            "Teachers can correct a roll call up to %(n)d day back; ask your coordinator.",
            "Teachers can correct a roll call up to %(n)d days back; ask your coordinator.",
            days_back,
        ) % {"n": days_back}
    return gettext("Only this group's teachers and the coordinator can take its roll call.")


def roll_call_group(user, group_id: int, day: datetime.date, *, lock: bool = False):
    """The group as the roll call needs it, fetched once: `user`'s scope, and
    annotated with what the page and a tap ask of it (closed day, the user's
    role and teacher row, the day's counts), so that permissions cost no
    further query. `lock`: take the group's row lock (a tap). None if out of scope."""
    membership = Membership.objects.filter(
        user=user, factory=OuterRef("season__factory"), role=Role.COORDINATOR
    )
    groups = (
        Group.objects.visible_to(user)
        .select_related("season__factory")
        .prefetch_related("season__ratio_rules")
        .annotate(
            is_closed_day=Exists(ClosedDay.objects.filter(season=OuterRef("season"), date=day)),
            is_coordinator=Exists(membership),
            is_teacher=Exists(Group.objects.taught_by(user).filter(pk=OuterRef("pk"))),
            my_teacher_id=Subquery(
                Teacher.objects.filter(user=user, factory=OuterRef("season__factory")).values("pk")[
                    :1
                ]
            ),
            counted=FilteredRelation("days", condition=Q(days__date=day)),
            **{f"counted_{field}": F(f"counted__{field}") for field in DAY_COUNTS},
        )
    )
    if lock:
        groups = groups.select_for_update(of=("self",))
    group = groups.filter(pk=group_id).first()
    if group is not None:
        if user.is_superuser or group.is_coordinator:
            group.rc_role = Role.COORDINATOR
        else:
            group.rc_role = Role.TEACHER if group.is_teacher else None
    return group


def _pickup_rows(children):
    """Guardians and authorised pickup people of `children` (ids, or a subquery
    of them), as one UNION of (child, kind, name, relationship, phone)."""
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
    return guardians.union(pickups, all=True)


def _people(rows) -> dict[int, list[dict]]:
    labels = dict(Relationship.choices)
    people: dict[int, list[dict]] = {}
    for child_id, _kind, name, relationship, phone in sorted(rows, key=lambda row: row[:3]):
        people.setdefault(child_id, []).append(
            {
                "name": name,
                "relationship": str(labels.get(relationship, relationship)),
                "phone": phone,
            }
        )
    return people


def pickup_people(child_ids) -> dict[int, list[dict]]:
    """Who may pick each child up (guardians first, then the authorised pickup
    people), with relationship and phone, in one query (a UNION) for a whole roster."""
    return _people(_pickup_rows(child_ids))


def pickup_listed(name: str):
    """Whether `name` is on the child's list (a guardian or an authorised pickup
    person), as an expression for the roster's query."""
    return Exists(Guardianship.objects.filter(child=OuterRef("child"), worker__name=name)) | Exists(
        AuthorisedPickup.objects.filter(child=OuterRef("child"), name=name)
    )


DAY_COUNTS = ("id", "expected", "recorded", "attended", "here")


def day_summary(
    group: Group, day: datetime.date, counts: GroupDay | None = None, roster=None
) -> dict:
    """The header's counts from the daily counts (`counts`, or the row fetched
    with `roll_call_group`); when the day has no row yet (records loaded in
    bulk, or none taken), counted from `roster` (the group's whole roster of the
    day with its records, as `roll_call_roster` gives it to whoever may take the
    roll call), else from the attendance rows."""
    if counts is None and getattr(group, "counted_id", None) is not None:
        counts = GroupDay(
            expected=group.counted_expected,
            recorded=group.counted_recorded,
            attended=group.counted_attended,
            here=group.counted_here,
        )
    if counts is None and roster is not None:
        records = [e.day_record for e in roster if e.day_record is not None]
        return {
            "expected": len(roster),
            "marked": len(records),
            "present": sum(r.attended for r in records),
            "here": sum(r.is_here for r in records),
        }
    if counts is None:
        return roll_call_summary(group, day)
    return {
        "expected": counts.expected,
        "marked": counts.recorded,
        "present": counts.attended,
        "here": counts.here,
    }


def _count(queryset):
    return Coalesce(
        Subquery(queryset.order_by().values("group").annotate(n=Count("pk")).values("n")), 0
    )


def roll_call_summary(group: Group, day: datetime.date) -> dict:
    """Counts for the roll call's header from the attendance rows, in one query
    whatever the group size."""
    records = Attendance.objects.filter(group=group, date=day)
    row = (
        Group.objects.filter(pk=group.pk)
        .annotate(
            n_expected=_count(Enrollment.objects.for_roll_call(group, day)),
            n_marked=_count(records),
            n_present=_count(records.filter(status__in=["present", "late"])),
            n_here=_count(records.filter(check_in_at__isnull=False, check_out_at__isnull=True)),
        )
        .values_list("n_expected", "n_marked", "n_present", "n_here")
        .first()
    ) or (0, 0, 0, 0)
    return dict(zip(("expected", "marked", "present", "here"), row, strict=True))


def teachers_on_duty(group: Group, day: datetime.date) -> list[StaffShift]:
    """The shifts of `group` on `day` not yet ended, with their teachers, by check-in."""
    return list(
        StaffShift.objects.filter(group=group, date=day, check_out_at__isnull=True)
        .select_related("teacher")
        .order_by("check_in_at")
    )


def with_roll_call_status(groups, day: datetime.date):
    """Annotate children expected on `day` and roll-call records taken that day.

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
    present = recorded.filter(status__in=[Attendance.Status.PRESENT, Attendance.Status.LATE])
    return groups.annotate(
        n_expected=Coalesce(Subquery(expected), 0),
        n_recorded=Coalesce(Subquery(recorded), 0),
        n_present=Coalesce(Subquery(present), 0),
    )
