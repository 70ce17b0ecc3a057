"""A send owns its claim until it ends (issue 24, items 23 and 24).

A slow SMTP server (each reply slower than a third of the claim timeout, the
whole exchange longer than it) must not make the relay hand the row to a
second worker; a stale run's writes must not undo another run's; and a
database blip right after the server's "250" must not send the message again.
Real Celery workers and relay processes, an SMTP server on localhost."""

import asyncio
import socket
import threading
import time
import uuid
from contextlib import ExitStack, contextmanager

import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from notifications.models import Notification
from notifications.relay import relay_once
from notifications.tasks import send_notification

from .test_delivery import Inbox, celery_worker, outbox_relay, smtp_server, wait_for
from .test_pipeline_faults import FaultyInbox, notification

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture
def queue(settings):
    settings.NOTIFICATIONS_QUEUE = f"claims-{uuid.uuid4().hex[:8]}"
    return settings.NOTIFICATIONS_QUEUE


class SlowInbox(Inbox):
    """An SMTP server that takes `pace` seconds over each reply of a delivery."""

    def __init__(self, pace: float):
        super().__init__()
        self.pace = pace

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        await asyncio.sleep(self.pace)
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        await asyncio.sleep(self.pace)
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.pace)
        return await super().handle_DATA(server, session, envelope)


def message_ids(inbox: Inbox) -> list[str]:
    import email

    return [email.message_from_bytes(content)["Message-ID"] for content in list(inbox.messages)]


FAST = {
    "NOTIFICATION_RELAY_SECONDS": "0.5",
    "NOTIFICATION_REQUEUE_SECONDS": "1",
    "NOTIFICATION_REQUEUE_LOST_SECONDS": "2",
}


@pytest.mark.worker
def test_a_slow_smtp_server_gets_each_message_once_with_two_workers_waiting(
    site,
    queue,
    settings,
):
    # A 3-second claim; each message takes about 4.5 s at the server (three
    # replies of 1.5 s), so without a heartbeat the relay hands every message
    # to the idle second worker half-way through its first send.
    settings.NOTIFICATION_CLAIM_SECONDS = 3
    notes = [notification(site, n) for n in range(2)]
    inbox = SlowInbox(pace=1.5)
    env = {"NOTIFICATION_CLAIM_SECONDS": "3", **FAST}
    with ExitStack() as stack:
        port = stack.enter_context(smtp_server(inbox))
        stack.enter_context(outbox_relay(queue=queue, smtp_port=port, **env))
        for _ in range(2):
            stack.enter_context(celery_worker(queue=queue, smtp_port=port, relay=False, **env))
        sent = lambda: all(  # noqa: E731
            Notification.objects.get(pk=n.pk).status == "sent" for n in notes
        )
        # A generous ceiling: three processes start on a busy machine first.
        if not wait_for(sent, 180):
            rows = Notification.objects.values("pk", "status", "attempts", "relays", "last_error")
            pytest.fail(f"not sent: {list(rows)}; server got {message_ids(inbox)}")
        time.sleep(5)  # a second copy, if one were handed over, would arrive meanwhile
    ids = message_ids(inbox)
    assert sorted(ids) == sorted(n.message_id for n in notes), ids
    assert all(Notification.objects.get(pk=n.pk).attempts == 1 for n in notes)


def test_a_run_whose_claim_was_taken_over_cannot_put_back_or_overwrite_the_row(site, settings):
    note = notification(site, 1)
    first = Notification.objects.get(pk=note.pk)
    assert first.claim(token="message-1")
    # The first run went quiet for longer than the claim timeout: a second run takes over.
    Notification.objects.filter(pk=note.pk).update(
        claimed_at=timezone.now() - Notification.claim_timeout() * 2
    )
    second = Notification.objects.get(pk=note.pk)
    assert second.claim(token="message-2")
    assert not first.extend_claim()
    # The first run's failure does not put back a row the second run is sending...
    assert not first.release(error="SMTPServerDisconnected: timed out")
    row = Notification.objects.get(pk=note.pk)
    assert (row.status, row.claim_token, row.last_error) == ("sending", second.claim_token, "")
    # ...nor, once the second run has sent it, make it go again.
    assert second.mark_sent()
    assert not first.release(error="SMTPServerDisconnected: timed out")
    assert Notification.objects.get(pk=note.pk).status == "sent"


