"""Fill the database with a believable demo programme.

Why this exists: a newcomer running `make run`, and anyone showing the app to
a factory, needs to see it as it looks in the middle of a summer: six
factories, a few hundred children with their parents, weeks of roll calls, a
waitlist, a few incidents, and a login for every role. Typing that in by hand
takes a day; this takes seconds.

The data is deterministic for a given `--seed` (names, ages, attendance), and
the command never creates anything twice: if the demo factories are already
there it only prints the logins. Each app builds its own rows in its
`demo.py`; `factories.demo` says how they fit together.
"""

import random
import time

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from factories.demo import (
    DEFAULT_SEED,
    FACTORIES,
    FINISHERS,
    PASSWORD,
    create_users,
    seed_factory,
    staff_logins,
)
from factories.models import Factory, Role, User


class Command(BaseCommand):
    help = (
        "Create a demo programme: six factories with a running summer season, children, "
        "guardians, enrollments, weeks of roll calls, incidents, and a login for every role "
        f"(password {PASSWORD!r}). Does nothing if the demo data is already there."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing if the database already has any factory (for `make run`).",
        )
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Seed even with DEBUG off (the demo logins share a published password).",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=f"Random seed; the same seed gives the same data (default {DEFAULT_SEED}).",
        )

    def handle(self, *args, if_empty: bool, seed: int, allow_production: bool, **options):
        if not settings.DEBUG and not allow_production:
            raise CommandError(
                "DEBUG is off: this looks like production, and the demo logins share a "
                "published password. Pass --allow-production if you really mean it."
            )
        if Factory.objects.filter(code=FACTORIES[0].code).exists():
            self.stdout.write("Demo data already present: nothing created.")
            self.print_logins()
            return
        if if_empty and Factory.objects.exists():
            # Real or test data we must not mix with: no demo logins exist either.
            self.stdout.write("The database already has factories: demo data not created.")
            return

        started = time.monotonic()
        # Each app's demo.py registers its steps when imported (as admin.py does).
        autodiscover_modules("demo")
        rng = random.Random(seed)
        today = timezone.localdate()
        # Hashing is slow on purpose; every demo login shares the one hash.
        password_hash = make_password(PASSWORD)
        totals = {"children": 0, "enrolled": 0, "incidents": 0}
        with transaction.atomic():
            users = create_users(password_hash=password_hash, stdout=self.stdout, style=self.style)
            site_args = {
                "rng": rng,
                "users": users,
                "password_hash": password_hash,
                "today": today,
                "now": timezone.now(),
                "stdout": self.stdout,
                "style": self.style,
            }
            for index, spec in enumerate(FACTORIES):
                site = seed_factory(site_args, spec=spec, index=index)
                for key, value in site.counts.items():
                    totals[key] += value
            for finish in FINISHERS:
                totals.update(finish(today))
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {len(FACTORIES)} factories, {totals['children']} children "
                f"({totals['enrolled']} enrolled), {totals.get('records', 0)} roll-call records "
                f"and {totals['incidents']} incidents in {time.monotonic() - started:.1f}s."
            )
        )
        self.print_logins()

    def print_logins(self) -> None:
        names = {spec.code: spec.name_zh for spec in FACTORIES}
        rows = [("username", "role", "factory")]
        for login in staff_logins():
            if login.role == "admin":
                role, factories = "superuser", "all"
            else:
                role = Role(login.role).label
                factories = ", ".join(names[code] for code in login.factory_codes)
            rows.append((login.username, str(role), factories))
            if login.username == "manager":
                # The first factory's teacher, listed with the rest of its staff.
                rows.append(("teacher", str(Role.TEACHER.label), names[FACTORIES[0].code]))
        n_teachers = User.objects.filter(username__startswith="teacher_").count()
        rows.append(
            (
                "teacher_<city>_<n>",
                str(Role.TEACHER.label),
                f"each factory's teachers ({n_teachers} logins, e.g. teacher_shenzhen_1)",
            )
        )
        width = max(len(row[0]) for row in rows) + 2
        role_width = max(len(row[1]) for row in rows) + 2
        self.stdout.write("")
        self.stdout.write("Demo logins:")
        for username, role, factories in rows:
            self.stdout.write(f"  {username:<{width}}{role:<{role_width}}{factories}")
        self.stdout.write(f"Password for all of them: {PASSWORD}")
