"""Generate a large, realistic data set for the report benchmarks.

By default 1,000 factories, one running season each of 60 opening days, 200
children per factory: 200,000 children and about 12 million attendance rows.
Factories, seasons, groups, children and enrollments go in with bulk inserts;
attendance and the daily counts, the bulk of it, with COPY on PostgreSQL.
Adds to what is there (factories are numbered after the last bench factory).
"""

import datetime
import io
import random
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from attendance.models import ATTENDED, Attendance, GroupDay, SeasonTotal
from enrollment.models import Child, Enrollment
from factories.models import Factory
from spaces.models import Group, Season

BANDS = [(3, 6), (7, 9), (10, 14)]
PROVINCES = ["sichuan", "henan", "anhui", "hunan", "guizhou", "jiangxi", "hubei", "guangxi"]
STATUSES = ["present"] * 88 + ["late"] * 4 + ["absent"] * 6 + ["excused"] * 2
REASONS = ["sick", "family_trip", "returned_home", "unknown"]
NULL = "\\N"  # COPY's text format for NULL


class Command(BaseCommand):
    help = "Bulk-generate factories, seasons, children and attendance for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--factories", type=int, default=1000)
        parser.add_argument("--children", type=int, default=200, help="per factory")
        parser.add_argument("--days", type=int, default=60, help="opening days so far")
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args, factories: int, children: int, days: int, seed: int, **options):
        if factories < 1 or children < 1 or days < 1:
            raise CommandError("--factories, --children and --days must be at least 1")
        rng = random.Random(seed)
        started = time.monotonic()
        today = timezone.localdate()
        # Monday to Friday; the last opening day is yesterday, so today's roll call is open.
        opening = []
        day = today - datetime.timedelta(days=1)
        while len(opening) < days:
            if day.isoweekday() <= 5:
                opening.append(day)
            day -= datetime.timedelta(days=1)
        opening.reverse()
        first = Factory.objects.filter(code__startswith="bench-").count()
        with transaction.atomic():
            made = [
                Factory(
                    code=f"bench-{first + n:05d}",
                    name_zh=f"基准测试工厂{first + n:05d}",
                    name_en=f"Bench factory {first + n}",
                    province=rng.choice(PROVINCES),
                    city="东莞",
                    headcount=2000,
                )  # fmt: skip
                for n in range(factories)
            ]
            Factory.objects.bulk_create(made, batch_size=2000)
            seasons = Season.objects.bulk_create(
                [
                    Season(
                        factory=f,
                        name="基准暑期班",
                        start_date=opening[0],
                        end_date=opening[-1] + datetime.timedelta(days=14),
                        opening_weekdays="12345",
                        capacity=children + 20,
                        status="running",
                        application_token=f"bench-{f.pk}",
                    )  # fmt: skip
                    for f in made
                ],
                batch_size=2000,
            )
            groups = Group.objects.bulk_create(
                [
                    Group(season=s, name=f"{lo}-{hi}岁", min_age=lo, max_age=hi, capacity=children)
                    for s in seasons
                    for lo, hi in BANDS
                ],
                batch_size=5000,
            )
            by_season = {}
            for g in groups:
                by_season.setdefault(g.season_id, []).append(g)
            kids = Child.objects.bulk_create(
                [
                    Child(
                        factory_id=s.factory_id,
                        name=f"孩子{n}",
                        sex=rng.choice("FM"),
                        date_of_birth=opening[0]
                        - datetime.timedelta(days=rng.randint(3 * 366, 14 * 365)),
                        home_province=rng.choice(PROVINCES),
                        lives_with="grandparents",
                    )  # fmt: skip
                    for s in seasons
                    for n in range(children)
                ],
                batch_size=5000,
            )
            enrollments = []
            for index, child in enumerate(kids):
                season = seasons[index // children]
                age = season.age_on_start(child.date_of_birth)
                band = next((i for i, (lo, hi) in enumerate(BANDS) if lo <= age <= hi), 0)
                enrollments.append(
                    Enrollment(
                        child=child,
                        season=season,
                        group=by_season[season.pk][band],
                        status="enrolled",
                        arrival_date=season.start_date,
                        departure_date=season.end_date,
                        reference=f"B{child.pk}",
                    )  # fmt: skip
                )
            Enrollment.objects.bulk_create(enrollments, batch_size=5000)
            n_rows = self.attendance(enrollments, opening, rng)
        # (VACUUM cannot run in a transaction: not when called inside one.)
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            # The triggers moved each season's totals row once per daily count and
            # enrollment loaded (hundreds of thousands of updates in one burst), which
            # leaves its thousand rows spread over thousands of pages (31 MB) and the
            # dashboard reading them all. A running site's autovacuum reuses that
            # space as the taps come, a row at a time: compact it as that would.
            with connection.cursor() as cursor:
                cursor.execute(f"VACUUM FULL {SeasonTotal._meta.db_table}")
        self.stdout.write(
            f"seeded {factories} factories, {len(kids)} children, {n_rows} attendance rows "
            f"in {time.monotonic() - started:.1f}s"
        )

    def attendance(self, enrollments, opening, rng) -> int:
        """Every enrolled child on every opening day, and the matching daily counts
        (the season totals follow them in the database)."""
        now = timezone.now().isoformat()
        counts: dict[tuple, list[int]] = {}
        n = 0
        chunk: list[Attendance] | io.StringIO = io.StringIO()
        postgres = connection.vendor == "postgresql"
        objects = []
        for e in enrollments:
            for day in opening:
                status = rng.choice(STATUSES)
                reason = rng.choice(REASONS) if status == "absent" else ""
                # Times at +08:00, the bench factories' zone (Asia/Shanghai).
                arrive_hour, arrive_minute = 7 + (status == "late") * 2, rng.randint(10, 59)
                leave_minute = rng.randint(10, 59)
                arrive = f"{day.isoformat()} 0{arrive_hour}:{arrive_minute}:00+08"
                leave = f"{day.isoformat()} 17:{leave_minute}:00+08"
                came = status in ATTENDED
                key = (e.season.factory_id, e.season_id, e.group_id, day)
                c = counts.setdefault(key, [0] * 10)
                c[0] += 1  # expected
                c[1] += 1  # recorded
                c[2] += came
                c[3] += status == "late"
                c[4] += status == "absent"
                c[5] += status == "excused"
                if came and postgres:  # the rows without COPY have no times
                    c[6] += arrive_hour * 60 + arrive_minute
                    c[7] += 1
                    c[8] += 17 * 60 + leave_minute
                    c[9] += 1
                if postgres:
                    chunk.write(
                        f"{e.pk}\t{e.group_id}\t{day}\t{status}\t{reason}\t"
                        f"{arrive if came else NULL}\t{leave if came else NULL}\t\t\t{now}\n"
                    )
                else:
                    objects.append(Attendance(enrollment_id=e.pk, group_id=e.group_id, date=day,
                                              status=status, absence_reason=reason))  # fmt: skip
                n += 1
                if postgres and n % 500_000 == 0:
                    self.copy(chunk)
                    chunk = io.StringIO()
        if postgres:
            self.copy(chunk)
        else:
            Attendance.objects.bulk_create(objects, batch_size=5000)
        GroupDay.objects.bulk_create(
            [
                GroupDay(
                    factory_id=f,
                    season_id=s,
                    group_id=g,
                    date=d,
                    expected=c[0],
                    recorded=c[1],
                    attended=c[2],
                    late=c[3],
                    absent=c[4],
                    excused=c[5],
                    check_in_minutes=c[6],
                    check_ins=c[7],
                    check_out_minutes=c[8],
                    check_outs=c[9],
                )
                for (f, s, g, d), c in counts.items()
            ],  # fmt: skip
            batch_size=10_000,
        )
        return n

    def copy(self, chunk: io.StringIO) -> None:
        chunk.seek(0)
        with connection.cursor() as cursor:
            cursor.cursor.copy_expert(
                "COPY spaces_attendance (enrollment_id, group_id, date, status, absence_reason, "
                "check_in_at, check_out_at, dropped_off_by, picked_up_by, updated_at) "
                "FROM STDIN",
                chunk,
            )
