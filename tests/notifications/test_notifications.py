"""The notification log: each message is sent once, retried on SMTP errors,
and ends visibly failed; a real Celery worker delivers it."""

import datetime
import os
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from notifications.models import Notification
from notifications.tasks import send_notification, send_pending_notifications

from .test_delivery import running

ROOT = Path(__file__).resolve().parents[2]


def notification(site, key="roll-call:1:2026-07-01", **fields) -> Notification:
    return Notification.objects.create(
        factory=site.factory,
        recipient=site.manager,
        email="manager@example.com",
        kind="test",
        idempotency_key=key,
        language="zh-hans",
        subject="今日点名未完成",
        body="请尽快完成点名。",
        **fields,
    )


def test_running_the_task_twice_sends_once(site):
    note = notification(site)
    send_notification(note.pk)
    send_notification(note.pk)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "今日点名未完成"
    note.refresh_from_db()
    assert note.status == Notification.Status.SENT and note.attempts == 1


def test_a_claim_is_exclusive_until_it_goes_stale(site):
    note = notification(site)
    assert note.claim()
    assert not Notification.objects.get(pk=note.pk).claim()
    Notification.objects.filter(pk=note.pk).update(
        claimed_at=timezone.now() - datetime.timedelta(minutes=11)
    )
    assert Notification.objects.get(pk=note.pk).claim()


def test_the_task_returns_quietly_when_the_row_is_gone(site):
    send_notification(123456789)
    assert mail.outbox == []


def test_smtp_down_is_tried_six_times_on_the_back_off_then_marked_failed(site, settings):
    # A real SMTP connection to a port where nothing listens: refused at once.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 1
    note = notification(site)
    for attempt in range(1, Notification.MAX_ATTEMPTS + 1):
        Notification.objects.filter(pk=note.pk).update(next_attempt_at=timezone.now())
        send_notification.apply(args=[note.pk])
        note.refresh_from_db()
        assert note.attempts == attempt
    assert note.status == Notification.Status.FAILED
    assert "Connection refused" in note.last_error or "Errno" in note.last_error


def test_the_sweeper_hands_over_due_pending_and_stale_sending(site, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.CELERY_BROKER_URL = "memory://"
    from ccrcsr.celery import app

    app.conf.task_always_eager = True
    try:
        due = notification(site, key="a")
        later = notification(
            site, key="b", next_attempt_at=timezone.now() + datetime.timedelta(minutes=2)
        )
        stuck = notification(site, key="c", status=Notification.Status.SENDING)
        an_hour_ago = timezone.now() - datetime.timedelta(hours=1)
        Notification.objects.filter(pk=stuck.pk).update(claimed_at=an_hour_ago)
        assert send_pending_notifications() == 2
    finally:
        app.conf.task_always_eager = False
    statuses = dict(Notification.objects.values_list("pk", "status"))
    assert statuses == {due.pk: "sent", later.pk: "pending", stuck.pk: "sent"}


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_a_notification(site, tmp_path):
    queue = f"test-{uuid.uuid4().hex[:8]}"
    outbox = tmp_path / "mail"
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        DATABASE_URL=database_url(), EMAIL_FILE_PATH=str(outbox), EMAIL_URL="",
        NOTIFICATIONS_QUEUE=queue,
    )  # fmt: skip
    worker = [
        sys.executable, "-m", "celery", "-A", "ccrcsr", "worker", "-Q", queue, "--pool", "solo",
        "--loglevel", "warning", "--without-heartbeat", "--without-mingle", "--without-gossip",
    ]  # fmt: skip
    relay = [sys.executable, "manage.py", "relay_outbox"]
    with running(relay, env), running(worker, env) as worker_process:
        # The relay process hands the logged row to the broker; nothing else does.
        note = notification(site)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and worker_process.poll() is None:
            note.refresh_from_db()
            if note.status == Notification.Status.SENT:
                break
            time.sleep(0.3)
        assert note.status == Notification.Status.SENT, worker_process.poll()
        sent = "".join(p.read_text() for p in outbox.iterdir())
        assert "manager@example.com" in sent
