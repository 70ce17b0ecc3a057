"""A phone's queue of taps sent in one request (`roll_call_taps`): applied in
order, each once, within one lock of the group, each with its own answer."""

import datetime
import json
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from attendance.models import Attendance, GroupDay, RollCallOp
from enrollment.models import AuthorisedPickup
from factories.models import AuditEntry

from ..builders import enroll


def today():
    return timezone.localdate()


def batch_url(group, day=None):
    return reverse("attendance:roll-call-taps", args=[group.pk, day or today()])


def send(client, group, taps, day=None):
    return client.post(
        batch_url(group, day), json.dumps({"taps": taps}), content_type="application/json"
    )


def mark(enrollment, status, seen="0", **extra):
    return {
        "enrollment": enrollment.pk,
        "kind": "mark",
        "status": status,
        "op_id": str(uuid.uuid4()),
        "seen": seen,
        "tapped_at": int(timezone.now().timestamp() * 1000),
        **extra,
    }


@pytest.fixture
def teacher(client_of, site):
    return client_of(site.teacher_user)


def test_a_queue_of_taps_is_saved_in_one_request_each_with_its_answer(teacher, site):
    children = [enroll(site.group) for _ in range(3)]
    taps = [mark(children[0], "present"), mark(children[1], "late"), mark(children[2], "excused")]
    response = send(teacher, site.group, taps)
    assert response.status_code == 200
    body = response.json()
    assert [a["outcome"] for a in body["answers"]] == ["saved", "saved", "saved"]
    assert {r.enrollment_id: r.status for r in Attendance.objects.all()} == {
        children[0].pk: "present",
        children[1].pk: "late",
        children[2].pk: "excused",
    }
    # Each row as the server renders it, with the version the phone keeps.
    record = Attendance.objects.get(enrollment=children[1])
    assert body["answers"][1]["version"] == record.version
    assert f'data-version="{record.version}"' in body["rows"][str(children[1].pk)]
    assert "3/3" in body["header"]  # marked, of the children expected
    counts = GroupDay.objects.get(group=site.group, date=today())
    assert (counts.recorded, counts.attended) == (3, 2)


def test_later_taps_on_the_same_child_follow_the_earlier_ones_not_a_conflict(teacher, site):
    child = enroll(site.group)
    taps = [
        mark(child, "present"),
        mark(child, "absent", absence_reason="sick"),
        mark(child, "late"),
    ]
    body = send(teacher, site.group, taps).json()
    assert [a["outcome"] for a in body["answers"]] == ["saved", "saved", "saved"]
    record = Attendance.objects.get()
    assert record.status == "late" and record.absence_reason == ""
    assert AuditEntry.objects.filter(model="attendance.attendance").count() == 3


def test_a_batch_sent_again_applies_nothing_twice(teacher, site):
    child = enroll(site.group)
    taps = [mark(child, "present"), mark(child, "late")]
    send(teacher, site.group, taps)
    audit = AuditEntry.objects.count()
    again = send(teacher, site.group, taps).json()
    assert [a["outcome"] for a in again["answers"]] == ["applied", "applied"]
    assert AuditEntry.objects.count() == audit
    assert Attendance.objects.get().status == "late"
    assert RollCallOp.objects.count() == 2


def test_a_colleagues_change_since_is_a_conflict_and_the_rest_are_saved(teacher, site):
    changed, other = enroll(site.group), enroll(site.group)
    seen = "0"
    Attendance.objects.create(
        enrollment=changed, group=site.group, date=today(), status="absent", absence_reason="sick"
    )
    body = send(
        teacher, site.group, [mark(changed, "present", seen=seen), mark(other, "late")]
    ).json()
    assert [a["outcome"] for a in body["answers"]] == ["conflict", "saved"]
    assert Attendance.objects.get(enrollment=changed).status == "absent"  # nothing written
    assert Attendance.objects.get(enrollment=other).status == "late"
    row = body["rows"][str(changed.pk)]
    assert "conflict-choice" in row and 'name="resolution"' in row


