"""Taps as an attacker with a login sends them: as fast as a script can, and
with another user's tap ids (issue 24, item 9); and which answers a phone may
take a record's version from (item 22)."""

import uuid

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from attendance.models import Attendance, RollCallOp
from enrollment.models import AuthorisedPickup
from factories.models import AuditEntry

from ..builders import enroll

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def fresh_limits():
    cache.clear()
    yield
    cache.clear()


def tap(client, enrollment, **data):
    url = reverse(
        "attendance:roll-call-mark",
        args=[enrollment.group_id, timezone.localdate(), enrollment.pk],
    )
    return client.post(url, data, **HTMX)


def out(client, enrollment, **data):
    url = reverse(
        "attendance:roll-call-check-out",
        args=[enrollment.group_id, timezone.localdate(), enrollment.pk],
    )
    return client.post(url, data, **HTMX)


@pytest.fixture
def teacher(client_of, site):
    return client_of(site.teacher_user)


@pytest.fixture
def colleague(site):
    """The coordinator of the same factory, on a phone of their own."""
    other = Client()
    other.force_login(site.coordinator)
    return other


def test_a_flood_of_taps_is_refused_with_a_message_and_writes_nothing(
    teacher, colleague, site, settings
):
    settings.ROLL_CALL_TAPS_PER_MINUTE = 10
    enrollment = enroll(site.group)
    statuses = ["present", "late"]
    answers = [
        tap(teacher, enrollment, status=statuses[i % 2], op_id=str(uuid.uuid4())).status_code
        for i in range(25)
    ]
    assert answers[:10] == [200] * 10
    assert set(answers[10:]) == {429}
    refused = tap(teacher, enrollment, status="present", op_id=str(uuid.uuid4()))
    assert refused["Retry-After"] == "60"
    assert "点击太频繁" in refused.content.decode()
    # Ten changes, ten audit entries: none for the refused ones.
    assert AuditEntry.objects.filter(model="attendance.attendance").count() == 10
    assert Attendance.objects.get().status == "late"
    # Check-outs count too, and the limit is this user's: a colleague still taps.
    AuthorisedPickup.objects.create(child=enrollment.child, name="王奶奶", relationship="other")
    assert out(teacher, enrollment, picked_up_by="王奶奶").status_code == 429
    assert tap(colleague, enrollment, status="absent", absence_reason="sick").status_code == 200


def test_the_hourly_limit_holds_a_slow_flood(teacher, site, settings):
    settings.ROLL_CALL_TAPS_PER_HOUR = 5
    enrollment = enroll(site.group)
    answers = [tap(teacher, enrollment, status="present").status_code for _ in range(7)]
    assert answers == [200] * 5 + [429] * 2


def test_a_real_teachers_morning_is_never_limited(teacher, site):
    """A whole 80-child group's day sent at once after an outage: every child
    marked, corrected once, and checked out."""
    children = [enroll(site.group) for _ in range(40)]
    for enrollment in children:
        AuthorisedPickup.objects.create(child=enrollment.child, name="王奶奶", relationship="other")
    answers = []
    for enrollment in children:
        answers.append(tap(teacher, enrollment, status="present").status_code)
        answers.append(tap(teacher, enrollment, status="late").status_code)
        answers.append(out(teacher, enrollment, picked_up_by="王奶奶").status_code)
    assert set(answers) == {200}


def test_another_users_tap_id_neither_collides_with_nor_replays_a_teachers(
    teacher, colleague, site
):
    enrollment = enroll(site.group)
    op = str(uuid.uuid4())
    assert tap(teacher, enrollment, status="present", op_id=op, seen="0").status_code == 200
    seen = Attendance.objects.get().version
    # The coordinator sends a tap with the teacher's id: it is theirs, and applied.
    response = tap(colleague, enrollment, status="late", op_id=op, seen=seen)
    assert response.status_code == 200 and 'data-applied="1"' in response.content.decode()
    assert Attendance.objects.get().status == "late"
    assert RollCallOp.objects.filter(op_id=op).count() == 2
    # A conflict on the coordinator's side does not free the teacher's id, so the
    # teacher's own tap sent again is still applied once (not redone).
    stale = tap(colleague, enrollment, status="excused", op_id=op, seen="0")
    assert stale.status_code == 200  # already applied for the coordinator: kept
    again = tap(teacher, enrollment, status="present", op_id=op, seen="0")
    assert again.status_code == 200 and 'data-applied="1"' not in again.content.decode()
    assert Attendance.objects.get().status == "late"
    assert RollCallOp.objects.filter(op_id=op, user=site.teacher_user).exists()


