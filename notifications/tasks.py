"""Background jobs: thin, id-based, safe to run twice (see STYLE.md section 6)."""

import logging
import smtplib
import threading
import time
from contextlib import contextmanager

from celery import shared_task
from django.core.mail import get_connection
from django.db import (
    DatabaseError,
    InterfaceError,
    OperationalError,
    close_old_connections,
    connections,
)
from django.db import connection as db_connection
from django.utils import timezone

from parents import channels

from . import reminders
from .models import Notification, smtp_refusal
from .parent_messages import event_of
from .relay import relay_once

log = logging.getLogger(__name__)

# Sending errors worth another try later; anything else is a bug and surfaces.
TRANSIENT_ERRORS = (smtplib.SMTPException, OSError)


@shared_task(bind=True)
def send_notification(self, notification_id: int) -> None:
    """Send one logged message, once. No Celery retries: a failed try puts the
    row back with its next_attempt_at (1, 2, 4, 8, 16 minutes) and the relay
    hands it over again when it is due, so nothing waits in the broker."""
    notification = Notification.objects.filter(pk=notification_id).first()
    if notification is None or notification.status == Notification.Status.SENT:
        return
    if notification.is_parent_message:
        send_to_parent(notification, token=self.request.id or "")
        return
    # Built before the claim, so the claimed time is the SMTP exchange alone.
    message = notification.build_message()
    if not notification.claim(token=self.request.id or ""):
        return
    connection = get_connection()
    # The claim is extended while the exchange and the status write run: a
    # slow server (each reply may take EMAIL_TIMEOUT) must not make the claim
    # look stale and have the relay hand the row to another worker.
    with claim_heartbeat(notification):
        try:
            connection.open()
            connection.send_messages([message])
        except TRANSIENT_ERRORS as exc:
            refusal = smtp_refusal(exc)
            error = refusal or f"{type(exc).__name__}: {exc}"
            _write_status(lambda: notification.release(error=error, permanent=bool(refusal)))
        else:
            _write_status(notification.mark_sent)
        finally:
            try:
                connection.close()
            except Exception:  # noqa: BLE001 - the message is recorded; a failed QUIT changes nothing
                log.debug("SMTP close failed", exc_info=True)


@contextmanager
def claim_heartbeat(notification: Notification):
    """Extend the claim every third of the claim timeout from a thread of its
    own (with its own database connection) until the block ends."""
    stop = threading.Event()
    interval = Notification.claim_timeout().total_seconds() / 3

    def beat() -> None:
        try:
            while not stop.wait(interval):
                try:
                    if not notification.extend_claim():
                        log.warning("notification %s: its claim was taken over", notification.pk)
                        return
                except DatabaseError:
                    log.warning("notification %s: claim not extended", notification.pk)
                    close_old_connections()
        finally:
            connections.close_all()

    thread = threading.Thread(target=beat, name=f"claim-{notification.pk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)


def _write_status(write) -> None:
    """Run a status write, again on a database connection error (a restart, a
    failover, PgBouncer dropping us): after the server's "250" a write given
    up means the message goes again. Backs off 0.25 s doubling to 4 s, for up
    to the claim timeout (the heartbeat keeps the claim meanwhile); then the
    error surfaces and the claim goes stale as a dead worker's would."""
    deadline = time.monotonic() + Notification.claim_timeout().total_seconds()
    delay = 0.25
    while True:
        try:
            write()
            return
        except (OperationalError, InterfaceError):
            if time.monotonic() + delay > deadline:
                raise
            log.warning("status write failed; again in %.2f s", delay, exc_info=True)
            try:
                db_connection.close()  # a broken connection is opened afresh
            except DatabaseError:
                pass
            time.sleep(delay)
            delay = min(delay * 2, 4.0)


def send_to_parent(notification: Notification, *, token: str) -> None:
    """An SMS or WeChat message, through the parent channel's backend, with the
    emails' exactly-once rules (the claim, its heartbeat, status writes retried
    on a connection error): sent (the provider's id and answer kept), refused
    for good (failed at once, HR sees why), or tried again after the back-off."""
    if not notification.claim(token=token):
        return
    message = channels.ParentMessage(
        channel=notification.channel,
        to=notification.address,
        event=event_of(notification.kind),
        params=notification.params,
        text=notification.body,
        key=notification.idempotency_key,
        link=notification.params.get("link", ""),
    )
    rows = Notification.objects.filter(pk=notification.pk)
    with claim_heartbeat(notification):
        try:
            sent = channels.send(message)
        except channels.ChannelError as refusal:
            answer, quota, reason = refusal.answer, refusal.quota, refusal.reason
            permanent = isinstance(refusal, channels.Refused)

            def refused() -> None:
                rows.update(provider_answer=answer, quota_refused=quota)
                notification.release(error=reason, permanent=permanent)

            _write_status(refused)
        else:

            def delivered() -> None:
                rows.update(
                    provider_id=sent.provider_id[:100],
                    provider_answer=sent.answer,
                    quota_refused=False,
                )
                notification.mark_sent()

            _write_status(delivered)


@shared_task
def send_pending_notifications() -> int:
    """One relay cycle from beat, a fallback should no `relay_outbox` process
    run: free stale claims and hand due rows to the broker."""
    return relay_once(timezone.now())


@shared_task
def send_reminders() -> None:
    """Every reminder and summary due now; each is logged once, so reruns are harmless."""
    reminders.run_all(now=timezone.now())
