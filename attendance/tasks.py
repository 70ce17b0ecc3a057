import datetime

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from .models import RollCallOp


@shared_task
def purge_roll_call_taps() -> int:
    """Retention, daily: a tap's id is kept only while a phone may still send
    that tap again (its offline queue is kept for the day). After
    ROLL_CALL_TAP_DAYS (30) it is deleted; a very old queue sent again meets
    the version check instead, and a changed record is a conflict, not a
    second change."""
    cutoff = timezone.now() - datetime.timedelta(days=settings.ROLL_CALL_TAP_DAYS)
    deleted, _ = RollCallOp.objects.filter(applied_at__lt=cutoff).delete()
    return deleted