def test_a_check_out_id_of_another_user_does_not_answer_saved(teacher, colleague, site):
    """Probing: an id someone else used for a check-out tells nothing, and the
    tap is judged as any other (here: the child is already checked out)."""
    enrollment = enroll(site.group)
    AuthorisedPickup.objects.create(child=enrollment.child, name="王奶奶", relationship="other")
    tap(teacher, enrollment, status="present")
    op = str(uuid.uuid4())
    assert out(teacher, enrollment, picked_up_by="王奶奶", op_id=op).status_code == 200
    probe = out(colleague, enrollment, picked_up_by="王奶奶", op_id=op)
    assert probe.status_code == 422 and "已经签退" in probe.content.decode()
    # The teacher's own resend is answered as saved, and as their doing.
    resent = out(teacher, enrollment, picked_up_by="王奶奶", op_id=op)
    assert resent.status_code == 200 and 'data-applied="1"' in resent.content.decode()


def test_only_an_applied_tap_hands_its_version_to_the_phone(teacher, colleague, site):
    enrollment = enroll(site.group)
    applied = tap(teacher, enrollment, status="present", op_id=str(uuid.uuid4()), seen="0")
    assert 'data-applied="1"' in applied.content.decode()
    # A colleague's change, then the teacher's queued tap: a conflict, no version to take.
    tap(colleague, enrollment, status="absent", absence_reason="sick")
    conflict = tap(teacher, enrollment, status="late", op_id=str(uuid.uuid4()), seen="0")
    assert conflict.status_code == 409 and 'data-applied="1"' not in conflict.content.decode()
    # Keeping the colleague's value applies nothing either.
    theirs = tap(
        teacher,
        enrollment,
        status="late",
        op_id=str(uuid.uuid4()),
        seen=Attendance.objects.get().version,
        resolution="theirs",
    )
    assert theirs.status_code == 200 and 'data-applied="1"' not in theirs.content.decode()
    # The same value as the colleague's: kept, and not the teacher's doing.
    same = tap(teacher, enrollment, status="absent", absence_reason="sick", op_id=str(uuid.uuid4()))
    assert same.status_code == 200 and 'data-applied="1"' not in same.content.decode()


def test_a_batch_counts_its_taps_in_the_hour_and_is_limited_per_minute(client_of, site, settings):
    import json
    import uuid

    from django.urls import reverse
    from django.utils import timezone

    from attendance.models import Attendance
    from tests.builders import enroll

    settings.ROLL_CALL_BATCHES_PER_MINUTE = 2
    settings.ROLL_CALL_TAPS_PER_HOUR = 10
    children = [enroll(site.group) for _ in range(6)]
    teacher = client_of(site.teacher_user)
    url = reverse("attendance:roll-call-taps", args=[site.group.pk, timezone.localdate()])

    def batch(n):
        taps = [{"enrollment": e.pk, "kind": "mark", "status": "present",
                 "op_id": str(uuid.uuid4())} for e in children[:n]]  # fmt: skip
        return teacher.post(url, json.dumps({"taps": taps}), content_type="application/json")

    assert batch(6).status_code == 200  # six taps of the hour's ten
    refused = batch(6)  # twelve: over the hour's taps
    assert refused.status_code == 429 and refused["Retry-After"] == "60"
    assert Attendance.objects.count() == 6
    assert batch(1).status_code == 429  # the third batch of the minute
