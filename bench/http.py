"""HTTP speed from outside: gunicorn on PostgreSQL, driven by locust.

Run (a PostgreSQL database of its own; Redis for sessions and the cache):

    createdb -h 127.0.0.1 -U postgres ccrcsr_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ccrcsr_bench \\
    CACHE_URL=redis://127.0.0.1:6379/3 \\
        .venv/bin/python bench/http.py [--seconds 15] [--users 8] [--workers 2]

It migrates, seeds its own factory once (a running season, groups of 32 and
80 children, a coordinator), collects static files, starts gunicorn on
127.0.0.1 only, and runs locust headless once per figure against that one
server: /healthz/, the login page, the roll-call page of the 32-child and of
the 80-child group, and a tap on the roll call (present and late in turn,
with the CSRF token, as htmx sends it). Each figure prints one JSON line
(rps, p50 and p95 in ms), then the ratios of each to /healthz/ and to the
login page. Each figure also has `cpu_ms`: the CPU time the gunicorn
workers spent per request during that figure (from /proc, on Linux; the
database's and locust's share is not in it). Absolute figures move with the
machine; compare the ratios, which come from one run. The whole run is
bounded: 5 figures x --seconds, plus about 30 s to start.
"""

import sys
from pathlib import Path

# This file is named http.py, as asked; run as a script its folder would come
# first on sys.path and hide the standard library's `http`. Take it off.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import csv  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import secrets  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import urllib.error  # noqa: E402
import urllib.request  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ccrcsr.settings")
# One key for this process and the server: the sessions made here must be valid there.
os.environ["SECRET_KEY"] = secrets.token_urlsafe(50)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

HOST = "127.0.0.1"  # never anything but this machine
FACTORY_CODE = "httpbench"  # not "bench-": seed_bench counts those
USERNAME = "httpbench-coordinator"
TARGETS = ["healthz", "login_page", "roll_call_32", "roll_call_80", "tap"]
BIN = Path(sys.executable).parent


def signed_in_session(user) -> str:
    """A session as logging in makes it (what the test client's force_login does):
    each simulated user gets its own, without a password hash per user, which
    would take the first seconds of every run on this machine."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def seed(users: int) -> dict:
    """The bench's own factory, made once: a season running today, two groups."""
    from enrollment.models import Child, Enrollment
    from factories.models import Factory, Membership, Role, User
    from spaces.models import Group, Season

    today = timezone.localdate()
    with transaction.atomic():
        factory, created = Factory.objects.get_or_create(
            code=FACTORY_CODE,
            defaults={"name_zh": "基准测试电子厂", "name_en": "Bench Electronics",
                      "province": "guangdong", "city": "东莞", "headcount": 3000},
        )  # fmt: skip
        season = Season.objects.filter(factory=factory).first()
        if season is None or not season.start_date <= today <= season.end_date:
            Season.objects.filter(factory=factory).delete()
            season = Season.objects.create(
                factory=factory, name="基准暑期班", start_date=today - datetime.timedelta(days=20),
                end_date=today + datetime.timedelta(days=40), opening_weekdays="1234567",
                capacity=200, status=Season.Status.RUNNING,
                application_token=f"httpbench-{secrets.token_hex(4)}",
            )  # fmt: skip
        groups = {}
        for size in (32, 80):
            group, _ = Group.objects.get_or_create(
                season=season, name=f"{size} 人组", defaults={"min_age": 3, "max_age": 14,
                                                              "capacity": size},
            )  # fmt: skip
            have = Enrollment.objects.filter(group=group).count()
            children = Child.objects.bulk_create(
                Child(factory=factory, name=f"孩子{size}-{n}", sex="FM"[n % 2],
                      date_of_birth=datetime.date(2016, 1 + n % 12, 1 + n % 28),
                      home_province="sichuan", lives_with="grandparents")
                for n in range(have, size)
            )  # fmt: skip
            Enrollment.objects.bulk_create(
                Enrollment(child=child, season=season, group=group, status="enrolled",
                           arrival_date=season.start_date, departure_date=season.end_date,
                           reference=f"H{child.pk}")
                for child in children
            )  # fmt: skip
            groups[size] = group
        user, _ = User.objects.get_or_create(username=USERNAME)
        Membership.objects.get_or_create(user=user, factory=factory, role=Role.COORDINATOR)
    taps = [
        f"/groups/{groups[80].pk}/roll-call/{today}/children/{e.pk}/"
        for e in Enrollment.objects.filter(group=groups[80]).order_by("pk")
    ]
    return {
        "sessions": [signed_in_session(user) for _ in range(users)],
        "roll_call_32": f"/groups/{groups[32].pk}/roll-call/",
        "roll_call_80": f"/groups/{groups[80].pk}/roll-call/",
        "taps": taps,
    }


def server_env(static_root: Path) -> dict:
    """Production settings, but over plain HTTP on this machine."""
    return {
        **os.environ,
        "DEBUG": "0",
        "ALLOWED_HOSTS": HOST,
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "SECURE_HSTS_SECONDS": "0",
        "STATIC_ROOT": str(static_root),
        "LOG_LEVEL": "WARNING",
        # Two workers share the throttles: a per-process cache is refused (ccrcsr/checks.py).
        "CACHE_URL": os.environ.get("CACHE_URL", "redis://127.0.0.1:6379/1"),
    }


