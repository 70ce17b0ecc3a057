"""Who gets which reminder on which day (the clock is set by each test)."""

import datetime
import io
import zoneinfo

import openpyxl
import pytest
from django.core import mail
from django.utils import timezone

from enrollment.models import Consent
from notifications import reminders
from notifications.models import Notification
from notifications.tasks import send_notification

from ..builders import EnrollmentBuilder, consent_all, enroll, mark

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def kinds_for(user) -> list[str]:
    return sorted(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def with_emails(site):
    for user in (site.hr, site.teacher_user, site.coordinator, site.manager):
        user.email = f"{user.username}@example.com"
        user.save()
    return site


def test_teachers_are_reminded_an_hour_after_opening_then_the_coordinator(with_emails, today):
    site = with_emails
    enroll(site.group)
    reminders.run_all(now=at(today, 8, 30))  # opens 08:00: too early
    assert kinds_for(site.teacher_user) == []
    reminders.run_all(now=at(today, 9, 5))
    assert kinds_for(site.teacher_user) == ["roll_call_missing"]
    assert "roll_call_escalated" not in kinds_for(site.coordinator)
    reminders.run_all(now=at(today, 10, 5))
    assert "roll_call_escalated" in kinds_for(site.coordinator)
    assert kinds_for(site.teacher_user) == ["roll_call_missing"]  # still once


def test_no_reminder_once_the_roll_call_is_taken(with_emails, today):
    site = with_emails
    mark(enroll(site.group), today)
    reminders.run_all(now=at(today, 11))
    assert "roll_call_missing" not in kinds_for(site.teacher_user)


def test_no_reminder_on_a_closed_day(with_emails, today):
    from spaces.models import ClosedDay

    site = with_emails
    enroll(site.group)
    ClosedDay.objects.create(season=site.season, date=today, reason="端午节")
    reminders.run_all(now=at(today, 11))
    assert kinds_for(site.teacher_user) == []


def test_running_twice_sends_each_message_once(with_emails, today):
    site = with_emails
    enroll(site.group)
    reminders.run_all(now=at(today, 11))
    reminders.run_all(now=at(today, 11, 5))
    assert Notification.objects.filter(kind="roll_call_missing").count() == 1


def test_a_user_who_switched_a_kind_off_does_not_get_it(with_emails, today):
    site = with_emails
    site.teacher_user.notifications_off = ["roll_call_missing"]
    site.teacher_user.save()
    enroll(site.group)
    reminders.run_all(now=at(today, 11))
    assert kinds_for(site.teacher_user) == []


def test_each_message_is_in_the_recipients_language(with_emails, today):
    site = with_emails
    site.teacher_user.language = "en"
    site.teacher_user.save()
    other = enroll(site.group)
    reminders.run_all(now=at(today, 11))
    english = Notification.objects.get(recipient=site.teacher_user)
    assert english.subject.startswith("Roll call not taken yet") and english.language == "en"
    chinese = Notification.objects.get(recipient=site.coordinator, kind="roll_call_escalated")
    assert "点名" in chinese.subject
    assert other.group.name in english.body


def test_hr_hears_of_applications_waiting_three_days(with_emails, today):
    site = with_emails
    EnrollmentBuilder(season=site.season, status="applied",
                      applied_at=timezone.now() - datetime.timedelta(days=4))  # fmt: skip
    reminders.run_all(now=at(today, 7))  # before the daily hour
    assert "applications_waiting" not in kinds_for(site.hr)
    reminders.run_all(now=at(today, 8, 10))
    assert "applications_waiting" in kinds_for(site.hr)
    assert "1" in Notification.objects.get(kind="applications_waiting").subject


def test_hr_hears_of_enrolled_children_missing_a_consent(with_emails, today):
    site = with_emails
    complete = enroll(site.group)
    consent_all(complete)
    lacking = enroll(site.group)
    Consent.objects.create(enrollment=lacking, kind="data", given_by="x", given_at=timezone.now())
    reminders.run_all(now=at(today, 9))
    note = Notification.objects.get(kind="consents_missing")
    assert lacking.child.name in note.body and complete.child.name not in note.body


def test_the_season_starting_soon_is_announced_14_and_3_days_before(with_emails):
    from ..builders import SeasonBuilder

    site = with_emails
    start = timezone.localdate() + datetime.timedelta(days=20)
    season = SeasonBuilder(factory=site.factory, start_date=start,
                           end_date=start + datetime.timedelta(days=40), status="open")  # fmt: skip
    for days_before in (15, 14, 13, 3):
        reminders.run_all(now=at(start - datetime.timedelta(days=days_before), 9))
    sent = Notification.objects.filter(kind="season_starts_soon", recipient=site.manager)
    assert sorted(n.idempotency_key.rsplit(":", 1)[1] for n in sent) == ["14", "3"]
    assert {season.pk} == {int(n.idempotency_key.split(":")[2]) for n in sent}


def test_managers_get_a_weekly_digest_on_mondays(with_emails, today):
    site = with_emails
    monday = today - datetime.timedelta(days=today.weekday())
    if monday <= site.season.start_date:
        monday += datetime.timedelta(days=7)
    reminders.run_all(now=at(monday + datetime.timedelta(days=1), 9))
    assert "weekly_digest" not in kinds_for(site.manager)
    reminders.run_all(now=at(monday, 9))
    assert "weekly_digest" in kinds_for(site.manager)


def test_the_summary_goes_out_the_day_after_the_season_with_a_workbook(with_emails):
    site = with_emails
    enrollment = enroll(site.group)
    mark(enrollment, site.season.start_date)
    end = site.season.end_date
    reminders.run_all(now=at(end, 18))
    assert "season_summary" not in kinds_for(site.manager)
    reminders.run_all(now=at(end + datetime.timedelta(days=1), 9))
    note = Notification.objects.get(kind="season_summary", recipient=site.manager)
    assert Notification.objects.filter(kind="season_summary", recipient=site.coordinator).exists()
    send_notification(note.pk)
    message = mail.outbox[-1]
    assert message.alternatives and "<table" in message.alternatives[0][0]
    assert message.attachments[0][0] == f"season-{site.season.pk}.xlsx"


def test_a_managers_summary_and_workbook_hide_small_cells_a_coordinators_show_them(with_emails):
    site = with_emails
    for _ in range(2):  # two girls from Sichuan: every breakdown is a cell of 2
        mark(enroll(site.group), site.season.start_date)
    reminders.run_all(now=at(site.season.end_date + datetime.timedelta(days=1), 9))
    for_manager = Notification.objects.get(kind="season_summary", recipient=site.manager)
    for_coordinator = Notification.objects.get(kind="season_summary", recipient=site.coordinator)
    assert "四川 2" in for_coordinator.body
    assert "四川 2" not in for_manager.body and "女 2" not in for_manager.body
    assert "四川 <5" in for_manager.body and "女 <5" in for_manager.body
    assert "四川 &lt;5" in for_manager.html_body
    assert "能推算出它们的数字也一并隐藏" in for_manager.body
    assert "能推算出它们的数字也一并隐藏" not in for_coordinator.body
    send_notification(for_manager.pk)
    book = openpyxl.load_workbook(io.BytesIO(mail.outbox[-1].attachments[0][1]))
    cells = {cell for sheet in book.worksheets[1:] for row in sheet.iter_rows(values_only=True)
             for cell in row}  # fmt: skip
    assert "<5" in cells and 2 not in cells


def test_a_managers_weekly_digest_carries_no_breakdown_of_children(with_emails, today):
    """Two weekly digests differ by a week's enrollments: subtracted, they would
    single a child out. The breakdowns go in the summary, once, after the season."""
    site = with_emails
    monday = today - datetime.timedelta(days=today.weekday())
    if monday <= site.season.start_date:
        monday += datetime.timedelta(days=7)
    mark(enroll(site.group), site.season.start_date)
    reminders.run_all(now=at(monday, 9))
    digest = Notification.objects.get(kind="weekly_digest", recipient=site.manager)
    assert "四川" not in digest.body
    assert "孩子的年龄、性别、老家省份和缺勤情况在整期结束后按全期公布" in digest.body


def test_too_few_teachers_alerts_coordinator_and_manager(with_emails, today):
    site = with_emails
    site.season.children_per_teacher = 1
    site.season.save()
    for _ in range(2):
        record = mark(enroll(site.group), today)
        record.check_in_at = timezone.now()
        record.save()
    reminders.run_all(now=at(today, 9))
    assert "ratio_broken" in kinds_for(site.coordinator)
    assert "ratio_broken" in kinds_for(site.manager)
