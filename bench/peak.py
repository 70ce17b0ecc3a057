"""The programme's morning peak, from outside, on a whole deployment on this machine.

Run (a PostgreSQL database of its own, reached directly; Redis for the cache,
sessions and the broker; nginx from Debian as the balancer, PgBouncer from
Debian, both installed with apt if missing):

    createdb -h 127.0.0.1 -U postgres ccrcsr_peak
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ccrcsr_peak \\
    CACHE_URL=redis://127.0.0.1:6379/3 CELERY_BROKER_URL=redis://127.0.0.1:6379/3 \\
        .venv/bin/python bench/peak.py [--nodes 3] [--factories 100] [--no-pgbouncer]

It migrates, seeds F factories once (`seed_bench`: a running season of three
groups each, --children per factory, a week of history) with a teacher per
group, an HR clerk and a manager per factory; starts PgBouncer in transaction
mode (unless --no-pgbouncer), K gunicorn nodes (gthread) on their own ports,
nginx in front of them, two Celery workers and two relays; then replays a
morning: every group's teacher opens the roll call and taps each child
(present or late); a share of the phones (--offline) tap without network and
flush their queues all at once when the Wi-Fi returns (one request per tap,
with its id and time; a tenth of them sent twice, as a phone that lost an
answer does); HR opens the review list and managers the dashboard. One JSON
line per figure: taps per second sustained, p50/p95/p99 of pages, taps and
flushed taps, the most PostgreSQL server connections seen, errors; then the
checks: every tap landed once, and the daily counts match the rows.
"""

import argparse
import json
import os
import queue
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

# bench/http.py would hide the standard library's `http`: take this folder off the path.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ccrcsr.settings")
# One key for this process and the servers: the sessions made here must be valid there.
os.environ["SECRET_KEY"] = secrets.token_urlsafe(50)

import django  # noqa: E402

django.setup()

import requests  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

HOST = "127.0.0.1"
BIN = Path(sys.executable).parent
TAP_STATUSES = ["present"] * 9 + ["late"]


def signed_in_session(user) -> str:
    """A session as logging in makes it (see bench/http.py)."""
    from importlib import import_module

    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def seed(factories: int, children: int) -> None:
    """The bench factories (once) and their people: a teacher per group, HR and a manager."""
    from factories.models import Factory, Membership, Role, User
    from spaces.models import Group, Season, Teacher, TeacherAssignment

    have = Factory.objects.filter(code__startswith="bench-").count()
    if have not in (0, factories):
        sys.exit(f"the database holds {have} bench factories, not {factories}: use a fresh one")
    if not have:
        call_command("seed_bench", factories=factories, children=children, days=5, verbosity=0)
    seasons = Season.objects.filter(factory__code__startswith="bench-")
    # Today is an opening day, whatever the weekday.
    seasons.update(opening_weekdays="1234567")
    with transaction.atomic():
        known = set(
            User.objects.filter(username__startswith="peak-").values_list("username", flat=True)
        )
        users, members = [], []
        for season in seasons.select_related("factory"):
            for kind, role in (("hr", Role.HR), ("m", Role.MANAGER)):
                name = f"peak-{kind}-{season.factory_id}"
                if name not in known:
                    users.append(User(username=name, display_name=name))
                    members.append((name, season.factory_id, role))
        for group in Group.objects.filter(season__in=seasons).select_related("season"):
            name = f"peak-t-{group.pk}"
            if name not in known:
                users.append(User(username=name, display_name=name))
                members.append((name, group.season.factory_id, Role.TEACHER))
        for user in users:
            user.set_unusable_password()
        User.objects.bulk_create(users, batch_size=2000)
        ids = dict(User.objects.filter(username__startswith="peak-").values_list("username", "pk"))
        Membership.objects.bulk_create(
            [Membership(user_id=ids[n], factory_id=f, role=r) for n, f, r in members],
            batch_size=5000,
        )
        new_groups = [int(n.rsplit("-", 1)[1]) for n, _f, r in members if r == Role.TEACHER]
        groups = Group.objects.select_related("season").in_bulk(new_groups)
        teachers = Teacher.objects.bulk_create(
            [
                Teacher(
                    factory_id=g.season.factory_id,
                    user_id=ids[f"peak-t-{g.pk}"],
                    name=f"老师{g.pk}",
                    kind=Teacher.Kind.PROFESSIONAL,
                    background_check_on=timezone.localdate(),
                )
                for g in groups.values()
            ],  # fmt: skip
            batch_size=5000,
        )
        group_of = {ids[f"peak-t-{g.pk}"]: g for g in groups.values()}
        TeacherAssignment.objects.bulk_create(
            [
                TeacherAssignment(
                    teacher=t, season_id=group_of[t.user_id].season_id, group=group_of[t.user_id]
                )
                for t in teachers
            ],  # fmt: skip
            batch_size=5000,
        )


