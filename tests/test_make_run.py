"""Ctrl-C on `make run` stops everything it started (issue 24, item 18): the
site, the worker with beat and its pool, the relay. The test starts `make run`
in a session of its own, as a terminal would, waits until the site answers
and the worker is ready, sends SIGINT to the foreground process group (what
Ctrl-C does) and looks for any process of that session left behind."""

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from notifications.models import Notification

from .notifications.test_delivery import HungBroker, database_url, free_port

ROOT = Path(__file__).resolve().parents[1]
# Every process make run starts is gone this long after Ctrl-C.
STOPPED_WITHIN = 10.0

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def session_processes(sid: int) -> list[str]:
    """The processes still in session `sid` (Linux /proc), as "pid command"."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[3]) == sid and fields[0] != "Z":
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                found.append(f"{entry.name} {cmdline.strip()}")
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
    return found


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def as_a_terminal_starts_it() -> None:
    """A session and process group of its own, Ctrl-C not ignored (a test run in
    the background would otherwise hand its ignored SIGINT down)."""
    os.setsid()
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGQUIT, signal.SIG_DFL)


@pytest.mark.skipif(
    not (sys.platform.startswith("linux") and shutil.which("make")),
    reason="needs make and Linux's /proc to find what make run left running",
)
def test_ctrl_c_stops_the_site_the_worker_with_beat_and_the_relay_even_mid_send(site, tmp_path):
    # `site` gives the database a factory: make run migrates (nothing to do)
    # and leaves the demo out, so the test starts in seconds.
    port = free_port()
    # A mail server that accepts and never answers: the worker is in the
    # middle of a send (for EMAIL_TIMEOUT, two minutes) when Ctrl-C comes.
    mail_server = HungBroker()
    note = Notification.objects.create(
        factory=site.factory, recipient=site.manager, email="m@example.com", kind="test",
        idempotency_key="make-run:1", language="zh-hans", subject="点名提醒", body="…",
    )  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        DATABASE_URL=database_url(),
        # A broker and mail folder of the test's own: nothing reaches a real queue.
        CELERY_BROKER_URL="filesystem://",
        CELERY_FILESYSTEM_DIR=str(tmp_path / "celery"),
        EMAIL_URL=f"smtp://127.0.0.1:{mail_server.port}",
        EMAIL_TIMEOUT="120",
        PORT=str(port),
        HOST="127.0.0.1",
    )
    log = tmp_path / "make-run.log"
    with log.open("w") as output:
        make = subprocess.Popen(
            ["make", "--no-print-directory", "run"], cwd=ROOT, env=env, stdout=output,
            stderr=subprocess.STDOUT, preexec_fn=as_a_terminal_starts_it,
        )  # fmt: skip
    sid = make.pid
    try:
        deadline = time.monotonic() + 180
        while not (
            answers(f"http://127.0.0.1:{port}/healthz/")
            and Notification.objects.get(pk=note.pk).status == "sending"
        ):
            assert make.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.5)
        running = session_processes(sid)
        assert any("celery" in p for p in running) and any("relay_outbox" in p for p in running)

        os.killpg(sid, signal.SIGINT)  # Ctrl-C
        stopped = time.monotonic() + STOPPED_WITHIN
        while session_processes(sid) and time.monotonic() < stopped:
            time.sleep(0.2)
        left = session_processes(sid)
        assert not left, f"still running {STOPPED_WITHIN} s after Ctrl-C: {left}"
        assert not answers(f"http://127.0.0.1:{port}/healthz/")
    finally:
        try:
            os.killpg(sid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        make.wait()
        mail_server.close()
