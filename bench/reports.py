"""Report speed at scale: one JSON line per figure (name, ms, queries).

Run on PostgreSQL, in a database of its own (it adds thousands of factories):

    createdb -h 127.0.0.1 -U postgres ccrcsr_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ccrcsr_bench \\
        .venv/bin/python bench/reports.py [--small 100] [--large 1000]

It migrates, seeds with `seed_bench` until there are --small factories,
measures, seeds up to --large, measures again, and prints the dashboard's
growth ratio. Each size is measured as a coordinator of exactly that many
bench factories, so a database seeded beyond --small (or seeded once with
`manage.py seed_bench`) measures the same thing. Times are the median of
--repeat warm runs.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

# bench/http.py would hide the standard library's `http` while this folder is
# first on sys.path, as it is for a script run from here: take it off.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ccrcsr.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


def measure(name, request, repeat, **extra):
    request()
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = request()
        timings.append((time.perf_counter() - started) * 1000)
    assert response.status_code == 200, response.status_code
    with CaptureQueriesContext(connection) as queries:
        request()
    ms = round(statistics.median(timings), 1)
    print(json.dumps({"name": name, "ms": ms, "queries": len(queries), **extra}), flush=True)
    return ms


def coordinator_of(n):
    """A coordinator of the first n bench factories (made once)."""
    from factories.models import Factory, Membership, Role, User

    user, _ = User.objects.get_or_create(username=f"bench-coordinator-{n}")
    if not user.memberships.exists():
        factories = Factory.objects.filter(code__startswith="bench-").order_by("code")[:n]
        Membership.objects.bulk_create(
            Membership(user=user, factory=f, role=Role.COORDINATOR) for f in factories
        )
        # Planner statistics that know these memberships, as autovacuum's would
        # within a minute: otherwise every scoped query is planned for one.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE factories_membership")
    return user


def seed_up_to(n, children, days):
    from factories.models import Factory

    have = Factory.objects.filter(code__startswith="bench-").count()
    if have < n:
        call_command("seed_bench", factories=n - have, children=children, days=days)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--large", type=int, default=1000)
    parser.add_argument("--children", type=int, default=200)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/reports.py measures PostgreSQL: set DATABASE_URL to a bench database")
    settings.ALLOWED_HOSTS = ["*"]
    settings.DEBUG = False
    call_command("migrate", verbosity=0)

    from spaces.models import Season

    results = {}
    for size in (args.small, args.large):
        seed_up_to(size, args.children, args.days)
        client = Client()
        client.force_login(coordinator_of(size))
        season = Season.objects.filter(factory__code__startswith="bench-").order_by("pk").first()
        from attendance.models import Attendance

        rows = Attendance.objects.count()
        extra = {"factories": size, "attendance_rows": rows}
        report = f"/reports/seasons/{season.pk}/"
        measure(f"season_report@{size}", lambda c=client, u=report: c.get(u),
                args.repeat, **extra)  # fmt: skip
        measure(f"season_report_xlsx@{size}", lambda c=client, u=report: c.get(f"{u}export.xlsx"),
                args.repeat, **extra)  # fmt: skip
        results[size] = measure(f"programme_dashboard@{size}", lambda c=client: c.get("/reports/"),
                                args.repeat, **extra)  # fmt: skip
    print(json.dumps({
        "name": "programme_dashboard_growth",
        "data_ratio": args.large / args.small,
        "time_ratio": round(results[args.large] / results[args.small], 2),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
