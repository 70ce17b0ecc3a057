"""Creating and editing a season: coordinators only, with ratio rules and closed days."""

import datetime

import pytest
from django.urls import reverse

from factories.models import AuditEntry
from spaces.models import ClosedDay, RatioRule, Season

from ..builders import SeasonBuilder


def new_url(factory):
    return reverse("spaces:season-new", args=[factory.pk])


def edit_url(season):
    return reverse("spaces:season-edit", args=[season.pk])


def formset(prefix: str, rows: list[dict], initial: int = 0) -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for n, row in enumerate(rows):
        data.update({f"{prefix}-{n}-{name}": value for name, value in row.items()})
    return data


def season_data(**changes) -> dict:
    data = {
        "name": "2027年暑期儿童之家",
        "start_date": "2027-07-05",
        "end_date": "2027-08-27",
        "opening_weekdays": ["1", "2", "3", "4", "5", "6"],
        "opens_at": "08:00",
        "closes_at": "17:30",
        "capacity": "40",
        "min_age": "3",
        "max_age": "14",
        "enrollment_deadline": "2027-06-20",
        "children_per_teacher": "10",
        "document_languages": ["zh-hans", "en"],
        **formset("closed", [{"date": "2027-08-01", "reason": "建军节活动"}]),
        **formset(
            "rules",
            [
                {"min_age": "3", "max_age": "6", "children_per_teacher": "7"},
                {"min_age": "7", "max_age": "13", "children_per_teacher": "12"},
            ],
        ),
    }
    data.update(changes)
    return data


def test_the_new_season_form_offers_the_default_ratio_rules(client_of, site):
    html = client_of(site.coordinator).get(new_url(site.factory)).content.decode()
    assert 'name="rules-0-children_per_teacher" value="7"' in html
    assert 'name="rules-1-max_age" value="13"' in html
    assert 'name="rules-1-children_per_teacher" value="12"' in html


def test_a_coordinator_creates_a_season_in_planning(client_of, site):
    response = client_of(site.coordinator).post(new_url(site.factory), season_data(), follow=True)
    season = Season.objects.get(name="2027年暑期儿童之家")
    assert response.redirect_chain[-1][0] == reverse("spaces:season-detail", args=[season.pk])
    assert "项目期已创建，目前处于筹备中。" in response.content.decode()
    assert season.factory == site.factory
    assert season.status == Season.Status.PLANNING
    assert season.opening_weekdays == "123456"
    assert season.languages == ["zh-hans", "en"]
    rules = season.ratio_rules.values_list("min_age", "max_age", "children_per_teacher")
    assert list(rules) == [(3, 6, 7), (7, 13, 12)]
    assert list(season.closed_days.values_list("date", flat=True)) == [datetime.date(2027, 8, 1)]
    entry = AuditEntry.objects.get(model="spaces.season")
    assert entry.action == "create" and entry.user == site.coordinator


def test_defaults_left_untouched_are_saved_with_a_new_season(client_of, site):
    # The browser sends the pre-filled values back as they were.
    client_of(site.coordinator).post(new_url(site.factory), season_data())
    assert RatioRule.objects.count() == 2


def test_the_general_limit_covers_ages_no_rule_covers(client_of, site):
    client_of(site.coordinator).post(new_url(site.factory), season_data(children_per_teacher="9"))
    season = Season.objects.get(name="2027年暑期儿童之家")
    assert season.ratio_limit(14, 14) == 9
    assert season.ratio_limit(10, 14) == 9
    assert season.ratio_limit(7, 13) == 12
    assert season.ratio_limit(5, 8) == 7


BAD_INPUT = {
    "dates out of order": (
        {"end_date": "2027-07-01"},
        "项目期的结束日期不能早于开始日期。",
    ),
    "a closed day outside the season": (
        formset("closed", [{"date": "2027-09-01", "reason": "中秋"}]),
        "2027-09-01 不在本期日期内（2027-07-05 至 2027-08-27）。",
    ),
    "a ratio of zero": (
        {"rules-0-children_per_teacher": "0"},
        "师生比至少为每位老师带 1 名儿童。",
    ),
    "a general ratio of zero": (
        {"children_per_teacher": "0"},
        "师生比至少为每位老师带 1 名儿童。",
    ),
    "two rules for one age": (
        {"rules-1-min_age": "6"},
        "有两条师生比规则都包含 6 岁；每个年龄只能有一条规则。",
    ),
    "a rule with its ages reversed": (
        {"rules-1-min_age": "13", "rules-1-max_age": "7"},
        "最大年龄不能小于最小年龄。",
    ),
    "closing before opening": ({"closes_at": "07:00"}, "关门时间必须晚于开门时间。"),
    "a season longer than a year": ({"end_date": "2028-08-27"}, "项目期最长一年。"),
    "a year typed wrong": (
        {"start_date": "0207-07-05", "end_date": "0207-08-27"},
        "请选择 2000 年到 2100 年之间的日期。",
    ),
    "a deadline after the season": (
        {"enrollment_deadline": "2027-09-01"},
        "报名截止日期不能晚于项目期结束日期。",
    ),
    "no opening day": ({"opening_weekdays": []}, "请至少勾选一天。"),
    "no language": ({"document_languages": []}, "请至少勾选一种语言。"),
}


