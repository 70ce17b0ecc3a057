"""The report card's attendance is the season report's: one rule, one number,
"so far" until the season closes; its families are households of the children
it counts; its workbook holds numbers as numbers."""

import datetime
import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from attendance.counts import rebuild_season
from enrollment.models import Guardianship
from spaces.models import Season

from ..builders import ChildBuilder, WorkerBuilder, enroll, mark


@pytest.fixture
def three_weeks(site):
    """A running season three weeks in (of eight), four children every day so far,
    one of them absent on the first day; nobody marked today yet."""
    children = [enroll(site.group) for _ in range(4)]
    today = timezone.localdate()
    for day in site.season.opening_days():
        if day >= today:
            break
        for n, child in enumerate(children):
            mark(child, day, "absent" if (n, day) == (0, site.season.start_date) else "present")
    rebuild_season(site.season, until=today)  # the daily counts the roll call keeps
    return children


def test_a_running_seasons_card_gives_the_season_reports_rate_so_far(three_weeks, site, client_of):
    client = client_of(site.manager)
    report = client.get(reverse("reports:season", args=[site.season.pk])).content.decode()
    page = client.get(reverse("impact:report-card", args=[site.season.pk]))
    reach = {str(label): (value, text) for label, value, text in page.context["card"]["reach"]}
    # 21 days of 4 children, one absence: 83 of 84. Not over the season's 56 days.
    assert reach["出勤率（至今）"] == (99, "99%")
    assert reach["开放天数（至今）"][0] == 21
    html = page.content.decode()
    assert "99%" in html and "出勤率（至今）" in html and "至今的数字" in html
    assert "99%" in report  # the season report's headline: the same number


def test_a_closed_seasons_card_drops_so_far(three_weeks, site, client_of):
    site.season.status = Season.Status.CLOSED
    site.season.save()
    page = client_of(site.coordinator).get(reverse("impact:report-card", args=[site.season.pk]))
    labels = [str(label) for label, _value, _text in page.context["card"]["reach"]]
    assert labels == ["孩子", "家庭", "开放天数", "出勤率"]
    assert "至今" not in page.content.decode()


def test_the_cards_workbook_holds_numbers_as_numbers(three_weeks, site, client_of):
    response = client_of(site.manager).get(
        reverse("impact:report-card-export", args=[site.season.pk])
    )
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book["Report card"]
    reach = {
        row[1].value: row[3] for row in sheet.iter_rows(min_row=2) if row[0].value == "覆盖 / Reach"
    }
    assert reach["孩子"].value == 4 and reach["家庭"].value == 4
    assert reach["出勤率（至今）（%）"].value == 99  # the page's "99%", as a number
    # The answers behind each figure (its n columns): with no answers every count
    # is a 0 (a number) or hidden ("<5"), never the text "0".
    counts = [
        row[i].value
        for row in sheet.iter_rows(min_row=2)
        if row[0].value in ("回应数 / Answers", "指标 / Indicator")
        for i in (7, 8, 9)
        if row[i].value not in (None, "")
    ]
    assert counts and all(isinstance(c, int) or c == "<5" for c in counts)


def test_the_cards_families_and_its_participants_row_are_told_apart(site, client_of):
    mother, father = WorkerBuilder(factory=site.factory), WorkerBuilder(factory=site.factory)
    child = ChildBuilder(factory=site.factory, guardian=mother)
    Guardianship.objects.create(child=child, worker=father, relationship="father")
    mark(enroll(site.group, child=child), timezone.localdate() - datetime.timedelta(days=1))
    page = client_of(site.manager).get(reverse("impact:report-card", args=[site.season.pk]))
    reach = {str(label): value for label, value, _text in page.context["card"]["reach"]}
    # One child, one family; its two parents are two workers asked by the survey,
    # in a row that no longer calls them families.
    assert (reach["孩子"], reach["家庭"]) == (1, 1)
    # (How many workers the survey row counts is published at the round's close:
    # tests/impact/test_report_card.py.)
    html = page.content.decode()
    assert "参与家庭" not in html and "参与的工人" in html
