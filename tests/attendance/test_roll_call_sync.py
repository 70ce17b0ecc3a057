"""What the server does with taps a phone kept offline and sends later: each
applied once, tap times kept within the correction window, conflicts shown and
settled, all in the audit trail."""

import datetime
import uuid

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from attendance.models import Attendance, GroupDay, RollCallOp
from enrollment.models import AuthorisedPickup
from factories.models import AuditEntry

from ..builders import enroll

HTMX = {"HTTP_HX_REQUEST": "true"}


def today():
    return timezone.localdate()


def earlier_today(before: datetime.timedelta) -> datetime.datetime:
    """`before` ago, but not before today's midnight: a tap from yesterday would
    be recorded for today at the time it arrived, whatever hour the suite runs."""
    midnight = timezone.make_aware(datetime.datetime.combine(today(), datetime.time()))
    return max(midnight, timezone.now() - before)


def ms(moment: datetime.datetime) -> str:
    return str(int(moment.timestamp() * 1000))


def tap(client, enrollment, day=None, **data):
    url = reverse(
        "attendance:roll-call-mark", args=[enrollment.group_id, day or today(), enrollment.pk]
    )
    return client.post(url, data, **HTMX)


def out(client, enrollment, **data):
    url = reverse(
        "attendance:roll-call-check-out", args=[enrollment.group_id, today(), enrollment.pk]
    )
    return client.post(url, data, **HTMX)


@pytest.fixture
def teacher(client_of, site):
    return client_of(site.teacher_user)


@pytest.fixture
def colleague(site):
    """The coordinator, on another phone (a client of their own)."""
    other = Client()
    other.force_login(site.coordinator)
    return other


def test_the_same_tap_sent_twice_makes_one_change(teacher, site):
    enrollment = enroll(site.group)
    op = str(uuid.uuid4())
    first = tap(teacher, enrollment, status="present", op_id=op, seen="0")
    again = tap(teacher, enrollment, status="present", op_id=op, seen="0")
    assert first.status_code == again.status_code == 200
    assert Attendance.objects.count() == 1
    assert AuditEntry.objects.filter(model="attendance.attendance").count() == 1
    assert RollCallOp.objects.get().op_id == uuid.UUID(op)


def test_a_tap_sent_again_after_a_later_correction_does_not_undo_it(teacher, site):
    enrollment = enroll(site.group)
    op = str(uuid.uuid4())
    tap(teacher, enrollment, status="present", op_id=op, seen="0")
    version = Attendance.objects.get().version
    tap(teacher, enrollment, status="late", op_id=str(uuid.uuid4()), seen=version)
    tap(teacher, enrollment, status="present", op_id=op, seen="0")  # a late duplicate
    assert Attendance.objects.get().status == "late"


def test_a_queued_check_in_keeps_the_time_of_the_tap(teacher, site):
    enrollment = enroll(site.group)
    tapped = earlier_today(datetime.timedelta(minutes=40))
    tap(teacher, enrollment, status="present", op_id=str(uuid.uuid4()), tapped_at=ms(tapped))
    record = Attendance.objects.get()
    assert abs(record.check_in_at - tapped) < datetime.timedelta(seconds=1)


def test_a_tap_queued_yesterday_is_recorded_for_yesterday_at_its_time(teacher, site):
    enrollment = enroll(site.group)
    yesterday = today() - datetime.timedelta(days=1)
    tapped = timezone.make_aware(datetime.datetime.combine(yesterday, datetime.time(8, 5)))
    tap(
        teacher, enrollment, yesterday, status="late", op_id=str(uuid.uuid4()), tapped_at=ms(tapped)
    )
    record = Attendance.objects.get()
    assert (record.date, record.check_in_at) == (yesterday, tapped)


@pytest.mark.parametrize(
    "moment",
    [datetime.timedelta(hours=2), -datetime.timedelta(days=30)],
    ids=["in the future", "before the correction window"],
)
def test_a_tap_cannot_claim_a_time_outside_the_window(teacher, site, moment):
    enrollment = enroll(site.group)
    response = tap(teacher, enrollment, status="present", tapped_at=ms(timezone.now() + moment))
    assert response.status_code == 422 and 'role="alert"' in response.content.decode()
    assert not Attendance.objects.exists()


