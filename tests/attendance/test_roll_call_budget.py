"""Query budgets of the roll call (issue 15): the page within 9 queries and a
tap within 11 (one each for the teacher's safeguarding checks, issue 27), the
same for 5 children as for 80, with the audit trail and the
daily counts written on every change.

The session is not saved on these requests (`SESSION_SAVE_EVERY_REQUEST` off):
that per-request write (SAVEPOINT, UPDATE, RELEASE) is the sessions item of the
same issue, not the roll call's; everything else a request does is counted.
"""

import json
import re
import uuid
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from attendance.models import Attendance, GroupDay
from attendance.roll_call import HeaderCounts
from enrollment.models import AuthorisedPickup
from factories.models import AuditEntry

from ..builders import enroll

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def session_not_rewritten(settings):
    settings.SESSION_SAVE_EVERY_REQUEST = False


def today():
    return timezone.localdate()


def tap(client, enrollment, **data):
    url = reverse("attendance:roll-call-mark", args=[enrollment.group_id, today(), enrollment.pk])
    data.setdefault("op_id", str(uuid.uuid4()))
    return client.post(url, data, **HTMX)


def check_out(client, enrollment, **data):
    url = reverse(
        "attendance:roll-call-check-out", args=[enrollment.group_id, today(), enrollment.pk]
    )
    data.setdefault("op_id", str(uuid.uuid4()))
    return client.post(url, data, **HTMX)


@pytest.fixture
def teacher(client_of, site):
    return client_of(site.teacher_user)


def a_group_of(site, size):
    children = [enroll(site.group) for _ in range(size)]
    for enrollment in children:
        AuthorisedPickup.objects.create(
            child=enrollment.child,
            name=f"{enrollment.child.name}的奶奶",
            relationship="grandparent",
        )
    return children


@pytest.mark.parametrize("size", [5, 80])
def test_the_page_takes_at_most_9_queries(teacher, site, size, django_assert_max_num_queries):
    children = a_group_of(site, size)
    tap(teacher, children[0], status="present")  # the day's counts exist
    # session, user, the group (scope, role, closed day, teacher row, counts),
    # its ratio rules, the nav's memberships, roster with records, pickup lists,
    # teachers on duty, the teacher's safeguarding checks
    with django_assert_max_num_queries(9):
        response = teacher.get(reverse("attendance:roll-call", args=[site.group.pk, today()]))
    html = response.content.decode()
    assert html.count('class="list-group-item roll-row') == size
    assert f"1/{size}" in html
    # The pickup lists travel with the page, for a check-out offline.
    pickups = json.loads(unescape(re.search(r'data-pickups="([^"]*)"', html).group(1)))
    last = children[-1]
    names = [p["name"] for p in pickups[str(last.pk)]]
    assert names == [last.child.guardians.get().name, f"{last.child.name}的奶奶"]


@pytest.mark.parametrize("size", [5, 80])
def test_a_tap_takes_at_most_11_queries(teacher, site, size, django_assert_max_num_queries):
    children = a_group_of(site, size)
    first, other = children[0], children[1]
    teacher.get(reverse("attendance:roll-call", args=[site.group.pk, today()]))  # the page first
    # session, user, the group locked, the child with its record, the tap's id,
    # the record, the audit entry, the daily counts, ratio rules, teachers on duty,
    # the teacher's safeguarding checks
    with django_assert_max_num_queries(11):
        tap(teacher, first, status="present")  # first tap of the day: counts created
    with django_assert_max_num_queries(11):
        response = tap(teacher, first, status="late")  # a repeat tap, a correction
    assert response.status_code == 200
    with django_assert_max_num_queries(11):
        tap(teacher, other, status="absent", absence_reason="sick")
    with django_assert_max_num_queries(11):
        response = check_out(teacher, first, picked_up_by=f"{first.child.name}的奶奶")
    assert response.status_code == 200
    # Nothing was skipped to get there: records, audit trail and daily counts.
    records = {a.enrollment_id: a for a in Attendance.objects.all()}
    assert records[first.pk].status == "late" and records[first.pk].check_out_at is not None
    assert records[other.pk].absence_reason == "sick"
    assert AuditEntry.objects.filter(model="attendance.attendance").count() == 4
    counts = GroupDay.objects.get(group=site.group, date=today())
    assert (counts.expected, counts.recorded, counts.attended, counts.absent, counts.here) == (
        size,
        2,
        1,
        1,
        0,
    )


def test_a_day_without_daily_counts_is_counted_from_the_roster_the_same_for_every_role(
    client_of, site, django_assert_max_num_queries
):
    """Records loaded in bulk have no daily-counts row: the teacher's header is
    counted from the roster the page read anyway (no query of its own), and says
    what HR's header, counted from the attendance rows, says; a manager, who
    sees no child, gets the same figures."""
    children = a_group_of(site, 6)
    now = timezone.now()
    statuses = ["present", "present", "late", "absent", "excused"]  # the sixth: not marked
    for enrollment, status in zip(children, statuses, strict=False):
        Attendance.objects.create(
            enrollment=enrollment,
            group=site.group,
            date=today(),
            status=status,
            absence_reason="sick" if status == "absent" else "",
            check_in_at=now if status in ("present", "late") else None,
            check_out_at=now if enrollment == children[0] else None,
            picked_up_by="奶奶" if enrollment == children[0] else "",
        )
    assert not GroupDay.objects.filter(group=site.group, date=today()).exists()
    url = reverse("attendance:roll-call", args=[site.group.pk, today()])
    teacher = client_of(site.teacher_user)
    teacher.get(url)  # the session's first visit writes its start time
    with django_assert_max_num_queries(9):  # the same 9: no query for the header
        teacher_page = teacher.get(url)
    for user in (site.teacher_user, site.hr, site.manager):
        summary = client_of(user).get(url).context["summary"]
        assert summary == HeaderCounts(expected=6, marked=5, present=3, here=2), user
    assert teacher_page.context["summary"].marked == 5
