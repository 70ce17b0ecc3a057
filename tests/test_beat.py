"""Exactly one beat, however many are started: two real `celery beat` processes
on the project's Redis; one schedules, the other waits; kill the first and the
second takes over within the lock's time, and no job is sent twice."""

import itertools
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from celery import Celery
from celery.schedules import schedule
from django.conf import settings
from redbeat import RedBeatSchedulerEntry

ROOT = Path(__file__).resolve().parent.parent
PROBE_SECONDS = 4

pytestmark = pytest.mark.worker


def start_beat(env: dict, log: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "celery", "-A", "ccrcsr", "beat", "--loglevel", "info"]
    with log.open("w") as output:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=output)


def wait_for(condition, timeout: float) -> float | None:
    """Seconds until condition() held, or None after timeout."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return time.monotonic() - started
        time.sleep(0.1)
    return None


@pytest.fixture
def beat_env(tmp_path):
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.skip("needs Redis (CELERY_BROKER_URL=redis://...)")
    tag = f"beat-test-{uuid.uuid4().hex[:8]}"
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        CELERY_QUEUE=tag,  # what the beats send lands here, for no worker
        REDBEAT_KEY_PREFIX=f"{tag}:",
        BEAT_LOCK_SECONDS="6",
    )
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    # A job of the test's own, every few seconds, next to the real schedule.
    app = Celery(set_as_current=False)
    app.conf.update(
        redbeat_redis_url=settings.CELERY_BROKER_URL, redbeat_key_prefix=f"{tag}:", timezone="UTC"
    )
    RedBeatSchedulerEntry(
        "probe", "tests.beat_probe", schedule(PROBE_SECONDS), options={"queue": tag}, app=app
    ).save()
    yield env, tag, client
    client.delete(tag, *client.keys(f"{tag}:*"))


def sent(client, queue: str) -> list[str]:
    return [json.loads(m)["headers"]["task"] for m in client.lrange(queue, 0, -1)]


def test_a_second_beat_waits_and_takes_over_when_the_first_dies_without_doubling_a_job(
    beat_env, tmp_path
):
    env, queue, client = beat_env
    first = start_beat(env, tmp_path / "first.log")
    second = None
    try:
        # Starting takes seconds, or a minute on a loaded machine.
        assert wait_for(lambda: "Acquired lock" in (tmp_path / "first.log").read_text(), 120)
        second = start_beat(env, tmp_path / "second.log")
        # The probe's sends, with the time each reached the queue.
        arrivals: list[float] = []

        def watch(seconds: float) -> None:
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                probes = sent(client, queue).count("tests.beat_probe")
                arrivals.extend([time.monotonic()] * (probes - len(arrivals)))
                time.sleep(0.05)

        watch(10)
        second_log = (tmp_path / "second.log").read_text()
        assert "Acquired lock" not in second_log and "Sending due task" not in second_log
        assert len(arrivals) >= 2  # the first one schedules

        first.send_signal(signal.SIGKILL)  # no goodbye: its lock just stops being renewed
        first.wait()
        took_over = wait_for(lambda: "Acquired lock" in (tmp_path / "second.log").read_text(), 60)
        assert took_over is not None and took_over < 60
        before = len(arrivals)
        watch(3 * PROBE_SECONDS)
        assert len(arrivals) >= before + 2  # the second one schedules

        # Nothing twice: the real jobs (every minute or daily; first due a minute
        # after the first beat began) went at most once, and the probe never
        # closer together than its interval allows.
        tasks = sent(client, queue)
        for job in settings.CELERY_BEAT_SCHEDULE.values():
            assert tasks.count(job["task"]) <= 1, tasks
        gaps = [b - a for a, b in itertools.pairwise(arrivals)]
        assert min(gaps) > PROBE_SECONDS - 1.5, gaps
    finally:
        for process in (first, second):
            if process and process.poll() is None:
                process.kill()
                process.wait()


def test_without_redis_a_second_beat_on_the_machine_waits_for_the_first(tmp_path):
    """`make run` on a fresh machine: the filesystem broker and Celery's file
    schedule, under a file lock the system releases when its beat dies."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        CELERY_BROKER_URL="filesystem://",
        CELERY_FILESYSTEM_DIR=str(tmp_path / "broker"),
    )
    command = [sys.executable, "-m", "celery", "-A", "ccrcsr", "beat", "--loglevel", "info"]
    command += ["--schedule", str(tmp_path / "schedule")]
    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    processes = []
    try:
        for log in logs:
            with log.open("w") as output:
                processes.append(
                    subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=output)
                )
            assert wait_for(lambda log=log: "beat: " in log.read_text(), 120)
        assert wait_for(lambda: "Acquired lock" in logs[0].read_text(), 30) is not None
        assert wait_for(lambda: "waiting for it" in logs[1].read_text(), 30) is not None
        assert "Acquired lock" not in logs[1].read_text()
        processes[0].send_signal(signal.SIGKILL)
        assert wait_for(lambda: "Acquired lock" in logs[1].read_text(), 10) is not None
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