def test_a_colleagues_change_meanwhile_is_a_conflict_the_teacher_settles(teacher, colleague, site):
    enrollment = enroll(site.group)
    tap(teacher, enrollment, status="present", op_id=str(uuid.uuid4()))
    seen = Attendance.objects.get().version
    # While the teacher is offline, the coordinator marks the child absent.
    tap(colleague, enrollment, status="absent", absence_reason="sick")
    response = tap(teacher, enrollment, status="late", op_id=str(uuid.uuid4()), seen=seen)
    assert response.status_code == 409
    html = response.content.decode()
    assert "缺勤" in html and "迟到" in html  # both values shown
    record = Attendance.objects.get()
    assert record.status == "absent"  # not overwritten silently
    conflict = AuditEntry.objects.filter(changes__has_key="conflict").get()
    assert conflict.user == site.teacher_user
    # The teacher chooses their own tap.
    chosen = tap(
        teacher,
        enrollment,
        status="late",
        op_id=str(uuid.uuid4()),
        seen=record.version,
        resolution="mine",
    )
    assert chosen.status_code == 200
    assert Attendance.objects.get().status == "late"
    resolved = AuditEntry.objects.filter(changes__has_key="conflict_resolved").get()
    assert resolved.changes["conflict_resolved"][1] == "mine"


def test_keeping_the_colleagues_value_changes_nothing_and_is_audited(teacher, colleague, site):
    enrollment = enroll(site.group)
    tap(teacher, enrollment, status="present")
    seen = Attendance.objects.get().version
    tap(colleague, enrollment, status="excused")
    tap(teacher, enrollment, status="late", op_id=str(uuid.uuid4()), seen=seen)
    tap(
        teacher,
        enrollment,
        status="late",
        op_id=str(uuid.uuid4()),
        seen=Attendance.objects.get().version,
        resolution="theirs",
    )
    assert Attendance.objects.get().status == "excused"
    resolved = AuditEntry.objects.filter(changes__has_key="conflict_resolved").get()
    assert resolved.changes["conflict_resolved"][1] == "theirs"


def test_two_teachers_marking_a_child_the_same_way_is_not_a_conflict(teacher, colleague, site):
    enrollment = enroll(site.group)
    tap(colleague, enrollment, status="present", seen="0")
    response = tap(teacher, enrollment, status="present", op_id=str(uuid.uuid4()), seen="0")
    assert response.status_code == 200
    assert not AuditEntry.objects.filter(changes__has_key="conflict").exists()


def test_a_queued_check_out_needs_an_authorised_person_and_keeps_its_time(teacher, site):
    enrollment = enroll(site.group)
    AuthorisedPickup.objects.create(
        child=enrollment.child, name="王奶奶", relationship="grandparent", phone="13900001111"
    )
    now = timezone.now()
    arrived = earlier_today(datetime.timedelta(hours=8))
    tap(teacher, enrollment, status="present", tapped_at=ms(arrived))
    refused = out(teacher, enrollment, picked_up_by="张三", op_id=str(uuid.uuid4()))
    assert refused.status_code == 422
    assert Attendance.objects.get().check_out_at is None
    tapped = arrived + (now - arrived) / 2
    op = str(uuid.uuid4())
    done = out(teacher, enrollment, picked_up_by="王奶奶", op_id=op, tapped_at=ms(tapped))
    assert done.status_code == 200
    record = Attendance.objects.get()
    assert record.picked_up_by == "王奶奶"
    assert abs(record.check_out_at - tapped) < datetime.timedelta(seconds=1)
    again = out(teacher, enrollment, picked_up_by="王奶奶", op_id=op, tapped_at=ms(tapped))
    assert again.status_code == 200  # sent twice: answered as saved, nothing changes
    assert GroupDay.objects.get(group=site.group).here == 0


