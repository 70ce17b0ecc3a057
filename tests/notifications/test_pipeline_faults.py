"""The mail pipeline under faults (issue 12, items 13 and 14, and "Done
means"): real Celery workers, relay processes of their own (`manage.py
relay_outbox`), the project's broker (Redis in CI, the filesystem one by
default) and an SMTP server. Workers are killed mid-send and between the
server's "250" and the status update; a relay is killed; the server fails for
a while. Nothing is lost, and any repeat carries the first copy's Message-ID."""

import asyncio
import email
import os
import random
import signal
import sqlite3
import subprocess
import threading
import time
import uuid
from collections import defaultdict
from contextlib import ExitStack

import pytest
from django.conf import settings as django_settings
from django.db import connection

from notifications.models import Notification
from notifications.tasks import send_pending_notifications

from .test_delivery import (
    Inbox,
    celery_worker,
    database_url,
    outbox_relay,
    smtp_server,
    wait_for,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def notification(site, n: int) -> Notification:
    return Notification.objects.create(
        factory=site.factory, recipient=site.manager, email=f"m{n}@example.com",
        kind="test", idempotency_key=f"fault:{n}", language="zh-hans",
        subject=f"第{n}封", body="请尽快完成点名。",
    )  # fmt: skip


class TableLock:
    """Holds the notification table against writes, from a connection of its own:
    a worker that got the server's "250" then waits on its status update, so
    the test can kill it exactly there."""

    def __init__(self):
        self.conn = None

    def acquire(self) -> None:
        if connection.vendor == "sqlite":
            self.conn = sqlite3.connect(
                connection.settings_dict["NAME"], timeout=20, check_same_thread=False
            )
            self.conn.isolation_level = None
            self.conn.execute("BEGIN IMMEDIATE")
        else:
            import psycopg2

            self.conn = psycopg2.connect(database_url())
            self.conn.cursor().execute(
                "LOCK TABLE factories_notification IN EXCLUSIVE MODE"
            )  # fmt: skip

    def release(self) -> None:
        if self.conn is not None:
            if connection.vendor != "sqlite":
                # A killed worker's server process would still run its waiting
                # UPDATE once the lock goes: end the ones waiting, as the
                # connection of a worker killed in the window would be.
                self.conn.cursor().execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    " AND wait_event_type = 'Lock'"
                )
            self.conn.rollback()
            self.conn.close()
            self.conn = None


class FaultyInbox(Inbox):
    """Keeps every message; can refuse for a while (451), and can hold the next
    delivery's status update (the table lock) right after accepting it.
    `pace`: seconds each message takes to accept, so that a quick machine
    does not deliver everything before the faults are in."""

    def __init__(self, pace: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.pace = pace
        self.failing_until = 0.0
        self.hold_next = threading.Event()
        self.holding = threading.Event()
        self.lock = TableLock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if time.monotonic() < self.failing_until:
            return "451 4.3.0 Try again later"
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)

    async def handle_DATA(self, server, session, envelope):
        if self.pace:
            await asyncio.sleep(self.pace)
        self.messages.append(envelope.content)
        if self.hold_next.is_set():
            self.hold_next.clear()
            self.lock.acquire()
            self.holding.set()
        return "250 Message accepted"

    def copies(self) -> dict[str, list[str]]:
        """Message-IDs received, by recipient."""
        found = defaultdict(list)
        for content in list(self.messages):
            message = email.message_from_bytes(content)
            found[message["To"]].append(message["Message-ID"])
        return found


def pool_processes(worker) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(worker.pid)], capture_output=True, text=True)
    return [int(pid) for pid in out.stdout.split()]


def kill_pool(worker) -> None:
    for pid in pool_processes(worker):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def kill_worker(worker) -> None:
    """The whole worker: its pool processes and the main process, no goodbye."""
    children = pool_processes(worker)
    worker.kill()
    worker.wait()
    for pid in children:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def statuses() -> dict[str, int]:
    counts = defaultdict(int)
    for status in Notification.objects.values_list("status", flat=True):
        counts[status] += 1
    return dict(counts)


@pytest.fixture
def queue(settings):
    settings.NOTIFICATIONS_QUEUE = f"fault-{uuid.uuid4().hex[:8]}"
    return settings.NOTIFICATIONS_QUEUE


def test_a_redelivered_message_is_sent_at_once_after_its_pool_process_died(site, queue, settings):
    # A long claim timeout: only the redelivery itself can send it in time.
    settings.NOTIFICATION_CLAIM_SECONDS = 600
    note = notification(site, 1)
    inbox = Inbox(stall_first=8.0)  # the first delivery hangs at the SMTP server
    with (
        smtp_server(inbox) as port,
        celery_worker(
            queue=queue, smtp_port=port, pool="prefork", NOTIFICATION_CLAIM_SECONDS="600"
        ) as worker,
    ):
        assert wait_for(lambda: Notification.objects.get(pk=note.pk).status == "sending")
        kill_pool(worker)
        restarted = time.monotonic()
        # The bound: sent within 60 s of the restart (it took 10-11 minutes).
        assert wait_for(lambda: Notification.objects.get(pk=note.pk).status == "sent", 60)
        assert time.monotonic() - restarted < 60
    assert len(inbox.messages) == 1