@pytest.mark.parametrize("case", BAD_INPUT)
def test_bad_input_saves_nothing_and_says_why(client_of, site, case):
    changes, message = BAD_INPUT[case]
    response = client_of(site.coordinator).post(new_url(site.factory), season_data(**changes))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Season.objects.filter(name="2027年暑期儿童之家").exists()
    assert not RatioRule.objects.exists()
    assert not ClosedDay.objects.filter(date__year=2027).exists()


def test_a_name_already_used_at_the_factory_is_refused(client_of, site):
    response = client_of(site.coordinator).post(
        new_url(site.factory), season_data(name=site.season.name)
    )
    assert "本厂已有同名的项目期。" in response.content.decode()
    assert Season.objects.filter(name=site.season.name).count() == 1


@pytest.mark.parametrize("persona", ["hr", "manager", "teacher_user"])
def test_only_the_coordinator_sets_up_seasons(client_of, site, persona):
    client = client_of(getattr(site, persona))
    assert client.get(new_url(site.factory)).status_code == 404
    assert client.post(new_url(site.factory), season_data()).status_code == 404
    assert client.get(edit_url(site.season)).status_code == 404
    assert not Season.objects.filter(name="2027年暑期儿童之家").exists()


def test_a_stranger_gets_404(client_of, site, stranger):
    client = client_of(stranger)
    assert client.get(new_url(site.factory)).status_code == 404
    assert client.post(edit_url(site.season), season_data()).status_code == 404


def test_a_superuser_may_create_a_season_anywhere(client_of, site, superuser):
    client_of(superuser).post(new_url(site.factory), season_data())
    assert Season.objects.filter(factory=site.factory, name="2027年暑期儿童之家").exists()


def edit_data(season, **changes) -> dict:
    rules = list(season.ratio_rules.all())
    closed = list(season.closed_days.all())
    data = season_data(
        name=season.name,
        start_date=season.start_date.isoformat(),
        end_date=season.end_date.isoformat(),
        enrollment_deadline="",
        **formset(
            "closed",
            [{"id": c.pk, "date": c.date.isoformat(), "reason": c.reason} for c in closed]
            + [{"date": "", "reason": ""}],
            initial=len(closed),
        ),
        **formset(
            "rules",
            [
                {
                    "id": r.pk,
                    "min_age": r.min_age,
                    "max_age": r.max_age,
                    "children_per_teacher": r.children_per_teacher,
                }
                for r in rules
            ]
            + [{"min_age": "", "max_age": "", "children_per_teacher": ""}],
            initial=len(rules),
        ),
    )
    data.update(changes)
    return data


@pytest.fixture
def planned(site):
    season = SeasonBuilder(
        factory=site.factory,
        name="2027年暑期儿童之家",
        status=Season.Status.PLANNING,
        start_date=datetime.date(2027, 7, 5),
        end_date=datetime.date(2027, 8, 27),
    )
    RatioRule.add_defaults(season)
    ClosedDay.objects.create(season=season, date=datetime.date(2027, 8, 1), reason="活动")
    return season


def test_the_coordinator_edits_dates_rules_and_closed_days(client_of, site, planned):
    closed = planned.closed_days.get()
    data = edit_data(
        planned,
        end_date="2027-08-20",
        **{
            "rules-0-children_per_teacher": "6",
            "closed-0-DELETE": "on",
            "closed-1-date": "2027-07-10",
            "closed-1-reason": "台风停课",
        },
    )
    response = client_of(site.coordinator).post(edit_url(planned), data, follow=True)
    assert "项目期已保存。" in response.content.decode()
    planned.refresh_from_db()
    assert planned.end_date == datetime.date(2027, 8, 20)
    assert planned.ratio_limit(3, 6) == 6
    assert not ClosedDay.objects.filter(pk=closed.pk).exists()
    assert list(planned.closed_days.values_list("reason", flat=True)) == ["台风停课"]
    entry = AuditEntry.objects.get(model="spaces.season", action="update")
    assert entry.changes["end_date"] == ["2027-08-27", "2027-08-20"]


def test_an_edit_that_leaves_a_closed_day_outside_the_new_dates_is_refused(
    client_of, site, planned
):
    response = client_of(site.coordinator).post(
        edit_url(planned), edit_data(planned, end_date="2027-07-31")
    )
    assert "2027-08-01 不在本期日期内（2027-07-05 至 2027-07-31）。" in response.content.decode()
    planned.refresh_from_db()
    assert planned.end_date == datetime.date(2027, 8, 27)


def test_a_closed_season_cannot_be_edited(client_of, site, planned):
    Season.objects.filter(pk=planned.pk).update(status=Season.Status.CLOSED)
    response = client_of(site.coordinator).post(
        edit_url(planned), edit_data(planned, name="改名"), follow=True
    )
    assert "已结束的项目期不能修改。" in response.content.decode()
    planned.refresh_from_db()
    assert planned.name == "2027年暑期儿童之家"