def test_a_check_out_queued_while_a_colleague_checked_the_child_out_is_a_conflict(
    teacher, colleague, site
):
    enrollment = enroll(site.group)
    AuthorisedPickup.objects.create(
        child=enrollment.child, name="王奶奶", relationship="grandparent", phone="13900001111"
    )
    father = enrollment.child.guardianships.select_related("worker").get().worker.name
    tap(teacher, enrollment, status="present")
    seen = Attendance.objects.get().version
    # The teacher's phone is offline; the coordinator hands the child to the father.
    assert out(colleague, enrollment, picked_up_by=father).status_code == 200
    response = out(teacher, enrollment, picked_up_by="王奶奶", op_id=str(uuid.uuid4()), seen=seen)
    assert response.status_code == 409  # not "has not been checked in"
    html = response.content.decode()
    assert father in html and "王奶奶" in html
    assert Attendance.objects.get().picked_up_by == father  # not overwritten silently
    # A check-out sent without the version the phone saw is refused, and says why.
    again = out(teacher, enrollment, picked_up_by="王奶奶")
    assert again.status_code == 422 and "已经签退" in again.content.decode()
    # The teacher knows better: the grandmother took the child.
    record = Attendance.objects.get()
    out(teacher, enrollment, picked_up_by="王奶奶", seen=record.version, resolution="mine")
    assert Attendance.objects.get().picked_up_by == "王奶奶"


def test_the_check_out_list_shows_relationship_and_a_phone_to_call(teacher, site):
    enrollment = enroll(site.group)
    AuthorisedPickup.objects.create(
        child=enrollment.child, name="王奶奶", relationship="grandparent", phone="13900001111"
    )
    tap(teacher, enrollment, status="present")
    url = reverse("attendance:roll-call-check-out", args=[site.group.pk, today(), enrollment.pk])
    html = teacher.get(url, **HTMX).content.decode()
    assert "王奶奶 · 爷爷奶奶/外公外婆" in html
    assert '<a href="tel:13900001111">13900001111</a>' in html
    guardian = enrollment.child.guardianships.select_related("worker").get()
    assert guardian.worker.name in html


def test_logging_out_tells_the_phone_to_delete_what_it_kept(teacher):
    response = teacher.post(reverse("logout"))
    assert response["Clear-Site-Data"] == '"cache", "storage"'


def test_the_service_worker_is_served_from_the_root_and_never_cached(client):
    response = client.get(reverse("attendance:service-worker"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "no-cache"
    assert b"IndexedDB" in response.content


def test_tap_ids_are_forgotten_after_the_retention_days_by_the_daily_job(teacher, site, settings):
    from attendance.tasks import purge_roll_call_taps
    from ccrcsr.celery import app

    settings.ROLL_CALL_TAP_DAYS = 30
    old, recent = enroll(site.group), enroll(site.group)
    old_op, recent_op = str(uuid.uuid4()), str(uuid.uuid4())
    tap(teacher, old, status="present", op_id=old_op, seen="0")
    tap(teacher, recent, status="present", op_id=recent_op, seen="0")
    RollCallOp.objects.filter(op_id=old_op).update(
        applied_at=timezone.now() - datetime.timedelta(days=31)
    )
    assert purge_roll_call_taps() == 1
    assert list(RollCallOp.objects.values_list("op_id", flat=True)) == [uuid.UUID(recent_op)]
    # The records themselves stay; only the ids go. Beat runs the job daily.
    assert Attendance.objects.count() == 2
    entry = settings.CELERY_BEAT_SCHEDULE["purge-roll-call-taps"]
    assert entry["task"] in app.tasks


def test_a_check_out_on_a_later_day_is_refused_with_its_reason(teacher, site):
    enrollment = enroll(site.group)
    AuthorisedPickup.objects.create(
        child=enrollment.child, name="王奶奶", relationship="grandparent", phone="13900001111"
    )
    earlier = max(d for d in site.season.opening_days() if d < today())
    arrived = timezone.make_aware(datetime.datetime.combine(earlier, datetime.time(8)))
    Attendance.objects.create(
        enrollment=enrollment, group=site.group, date=earlier, status="present",
        check_in_at=arrived,
    )  # fmt: skip
    url = reverse("attendance:roll-call-check-out", args=[site.group.pk, earlier, enrollment.pk])
    # Sent today (a queue kept since that day), by a person on the child's list.
    data = {"picked_up_by": "王奶奶", "op_id": str(uuid.uuid4()), "tapped_at": ms(timezone.now())}
    refused = teacher.post(url, data, **HTMX)
    assert refused.status_code == 422
    assert "只能在当天为孩子签退。" in refused.content.decode()
    assert Attendance.objects.get().check_out_at is None
