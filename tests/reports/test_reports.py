"""Season report and programme dashboard: figures by hand, exports equal to the
screen, the daily counts checked against the raw rows, scoped by factory."""

import csv
import datetime
import io

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse

from attendance.counts import mismatches, rebuild_season
from attendance.models import GroupDay
from reports.report import season_report

from ..builders import ChildBuilder, GroupBuilder, SeasonBuilder, enroll, mark


@pytest.fixture
def small(site):
    """Mon 6 – Fri 10 July 2026, five opening days, two children (see test_figures)."""
    season = SeasonBuilder(
        factory=site.factory,
        start_date=datetime.date(2026, 7, 6),
        end_date=datetime.date(2026, 7, 10),
        opening_weekdays="12345",
        status="closed",
        capacity=4,
    )
    group = GroupBuilder(season=season, min_age=6, max_age=12)
    days = season.opening_days()
    girl = enroll(group, child=ChildBuilder(factory=site.factory, sex="F",
                  date_of_birth=datetime.date(2018, 1, 1)))  # fmt: skip
    boy = enroll(group, child=ChildBuilder(factory=site.factory, sex="M",
                 date_of_birth=datetime.date(2015, 1, 1)), arrival_date=days[2])  # fmt: skip
    for day in days[:4]:
        mark(girl, day)
    mark(girl, days[4], "absent")
    mark(boy, days[2])
    mark(boy, days[3], "late")
    mark(boy, days[4], "excused")
    rebuild_season(season, until=season.end_date)
    return season


def test_the_report_figures_match_the_hand_count(small):
    r = season_report(small)
    assert r["days_open"] == 5 and r["enrolled"] == 2
    assert r["attendance_rate"] == 6 / 7  # (4 + 2) / (5 + 3 - 1 excused)
    assert r["capacity_used"] == 0.5
    assert [d["attended"] for d in r["daily"]] == [1, 1, 2, 2, 0]
    assert [d["expected"] for d in r["daily"]] == [1, 1, 2, 2, 2]
    assert dict(r["absence_reasons"]) == {"": 1} or sum(n for _r, n in r["absence_reasons"]) == 1
    assert r["by_week"][0]["rate"] == 6 / 7


def test_two_children_of_one_name_are_two_children_in_the_absence_count(client_of, site, small):
    group = small.groups.get()
    days = small.opening_days()
    for _ in range(2):  # each absent twice: neither was absent 3 or more days
        namesake = enroll(group, child=ChildBuilder(factory=site.factory, name="李明"))
        for day in days[:2]:
            mark(namesake, day, "absent")
    rebuild_season(small, until=small.end_date)
    assert season_report(small)["many_absences"] == 0
    html = client_of(site.coordinator).get(reverse("reports:season", args=[small.pk]))
    assert "缺勤 3 天或以上" not in html.content.decode()


def test_a_season_that_has_not_started_reports_no_day_not_a_period_backwards(client_of, site):
    coming = SeasonBuilder(
        factory=site.factory, status="planning",
        start_date=datetime.date.today() + datetime.timedelta(days=200),
        end_date=datetime.date.today() + datetime.timedelta(days=250),
    )  # fmt: skip
    html = client_of(site.manager).get(reverse("reports:season", args=[coming.pk])).content.decode()
    assert "项目期报告 · 还没有可报告的日子" in html
    assert f"{coming.start_date:%Y-%m-%d} – " not in html


def test_the_daily_counts_agree_with_the_attendance_rows(small):
    assert mismatches(small) == []
    GroupDay.objects.filter(season=small).update(attended=0)
    assert mismatches(small)
    out = io.StringIO()
    call_command("check_daily_counts", "--fix", stdout=out)
    assert "recounted" in out.getvalue() and mismatches(small) == []


def test_the_page_shows_the_headline_in_chinese(client_of, site, small):
    html = client_of(site.manager).get(reverse("reports:season", args=[small.pk])).content.decode()
    assert "86%" in html and "出勤率" in html


def test_the_exports_carry_the_screens_figures(client_of, site, small):
    client = client_of(site.manager)
    xlsx = client.get(reverse("reports:season-export", args=[small.pk, "xlsx"]))
    workbook = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    headline = {row[0].value: row[1].value for row in workbook.worksheets[0].iter_rows(min_row=2)}
    assert 85.7 in headline.values() and 2 in headline.values()
    assert len(workbook.worksheets) >= 8
    text = client.get(reverse("reports:season-export", args=[small.pk, "csv"])).content.decode()
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert ["2026-07-08", "2", "2", "0"] in rows


