"""seed_demo: a believable demo programme, with a login per role, never created twice.
The demo is seeded once for this module (see `seeded`)."""

import datetime
import io
import zoneinfo

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, F
from django.test import RequestFactory, override_settings
from django.utils import timezone

from attendance.models import Attendance, Incident
from enrollment.models import Child, Consent, Enrollment, Guardianship
from factories.demo import FACTORIES, PASSWORD
from factories.models import Factory, Membership, Role, User
from spaces.demo import band_index
from spaces.models import Group, Season, Teacher
from spaces.readiness import season_readiness

pytestmark = pytest.mark.django_db


def login_request():
    # django-axes counts attempts per address, so authenticate needs the request.
    return RequestFactory().post("/login/")


def seed(*args) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        "factories": Factory.objects.count(),
        "children": Child.objects.count(),
        "enrollments": Enrollment.objects.count(),
        "attendance": Attendance.objects.count(),
        "users": User.objects.count(),
        "memberships": Membership.objects.count(),
        "incidents": Incident.objects.count(),
    }


@pytest.fixture(autouse=True)
def development(settings):
    settings.DEBUG = True  # the test runner turns it off; seed_demo refuses production


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The demo, seeded once for this module's tests (seeding takes seconds):
    inside a transaction rolled back after the last of them, and each test in
    a savepoint of it as usual, so what a test writes is undone and the other
    test modules start from an empty database. The tests that need an empty
    database are in test_seed_demo_runs.py."""
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # as conftest's, per test
    with django_db_blocker.unblock(), override_settings(DEBUG=True, PASSWORD_HASHERS=fast):
        with transaction.atomic():
            yield seed()
            transaction.set_rollback(True)


def test_six_factories_each_with_a_season_running_today(seeded):
    today = timezone.localdate()
    assert Factory.objects.count() == 6
    for factory in Factory.objects.all():
        season = Season.objects.get(factory=factory, status=Season.Status.RUNNING)
        assert season.status == Season.Status.RUNNING
        assert season.start_date <= today - datetime.timedelta(days=21)
        assert season.start_date.isoweekday() == 1
        assert season.end_date - season.start_date == datetime.timedelta(weeks=8, days=-1)
        assert season.closed_days.exists()
        assert season.groups.filter(lead_teacher__isnull=False).count() == 3


def test_the_running_seasons_are_ready_and_next_summer_is_not(seeded, client):
    for season in Season.objects.filter(status=Season.Status.RUNNING):
        assert season_readiness(season).ready, season
    # One season in planning, at the coordinator's first factory, with its gaps.
    planning = Season.objects.get(status=Season.Status.PLANNING)
    assert planning.factory.code == FACTORIES[0].code
    assert (
        planning.start_date
        > Season.objects.get(factory=planning.factory, status="running").end_date
    )
    blockers = {item.key for item in season_readiness(planning).blockers}
    assert {"safety", "leads", "training", "conduct", "background"} <= blockers
    client.force_login(User.objects.get(username="coordinator"))
    html = client.get(f"/seasons/{planning.pk}/").content.decode()
    for key in ("safety", "leads", "background"):
        assert f'is-blocking" data-item="{key}"' in html


def test_each_factory_has_40_to_80_children(seeded):
    per_factory = Child.objects.values("factory").annotate(n=Count("pk"))
    assert len(per_factory) == 6
    assert all(40 <= row["n"] <= 80 for row in per_factory)


def test_every_child_has_a_guardian_who_works_at_the_childs_factory(seeded):
    with_guardian_here = (
        Child.objects.filter(guardianships__worker__factory=F("factory")).distinct().count()
    )
    assert with_guardian_here == Child.objects.count()
    assert not Guardianship.objects.exclude(worker__factory=F("child__factory")).exists()


def test_enrollments_cover_every_status_with_reasons_and_consents(seeded):
    for factory in Factory.objects.all():
        statuses = set(
            Enrollment.objects.filter(season__factory=factory).values_list("status", flat=True)
        )
        assert {"enrolled", "applied", "withdrawn", "declined"} <= statuses
    assert Enrollment.objects.filter(status=Enrollment.Status.WAITLISTED).exists()
    assert not Enrollment.objects.filter(status="withdrawn", status_reason="").exists()
    decided = Enrollment.objects.exclude(status=Enrollment.Status.APPLIED)
    assert not decided.filter(decided_at__isnull=True).exists()
    assert not decided.filter(decided_at__lt=F("applied_at")).exists()

    enrolled = Enrollment.objects.filter(status=Enrollment.Status.ENROLLED).select_related(
        "child", "group", "season"
    )
    for enrollment in enrolled:
        age = enrollment.child.age_on(enrollment.season.start_date)
        assert enrollment.group.min_age <= age <= enrollment.group.max_age
        assert band_index(age) == list(enrollment.season.groups.all()).index(enrollment.group)
    n_consents = Consent.objects.filter(enrollment__status=Enrollment.Status.ENROLLED).count()
    assert n_consents == 3 * enrolled.count()


def test_attendance_history_has_one_record_per_child_per_day_in_programme(seeded):
    today = timezone.localdate()
    assert Attendance.objects.count() > 1000
    duplicates = (
        Attendance.objects.values("enrollment", "date").annotate(n=Count("pk")).filter(n__gt=1)
    )
    assert not duplicates.exists()
    assert not Attendance.objects.exclude(enrollment__status=Enrollment.Status.ENROLLED).exists()
    assert not Attendance.objects.filter(date__lt=F("enrollment__arrival_date")).exists()
    assert not Attendance.objects.filter(date__gt=F("enrollment__departure_date")).exists()
    assert not Attendance.objects.filter(date__gt=today).exists()
    assert not Attendance.objects.filter(recorded_by__isnull=True).exists()

    shanghai = zoneinfo.ZoneInfo("Asia/Shanghai")
    for check_in in Attendance.objects.filter(status="present", date__lt=today).values_list(
        "check_in_at", flat=True
    ):
        assert datetime.time(7, 45) <= check_in.astimezone(shanghai).time() <= datetime.time(8, 30)

    for season in Season.objects.all():
        opening = set(season.opening_days())
        days = set(Attendance.objects.filter(group__season=season).values_list("date", flat=True))
        assert days <= opening
        assert days >= {day for day in opening if day < today}


def test_each_demo_login_authenticates_with_its_role(seeded):
    # One seeded database for all of them: checking a password is slow on purpose.
    expected = [
        ("hr", Role.HR, 1),
        ("teacher", Role.TEACHER, 1),
        ("manager", Role.MANAGER, 1),
        ("coordinator", Role.COORDINATOR, 3),
        ("hr_2", Role.HR, 1),
        ("teacher_shenzhen_1", Role.TEACHER, 1),
    ]
    for username, role, n_factories in expected:
        user = authenticate(login_request(), username=username, password=PASSWORD)
        assert user is not None and user.username == username
        assert not user.is_superuser
        assert user.display_name and user.email
        assert Membership.objects.filter(user=user, role=role).count() == n_factories
        assert username in seeded


def test_admin_is_a_superuser_and_the_teacher_login_leads_the_first_group(seeded):
    admin = authenticate(login_request(), username="admin", password=PASSWORD)
    assert admin.is_superuser and admin.is_staff

    teacher = User.objects.get(username="teacher")
    first_group = Group.objects.filter(season__factory__code=FACTORIES[0].code).first()
    assert first_group.lead_teacher.user == teacher
    assert PASSWORD in seeded


def test_every_teacher_row_has_a_teacher_login_at_its_factory(seeded):
    for teacher in Teacher.objects.select_related("user", "factory"):
        assert teacher.user is not None
        assert Membership.objects.filter(
            user=teacher.user, factory=teacher.factory, role=Role.TEACHER
        ).exists()


def test_running_twice_creates_nothing_more(seeded):
    before = counts()
    output = seed()
    assert "Demo data already present" in output
    assert "coordinator" in output
    assert counts() == before


def test_the_reports_daily_counts_match_the_demo_roll_call(seeded):
    from attendance.counts import mismatches

    for season in Season.objects.filter(status="running"):
        assert mismatches(season) == []
