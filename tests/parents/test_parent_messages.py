"""Messages to parents: one per event, parent and channel, through the outbox,
only with consent, naming the child by the given name, never health details."""

import pytest
from django.urls import reverse
from django.utils import timezone

from attendance.models import Incident
from enrollment import services
from enrollment.models import Enrollment
from notifications.models import Notification
from notifications.tasks import send_notification
from parents.channels import simple
from parents.models import ParentContact
from tests.builders import ChildBuilder, EnrollmentBuilder, WorkerBuilder, consent_all, enroll

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def locmem(settings):
    settings.PARENT_CHANNEL_BACKENDS = {"sms": "locmem", "wechat": "locmem"}
    simple.outbox.clear()


def family(site, *, consented=True, phone="13711112222", openid="", **contact):
    parent = WorkerBuilder(factory=site.factory, name="王芳", phone=phone)
    child = ChildBuilder(factory=site.factory, name="王小雨", guardian=parent)
    ParentContact.objects.create(
        worker=parent,
        consented=consented,
        consent_given_by="王芳",
        consent_at=timezone.now(),
        wechat_openid=openid,
        **contact,
    )
    return parent, child


def parent_rows(**filters):
    return list(Notification.objects.exclude(channel="email").filter(**filters))


def deliver_all():
    for row in Notification.objects.exclude(channel="email").filter(status="pending"):
        send_notification.run(row.pk)


def test_hr_enrolling_a_child_tells_the_consenting_parent_once(site):
    _, child = family(site)
    enrollment = EnrollmentBuilder(season=site.season, child=child, status="applied")
    consent_all(enrollment)
    services.enrollments_decide(
        season=site.season, enrollments=Enrollment.objects.all(), user=site.hr
    )
    services.enrollments_decide(
        season=site.season, enrollments=Enrollment.objects.all(), user=site.hr
    )
    (row,) = parent_rows()
    assert row.kind == "parent_enrolled" and row.address == "13711112222"
    deliver_all()
    (message,) = simple.outbox
    assert "小雨" in message.text and "王小雨" not in message.text
    assert site.group.name in message.text
    assert "/p/" in message.text  # the parent page, and from it "stop messages"
    row.refresh_from_db()
    assert row.status == "sent" and row.provider_id == "locmem-1"


def test_without_consent_nothing_is_written_and_hr_sees_why(site):
    parent, child = family(site, consented=False)
    enrollment = EnrollmentBuilder(season=site.season, child=child, status="applied")
    consent_all(enrollment)
    services.enrollments_decide(
        season=site.season, enrollments=Enrollment.objects.all(), user=site.hr
    )
    assert parent_rows() == []
    assert "not agreed" in str(parent.parent_contact.why_silent) or parent.parent_contact.why_silent


def test_a_parent_who_stopped_messages_gets_none(site):
    _, child = family(site, stopped_at=timezone.now())
    enrollment = EnrollmentBuilder(season=site.season, child=child, status="applied")
    consent_all(enrollment)
    services.enrollments_decide(
        season=site.season, enrollments=Enrollment.objects.all(), user=site.hr
    )
    assert parent_rows() == []


def test_sms_and_wechat_each_get_one_message(site):
    _, child = family(site, openid="oOPENID")
    enrollment = EnrollmentBuilder(season=site.season, child=child, status="applied")
    consent_all(enrollment)
    services.enrollments_decide(
        season=site.season, enrollments=Enrollment.objects.all(), user=site.hr, status="waitlisted"
    )
    assert sorted((r.channel, r.address) for r in parent_rows()) == [
        ("sms", "13711112222"),
        ("wechat", "oOPENID"),
    ]
    assert all(r.kind == "parent_waitlisted" and r.params["position"] == "1" for r in parent_rows())


def test_check_in_and_out_are_told_only_when_the_parent_chose_them(client_of, site):
    parent, child = family(site)
    enrollment = enroll(site.group, child=child)
    teacher = client_of(site.teacher_user)
    day = timezone.localdate()
    mark = reverse("attendance:roll-call-mark", args=[site.group.pk, day, enrollment.pk])
    out = reverse("attendance:roll-call-check-out", args=[site.group.pk, day, enrollment.pk])
    teacher.post(mark, {"status": "present"}, **HTMX)
    assert parent_rows() == []  # off by default

    parent.parent_contact.check_in_out_children.add(child)
    teacher.post(out, {"picked_up_by": "王芳"}, **HTMX)
    (row,) = parent_rows()
    assert row.kind == "parent_checked_out" and row.params["who"] == "王芳"
    teacher.post(out, {"picked_up_by": "王芳"}, **HTMX)  # a second tap: no second message
    assert len(parent_rows()) == 1