def test_a_worker_killed_after_the_servers_250_sends_a_repeat_with_the_same_message_id(
    site, queue, settings
):
    settings.NOTIFICATION_CLAIM_SECONDS = 3
    note = notification(site, 1)
    inbox = FaultyInbox()
    inbox.hold_next.set()
    env = {"NOTIFICATION_CLAIM_SECONDS": "3"}
    with smtp_server(inbox) as port:
        with celery_worker(queue=queue, smtp_port=port, **env) as worker:
            assert inbox.holding.wait(60), "the message never reached the SMTP server"
            time.sleep(1.0)  # the worker now waits on its status update
            assert Notification.objects.get(pk=note.pk).status == "sending"
            kill_worker(worker)
            inbox.lock.release()
        with celery_worker(queue=queue, smtp_port=port, **env):

            def sent():
                send_pending_notifications()  # the sweeper, as beat runs it
                return Notification.objects.get(pk=note.pk).status == "sent"

            assert wait_for(sent, 60)
    ids = inbox.copies()["m1@example.com"]
    assert len(ids) == 2, ids  # the repeat went out...
    assert ids[0] == ids[1] == note.message_id  # ...and says it is the same message


@pytest.mark.skipif(
    not django_settings.CELERY_BROKER_URL.startswith("redis"),
    reason="200 messages need a real broker: the filesystem transport polls once a second;"
    " CI runs this on Redis",
)
def test_200_messages_through_killed_workers_and_a_failing_server_all_arrive_once_recognisably(
    site, queue, settings
):
    """The fault test of "Done means", bounded to a few minutes."""
    rng = random.Random(12)
    notes = [notification(site, n) for n in range(200)]
    # 200 messages at 2 at a time take 20 s at least: longer than the faults'
    # plan (8 faults 0.5-2.5 s apart), which must all land while mail flows.
    inbox = FaultyInbox(pace=0.2)
    env = {
        "NOTIFICATION_CLAIM_SECONDS": "4",  # a dead worker's claim is stale after 4 s
        "NOTIFICATION_RETRY_SECONDS": "0.5",  # back-off 0.5, 1, 2, 4, 8 s
        "NOTIFICATION_REQUEUE_SECONDS": "3",
        "NOTIFICATION_REQUEUE_LOST_SECONDS": "3",
        "NOTIFICATION_RELAY_SECONDS": "1",
    }
    done = lambda: statuses().get("sent", 0) == len(notes)  # noqa: E731
    faults = []
    with ExitStack() as stack:
        port = stack.enter_context(smtp_server(inbox))

        def start():
            return stack.enter_context(
                celery_worker(
                    queue=queue, smtp_port=port, pool="prefork", concurrency=2, relay=False, **env
                )
            )

        def start_relay():
            return stack.enter_context(outbox_relay(queue=queue, smtp_port=port, **env))

        # Two relays all along (several at once are safe), outliving the workers.
        relays = [start_relay(), start_relay()]
        worker = start()
        # Each fault at a random moment while messages flow; whole kills and
        # kills in the "250" window alternate between the pool and the worker.
        plan = [
            "pool", "window-pool", "outage", "worker", "relay", "pool", "window-worker", "worker"
        ]  # fmt: skip
        for fault in plan:
            time.sleep(rng.uniform(0.5, 2.5))
            if done():
                break
            faults.append(fault)
            if fault == "pool":
                kill_pool(worker)
            elif fault == "worker":
                kill_worker(worker)
                time.sleep(rng.uniform(0, 1.5))
                worker = start()
            elif fault == "relay":  # with no goodbye, perhaps between taking rows and publishing
                relays[0].kill()
                relays[0].wait()
                relays[0] = start_relay()
            elif fault == "outage":
                inbox.failing_until = time.monotonic() + 2.0
            else:  # kill while a message is accepted and not yet recorded
                inbox.hold_next.set()
                held = inbox.holding.wait(20)
                inbox.holding.clear()
                if held:
                    time.sleep(0.5)
                    if fault == "window-pool":
                        kill_pool(worker)
                    else:
                        kill_worker(worker)
                inbox.hold_next.clear()
                inbox.lock.release()
                if fault == "window-worker":
                    worker = start()
        if not wait_for(done, 240):
            left = Notification.objects.exclude(status="sent").values(
                "pk", "status", "attempts", "relays", "queued_at", "claimed_at",
                "next_attempt_at", "last_error",
            )  # fmt: skip
            pytest.fail(f"left unsent: {list(left)}, after {faults}")
        time.sleep(2)  # late redeliveries, if any, find nothing to send
    assert len(faults) >= 5, faults
    copies = inbox.copies()
    for note in notes:
        ids = copies[note.email]
        assert ids, f"{note.email} never reached the server"
        assert set(ids) == {note.message_id}, (note.email, ids)
    assert statuses() == {"sent": len(notes)}