def reset_today(seasons) -> None:
    """Today's roll calls not taken yet, so each run replays the same morning."""
    from attendance.models import Attendance, GroupDay, RollCallOp
    from factories.models import AuditEntry

    today = timezone.localdate()
    with transaction.atomic():
        Attendance.objects.filter(date=today, enrollment__season__in=seasons).delete()
        GroupDay.objects.filter(date=today, season__in=seasons).delete()
        RollCallOp.objects.filter(date=today).delete()
        AuditEntry.objects.filter(model="attendance.attendance", at__date=today).delete()


def plan(offline_share: float, sample: int | None, rng: random.Random) -> tuple[list, list]:
    """The morning's scripts: (kind, session, url, taps) and the factories' seasons.
    With `sample`, that many groups' roll calls (and a third as many HR and manager
    visits each), drawn from all the factories: the database is all of them."""
    from enrollment.models import Enrollment
    from factories.models import User
    from spaces.models import Group, Season

    today = timezone.localdate()
    seasons = list(Season.objects.filter(factory__code__startswith="bench-"))
    reset_today(seasons)
    users = {u.username: u for u in User.objects.filter(username__startswith="peak-")}
    children: dict[int, list[int]] = {}
    for group_id, pk in Enrollment.objects.filter(
        season__in=seasons, status="enrolled"
    ).values_list("group_id", "pk"):
        children.setdefault(group_id, []).append(pk)
    scripts = []
    groups = list(Group.objects.filter(season__in=seasons).order_by("pk"))
    visits = list(seasons)
    if sample:
        groups = rng.sample(groups, min(sample, len(groups)))
        visits = rng.sample(visits, min(max(1, sample // 3), len(visits)))
    for group in groups:
        page = reverse("attendance:roll-call", args=[group.pk, today])
        taps = [
            (f"{page}children/{e}/", rng.choice(TAP_STATUSES)) for e in children.get(group.pk, [])
        ]
        kind = "offline" if rng.random() < offline_share else "online"
        scripts.append((kind, signed_in_session(users[f"peak-t-{group.pk}"]), page, taps))
    for season in visits:
        hr = users[f"peak-hr-{season.factory_id}"]
        scripts.append(
            ("hr", signed_in_session(hr), reverse("enrollment:applications", args=[season.pk]), [])
        )
        manager = users[f"peak-m-{season.factory_id}"]
        scripts.append(("manager", signed_in_session(manager), reverse("reports:dashboard"), []))
    rng.shuffle(scripts)
    return scripts, seasons


class Morning:
    """The phones: --phones at a time run the scripts; offline queues are
    flushed together once half of the roll calls are done."""

    def __init__(self, base: str, scripts: list, phones: int, rng: random.Random):
        self.base, self.scripts, self.phones, self.rng = base, scripts, phones, rng
        self.timings: dict[str, list[float]] = {"page": [], "tap": [], "flush": []}
        self.errors: dict[str, int] = {}
        self.tap_times: list[float] = []
        self.queues: list[tuple[str, list]] = []
        self.expected: dict[str, str] = {}  # tap url -> status
        self.offline_ops: set[str] = set()
        self.lock = threading.Lock()

    def request(self, http: requests.Session, kind: str, method: str, url: str, **kwargs):
        started = time.perf_counter()
        try:
            response = http.request(
                method, self.base + url, timeout=60, allow_redirects=False, **kwargs
            )
            ok = response.status_code == 200
            label = str(response.status_code)
        except requests.RequestException as exc:
            ok, label = False, type(exc).__name__
        elapsed = (time.perf_counter() - started) * 1000
        with self.lock:
            self.timings[kind].append(elapsed)
            if kind != "page":
                self.tap_times.append(time.monotonic())
            if not ok:
                self.errors[f"{kind}:{label}"] = self.errors.get(f"{kind}:{label}", 0) + 1

    def session(self, key: str) -> requests.Session:
        http = requests.Session()
        token = secrets.token_hex(16)
        http.cookies.set("sessionid", key, domain=HOST)
        http.cookies.set("csrftoken", token, domain=HOST)
        http.headers.update({"X-CSRFToken": token, "HX-Request": "true"})
        return http

    def run_script(self, script) -> None:
        kind, key, page, taps = script
        with self.session(key) as http:
            self.request(http, "page", "GET", page)
            queued = []
            for url, status in taps:
                with self.lock:
                    self.expected[url] = status
                if kind == "offline":  # kept on the phone, with its id and time
                    op = str(uuid.uuid4())
                    queued.append((url, {"status": status, "op_id": op,
                                         "tapped_at": int(time.time() * 1000)}))  # fmt: skip
                else:
                    self.request(http, "tap", "POST", url, data={"status": status})
            if queued:
                with self.lock:
                    self.queues.append((key, queued))

    def flush(self, key: str, queued: list) -> None:
        with self.session(key) as http:
            for url, data in queued:
                self.request(http, "flush", "POST", url, data=data)
                with self.lock:
                    self.offline_ops.add(data["op_id"])
            # A tenth of the taps again: the phone lost the answers and resends.
            for url, data in queued[: max(1, len(queued) // 10)]:
                self.request(http, "flush", "POST", url, data=data)

    def run(self) -> float:
        work: queue.Queue = queue.Queue()
        for script in self.scripts:
            work.put(script)
        roll_calls = sum(1 for s in self.scripts if s[0] in ("online", "offline"))
        done = [0]

        def phone():
            while True:
                try:
                    script = work.get_nowait()
                except queue.Empty:
                    return
                self.run_script(script)
                with self.lock:
                    done[0] += script[0] in ("online", "offline")

        started = time.monotonic()
        threads = [threading.Thread(target=phone) for _ in range(self.phones)]
        for t in threads:
            t.start()
        # The Wi-Fi comes back when half the roll calls are done: every offline phone at once.
        while done[0] < roll_calls // 2 and any(t.is_alive() for t in threads):
            time.sleep(0.05)
        with self.lock:
            queues, self.queues = self.queues, []
        flushers = [threading.Thread(target=self.flush, args=q) for q in queues]
        for t in flushers:
            t.start()
        for t in threads:
            t.join()
        with self.lock:  # phones that went offline after the Wi-Fi came back flush now
            late, self.queues = self.queues, []
        flushers += [threading.Thread(target=self.flush, args=q) for q in late]
        for t in flushers[len(queues) :]:
            t.start()
        for t in flushers:
            t.join()
        return time.monotonic() - started


class ConnectionWatch(threading.Thread):
    """The most PostgreSQL server connections to the bench database seen."""

    def __init__(self):
        super().__init__(daemon=True)
        self.most, self.stop = 0, threading.Event()

    def run(self):
        import psycopg2

        db = settings.DATABASES["direct"]
        with psycopg2.connect(host=db["HOST"], port=db["PORT"], user=db["USER"],
                              password=db["PASSWORD"], dbname=db["NAME"]) as conn:  # fmt: skip
            conn.autocommit = True
            with conn.cursor() as cursor:
                while not self.stop.is_set():
                    cursor.execute(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                    self.most = max(self.most, cursor.fetchone()[0])
                    time.sleep(0.2)


def percentiles(values: list[float]) -> dict:
    if len(values) < 2:
        return {"count": len(values)}
    q = statistics.quantiles(values, n=100, method="inclusive")
    return {"count": len(values), "p50_ms": round(q[49], 1), "p95_ms": round(q[94], 1),
            "p99_ms": round(q[98], 1)}  # fmt: skip


def nginx_config(folder: Path, port: int, upstreams: list[int]) -> Path:
    servers = "\n".join(f"    server {HOST}:{p};" for p in upstreams)
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf = folder / "nginx.conf"
    conf.write_text(f"""{user}worker_processes 1;
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {folder}/nginx-body;
  proxy_temp_path {folder}/nginx-proxy;
  fastcgi_temp_path {folder}/nginx-fastcgi;
  uwsgi_temp_path {folder}/nginx-uwsgi;
  scgi_temp_path {folder}/nginx-scgi;
  upstream web {{
{servers}
    keepalive 64;
  }}
  server {{
    listen {HOST}:{port};
    location / {{
      proxy_pass http://web;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_read_timeout 120s;
    }}
  }}
}}
""")
    return conf


def wait_until_up(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    sys.exit(f"{url} did not answer within {seconds:.0f} s")


def checks(morning: Morning, seasons) -> list[dict]:
    """Every tap landed once, with the status tapped; the daily counts match the rows."""
    import io

    from attendance.models import Attendance, RollCallOp
    from factories.models import AuditEntry

    today = timezone.localdate()
    rows = dict(
        Attendance.objects.filter(date=today, enrollment__season__in=seasons).values_list(
            "enrollment_id", "status"
        )
    )
    wanted = {int(url.rstrip("/").rsplit("/", 1)[1]): s for url, s in morning.expected.items()}
    wrong = sum(1 for e, s in wanted.items() if rows.get(e) != s)
    created = AuditEntry.objects.filter(
        model="attendance.attendance", action="create", at__date=today
    ).count()
    ops = RollCallOp.objects.filter(date=today).count()
    out = io.StringIO()
    call_command("check_daily_counts", stdout=out)
    return [
        {"name": "taps_landed", "taps": len(wanted), "rows": len(rows), "wrong_status": wrong,
         "ok": len(rows) == len(wanted) and wrong == 0},
        {"name": "taps_applied_once", "created_in_audit": created,
         "offline_ops": len(morning.offline_ops), "ops_kept": ops,
         "ok": created == len(wanted) and ops == len(morning.offline_ops)},
        {"name": "daily_counts_match", "check": out.getvalue().strip().splitlines()[-1],
         "ok": "all daily counts match" in out.getvalue()},
    ]  # fmt: skip


def main():  # noqa: PLR0915 - one script, top to bottom
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nodes", type=int, default=3, help="gunicorn nodes behind nginx")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per node")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--factories", type=int, default=100)
    parser.add_argument("--children", type=int, default=12, help="per factory (three groups)")
    parser.add_argument("--sample", type=int, help="roll calls replayed (default: every group)")
    parser.add_argument("--offline", type=float, default=0.2, help="share of phones offline")
    parser.add_argument("--phones", type=int, default=48, help="phones busy at once")
    parser.add_argument("--no-pgbouncer", dest="pgbouncer", action="store_false")
    parser.add_argument("--pool", type=int, default=10, help="PgBouncer server connections")
    parser.add_argument(
        "--port", type=int, default=18180, help="balancer; nodes and PgBouncer follow"
    )
    parser.add_argument("--seed", type=int, default=29)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/peak.py measures PostgreSQL: set DATABASE_URL to a bench database")
    for variable in ("CACHE_URL", "CELERY_BROKER_URL"):
        if not os.environ.get(variable, "").startswith("redis://"):
            sys.exit(f"set {variable}=redis://...: the nodes share it")
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        sys.exit("nginx is not installed: apt-get install -y nginx")
    rng = random.Random(args.seed)
    started = time.monotonic()
    call_command("migrate", verbosity=0)  # this process's DATABASE_URL is the direct one
    seed(args.factories, args.children)
    scripts, seasons = plan(args.offline, args.sample, rng)
    print(json.dumps({"name": "seeded", "factories": args.factories, "scripts": len(scripts),
                      "seconds": round(time.monotonic() - started, 1)}), flush=True)  # fmt: skip
    connection.close()

    folder = Path(tempfile.mkdtemp(prefix="bench-peak-"))
    folder.chmod(0o755)  # PgBouncer runs as postgres and keeps its files in here
    db = settings.DATABASES["default"]
    direct_url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    pgbouncer_port = args.port + 1
    env = {
        **os.environ,
        "DEBUG": "0", "ALLOWED_HOSTS": HOST, "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0", "CSRF_COOKIE_SECURE": "0", "SECURE_HSTS_SECONDS": "0",
        "STATIC_ROOT": str(folder / "static"), "LOG_LEVEL": "WARNING",
        "TRUSTED_PROXIES": HOST, "DIRECT_DATABASE_URL": direct_url, "DATABASE_URL": direct_url,
        "EMAIL_FILE_PATH": str(folder / "mail"),
    }  # fmt: skip
    if args.pgbouncer:
        subprocess.run([str(ROOT / ".ci" / "pgbouncer"), "start", str(folder / "pgbouncer"),
                        str(pgbouncer_port), str(args.pool)], check=True)  # fmt: skip
        env["DATABASE_URL"] = direct_url.replace(
            f"{db['HOST']}:{db['PORT']}", f"{HOST}:{pgbouncer_port}"
        )
        env["DATABASE_POOLER"] = "transaction"
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
                   cwd=ROOT, env=env, check=True, timeout=300)  # fmt: skip
    processes = []
    node_ports = [args.port + 2 + n for n in range(args.nodes)]
    try:
        for port in node_ports:
            processes.append(subprocess.Popen(
                [str(BIN / "gunicorn"), "ccrcsr.wsgi", "--workers", str(args.workers),
                 "--worker-class", "gthread", "--threads", str(args.threads),
                 "--bind", f"{HOST}:{port}", "--log-level", "warning",
                 # Longer than nginx keeps an idle upstream connection (60 s): else
                 # gunicorn closes one just as nginx sends a tap on it (a 502).
                 "--keep-alive", "75"],
                cwd=ROOT, env=env, start_new_session=True,
            ))  # fmt: skip
        for _ in range(2):
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "ccrcsr", "worker", "--concurrency", "1",
                 "--loglevel", "warning", "--without-heartbeat", "--without-mingle",
                 "--without-gossip"], cwd=ROOT, env=env, start_new_session=True,
                stdout=subprocess.DEVNULL,
            ))  # fmt: skip
            processes.append(subprocess.Popen(
                [sys.executable, "manage.py", "relay_outbox"], cwd=ROOT, env=env,
                start_new_session=True, stdout=subprocess.DEVNULL,
            ))  # fmt: skip
        processes.append(subprocess.Popen(
            [nginx, "-c", str(nginx_config(folder, args.port, node_ports)), "-p", str(folder)],
            start_new_session=True,
        ))  # fmt: skip
        base = f"http://{HOST}:{args.port}"
        for port in node_ports:
            wait_until_up(f"http://{HOST}:{port}/healthz/", 60)
        wait_until_up(f"{base}/healthz/", 30)
        # Each worker compiles templates and loads catalogues on its first requests.
        warm = Morning(base, [s for s in scripts if s[0] != "offline"][: 4 * args.nodes], 4, rng)
        warm.scripts = [(k, key, page, []) for k, key, page, _t in warm.scripts]
        warm.run()

        watch = ConnectionWatch()
        watch.start()
        morning = Morning(base, scripts, args.phones, rng)
        seconds = morning.run()
        watch.stop.set()
        watch.join()
        roll_calls = sum(1 for s in scripts if s[0] in ("online", "offline"))
        tap_times = sorted(morning.tap_times)
        span = (tap_times[-1] - tap_times[0]) if len(tap_times) > 1 else seconds
        print(json.dumps({"name": "morning", "nodes": args.nodes, "pgbouncer": args.pgbouncer,
                          "factories": args.factories, "roll_calls": roll_calls,
                          "seconds": round(seconds, 1)}))  # fmt: skip
        print(json.dumps({"name": "taps_per_second", "value": round(len(tap_times) / span, 1)}))
        for kind in ("page", "tap", "flush"):
            print(json.dumps({"name": kind, **percentiles(morning.timings[kind])}))
        print(json.dumps({"name": "server_connections", "postgresql_max": watch.most,
                          "pgbouncer_pool": args.pool if args.pgbouncer else None}))  # fmt: skip
        print(
            json.dumps({"name": "errors", "count": sum(morning.errors.values()), **morning.errors})
        )
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        if args.pgbouncer:
            subprocess.run([str(ROOT / ".ci" / "pgbouncer"), "stop", str(folder / "pgbouncer")])
    results = checks(morning, seasons)
    for line in results:
        print(json.dumps(line), flush=True)
    if not all(r["ok"] for r in results) or morning.errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
