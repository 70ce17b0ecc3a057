"""Roll-call speed and weight: one JSON line per figure.

Run: .venv/bin/python bench/roll_call.py [--children 80] [--repeat 30] [--parts]
Uses a throwaway test database on whatever DATABASE_URL points at (SQLite by
default; set DATABASE_URL to measure PostgreSQL). Prints name, ms (median,
warm), queries and bytes (raw and gzipped HTML).

--batch: a phone's queue of 32 taps sent in one request (`roll_call_taps`)
against the same 32 taps sent one by one, on the same run: this process's
CPU per child (SQLite runs in this process, so its work is in the figure;
on PostgreSQL it is not) and the queries, and the ratio (target <= 0.2).

--parts: where the page's CPU goes (this process's CPU time, so the
database's own work is not in it), per request: each fetch and render the
view calls, the login page for comparison, and the page once more with its
four fetches (the group, the roster, the pickup lists, the teachers on duty)
answered from memory: what the page costs before it asks the database
anything of the roll call, which bounds how far faster fetching can take it.
"""

import argparse
import collections
import functools
import gzip
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

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_databases, teardown_databases  # noqa: E402


def measure(name, request, repeat):
    request()  # warm
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = request()
        timings.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        response = request()
    body = response.content
    print(
        json.dumps(
            {
                "name": name,
                "ms": round(statistics.median(timings), 2),
                "queries": len(queries),
                "bytes": len(body),
                "gzip_bytes": len(gzip.compress(body)),
            }
        )
    )


def cpu_ms(request, repeat) -> float:
    request()  # warm
    started = time.process_time()
    for _ in range(repeat):
        request()
    return (time.process_time() - started) * 1000 / repeat


def first_answer(function):
    """`function` answering every call with its first answer (the same page, asked again)."""
    answers = []

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        if not answers:
            answers.append(function(*args, **kwargs))
        return answers[0]

    return wrapper


FETCHES = ("roll_call_group", "roll_call_roster", "pickup_people", "teachers_on_duty")
PARTS = (*FETCHES, "render_rows", "render")


def parts(page, login, repeat):
    """Print the CPU of each part of the page, then the page without its fetches."""
    from attendance import views

    spent = collections.Counter()
    originals = {name: getattr(views, name) for name in PARTS}

    def timed(name, function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            started = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] += time.process_time() - started

        return wrapper

    try:
        for name, function in originals.items():
            setattr(views, name, timed(name, function))
        page()
        spent.clear()
        whole = cpu_ms(page, repeat)
        shares = {name: round(spent[name] * 1000 / (repeat + 1), 2) for name in PARTS}
        # `render` is the page template, the base and its menu; the rows are rendered before it.
        print(json.dumps({"name": "roll_call_page_cpu", "cpu_ms": round(whole, 2), **shares}))
        for name in FETCHES:
            setattr(views, name, first_answer(originals[name]))
        unfetched = cpu_ms(page, repeat)
    finally:
        for name, function in originals.items():
            setattr(views, name, function)
    login_ms = cpu_ms(login, repeat)
    print(json.dumps({
        "name": "roll_call_page_cpu_without_fetches",
        "cpu_ms": round(unfetched, 2),
        "login_page_cpu_ms": round(login_ms, 2),
        "page_to_login": round(whole / login_ms, 2),
        "without_fetches_to_login": round(unfetched / login_ms, 2),
    }))  # fmt: skip


class QueryCounter:
    def __init__(self):
        self.n = 0

    def __call__(self, execute, sql, params, many, context):
        self.n += 1
        return execute(sql, params, many, context)


