"""Every child goes home with the right person: the expected pickup from the
parents' shifts, the "still here" view, and the late-pickup ladder, each step
once, at its time in the factory's time zone, stopping at check-out."""

import datetime
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from attendance.models import Attendance
from factories.models import AuditEntry
from notifications import reminders
from notifications.models import Notification
from parents.channels import simple
from parents.models import ParentContact, ParentNotice
from pickups.expected import expected_pickups, still_here
from pickups.models import CallAttempt, LadderStep, PickupRules, WorkerShift, WorkShift
from tests.builders import ChildBuilder, WorkerBuilder, enroll

pytestmark = pytest.mark.django_db
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def at(hour, minute=0, day=None):
    day = day or timezone.localdate()
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def evening_space(site, settings):
    settings.PARENT_CHANNEL_BACKENDS = {"sms": "locmem", "wechat": "locmem"}
    simple.outbox.clear()
    site.season.closes_at = datetime.time(21, 0)
    site.season.save()
    PickupRules.objects.create(factory=site.factory, walk_minutes=15, manager=site.manager)
    for user in (site.coordinator, site.hr, site.manager):
        user.email = f"{user.username}@example.com"
        user.save()


@pytest.fixture
def night_shift(site):
    return WorkShift.objects.create(
        factory=site.factory, name="夜班", starts_at=datetime.time(8), ends_at=datetime.time(20)
    )


def child_of(site, shift=None, *, starts_on=None, department="装配车间"):
    parent = WorkerBuilder(factory=site.factory, name="王芳", phone="13711112222",
                           department=department)  # fmt: skip
    ParentContact.objects.create(worker=parent, consented=True, consent_at=timezone.now())
    child = ChildBuilder(factory=site.factory, name="王小雨", guardian=parent)
    if shift:
        WorkerShift.objects.create(worker=parent, shift=shift, starts_on=starts_on or
                                   timezone.localdate() - datetime.timedelta(days=30))  # fmt: skip
    return enroll(site.group, child=child)


def checked_in(enrollment, hour=8):
    return Attendance.objects.create(
        enrollment=enrollment, group=enrollment.group, date=timezone.localdate(),
        status="present", check_in_at=at(hour),
    )  # fmt: skip


def test_a_night_shift_ending_at_20_00_with_a_15_minute_walk_expects_20_15(site, night_shift):
    enrollment = child_of(site, night_shift)
    assert expected_pickups([enrollment], timezone.localdate())[enrollment.pk] == at(20, 15)


def test_no_shift_on_record_expects_the_closing_time(site):
    enrollment = child_of(site)
    assert expected_pickups([enrollment], timezone.localdate())[enrollment.pk] == at(21)


def test_a_shift_that_ended_in_the_morning_frees_the_parent_all_day(site):
    nights = WorkShift.objects.create(
        factory=site.factory, name="大夜班", starts_at=datetime.time(22), ends_at=datetime.time(6)
    )
    enrollment = child_of(site, nights)
    assert expected_pickups([enrollment], timezone.localdate())[enrollment.pk] == at(21)


def test_a_rotating_shift_follows_the_date(site, night_shift):
    days = WorkShift.objects.create(
        factory=site.factory, name="白班", starts_at=datetime.time(7), ends_at=datetime.time(16)
    )
    today = timezone.localdate()
    enrollment = child_of(site, night_shift, starts_on=today - datetime.timedelta(days=7))
    WorkerShift.objects.create(worker=enrollment.child.guardians.get(), shift=days, starts_on=today)
    assert expected_pickups([enrollment], today)[enrollment.pk] == at(16, 15)
    yesterday = today - datetime.timedelta(days=1)
    assert expected_pickups([enrollment], yesterday)[enrollment.pk] == at(20, 15, yesterday)


def test_the_parents_i_will_be_late_moves_the_expected_time(site, night_shift):
    enrollment = child_of(site, night_shift)
    ParentNotice.objects.create(
        enrollment=enrollment, worker=enrollment.child.guardians.get(),
        date=timezone.localdate(), kind="late", until=datetime.time(20, 45),
    )  # fmt: skip
    assert expected_pickups([enrollment], timezone.localdate())[enrollment.pk] == at(20, 45)


def steps():
    return list(LadderStep.objects.values_list("step", flat=True))


