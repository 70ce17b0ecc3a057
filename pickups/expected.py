"""When a child is expected to be picked up, and who is still here.

Expected pickup on a day: the earlier of the space's closing time and the
first moment a guardian is free (the end of their shift that day, plus the
factory's walk from the workshop), moved later by a parent's "I will be late"
for that day. A guardian with no shift on record does not move it: then the
closing time is the expectation.
"""

from __future__ import annotations

import dataclasses
import datetime
import zoneinfo

from django.utils import timezone

from attendance.models import Attendance
from attendance.roll_call import pickup_people
from enrollment.models import Enrollment, Guardianship

from .models import CallAttempt, PickupRules, WorkerShift

# Who may move a child's expected pickup later on a day: callables
# (enrollments, day) -> {enrollment id: time}. The parent channel (a floor above)
# registers the parents' "I will be late" answers here when it loads.
LATER_PICKUPS: list = []


def zone_of(factory) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(factory.time_zone)


def shifts_on(worker_ids, day: datetime.date) -> dict[int, WorkerShift]:
    """Each worker's shift on `day`: their latest shift row starting on or before it."""
    current: dict[int, WorkerShift] = {}
    rows = (
        WorkerShift.objects.filter(worker_id__in=worker_ids, starts_on__lte=day)
        .select_related("shift")
        .order_by("worker_id", "-starts_on")
    )
    for row in rows:
        current.setdefault(row.worker_id, row)
    return current


def expected_pickups(
    enrollments: list[Enrollment], day: datetime.date
) -> dict[int, datetime.datetime]:
    """{enrollment id: expected pickup (aware)} for children of one factory's seasons."""
    if not enrollments:
        return {}
    factory = enrollments[0].season.factory
    zone = zone_of(factory)
    walk = datetime.timedelta(minutes=PickupRules.of(factory.pk).walk_minutes)
    guardians: dict[int, list[int]] = {}
    for child_id, worker_id in Guardianship.objects.filter(
        child__in=[e.child_id for e in enrollments]
    ).values_list("child_id", "worker_id"):
        guardians.setdefault(child_id, []).append(worker_id)
    shifts = shifts_on({w for ws in guardians.values() for w in ws}, day)
    late: dict[int, datetime.time] = {}
    for later in LATER_PICKUPS:
        late.update(later(enrollments, day))
    expected = {}
    for enrollment in enrollments:
        season = enrollment.season
        opens = datetime.datetime.combine(day, season.opens_at, tzinfo=zone)
        closes = datetime.datetime.combine(day, season.closes_at, tzinfo=zone)
        when = closes
        for worker_id in guardians.get(enrollment.child_id, []):
            shift = shifts.get(worker_id)
            if shift is not None:
                when = min(when, shift.shift.free_from(opens) + walk)
        if late.get(enrollment.pk):
            when = max(when, datetime.datetime.combine(day, late[enrollment.pk], tzinfo=zone))
        expected[enrollment.pk] = when
    return expected


@dataclasses.dataclass
class StillHere:
    """A child checked in and not yet checked out, as the "still here" view shows it."""

    record: Attendance
    expected_at: datetime.datetime
    now: datetime.datetime
    guardians: list
    calls: list
    # (name, phone) of everyone on record for the child who can be called.
    people: list

    @property
    def enrollment(self) -> Enrollment:
        return self.record.enrollment

    @property
    def minutes_late(self) -> int:
        return max(0, int((self.now - self.expected_at).total_seconds() // 60))

    @property
    def overdue(self) -> bool:
        return self.now > self.expected_at


def still_here(groups, day: datetime.date, now: datetime.datetime | None = None) -> list[StillHere]:
    """Children of `groups` checked in on `day` and not checked out, overdue first
    (the longest wait first), then by expected time."""
    now = now or timezone.now()
    records = list(
        Attendance.objects.filter(
            group__in=groups, date=day, check_in_at__isnull=False, check_out_at__isnull=True
        ).select_related("enrollment__child", "enrollment__season__factory", "group")
    )
    by_factory: dict[int, list[Enrollment]] = {}
    for record in records:
        by_factory.setdefault(record.enrollment.season.factory_id, []).append(record.enrollment)
    expected: dict[int, datetime.datetime] = {}
    for enrollments in by_factory.values():
        expected.update(expected_pickups(enrollments, day))
    guardianships: dict[int, list] = {}
    for g in Guardianship.objects.filter(
        child__in=[r.enrollment.child_id for r in records]
    ).select_related("worker"):
        guardianships.setdefault(g.child_id, []).append(g.worker)
    shifts = shifts_on([w.pk for ws in guardianships.values() for w in ws], day)
    # Everyone who may pick each child up today, as the check-out lists them.
    listed = pickup_people([r.enrollment.child_id for r in records], day) if records else {}
    calls: dict[int, list] = {}
    for call in CallAttempt.objects.filter(
        enrollment__in=[r.enrollment_id for r in records], date=day
    ):
        calls.setdefault(call.enrollment_id, []).append(call)
    rows = [
        StillHere(
            record=record,
            expected_at=expected[record.enrollment_id],
            now=now,
            guardians=[
                (worker, shifts.get(worker.pk))
                for worker in guardianships.get(record.enrollment.child_id, [])
            ],
            calls=calls.get(record.enrollment_id, []),
            people=[
                (person["name"], person["phone"])
                for person in listed.get(record.enrollment.child_id, [])
                if person["phone"]
            ],
        )
        for record in records
    ]
    rows.sort(key=lambda r: (not r.overdue, -r.minutes_late, r.expected_at))
    return rows
