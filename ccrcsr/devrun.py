"""`make run`'s processes, and Ctrl-C that ends all of them within seconds.

    python -m ccrcsr.devrun 'command one' 'command two' ...

Each command runs in a process group of its own, so the terminal's Ctrl-C
reaches only this supervisor, which then ends them in order: SIGTERM to each
group (a Celery worker's pool and embedded beat, runserver's reloader child
are in it), then SIGKILL to what is left after `GRACE` seconds. A worker in
the middle of a task (a send waiting on a slow mail server) would otherwise
wait for it in its warm shutdown, and a shell's `kill 0` leaves the worker
alone when Ctrl-C has already ended the shell. If one process ends by
itself, the others are stopped too, and its exit status is ours.

Tasks are acknowledged late, so a task cut short here is delivered again at
the next start; each is safe to run twice. The processes are not in the
terminal's foreground group, so none of them can read from it: to stop at a
`breakpoint()`, run `manage.py runserver` in a terminal of its own.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time

# Seconds a process gets to stop cleanly before it is killed.
GRACE = 4.0


def _signal_groups(processes: list[subprocess.Popen], sig: int) -> None:
    for process in processes:
        try:
            os.killpg(process.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def main(commands: list[str]) -> int:
    stopping: list[int] = []

    def stop(signum, _frame) -> None:
        stopping.append(signum)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, stop)
    processes = [subprocess.Popen(shlex.split(command), process_group=0) for command in commands]
    status = 0
    while not stopping:
        ended = [p for p in processes if p.poll() is not None]
        if ended:
            status = ended[0].returncode
            break
        time.sleep(0.2)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)  # a second Ctrl-C must not leave them behind
    _signal_groups(processes, signal.SIGTERM)
    deadline = time.monotonic() + GRACE
    while time.monotonic() < deadline and any(_group_alive(p.pid) for p in processes):
        for process in processes:
            process.poll()  # reap the leaders, so that a finished group is gone
        time.sleep(0.1)
    _signal_groups(processes, signal.SIGKILL)
    for process in processes:
        process.wait()
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
