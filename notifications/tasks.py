"""Background jobs: thin, id-based, safe to run twice (see STYLE.md section 6)."""

import logging
import smtplib

from celery import shared_task
from django.core.mail import get_connection
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
    try:
        connection.open()
        connection.send_messages([message])
    except TRANSIENT_ERRORS as exc:
        refusal = smtp_refusal(exc)
        notification.release(
            error=refusal or f"{type(exc).__name__}: {exc}", permanent=refusal is not None
        )
    else:
        notification.mark_sent()
    finally:
        try:
            connection.close()
        except Exception:  # noqa: BLE001 - the message is recorded; a failed QUIT changes nothing
            log.debug("SMTP close failed", exc_info=True)


def send_to_parent(notification: Notification, *, token: str) -> None:
    """An SMS or WeChat message, through the parent channel's backend: sent (the
    provider's id and answer kept), refused for good (failed at once, HR sees
    why), or tried again after the back-off."""
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
    try:
        sent = channels.send(message)
    except channels.ChannelError as refusal:
        Notification.objects.filter(pk=notification.pk).update(
            provider_answer=refusal.answer, quota_refused=refusal.quota
        )
        notification.release(error=refusal.reason, permanent=isinstance(refusal, channels.Refused))
    else:
        Notification.objects.filter(pk=notification.pk).update(
            provider_id=sent.provider_id[:100], provider_answer=sent.answer, quota_refused=False
        )
        notification.mark_sent()


@shared_task
def send_pending_notifications() -> int:
    """One relay cycle from beat, a fallback should no `relay_outbox` process
    run: free stale claims and hand due rows to the broker."""
    return relay_once(timezone.now())


@shared_task
def send_reminders() -> None:
    """Every reminder and summary due now; each is logged once, so reruns are harmless."""
    reminders.run_all(now=timezone.now())
