"""The outbox (issue 12, items 12 to 16): a user's action never talks to the
broker, retries follow the back-off and live in the database, a permanent
refusal fails at once, every copy of a message has one Message-ID, and each
promotion is announced."""

import datetime
import threading
import time

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from enrollment.models import Enrollment
from enrollment.signals import waitlist_promoted
from notifications.models import Notification
from notifications.relay import Relay, relay_once
from notifications.tasks import send_notification

from ..builders import EnrollmentBuilder, consent_all, enroll
from .test_delivery import HungBroker, Inbox, smtp_server


def notification(site, key="k", **fields) -> Notification:
    return Notification.objects.create(
        factory=site.factory, recipient=site.manager, email="manager@example.com",
        kind="test", idempotency_key=key, language="zh-hans", subject="今日点名未完成",
        body="请尽快完成点名。", **fields,
    )  # fmt: skip


@pytest.fixture
def twenty_and_twenty_waiting(site):
    """A full season of 20 and 20 children waiting; HR has an email address."""
    site.season.capacity = 20
    site.season.save()
    site.hr.email = "hr@example.com"
    site.hr.save()
    taken = [enroll(site.group) for _ in range(20)]
    waiting = [EnrollmentBuilder(season=site.season, status="waitlisted") for _ in range(20)]
    for enrollment in taken + waiting:
        consent_all(enrollment)
    return taken, waiting


def withdraw(client, site, enrollments):
    return client.post(
        reverse("enrollment:applications", args=[site.season.pk]),
        {"action": "withdraw", "reason": "回老家", "selected": [e.pk for e in enrollments]},
    )


def statuses(enrollments) -> set[str]:
    return set(Enrollment.objects.filter(pk__in=[e.pk for e in enrollments]).values_list(
        "status", flat=True))  # fmt: skip


# Item 12 ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_bulk_withdrawal_of_20_with_the_broker_hung_answers_in_a_second_and_never_calls_it(
    client, site, twenty_and_twenty_waiting, settings
):
    taken, waiting = twenty_and_twenty_waiting
    hung = HungBroker()
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{hung.port}/0"
    try:
        client.force_login(site.hr)
        client.get(reverse("enrollment:applications", args=[site.season.pk]))  # warm
        with CaptureQueriesContext(connection) as queries:
            started, cpu = time.monotonic(), time.thread_time()
            response = withdraw(client, site, taken)
            elapsed, cpu = time.monotonic() - started, time.thread_time() - cpu
        time.sleep(0.2)  # a connection the request opened would be accepted by now
        connections = len(hung.held)
    finally:
        hung.close()
    # The broker costs the request nothing: it never connects (a hung broker
    # held every earlier attempt for a second or more). The bound (1 s)
    # applies to the request's own work, its CPU time: on this shared 2-core
    # machine the wall clock of the same work moves 2-3x with the other
    # processes' load, so the wall clock gets a 10x margin only.
    assert connections == 0, "the request opened a connection to the broker"
    assert response.status_code == 302
    assert cpu < 1.0 and elapsed < 10.0, (cpu, elapsed)
    # The season is locked and counted once and each child read once: about a
    # dozen queries per child (it was 25, and 2 s), none of them per waiting row.
    assert len(queries) <= 20 * 13 + 20, len(queries)
    assert statuses(taken) == {"withdrawn"} and statuses(waiting) == {"enrolled"}
    notes = Notification.objects.filter(kind="waitlist_promoted")
    assert notes.count() == 20 and set(notes.values_list("status", flat=True)) == {"pending"}


@pytest.mark.django_db(transaction=True)
def test_a_bulk_withdrawal_that_fails_half_way_changes_nothing(
    client, site, twenty_and_twenty_waiting
):
    taken, waiting = twenty_and_twenty_waiting
    promotions = []

    def fail_on_the_fifteenth(sender, **kwargs):
        promotions.append(kwargs["enrollment"].pk)
        if len(promotions) == 15:
            raise RuntimeError("the fifteenth promotion fails")

    waitlist_promoted.connect(fail_on_the_fifteenth)
    try:
        client.force_login(site.hr)
        client.raise_request_exception = False
        response = withdraw(client, site, taken)
    finally:
        waitlist_promoted.disconnect(fail_on_the_fifteenth)
    assert response.status_code == 500
    assert statuses(taken) == {"enrolled"} and statuses(waiting) == {"waitlisted"}
    assert not Notification.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_relay_waits_out_a_hung_broker_and_hands_over_within_15_s_of_its_return(site, settings):
    note = notification(site)
    hung = HungBroker()
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{hung.port}/0"
    relay = Relay(interval=2.0)
    loop = threading.Thread(target=relay.run, daemon=True)
    loop.start()
    try:
        time.sleep(3)  # a cycle or two against the hung broker
        # A cycle may be caught mid-hand-over (the row taken, then given back when
        # the publish times out); between cycles nothing is handed over.
        deadline = time.monotonic() + 5
        while True:
            note.refresh_from_db()
            if note.relays == 0 and note.queued_at is None:
                break
            assert time.monotonic() < deadline, "handed over to a hung broker"
            time.sleep(0.1)
        settings.CELERY_BROKER_URL = "memory://"
        back = time.monotonic()
        while time.monotonic() - back < 15:
            note.refresh_from_db()
            if note.relays:
                break
            time.sleep(0.2)
    finally:
        relay.stop()
        loop.join(10)
        hung.close()
    assert note.relays == 1, "not handed to the broker within 15 s of its return"


