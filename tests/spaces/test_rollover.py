"""Rollover: next year's season as a copy of last year's, in planning."""

import datetime

import pytest
from django.urls import reverse

from factories.models import AuditEntry
from spaces.models import ActivitySlot, ClosedDay, RatioRule, Season, TeacherAssignment

from ..builders import GroupBuilder, SeasonBuilder, SpaceBuilder, TeacherBuilder, assign, enroll


def url(season):
    return reverse("spaces:season-rollover", args=[season.pk])


@pytest.fixture
def last_summer(site):
    """Last summer at the site's factory: two groups in two rooms, a floating
    volunteer, a custom ratio rule, a weekly plan and a closed day."""
    season = SeasonBuilder(
        factory=site.factory,
        name="2025年暑期儿童之家",
        status=Season.Status.CLOSED,
        start_date=datetime.date(2025, 7, 7),
        end_date=datetime.date(2025, 8, 29),
        enrollment_deadline=datetime.date(2025, 6, 30),
        opening_weekdays="123456",
        capacity=40,
    )
    RatioRule.objects.create(season=season, min_age=3, max_age=6, children_per_teacher=6)
    ClosedDay.objects.create(season=season, date=datetime.date(2025, 8, 1), reason="活动")
    rooms = [SpaceBuilder(factory=site.factory, name=n, area_m2=60) for n in ("一楼", "二楼")]
    season.staying = TeacherBuilder(factory=site.factory, name="王老师")
    season.leaving = TeacherBuilder(factory=site.factory, name="李老师")
    season.floating = TeacherBuilder(factory=site.factory, name="志愿者小陈")
    little = GroupBuilder(
        season=season, name="幼儿组", space=rooms[0], min_age=3, max_age=6, capacity=14,
        lead_teacher=season.staying,
    )  # fmt: skip
    big = GroupBuilder(
        season=season, name="小学组", space=rooms[1], min_age=7, max_age=12, capacity=20,
        lead_teacher=season.leaving,
    )  # fmt: skip
    assign(season.staying, little)
    assign(season.leaving, big)
    TeacherAssignment.objects.create(
        teacher=season.floating, season=season, group=None, weekdays="135"
    )
    ActivitySlot.objects.create(group=little, weekday=1, block="am", kind="reading", note="绘本")
    enroll(little)
    return season


def test_the_form_proposes_next_years_name_and_dates(client_of, site, last_summer):
    html = client_of(site.coordinator).get(url(last_summer)).content.decode()
    assert 'value="2026年暑期儿童之家"' in html
    assert 'value="2026-07-07"' in html and 'value="2026-08-29"' in html
    for name in ("王老师", "李老师", "志愿者小陈"):
        assert name in html


def test_a_coordinator_rolls_last_summer_over(client_of, site, last_summer):
    data = {
        "name": "2026年暑期儿童之家",
        "start_date": "2026-07-06",
        "end_date": "2026-08-28",
        "enrollment_deadline": "2026-06-29",
        "returning": [last_summer.staying.pk, last_summer.floating.pk],
    }
    response = client_of(site.coordinator).post(url(last_summer), data, follow=True)
    season = Season.objects.get(name="2026年暑期儿童之家")
    assert response.redirect_chain[-1][0] == reverse("spaces:season-detail", args=[season.pk])
    assert season.status == Season.Status.PLANNING
    assert season.rolled_over_from == last_summer
    assert (season.start_date, season.end_date) == (
        datetime.date(2026, 7, 6),
        datetime.date(2026, 8, 28),
    )
    assert (season.opening_weekdays, season.capacity) == ("123456", 40)
    assert season.application_token != last_summer.application_token
    assert list(season.ratio_rules.values_list("min_age", "max_age", "children_per_teacher")) == [
        (3, 6, 6)
    ]
    groups = {g.name: g for g in season.groups.select_related("space", "lead_teacher")}
    assert groups["幼儿组"].space.name == "一楼" and groups["幼儿组"].lead_teacher.name == "王老师"
    assert groups["小学组"].space.name == "二楼" and groups["小学组"].lead_teacher is None
    roster = {
        (a.teacher.name, a.group.name if a.group else None, a.weekdays)
        for a in season.assignments.select_related("teacher", "group")
    }
    assert roster == {("王老师", "幼儿组", "1234567"), ("志愿者小陈", None, "135")}
    slot = ActivitySlot.objects.get(group__season=season)
    assert (slot.weekday, slot.kind, slot.note) == (1, "reading", "绘本")
    assert not season.closed_days.exists()
    assert not season.enrollments.exists()
    # The old season is untouched.
    assert last_summer.groups.count() == 2 and last_summer.assignments.count() == 3
    entry = AuditEntry.objects.get(model="spaces.season", action="create")
    assert entry.changes["rolled_over_from"] == [None, last_summer.pk]
    html = response.content.decode()
    assert "复制自 2025年暑期儿童之家" in html
    assert 'is-blocking" data-item="leads"' in html


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"start_date": "2025-08-01", "end_date": "2025-08-28"},
            "新项目期必须在 2025-08-29（被复制的项目期结束日）之后开始。",
        ),
        ({"end_date": "2026-07-01"}, "项目期的结束日期不能早于开始日期。"),
        ({"name": "2025年暑期儿童之家"}, "本厂已有同名的项目期。"),
    ],
)
def test_bad_dates_or_a_taken_name_create_nothing(client_of, site, last_summer, changes, message):
    data = {"name": "2026年暑期儿童之家", "start_date": "2026-07-06", "end_date": "2026-08-28"}
    data.update(changes)
    response = client_of(site.coordinator).post(url(last_summer), data)
    assert message in response.content.decode()
    assert Season.objects.filter(factory=site.factory).count() == 2


def test_a_teacher_of_another_season_cannot_be_smuggled_in(client_of, site, last_summer):
    data = {
        "name": "2026年暑期儿童之家",
        "start_date": "2026-07-06",
        "end_date": "2026-08-28",
        "returning": [site.teacher.pk],  # on the running season's roster, not last summer's
    }
    response = client_of(site.coordinator).post(url(last_summer), data)
    assert response.status_code == 200
    assert not Season.objects.filter(name="2026年暑期儿童之家").exists()


@pytest.mark.parametrize("persona", ["hr", "manager", "teacher_user"])
def test_only_the_coordinator_rolls_over(client_of, site, last_summer, persona):
    assert client_of(getattr(site, persona)).get(url(last_summer)).status_code == 404


def test_a_stranger_gets_404(client_of, stranger, last_summer):
    data = {"name": "2026年暑期儿童之家", "start_date": "2026-07-06", "end_date": "2026-08-28"}
    assert client_of(stranger).post(url(last_summer), data).status_code == 404
    assert not Season.objects.filter(name="2026年暑期儿童之家").exists()
