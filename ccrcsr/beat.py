"""Beat's schedule on one machine without Redis: Celery's own file schedule,
held under a file lock so a second beat (a second `make run`, or `celery beat`
next to `worker --beat`) waits instead of doubling every periodic job. The
system releases the lock when the holder dies, and the waiting beat takes
over at once with the file's last runs. With Redis, celery-redbeat does the
same across machines (settings.CELERY_BEAT_SCHEDULER)."""

import fcntl
import logging
from pathlib import Path

from celery.beat import PersistentScheduler

logger = logging.getLogger(__name__)


class LockedPersistentScheduler(PersistentScheduler):
    _lock_file = None

    def setup_schedule(self):
        path = Path(f"{self.schedule_filename}.lock")
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock_file = path.open("a")
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            logger.warning("beat: another beat holds %s; waiting for it", path)
            fcntl.flock(self._lock_file, fcntl.LOCK_EX)
        logger.info("beat: Acquired lock %s", path)
        super().setup_schedule()