def test_an_incident_tells_whom_to_call_never_what_happened(client_of, site):
    _, child = family(site)
    enroll(site.group, child=child)
    site.teacher.phone = "13900001111"
    site.teacher.save()
    teacher = client_of(site.teacher_user)
    response = teacher.post(
        reverse("attendance:incident-new", args=[site.group.pk]),
        {
            "children": [child.pk],
            "occurred_at": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
            "kind": Incident.Kind.INJURY,
            "severity": Incident.Severity.values[0],
            "description": "膝盖擦伤，已消毒",
            "action_taken": "冰敷",
        },
    )
    assert response.status_code == 302, response.content.decode()[:500]
    (row,) = parent_rows()
    assert "13900001111" in row.body
    assert "膝盖" not in row.body and "冰敷" not in row.body


@pytest.mark.parametrize(
    "phone, status, reason", [("12345", "failed", "bad_number"), ("13711112222", "sent", "")]
)
def test_a_bad_number_fails_at_once_and_hr_sees_it(site, phone, status, reason):
    _, child = family(site, phone=phone)
    enrollment = EnrollmentBuilder(season=site.season, child=child, status="applied")
    consent_all(enrollment)
    services.enrollments_decide(
        season=site.season, enrollments=Enrollment.objects.all(), user=site.hr
    )
    deliver_all()
    (row,) = parent_rows()
    assert row.status == status and row.last_error == reason
    assert row.attempts == 1


def test_the_log_shows_parent_messages_to_hr_and_coordinators_not_managers(client_of, site):
    _, child = family(site)
    enrollment = EnrollmentBuilder(season=site.season, child=child, status="applied")
    consent_all(enrollment)
    services.enrollments_decide(
        season=site.season, enrollments=Enrollment.objects.all(), user=site.hr
    )
    url = reverse("notifications:notification-log")
    for user in (site.hr, site.coordinator):
        assert "13711112222" in client_of(user).get(url).content.decode()
    assert "13711112222" not in client_of(site.manager).get(url).content.decode()


def test_erasing_the_child_scrubs_the_given_name_from_parent_messages(site):
    from enrollment.privacy import ANONYMISED, child_anonymise

    _, child = family(site)
    enrollment = EnrollmentBuilder(season=site.season, child=child, status="applied")
    consent_all(enrollment)
    services.enrollments_decide(
        season=site.season, enrollments=Enrollment.objects.all(), user=site.hr
    )
    child_anonymise(child=child, reason="test")
    (row,) = parent_rows()
    assert "小雨" not in row.body and "小雨" not in str(row.params)
    assert ANONYMISED in row.body


# --- messages that follow the clock --------------------------------------------------


def at(day, hour, minute=0):
    import datetime
    import zoneinfo

    return datetime.datetime.combine(
        day, datetime.time(hour, minute), tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai")
    )


def test_a_child_not_checked_in_an_hour_after_opening_gets_one_question(site):
    from notifications import reminders

    _, child = family(site)
    enrollment = enroll(site.group, child=child)
    here = enroll(site.group)  # checked in: no question
    mark_present = __import__("tests.builders", fromlist=["mark"]).mark
    day = timezone.localdate()
    mark_present(here, day)
    reminders.run_all(now=at(day, 8, 30))  # opens 08:00: too early
    assert parent_rows() == []
    reminders.run_all(now=at(day, 9, 5))
    reminders.run_all(now=at(day, 9, 20))
    (row,) = parent_rows()
    assert row.kind == "parent_morning_missing" and "小雨" in row.body and "/p/" in row.body
    assert row.object_ref == f"enrollment.child:{enrollment.child_id}"


def test_no_question_when_the_parent_said_absent_or_late(client, site):
    from notifications import reminders
    from parents import links

    parent, child = family(site)
    enrollment = enroll(site.group, child=child)
    url = reverse("parents:notice", args=[links.token_for(parent.parent_contact), enrollment.pk])
    client.post(url, {"kind": "late", "until": "23:59"})
    reminders.run_all(now=at(timezone.localdate(), 9, 30))
    assert parent_rows() == []


def test_the_evening_digest_replaces_the_stream(client_of, site):
    from notifications import reminders

    parent, child = family(site, evening_digest=True)
    parent.parent_contact.check_in_out_children.add(child)
    enrollment = enroll(site.group, child=child)
    teacher = client_of(site.teacher_user)
    day = timezone.localdate()
    teacher.post(
        reverse("attendance:roll-call-mark", args=[site.group.pk, day, enrollment.pk]),
        {"status": "present"},
        **HTMX,
    )
    assert parent_rows() == []  # the digest instead of one message per event
    reminders.run_all(now=at(day, 17, 0))
    assert parent_rows() == []  # the day is not over (closes 17:30, digest 30 min later)
    reminders.run_all(now=at(day, 18, 5))
    reminders.run_all(now=at(day, 18, 30))
    (row,) = parent_rows(kind="parent_evening_digest")
    assert "小雨" in row.body