def test_the_ladder_fires_each_step_once_at_its_time(site, night_shift):
    record = checked_in(child_of(site, night_shift))
    reminders.run_all(now=at(20, 10))
    assert steps() == []
    reminders.run_all(now=at(20, 16))
    reminders.run_all(now=at(20, 20))
    assert steps() == ["parents"]
    (sms,) = Notification.objects.filter(kind="parent_late_pickup")
    assert "小雨" in sms.body and "20:15" in sms.body
    reminders.run_all(now=at(20, 31))
    assert steps() == ["parents", "staff"]
    staff = Notification.objects.filter(kind="late_pickup")
    assert {n.recipient for n in staff} == {site.coordinator, site.hr}
    assert all("装配车间" in n.body and "夜班" in n.body for n in staff)
    reminders.run_all(now=at(20, 46))
    reminders.run_all(now=at(20, 50))
    assert steps() == ["parents", "staff", "manager"]
    assert Notification.objects.filter(kind="late_pickup", recipient=site.manager).count() == 1
    reminders.run_all(now=at(21, 1))
    assert steps() == ["parents", "staff", "manager", "closing"]
    assert (
        Notification.objects.filter(kind="still_here_at_closing").get().recipient
        == site.coordinator
    )
    # Each step is in the audit trail, and nothing checked the child out.
    assert AuditEntry.objects.filter(model="pickups.ladderstep").count() == 4
    reminders.run_all(now=at(23, 30))
    record.refresh_from_db()
    assert record.check_out_at is None


def test_the_ladder_stops_the_moment_the_child_is_checked_out(site, night_shift):
    record = checked_in(child_of(site, night_shift))
    reminders.run_all(now=at(20, 16))
    record.check_out_at, record.picked_up_by = at(20, 20), "王芳"
    record.save()
    reminders.run_all(now=at(20, 40))
    reminders.run_all(now=at(21, 5))
    assert steps() == ["parents"]


@pytest.mark.parametrize("status", ["on_time", "absent"])
def test_nothing_fires_for_a_child_picked_up_on_time_or_absent(site, night_shift, status):
    enrollment = child_of(site, night_shift)
    if status == "absent":
        Attendance.objects.create(enrollment=enrollment, group=site.group,
                                  date=timezone.localdate(), status="absent",
                                  absence_reason="sick")  # fmt: skip
    else:
        record = checked_in(enrollment)
        record.check_out_at, record.picked_up_by = at(20, 5), "王芳"
        record.save()
    for moment in (at(20, 16), at(20, 40), at(21, 5)):
        reminders.run_all(now=moment)
    assert steps() == [] and not Notification.objects.filter(kind__contains="pickup").exists()


# --- the "still here" view ---------------------------------------------------------


def test_still_here_lists_overdue_children_first_with_their_expected_time(
    client_of, site, night_shift
):
    late = checked_in(child_of(site, night_shift))
    on_time = checked_in(enroll(site.group))
    rows = still_here([site.group], timezone.localdate(), at(20, 30))
    assert [r.record for r in rows] == [late, on_time]
    assert rows[0].minutes_late == 15 and not rows[1].overdue
    html = (
        client_of(site.coordinator)
        .get(reverse("pickups:still-here", args=[site.season.pk]))
        .content.decode()
    )
    assert "王小雨" in html and "20:15" in html


def test_a_teacher_records_a_call_in_two_taps(client_of, site, night_shift):
    record = checked_in(child_of(site, night_shift))
    teacher = client_of(site.teacher_user)
    url = reverse("pickups:call", args=[site.season.pk, record.pk])
    teacher.post(url, {"number": "13711112222", "answered": "0"})
    teacher.post(url, {"number": "10086", "answered": "1"})  # not a number on record
    (call,) = CallAttempt.objects.all()
    assert call.called == "王芳" and not call.answered and call.by == site.teacher_user
    assert AuditEntry.objects.filter(model="pickups.callattempt").count() == 1


def test_still_here_is_scoped_to_the_factory_and_the_teachers_groups(
    client_of, site, other_site, other_group_teacher
):
    record = checked_in(enroll(site.group))
    url = reverse("pickups:still-here", args=[site.season.pk])
    call = reverse("pickups:call", args=[site.season.pk, record.pk])
    for user in (other_site.hr, other_site.coordinator, other_site.teacher_user):
        assert client_of(user).get(url).status_code == 404
        assert client_of(user).post(call, {"number": "1", "answered": "1"}).status_code == 404
    # A teacher of another group of the season sees nothing of this group's child.
    assert client_of(other_group_teacher).post(call, {"answered": "1"}).status_code == 404
    assert (
        record.enrollment.child.name not in client_of(other_group_teacher).get(url).content.decode()
    )
    assert client_of(site.teacher_user).get(url).status_code == 200
