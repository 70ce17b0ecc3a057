"""Background jobs: thin, id-based, safe to run twice (see STYLE.md section 6)."""

import datetime
import smtplib

from celery import shared_task
from django.db.models import Q
from django.utils import timezone

from . import reminders
from .models import Notification
from .outbox import enqueue

# A fresh pending row is normally already on its way; the sweeper leaves it this long.
PENDING_GRACE = datetime.timedelta(seconds=30)

# Transient sending errors worth a retry; anything else is a bug and surfaces.
TRANSIENT_ERRORS = (smtplib.SMTPException, OSError)


@shared_task(bind=True, max_retries=5)
def send_notification(self, notification_id: int) -> None:
    notification = Notification.objects.filter(pk=notification_id).first()
    if notification is None or not notification.claim():
        return
    try:
        notification.send()
    except TRANSIENT_ERRORS as exc:
        final = self.request.retries >= self.max_retries
        notification.release(error=f"{type(exc).__name__}: {exc}", failed=final)
        if not final:
            # 1, 2, 4, 8, 16 minutes: rides out a short SMTP outage.
            raise self.retry(exc=exc, countdown=60 * 2**self.request.retries) from exc


@shared_task
def send_pending_notifications() -> int:
    """Hand over notifications still pending (the broker was down when they were
    logged) or stuck mid-send (their worker died); returns how many."""
    now = timezone.now()
    ids = list(
        Notification.objects.filter(
            Q(status=Notification.Status.PENDING, created_at__lt=now - PENDING_GRACE)
            | Q(
                status=Notification.Status.SENDING,
                claimed_at__lt=now - Notification.claim_timeout(),
            )
        ).values_list("pk", flat=True)
    )
    for notification_id in ids:
        enqueue(notification_id)
    return len(ids)


@shared_task
def send_reminders() -> None:
    """Every reminder and summary due now; each is logged once, so reruns are harmless."""
    reminders.run_all(now=timezone.now())
