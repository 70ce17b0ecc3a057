"""Delivery for real: a Celery worker process and a relay process (as `make run`
starts them), the project's broker (Redis in CI) and an SMTP server on localhost.
Exactly once, never lost, never blocking."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from django.urls import reverse

from enrollment.models import Enrollment
from notifications.models import Notification
from notifications.tasks import send_pending_notifications

from ..builders import EnrollmentBuilder, consent_all, enroll

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


class Inbox:
    """An SMTP server's handler that keeps what it receives; can stall a delivery."""

    def __init__(self, stall_first: float = 0.0):
        self.messages: list[bytes] = []
        self.stall_first = stall_first

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.stall_first:
            import asyncio

            stall, self.stall_first = self.stall_first, 0.0
            await asyncio.sleep(stall)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content)
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def smtp_server(inbox: Inbox):
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def process_env(*, queue: str, smtp_port: int, **env_extra) -> dict[str, str]:
    """The environment of a worker or relay process: this test's database and queue."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        DATABASE_URL=database_url(),
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
        NOTIFICATIONS_QUEUE=queue,
    )
    env.update(env_extra)  # may point DATABASE_URL elsewhere (a proxy that fails)
    return env


@contextmanager
def running(command: list[str], env: dict[str, str]):
    """A process of the pipeline; its output goes to TEST_PROCESS_LOG_DIR if set."""
    log_dir = os.environ.get("TEST_PROCESS_LOG_DIR")
    with ExitStack() as logs:
        output = subprocess.DEVNULL
        if log_dir:
            name = f"{Path(command[2]).name}-{time.time():.3f}.log"
            output = logs.enter_context(open(Path(log_dir) / name, "w"))  # noqa: PTH123
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=output)
    try:
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def outbox_relay(*, queue: str, smtp_port: int, **env_extra):
    """`manage.py relay_outbox`, as `make run` starts it next to the worker."""
    env = process_env(queue=queue, smtp_port=smtp_port, **env_extra)
    with running([sys.executable, "manage.py", "relay_outbox"], env) as relay:
        yield relay


@contextmanager
def celery_worker(
    *, queue: str, smtp_port: int, pool: str = "solo", concurrency: int = 1, relay: bool = True,
    **env_extra,
):  # fmt: skip
    """A worker on the test's queue and, unless relay=False, a relay process with it."""
    env = process_env(queue=queue, smtp_port=smtp_port, **env_extra)
    command = [
        sys.executable, "-m", "celery", "-A", "ccrcsr", "worker", "-Q", queue, "--pool", pool,
        "--concurrency", str(concurrency), "--loglevel", "warning", "--without-heartbeat",
        "--without-mingle", "--without-gossip",
    ]  # fmt: skip
    with ExitStack() as stack:
        if relay:
            stack.enter_context(outbox_relay(queue=queue, smtp_port=smtp_port, **env_extra))
        yield stack.enter_context(running(command, env))


def wait_for(condition, timeout=60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def queue(settings):
    settings.NOTIFICATIONS_QUEUE = f"test-{uuid.uuid4().hex[:8]}"
    return settings.NOTIFICATIONS_QUEUE


@pytest.fixture
def full_season(site):
    """One place, taken; a child waiting; HR with an email address."""
    site.season.capacity = 1
    site.season.save()
    site.hr.email = "hr@example.com"
    site.hr.save()
    taken = enroll(site.group)
    consent_all(taken)
    waiting = EnrollmentBuilder(season=site.season, status="waitlisted")
    consent_all(waiting)
    return taken, waiting


def withdraw(client, site, enrollment):
    return client.post(
        reverse("enrollment:applications", args=[site.season.pk]),
        {"action": "withdraw", "reason": "回老家", "selected": [enrollment.pk]},
    )


def test_a_promotion_email_is_queued_after_commit_and_delivered_once_over_smtp(
    client, site, full_season, queue
):
    taken, waiting = full_season
    inbox = Inbox()
    with smtp_server(inbox) as port, celery_worker(queue=queue, smtp_port=port):
        client.force_login(site.hr)
        withdraw(client, site, taken)
        assert Enrollment.objects.get(pk=waiting.pk).status == "enrolled"
        assert wait_for(lambda: len(inbox.messages) == 1)
        note = Notification.objects.get(kind="waitlist_promoted")
        assert wait_for(lambda: Notification.objects.get(pk=note.pk).status == "sent")
        # The sweeper and a second run find nothing left to send.
        send_pending_notifications()
        time.sleep(2)
    assert len(inbox.messages) == 1
    assert waiting.child.name.encode() in inbox.messages[0] or b"=?utf-8?" in inbox.messages[0]
    assert Notification.objects.get(pk=note.pk).attempts == 1


def test_a_worker_killed_mid_send_loses_nothing_and_sends_once(
    client, site, full_season, queue, settings
):
    taken, _waiting = full_season
    # The worker and this process (which runs the sweeper) agree that a claim
    # older than 3 s belongs to a dead worker.
    settings.NOTIFICATION_CLAIM_SECONDS = 3
    inbox = Inbox(stall_first=8.0)  # the first delivery hangs at the SMTP server
    with (
        smtp_server(inbox) as port,
        celery_worker(
            queue=queue, smtp_port=port, pool="prefork", NOTIFICATION_CLAIM_SECONDS="3"
        ) as worker,
    ):
        client.force_login(site.hr)
        withdraw(client, site, taken)
        note = Notification.objects.get(kind="waitlist_promoted")
        assert wait_for(lambda: Notification.objects.get(pk=note.pk).status == "sending")
        children = subprocess.run(
            ["pgrep", "-P", str(worker.pid)], capture_output=True, text=True
        ).stdout.split()
        assert children, "the worker has no pool process to kill"
        for pid in children:
            os.kill(int(pid), signal.SIGKILL)
        # The message comes back (late acknowledgement) or the sweeper hands it over
        # once the dead worker's claim is stale: either way it is sent, once.
        time.sleep(3.5)
        send_pending_notifications()
        assert wait_for(lambda: Notification.objects.get(pk=note.pk).status == "sent", 60)
        time.sleep(2)
    assert len(inbox.messages) == 1


class HungBroker:
    """Accepts connections and never answers: a Redis that has hung."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.held = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self):
        self.sock.close()
        for conn in self.held:
            conn.close()


def test_a_hung_broker_never_blocks_hr_and_the_email_follows_later(
    client, site, full_season, settings
):
    taken, waiting = full_season
    hung = HungBroker()
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{hung.port}/0"
    try:
        client.force_login(site.hr)
        started = time.monotonic()
        response = withdraw(client, site, taken)
        elapsed = time.monotonic() - started
    finally:
        hung.close()
    assert response.status_code == 302 and elapsed < 2.0, elapsed
    assert Enrollment.objects.get(pk=waiting.pk).status == "enrolled"
    note = Notification.objects.get(kind="waitlist_promoted")
    assert note.status == "pending"
    # The broker is back: the sweeper's next run (every minute) sends it.
    from django.utils import timezone

    from ccrcsr.celery import app

    Notification.objects.filter(pk=note.pk).update(
        created_at=timezone.now() - timezone.timedelta(minutes=1)
    )
    settings.CELERY_BROKER_URL = "memory://"
    app.conf.task_always_eager = True
    try:
        assert send_pending_notifications() == 1
    finally:
        app.conf.task_always_eager = False
    assert Notification.objects.get(pk=note.pk).status == "sent"
