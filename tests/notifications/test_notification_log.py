"""The notification log in the app, resending a failure, and email preferences."""

from django.urls import reverse

from notifications.models import Notification


def note(site, status="sent", key="k", recipient=None):
    return Notification.objects.create(
        factory=site.factory,
        recipient=recipient or site.manager,
        email="m@example.com",
        kind="weekly_digest",
        idempotency_key=key,
        language="zh-hans",
        subject=f"周报 {key}",
        body="…",
        status=status,
        last_error="SMTPServerDisconnected" if status == "failed" else "",
    )


def test_coordinators_see_what_was_sent_and_resend_a_failure(client_of, site, settings):
    sent, failed = note(site, key="a"), note(site, status="failed", key="b")
    client = client_of(site.coordinator)
    html = client.get(reverse("notifications:notification-log")).content.decode()
    assert sent.subject in html and failed.subject in html and "重新发送" in html
    client.post(reverse("notifications:notification-resend", args=[failed.pk]))
    failed.refresh_from_db()
    assert failed.status in ("pending", "sent") and failed.last_error == ""


def test_a_sent_message_cannot_be_resent(client_of, site):
    sent = note(site)
    url = reverse("notifications:notification-resend", args=[sent.pk])
    assert client_of(site.coordinator).post(url).status_code == 404


def test_managers_see_their_own_messages_only(client_of, site):
    mine, theirs = note(site, key="a"), note(site, key="b", recipient=site.hr)
    html = client_of(site.manager).get(reverse("notifications:notification-log")).content.decode()
    assert mine.subject in html and theirs.subject not in html


def test_another_factorys_log_is_out_of_reach(client_of, site, stranger):
    failed = note(site, status="failed")
    client = client_of(stranger)
    assert (
        failed.subject not in client.get(reverse("notifications:notification-log")).content.decode()
    )
    url = reverse("notifications:notification-resend", args=[failed.pk])
    assert client.post(url).status_code == 404


def test_the_log_uses_a_fixed_number_of_queries(client_of, site, django_assert_max_num_queries):
    for n in range(30):
        note(site, key=str(n))
    client = client_of(site.coordinator)
    with django_assert_max_num_queries(10):
        client.get(reverse("notifications:notification-log"))


def test_a_user_switches_an_email_off_and_changes_language(client_of, site):
    client = client_of(site.hr)
    from notifications.outbox import KINDS

    kept = [kind for kind in KINDS if kind != "consents_missing"]
    client.post(
        reverse("notifications:account"),
        {"display_name": "人事小王", "email": "hr@example.com", "language": "en", "emails": kept},
    )
    site.hr.refresh_from_db()
    assert site.hr.notifications_off == ["consents_missing"] and site.hr.language == "en"


def test_a_bad_email_address_is_refused(client_of, site):
    html = (
        client_of(site.hr)
        .post(reverse("notifications:account"), {"email": "not-an-address", "language": "zh-hans"})
        .content.decode()
    )
    assert "输入一个有效的 Email 地址" in html


def test_coordinators_see_when_each_email_is_sent(client_of, site):
    html = (
        client_of(site.coordinator).get(reverse("notifications:notification-log")).content.decode()
    )
    assert "开园 60 分钟后" in html and "开班前 14 天和 3 天" in html