def test_refused_taps_say_why_and_change_nothing(teacher, site, other_site):
    child = enroll(site.group)
    stranger_child = enroll(other_site.group)
    future = int((timezone.now() + datetime.timedelta(hours=2)).timestamp() * 1000)
    taps = [
        mark(child, "sleeping"),
        mark(child, "present", tapped_at=future),
        mark(stranger_child, "present"),
        {"enrollment": child.pk, "kind": "check_out", "picked_up_by": "陌生人"},
        {"kind": "nonsense"},
        "not a tap",
    ]
    body = send(teacher, site.group, taps).json()
    assert [a["outcome"] for a in body["answers"]] == ["refused"] * 6
    messages = [a["message"] for a in body["answers"]]
    assert all(messages), messages
    assert not Attendance.objects.exists()
    # Another factory's child answers as any id not on this roll call: nothing of it shown.
    assert str(stranger_child.pk) not in body["rows"]
    assert stranger_child.child.name not in json.dumps(body, ensure_ascii=False)


def test_a_check_out_in_the_queue_is_applied_after_its_check_in(teacher, site):
    child = enroll(site.group)
    AuthorisedPickup.objects.create(child=child.child, name="外婆", relationship="grandparent")
    taps = [
        mark(child, "present"),
        {**mark(child, "present"), "kind": "check_out", "picked_up_by": "外婆"},
    ]
    body = send(teacher, site.group, taps).json()
    assert [a["outcome"] for a in body["answers"]] == ["saved", "saved"]
    record = Attendance.objects.get()
    assert record.picked_up_by == "外婆" and record.check_out_at is not None


def test_a_closed_window_refuses_the_whole_queue_tap_by_tap(teacher, site):
    child = enroll(site.group)
    long_ago = today() - datetime.timedelta(days=30)
    site.season.start_date = long_ago - datetime.timedelta(days=1)
    site.season.save()
    child.arrival_date = long_ago
    child.save()
    body = send(teacher, site.group, [mark(child, "present", tapped_at="")], day=long_ago).json()
    assert body["answers"][0]["outcome"] == "refused"
    assert not Attendance.objects.exists()


def test_another_factorys_group_answers_404(client_of, site, other_site, stranger):
    child = enroll(site.group)
    response = send(client_of(stranger), site.group, [mark(child, "present")])
    assert response.status_code == 404
    assert not Attendance.objects.exists()


def test_a_body_that_is_not_a_batch_answers_400_with_a_message(teacher, site):
    url = batch_url(site.group)
    for body in ("not json", json.dumps({"taps": "x"}), json.dumps([1, 2])):
        response = teacher.post(url, body, content_type="application/json")
        assert response.status_code == 400 and response.json()["error"]
    # A form post, multipart or urlencoded, is not a batch: 400, not a server error.
    assert teacher.post(url, {"taps": "[]"}).status_code == 400
    assert (
        teacher.post(url, "taps=1", content_type="application/x-www-form-urlencoded").status_code
        == 400
    )
    too_many = [mark(enroll(site.group), "present")] * 201
    assert send(teacher, site.group, too_many).status_code == 400
    assert not Attendance.objects.exists()


def test_hr_and_a_manager_who_read_the_roll_call_may_not_send_taps(client_of, site):
    child = enroll(site.group)
    for user in (site.hr, site.manager):
        assert send(client_of(user), site.group, [mark(child, "present")]).status_code == 403
    assert not Attendance.objects.exists()


def test_a_batch_costs_three_queries_a_tap_and_one_recount(
    teacher, site, django_assert_max_num_queries
):
    """Session, user, the group (locked), the batch's children with their
    records, the session's save; each tap: its op id, the record, the audit
    entry; then one recount of the daily counts and the header's teachers on
    duty and ratio rules, whatever the length of the queue."""
    children = [enroll(site.group) for _ in range(32)]
    teacher.get(reverse("attendance:roll-call", args=[site.group.pk, today()]))
    with django_assert_max_num_queries(9 + 3 * 32):
        body = send(teacher, site.group, [mark(c, "present") for c in children]).json()
    assert {a["outcome"] for a in body["answers"]} == {"saved"}
    assert GroupDay.objects.get(group=site.group, date=today()).attended == 32