def test_the_same_broker_message_redelivered_takes_its_claim_over_but_another_does_not(site):
    note = notification(site, 1)
    assert Notification.objects.get(pk=note.pk).claim(token="message-1")
    assert not Notification.objects.get(pk=note.pk).claim(token="message-2")
    assert not Notification.objects.get(pk=note.pk).claim()
    assert Notification.objects.get(pk=note.pk).claim(token="message-1")


# --- a database blip right after the server's "250" (item 24) ---


class FlakyDatabaseProxy:
    """A TCP proxy to PostgreSQL that can drop every connection and refuse new
    ones for a while: a database restart or failover, as a worker sees it."""

    def __init__(self, host: str, port: int):
        self.upstream = (host, port)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.down_until = 0.0
        self.pairs: list[tuple[socket.socket, socket.socket]] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _addr = self.sock.accept()
            except OSError:
                return
            if time.monotonic() < self.down_until:
                client.close()
                continue
            server = socket.create_connection(self.upstream)
            self.pairs.append((client, server))
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a, b):
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self, seconds: float) -> None:
        self.down_until = time.monotonic() + seconds
        pairs, self.pairs = self.pairs, []
        for pair in pairs:
            for s in pair:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        self.sock.close()
        self.cut(0)


class BlipAfter250(FaultyInbox):
    """Accepts the next message, then drops the worker's database connections
    and refuses new ones for a while."""

    def __init__(self, proxy: FlakyDatabaseProxy, seconds: float):
        super().__init__()
        self.proxy, self.seconds = proxy, seconds

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content)
        if self.hold_next.is_set():
            self.hold_next.clear()
            self.proxy.cut(self.seconds)
            self.holding.set()
        return "250 Message accepted"


@contextmanager
def flaky_database():
    """A proxy to the test database, and the URL a worker reaches it by."""
    db = connection.settings_dict
    proxy = FlakyDatabaseProxy(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432))
    try:
        yield (
            proxy,
            (f"postgres://{db['USER']}:{db['PASSWORD']}@127.0.0.1:{proxy.port}/{db['NAME']}"),
        )
    finally:
        proxy.close()


@pytest.mark.worker
@pytest.mark.postgres  # a dropped connection needs a networked database
def test_a_database_blip_right_after_the_servers_250_does_not_send_again(
    site,
    queue,
    settings,
):
    settings.NOTIFICATION_CLAIM_SECONDS = 8
    note = notification(site, 1)
    env = {"NOTIFICATION_CLAIM_SECONDS": "8", **FAST}
    with ExitStack() as stack:
        proxy, url = stack.enter_context(flaky_database())
        inbox = BlipAfter250(proxy, seconds=3.0)
        inbox.hold_next.set()
        port = stack.enter_context(smtp_server(inbox))
        # The relay reaches the database directly: it would hand the row over
        # again as soon as the worker's claim looked stale.
        stack.enter_context(outbox_relay(queue=queue, smtp_port=port, **env))
        stack.enter_context(
            celery_worker(queue=queue, smtp_port=port, relay=False, DATABASE_URL=url, **env)
        )
        assert inbox.holding.wait(60), "the message never reached the SMTP server"
        assert wait_for(lambda: Notification.objects.get(pk=note.pk).status == "sent", 40)
        # Past the claim timeout: a stale claim would have been handed over by now.
        time.sleep(10)
    assert message_ids(inbox) == [note.message_id]
    assert Notification.objects.get(pk=note.pk).attempts == 1


class FailingWrites:
    """Fails the status write after the server's "250" as a dropped database
    connection does, for the first `times` tries (Django's execute_wrapper: the
    driver's error, raised where the driver would raise it)."""

    def __init__(self, times: int):
        self.left = times

    def __call__(self, execute, sql, params, many, context):
        if sql.startswith('UPDATE "factories_notification"') and "sent" in (params or ()):
            if self.left:
                self.left -= 1
                raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)


@pytest.mark.parametrize("times", [1, 3])
def test_a_status_write_that_fails_after_the_250_is_retried_and_the_message_not_sent_again(
    site, settings, times
):
    settings.NOTIFICATION_CLAIM_SECONDS = 2
    note = notification(site, 1)
    inbox = Inbox()
    with smtp_server(inbox) as port:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        with connection.execute_wrapper(FailingWrites(times)):
            send_notification.apply(args=[note.pk])
        # Past the claim timeout, the relay and a redelivered task find nothing to send.
        time.sleep(2.2)
        relay_once()
        send_notification.apply(args=[note.pk])
    assert message_ids(inbox) == [note.message_id]
    assert Notification.objects.get(pk=note.pk).status == "sent"