def wait_until_up(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"gunicorn did not answer {url} within {seconds:.0f} s")


def readyz(base: str) -> dict:
    try:
        with urllib.request.urlopen(f"{base}/readyz/", timeout=5) as response:
            return {"status": response.status, **json.loads(response.read())}
    except urllib.error.HTTPError as error:  # 503: say what is not ready, and go on
        return {"status": error.code, **json.loads(error.read())}


def warm_up(base: str, plan: dict, workers: int) -> None:
    """Each worker compiles templates and loads catalogues on its first requests
    (seconds here): ask every target a few times per worker before measuring."""
    cookie = f"sessionid={plan['sessions'][0]}; csrftoken={'0' * 32}"
    signed_in = {"Cookie": cookie, "X-CSRFToken": "0" * 32, "HX-Request": "true"}
    requests = [
        ("/healthz/", None, {}),
        ("/login/", None, {}),
        (plan["roll_call_32"], None, signed_in),
        (plan["roll_call_80"], None, signed_in),
        (plan["taps"][0], b"status=present", signed_in),
    ]
    for _ in range(4 * workers):
        for url, data, headers in requests:
            request = urllib.request.Request(base + url, data=data, headers=headers)
            with urllib.request.urlopen(request, timeout=30) as response:
                response.read()


def workers_cpu_seconds(master_pid: int) -> float | None:
    """User plus system CPU of gunicorn's workers (the master's children), or
    None where /proc is not there to read it."""
    try:
        children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
        ticks = 0
        for pid in children:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    except OSError:
        return None
    return ticks / os.sysconf("SC_CLK_TCK")


def run_locust(target, plan_file, base, args, folder) -> dict:
    prefix = folder / target
    env = {**os.environ, "BENCH_TARGET": target, "BENCH_PLAN": str(plan_file)}
    command = [
        str(BIN / "locust"), "-f", str(ROOT / "bench" / "load" / "locustfile.py"), "--headless",
        "--host", base, "-u", str(args.users), "-r", str(args.users),
        "-t", f"{args.seconds}s", "--csv", str(prefix), "--only-summary",
        "--loglevel", "WARNING", "--stop-timeout", "2",
    ]  # fmt: skip
    run = subprocess.run(command, env=env, check=False, capture_output=True, text=True,
                         timeout=args.seconds + 60)  # fmt: skip
    with open(f"{prefix}_stats.csv", encoding="utf-8") as stats:
        row = next((r for r in csv.DictReader(stats) if r["Name"] == target), None)
    if row is None:
        sys.exit(f"{target}: locust measured nothing\n{run.stderr[-3000:]}")
    failures = int(row["Failure Count"])
    if failures:
        sys.exit(f"{target}: {failures} failed requests (see {prefix}_failures.csv)")
    return {
        "name": target,
        "rps": round(float(row["Requests/s"]), 1),
        "p50_ms": float(row["50%"]),
        "p95_ms": float(row["95%"]),
        "requests": int(row["Request Count"]),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=15, help="per figure")
    parser.add_argument("--users", type=int, default=8, help="concurrent simulated users")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/http.py measures PostgreSQL: set DATABASE_URL to a bench database")
    call_command("migrate", verbosity=0)
    plan = seed(args.users)
    connection.close()
    folder = Path(tempfile.mkdtemp(prefix="bench-http-"))
    static_root = folder / "static"
    env = server_env(static_root)
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
                   cwd=ROOT, env=env, check=True, timeout=300)  # fmt: skip
    plan_file = folder / "plan.json"
    plan_file.write_text(json.dumps(plan), encoding="utf-8")
    base = f"http://{HOST}:{args.port}"
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "ccrcsr.wsgi", "--workers", str(args.workers),
         "--bind", f"{HOST}:{args.port}", "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip
    try:
        wait_until_up(f"{base}/healthz/", 30)
        print(json.dumps({"name": "readyz", **readyz(base)}), flush=True)
        warm_up(base, plan, args.workers)
        results = {}
        for target in TARGETS:
            cpu_before = workers_cpu_seconds(server.pid)
            results[target] = run_locust(target, plan_file, base, args, folder)
            cpu_after = workers_cpu_seconds(server.pid)
            if cpu_before is not None and cpu_after is not None:
                # Includes the few requests locust sent while stopping: a slight overestimate.
                spent = (cpu_after - cpu_before) * 1000 / results[target]["requests"]
                results[target]["cpu_ms"] = round(spent, 1)
            print(json.dumps(results[target]), flush=True)
        for target in TARGETS[1:]:
            for base_name in ("healthz", "login_page"):
                if target == base_name:
                    continue
                print(json.dumps({
                    "name": f"{target}/{base_name}",
                    "rps_ratio": round(results[target]["rps"] / results[base_name]["rps"], 3),
                }), flush=True)  # fmt: skip
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