# Item 15 ----------------------------------------------------------------------


def test_a_failed_try_waits_its_back_off_instead_of_a_celery_retry(site, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 1  # refused at once
    note = notification(site)
    waits = []
    for _ in range(5):
        before = timezone.now()
        result = send_notification.apply(args=[note.pk])
        assert result.state == "SUCCESS"  # no retry chain held by Celery or the broker
        note.refresh_from_db()
        assert note.status == Notification.Status.PENDING
        waits.append(round((note.next_attempt_at - before).total_seconds() / 60))
        # Not due yet: another message for it (a duplicate, a redelivery) does not try.
        send_notification.apply(args=[note.pk])
        assert Notification.objects.get(pk=note.pk).attempts == note.attempts
        Notification.objects.filter(pk=note.pk).update(next_attempt_at=timezone.now())
    assert waits == [1, 2, 4, 8, 16]
    send_notification.apply(args=[note.pk])
    note.refresh_from_db()
    assert note.status == Notification.Status.FAILED and note.attempts == 6


def test_the_relay_takes_only_due_rows_and_hands_over_again_only_a_lost_one(site, settings):
    settings.CELERY_BROKER_URL = "memory://"
    settings.NOTIFICATION_REQUEUE_SECONDS = 10
    due = notification(site, key="due")
    notification(
        site, key="backing-off", next_attempt_at=timezone.now() + datetime.timedelta(hours=1)
    )
    notification(site, key="sent", status=Notification.Status.SENT)
    now = timezone.now()
    assert relay_once(now) == 1
    # In the broker: a backlog or a stopped worker adds no copies for a minute...
    assert relay_once(now + datetime.timedelta(seconds=50)) == 0
    # ...but once a worker took a row handed over later, this one was lost.
    later = notification(site, key="later")
    assert relay_once(now + datetime.timedelta(seconds=20)) == 1
    Notification.objects.filter(pk=later.pk).update(
        status=Notification.Status.SENT, claimed_at=now + datetime.timedelta(seconds=21)
    )
    assert relay_once(now + datetime.timedelta(seconds=22)) == 1
    due.refresh_from_db()
    assert due.relays == 2
    assert relay_once(now + datetime.timedelta(seconds=23)) == 0
    # A relay that has just started (its worker restarted) hands over what waits.
    moment = now + datetime.timedelta(seconds=24)
    assert relay_once(moment, restarted=moment) == 1
    # And one no worker took goes again after a minute, twice as long after each
    # further hand-over: this is its third, so four minutes.
    assert relay_once(moment + datetime.timedelta(seconds=230)) == 0
    assert relay_once(moment + datetime.timedelta(seconds=250)) == 1
    assert relay_once(moment + datetime.timedelta(seconds=260)) == 0


class Refusing(Inbox):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return "550 5.1.1 No such user here"


def test_a_550_fails_at_once_with_the_servers_words_in_the_log(client, site, settings):
    inbox = Refusing()
    with smtp_server(inbox) as port:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        note = notification(site)
        send_notification.apply(args=[note.pk])
    note.refresh_from_db()
    assert note.status == Notification.Status.FAILED and note.attempts == 1
    assert "550 5.1.1 No such user here" in note.last_error
    client.force_login(site.coordinator)
    page = client.get(reverse("notifications:notification-log")).content.decode()
    assert "550 5.1.1 No such user here" in page


# Item 14 ----------------------------------------------------------------------


def test_every_copy_of_a_notification_carries_one_message_id(site):
    note = notification(site, key="roll_call_missing:7:2026-07-01")
    other = notification(site, key="roll_call_missing:7:2026-07-02")
    send_notification(note.pk)
    Notification.objects.filter(pk=note.pk).update(status=Notification.Status.PENDING)
    send_notification(note.pk)  # sent again, as after a worker killed before recording it
    send_notification(other.pk)
    ids = [m.message().get("Message-ID") for m in mail.outbox]
    assert len(ids) == 3 and ids[0] == ids[1] != ids[2]
    assert ids[0] == note.message_id


# Item 16 ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_child_promoted_a_second_time_is_announced_again(client, site, settings):
    settings.CELERY_BROKER_URL = "memory://"
    site.season.capacity = 1
    site.season.save()
    site.hr.email = "hr@example.com"
    site.hr.save()
    taken = enroll(site.group)
    waiting = EnrollmentBuilder(season=site.season, status="waitlisted")
    for enrollment in (taken, waiting):
        consent_all(enrollment)
    client.force_login(site.hr)
    url = reverse("enrollment:applications", args=[site.season.pk])
    withdraw(client, site, [taken])  # promoted
    assert Enrollment.objects.get(pk=waiting.pk).status == "enrolled"
    # Moved back to the waitlist: the place it frees promotes the first child
    # waiting, the same child, a second time.
    client.post(url, {"action": "waitlist", "reason": "", "selected": [waiting.pk]})
    assert Enrollment.objects.get(pk=waiting.pk).status == "enrolled"
    keys = set(Notification.objects.filter(kind="waitlist_promoted").values_list(
        "idempotency_key", flat=True))  # fmt: skip
    assert len(keys) == 2, keys
    # Each promotion is still announced once: the same occasion again adds nothing.
    enrollment = Enrollment.objects.get(pk=waiting.pk)
    waitlist_promoted.send(sender=Enrollment, enrollment=enrollment)
    assert Notification.objects.filter(kind="waitlist_promoted").count() == 2