def test_a_typed_name_stays_text_in_the_workbook_never_a_formula(client_of, site, small):
    group = small.groups.get()
    group.name = '=HYPERLINK("http://x.example","A")'
    group.save()
    xlsx = client_of(site.coordinator).get(
        reverse("reports:season-export", args=[small.pk, "xlsx"])
    )
    workbook = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    cells = [c for sheet in workbook.worksheets for row in sheet.iter_rows() for c in row]
    named = [c for c in cells if c.value == group.name]
    assert named and all(c.data_type == "s" for c in named)
    days = [c.value for c in cells if c.is_date]
    assert datetime.datetime(2026, 7, 8) in days  # dates stay dates


def test_a_typed_name_stays_text_in_the_csv_never_a_formula(client_of, site, small):
    group = small.groups.get()
    group.name = '=HYPERLINK("http://x.example","A")'
    group.save()
    url = reverse("reports:season-export", args=[small.pk, "csv"])
    text = client_of(site.coordinator).get(url).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    cells = [cell for row in rows for cell in row]
    assert f"'{group.name}" in cells
    assert not [cell for cell in cells if cell.startswith(("=", "+", "@"))]
    assert ["2026-07-08", "2", "2", "0"] in rows  # figures and dates untouched


def test_reports_are_scoped_by_factory(client_of, site, stranger, small):
    for url in (
        reverse("reports:season", args=[small.pk]),
        reverse("reports:season-export", args=[small.pk, "xlsx"]),
        reverse("reports:season-export", args=[small.pk, "csv"]),
    ):
        assert client_of(stranger).get(url).status_code == 404
        assert client_of(site.teacher_user).get(url).status_code == 404
        assert client_of(site.coordinator).get(url).status_code == 200


def test_the_dashboard_lists_each_factorys_season_with_totals(client_of, site, other_site, small):
    from factories.models import Membership, Role

    Membership.objects.create(user=site.coordinator, factory=other_site.factory,
                              role=Role.COORDINATOR)  # fmt: skip
    html = client_of(site.coordinator).get(reverse("reports:dashboard")).content.decode()
    assert site.factory.name_zh in html and other_site.factory.name_zh in html
    assert "2 家工厂" in html or "2 factories" in html or "合计" in html
    manager_html = client_of(site.manager).get(reverse("reports:dashboard")).content.decode()
    assert other_site.factory.name_zh not in manager_html


def test_the_report_and_dashboard_use_a_fixed_number_of_queries(
    client_of, site, small, django_assert_max_num_queries
):
    client = client_of(site.coordinator)
    with django_assert_max_num_queries(30):
        client.get(reverse("reports:season", args=[small.pk]))
    with django_assert_max_num_queries(14):
        client.get(reverse("reports:dashboard"))


def test_bad_filters_are_ignored_with_the_whole_season_shown(client_of, site, small):
    url = reverse("reports:season", args=[small.pk])
    response = client_of(site.manager).get(url, {"date_from": "not a date", "group": "999999"})
    assert response.status_code == 200


def test_a_bad_date_leaves_the_chosen_group_filtering(client_of, site, small):
    chosen = GroupBuilder(season=small, name="第二组", min_age=3, max_age=5)
    mark(enroll(chosen), small.start_date)
    rebuild_season(small, until=small.end_date)
    url = reverse("reports:season", args=[small.pk])
    page = client_of(site.manager).get(url, {"date_from": "not a date", "group": chosen.pk})
    assert [g["group__name"] for g in page.context["r"]["by_group"]] == ["第二组"]
    assert page.context["form"]["group"].value() == str(chosen.pk)


def test_the_roll_call_keeps_the_daily_counts_up_to_date(client_of, site):
    from django.utils import timezone

    enrollment = enroll(site.group)
    enroll(site.group)
    client = client_of(site.teacher_user)
    today = timezone.localdate()
    url = reverse("attendance:roll-call-mark", args=[site.group.pk, today, enrollment.pk])
    client.post(url, {"status": "present"}, HTTP_HX_REQUEST="true")
    day = GroupDay.objects.get(group=site.group, date=today)
    assert (day.expected, day.recorded, day.attended) == (2, 1, 1)
    client.post(reverse("attendance:roll-call-mark-all", args=[site.group.pk, today]))
    day.refresh_from_db()
    assert (day.recorded, day.attended) == (2, 2)
    assert mismatches(site.season) == []