def test_the_survey_link_goes_once_per_round(site):
    from impact.models import Survey
    from notifications import reminders

    _, child = family(site)
    enroll(site.group, child=child)
    site.season.start_date = timezone.localdate()
    site.season.save()
    Survey.for_season(site.season)
    day = timezone.localdate()
    reminders.run_all(now=at(day, 10))
    reminders.run_all(now=at(day, 11))
    (row,) = parent_rows(kind="parent_survey_open")
    assert f"/survey/{site.season.application_token}/" in row.body


# --- costs and health ------------------------------------------------------------


def test_the_costs_screen_counts_messages_cost_and_failures(client_of, site, other_site, settings):
    settings.PARENT_SMS_PRICE = 0.05
    for i, (status, error, quota) in enumerate(
        [("sent", "", False)] * 3 + [("failed", "bad_number", False), ("pending", "x", True)]
    ):
        Notification.objects.create(
            factory=site.factory, channel="sms", address="13711112222", kind="parent_enrolled",
            idempotency_key=f"k{i}", language="zh-hans", subject="s", body="b",
            status=status, last_error=error, quota_refused=quota,
        )  # fmt: skip
    Notification.objects.create(
        factory=other_site.factory, channel="sms", address="13700000000", kind="parent_enrolled",
        idempotency_key="other", language="zh-hans", subject="s", body="b", status="sent",
    )  # fmt: skip
    url = reverse("notifications:parent-messages")
    html = client_of(site.hr).get(url).content.decode()
    assert "¥0.15" in html  # three sent SMS at 0.05
    assert "电话号码不是手机号" in html  # the failure, in words
    assert 'data-testid="quota"' in html
    assert other_site.factory.name_zh not in html
    assert client_of(site.coordinator).get(url).status_code == 200
    for user in (site.manager, site.teacher_user):
        assert client_of(user).get(url).status_code == 404


def test_a_decline_and_a_promotion_each_tell_the_parent_once(client_of, site):
    _, child = family(site)
    waiting = EnrollmentBuilder(season=site.season, child=child, status="applied")
    consent_all(waiting)
    services.enrollments_decide(
        season=site.season, enrollments=Enrollment.objects.filter(pk=waiting.pk),
        user=site.hr, status="waitlisted",
    )  # fmt: skip
    site.season.capacity = 1
    site.season.save()
    taken = enroll(site.group)
    consent_all(taken)
    services.enrollments_decide(
        season=site.season, enrollments=Enrollment.objects.filter(pk=taken.pk),
        user=site.hr, status="withdrawn", reason="回老家",
    )  # fmt: skip
    (promoted,) = parent_rows(kind="parent_promoted")
    assert "小雨" in promoted.body and site.group.name in promoted.body
    other_parent = WorkerBuilder(factory=site.factory, phone="13700000000")
    ParentContact.objects.create(worker=other_parent, consented=True)
    declined = EnrollmentBuilder(
        season=site.season, status="applied",
        child=ChildBuilder(factory=site.factory, name="李明", guardian=other_parent),
    )  # fmt: skip
    services.enrollments_decide(
        season=site.season, enrollments=Enrollment.objects.filter(pk=declined.pk),
        user=site.hr, status="declined", reason="年龄不符",
    )  # fmt: skip
    (row,) = parent_rows(kind="parent_declined")
    assert "年龄不符" in row.body and row.address == "13700000000"


def test_the_minute_jobs_write_nothing_once_their_messages_are_logged(site):
    """Beat runs the reminders every minute: a message logged once is skipped by
    the next runs without trying to log it again (no INSERT, no rolled-back write)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from impact.models import Survey
    from notifications import reminders

    _, child = family(site)
    enroll(site.group, child=child)
    site.season.start_date = timezone.localdate()
    site.season.save()
    Survey.for_season(site.season)
    day = timezone.localdate()
    reminders.run_all(now=at(day, 9, 5))
    assert {r.kind for r in parent_rows()} == {"parent_morning_missing", "parent_survey_open"}
    with CaptureQueriesContext(connection) as queries:
        reminders.run_all(now=at(day, 9, 6))
    # (Staff emails still try their own insert each minute: notifications.outbox.)
    writes = [q["sql"] for q in queries if "'parent_" in q["sql"] and "INSERT" in q["sql"]]
    assert writes == []
    assert len(parent_rows()) == 2