def batch_vs_singles(client, group, day, enrollments, repeat):
    """CPU per child: 32 taps one request each, as the phone sent its queue
    before, against the same taps in one batch. Every round changes every
    record (present and late in turn), each tap with an op id of its own."""
    import uuid

    from django.urls import reverse

    statuses = iter(["present", "late"] * (repeat * 4 + 4))
    hx = {"HTTP_HX_REQUEST": "true"}

    def singles():
        status = next(statuses)
        for e in enrollments:
            url = reverse("attendance:roll-call-mark", args=[group.pk, day, e.pk])
            client.post(url, {"status": status, "op_id": str(uuid.uuid4())}, **hx)

    batch_url = reverse("attendance:roll-call-taps", args=[group.pk, day])

    def batch():
        status = next(statuses)
        taps = [
            {"enrollment": e.pk, "kind": "mark", "status": status, "op_id": str(uuid.uuid4())}
            for e in enrollments
        ]
        response = client.post(
            batch_url, json.dumps({"taps": taps}), content_type="application/json"
        )
        assert {a["outcome"] for a in response.json()["answers"]} == {"saved"}, response.content

    n = len(enrollments)
    figures = {}
    for name, send in (("singles", singles), ("batch", batch)):
        # Counted as they run: each request of the test client resets the query log.
        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            send()
        figures[name] = (cpu_ms(send, repeat) / n, counter.n / n)
    print(json.dumps({
        "name": f"roll_call_queue_of_{n}",
        "singles_cpu_ms_per_child": round(figures["singles"][0], 3),
        "batch_cpu_ms_per_child": round(figures["batch"][0], 3),
        "singles_queries_per_child": round(figures["singles"][1], 2),
        "batch_queries_per_child": round(figures["batch"][1], 2),
        "batch_to_singles": round(figures["batch"][0] / figures["singles"][0], 3),
    }))  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--children", type=int, default=80)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--parts", action="store_true", help="where the page's CPU goes")
    parser.add_argument("--batch", action="store_true", help="a queue of 32 taps: batch vs singles")
    args = parser.parse_args()

    from django.conf import settings
    from django.test import Client
    from django.utils import timezone

    settings.ALLOWED_HOSTS = ["*"]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    old = setup_databases(verbosity=0, interactive=False)
    try:
        from tests.builders import enroll, mark
        from tests.conftest import build_site

        site = build_site()
        enrollments = [enroll(site.group) for _ in range(args.children)]
        today = timezone.localdate()
        for enrollment in enrollments[: args.children // 2]:
            mark(enrollment, today)
        client = Client()
        client.force_login(site.teacher_user)
        page = f"/groups/{site.group.pk}/roll-call/{today}/"
        last = enrollments[-1]
        tap = f"/groups/{site.group.pk}/roll-call/{today}/children/{last.pk}/"
        measure(f"roll_call_page_{args.children}", lambda: client.get(page), args.repeat)
        measure(
            "roll_call_tap",
            lambda: client.post(tap, {"status": "present"}, HTTP_HX_REQUEST="true"),
            args.repeat,
        )
        # This process's CPU per request (the database's share not included on
        # PostgreSQL): steadier than the wall-clock `ms` on a busy machine.
        statuses = iter(["present", "late"] * (args.repeat * 4))
        print(json.dumps({
            "name": "roll_call_cpu",
            "page_cpu_ms": round(cpu_ms(lambda: client.get(page), args.repeat), 2),
            "tap_cpu_ms": round(cpu_ms(lambda: client.post(
                tap, {"status": next(statuses)}, HTTP_HX_REQUEST="true"), args.repeat), 2),
            "login_page_cpu_ms": round(cpu_ms(lambda: Client().get("/login/"), args.repeat), 2),
        }))  # fmt: skip
        if args.batch:
            batch_vs_singles(client, site.group, today, enrollments[:32], max(3, args.repeat // 5))
        if args.parts:
            parts(lambda: client.get(page), lambda: Client().get("/login/"), args.repeat * 5)
        static = sum(
            (Path(settings.BASE_DIR) / "static" / f).stat().st_size
            for f in (
                "vendor/bootstrap/bootstrap.min.css",
                "vendor/bootstrap/bootstrap.bundle.min.js",
                "vendor/htmx/htmx.min.js",
                "css/app.css",
                "js/roll_call.js",
            )
        )
        print(json.dumps({"name": "static_assets_first_visit", "bytes": static}))
    finally:
        teardown_databases(old, verbosity=0)


if __name__ == "__main__":
    main()
