"""The relay: hands due rows of the notification log to the broker.

No user's request talks to the broker: `notify()` only writes a row in the
request's transaction. This loop, in a process of its own that serves no
user (`manage.py relay_outbox`, started next to the workers), polls every
`NOTIFICATION_RELAY_SECONDS` (2) and publishes each due row with short
timeouts. While the broker is hung or down a cycle fails in about a second
and the rows wait; the first cycle after it is back hands them over.

Several relays may run at once: each row is taken by a conditional UPDATE,
so only one of them publishes it. A handed-over row is handed over again only
when its message was evidently lost (with a killed worker's prefetched
messages): a row handed over later has already been taken by a worker (the
queue moved past it), a relay has just started (a worker restarted: it may
have died with messages in hand), or, failing those, after
`NOTIFICATION_REQUEUE_LOST_SECONDS` (60), then twice as long after each
further hand-over. A backlog or a stopped worker therefore adds at most a
few copies of a message to the broker, not one a minute.

The loop never runs inside a Celery worker: a prefork worker forks its pool
processes whenever one dies, and a thread running in the forking process
(its database and broker connections, any lock it holds at that moment) is
copied half-way into every child.
"""

from __future__ import annotations

import datetime
import logging
import signal
import threading

from django.conf import settings
from django.db import close_old_connections
from django.db.models import F, Max, Q
from django.utils import timezone

from ccrcsr.celery import app

from .models import Notification

log = logging.getLogger(__name__)

# Rows taken per cycle: a big reminder batch goes over in a few cycles.
BATCH = 500


def release_stale_claims(now: datetime.datetime) -> int:
    """Rows whose worker died mid-send (claim older than the timeout) are due again."""
    return Notification.objects.filter(
        status=Notification.Status.SENDING,
        claimed_at__lt=now - Notification.claim_timeout(),
    ).update(
        status=Notification.Status.PENDING, next_attempt_at=now, queued_at=None, claim_token=""
    )


def waited_too_long(now: datetime.datetime) -> Q:
    """Handed over, and not taken for NOTIFICATION_REQUEUE_LOST_SECONDS (60), then
    twice as long after each further hand-over (at most 64 times as long)."""
    base = settings.NOTIFICATION_REQUEUE_LOST_SECONDS
    waited = Q(relays__gt=7, queued_at__lt=now - datetime.timedelta(seconds=base * 2**7))
    for relays in range(1, 8):
        limit = now - datetime.timedelta(seconds=base * 2 ** (relays - 1))
        waited |= Q(relays=relays, queued_at__lt=limit)
    return waited


def due(now: datetime.datetime, *, restarted: datetime.datetime | None = None):
    """Pending rows whose back-off is over and that are not (or no longer) in the broker."""
    lost = Q(queued_at__isnull=True) | waited_too_long(now)
    grace = datetime.timedelta(seconds=settings.NOTIFICATION_REQUEUE_SECONDS)
    # The newest hand-over a worker has taken (within the last hour, on the index).
    passed = Notification.objects.filter(
        queued_at__gte=now - datetime.timedelta(hours=1), claimed_at__gte=F("queued_at")
    ).aggregate(newest=Max("queued_at"))["newest"]
    if passed is not None:
        lost |= Q(queued_at__lt=passed - grace)
    if restarted is not None:
        lost |= Q(queued_at__lt=restarted)
    return Notification.objects.filter(
        lost, status=Notification.Status.PENDING, next_attempt_at__lte=now
    )


def broker_options(url: str) -> dict:
    """Fail in about a second when the broker hangs, and never retry a publish."""
    if url.startswith(("redis://", "rediss://")):
        return {
            "connect_timeout": 1,
            "transport_options": {"socket_timeout": 1, "socket_connect_timeout": 1},
        }
    return {}


def relay_once(
    now: datetime.datetime | None = None, *, restarted: datetime.datetime | None = None
) -> int:
    """One cycle: free stale claims, publish every due row; returns how many went.

    `restarted`: rows handed over before then are handed over again (the
    first cycle of a relay that has just started)."""
    now = now or timezone.now()
    release_stale_claims(now)
    rows = list(
        due(now, restarted=restarted)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", "queued_at")[:BATCH]
    )
    if not rows:
        return 0
    # Imported here, as tasks.py imports this module; a relay process (not a
    # worker) has no task registered until then.
    from .tasks import send_notification

    url = settings.CELERY_BROKER_URL
    sent = 0
    try:
        with app.connection_for_write(url, **broker_options(url)) as connection:
            for pk, queued_at in rows:
                # Taken for this relay only if no other relay took it meanwhile.
                taken = (
                    Notification.objects.filter(
                        pk=pk, status=Notification.Status.PENDING, queued_at=queued_at
                    ).update(queued_at=now, relays=F("relays") + 1)
                    == 1
                )
                if not taken:
                    continue
                try:
                    send_notification.apply_async(
                        args=[pk],
                        connection=connection,
                        retry=False,
                        queue=settings.NOTIFICATIONS_QUEUE,
                    )
                except Exception:
                    # Not handed over after all: due again at the next cycle.
                    Notification.objects.filter(pk=pk, queued_at=now).update(
                        queued_at=queued_at, relays=F("relays") - 1
                    )
                    raise
                sent += 1
    except Exception as exc:  # noqa: BLE001 - any broker failure: the next cycle tries again
        log.warning("relay: broker unavailable (%s); %d row(s) wait", exc, len(rows) - sent)
    return sent


class Relay:
    """The relay loop: `run()` until `stop()` (or SIGTERM, see `manage.py relay_outbox`)."""

    def __init__(self, interval: float | None = None):
        self.interval = interval or settings.NOTIFICATION_RELAY_SECONDS
        self.stopped = threading.Event()

    def run(self) -> None:
        # A relay that has just (re)started may follow one that died between
        # taking rows and publishing them: its first cycle hands over again
        # all that wait.
        restarted = timezone.now()
        while not self.stopped.is_set():
            try:
                relay_once(restarted=restarted)
                restarted = None
            except Exception:  # noqa: BLE001 - a database hiccup must not end the loop
                log.exception("relay cycle failed")
            finally:
                close_old_connections()
            self.stopped.wait(self.interval)

    def stop(self, *_signal_args) -> None:
        self.stopped.set()

    def stop_on_sigterm(self) -> None:
        """A SIGTERM (`make run` ending, a supervisor) ends the loop after its cycle."""
        signal.signal(signal.SIGTERM, self.stop)
