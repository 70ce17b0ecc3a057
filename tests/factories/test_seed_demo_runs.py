"""seed_demo run on an empty database: refused in production, --if-empty, the
same seed giving the same demo, and today's roll call at a fixed hour."""

import datetime
import zoneinfo

import pytest
from django.core.management import CommandError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from attendance.demo import ROLL_CALL_TODAY
from enrollment.models import Child
from factories.models import Factory
from impact.models import Survey
from spaces.models import Group, Season

from .test_seed_demo import counts, seed

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def development(settings):
    settings.DEBUG = True  # the test runner turns it off; seed_demo refuses production


def test_it_refuses_to_seed_production(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--allow-production"):
        seed()
    assert not Factory.objects.exists()


def test_todays_roll_call_is_done_at_two_factories_half_done_at_one(monkeypatch):
    # A Wednesday evening, so today is an opening day and every child has left.
    evening = datetime.datetime(2026, 7, 15, 18, 30, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
    monkeypatch.setattr(timezone, "now", lambda: evening)
    seed()
    today = evening.date()
    running = Group.objects.filter(season__status=Season.Status.RUNNING)
    for group in running.with_roll_call_status(today).select_related("season__factory"):
        assert group.n_expected > 0
        share = ROLL_CALL_TODAY.get(group.season.factory.code, 0.0)
        assert group.n_recorded == round(share * group.n_expected)
    assert sorted(ROLL_CALL_TODAY.values()) == [0.5, 1.0, 1.0]


def test_if_empty_does_nothing_when_a_factory_exists():
    Factory.objects.create(code="acme", name_zh="某某厂", province="guangdong", city="广州")
    output = seed("--if-empty")
    assert "demo data not created" in output
    assert counts() == {
        "factories": 1,
        "children": 0,
        "enrollments": 0,
        "attendance": 0,
        "users": 0,
        "memberships": 0,
        "incidents": 0,
    }


def test_if_empty_seeds_an_empty_database():
    seed("--if-empty")
    assert Factory.objects.count() == 6


def test_the_same_seed_gives_the_same_demo():
    def children_of_a_run(seed_value: str) -> list[tuple]:
        # Each run inside a savepoint rolled back afterwards, so runs start empty.
        with transaction.atomic():
            seed("--seed", seed_value)
            children = list(
                # A child can have two enrollments (last summer too): ordered by both.
                Child.objects.order_by("pk", "enrollments__pk").values_list(
                    "name", "date_of_birth", "home_county", "enrollments__status"
                )
            )
            transaction.set_rollback(True)
        return children

    first = children_of_a_run("7")
    assert first == children_of_a_run("7")
    assert first != children_of_a_run("8")


@pytest.mark.parametrize(
    "day",
    [
        datetime.date(2026, 5, 27),  # next summer close ahead
        datetime.date(2026, 7, 15),  # the height of summer
        datetime.date(2026, 12, 31),  # the next session starts in the new year
    ],
)
def test_the_demo_always_has_a_season_taking_applications_and_a_survey_round_open(
    monkeypatch, client, day
):
    moment = datetime.datetime.combine(day, datetime.time(10), zoneinfo.ZoneInfo("Asia/Shanghai"))
    monkeypatch.setattr(timezone, "now", lambda: moment)
    seed()
    taking = [season for season in Season.objects.all() if season.accepts_applications]
    assert taking, "no season takes applications"
    for season in taking:
        form = client.get(reverse("enrollment:apply", args=[season.application_token]))
        assert form.status_code == 200 and "<form" in form.content.decode()
    open_rounds = [
        season for season in Season.objects.all() if Survey.for_season(season).open_round()
    ]
    assert open_rounds, "no survey round is open"
    page = client.get(reverse("impact:survey", args=[open_rounds[0].application_token]))
    assert 'name="employee_number"' in page.content.decode()
