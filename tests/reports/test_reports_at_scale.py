"""Reports that stay fast at a thousand factories: the dashboard a page at a
time (sorted and totalled in SQL over every factory), the season report and its
files in a fixed number of queries; weeks, dates and file names as people read them."""

import datetime
import io
import re
from urllib.parse import unquote

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from attendance.counts import rebuild_season
from factories.models import Membership, Role
from reports import report

from ..builders import FactoryBuilder, SeasonBuilder, enroll, mark
from ..builders import GroupBuilder as Group
from .test_reports import small  # noqa: F401  (the hand-counted season)


def factory_with_season(coordinator, *, name: str, children: int, present: int = 0):
    factory = FactoryBuilder(name_zh=name)
    Membership.objects.create(user=coordinator, factory=factory, role=Role.COORDINATOR)
    season = SeasonBuilder(factory=factory)
    group = Group(season=season)
    enrollments = [enroll(group) for _ in range(children)]
    for enrollment in enrollments[:present]:
        mark(enrollment, timezone.localdate())
    rebuild_season(season, until=timezone.localdate())
    return season


@pytest.fixture
def three(db, site):
    """Three factories of one coordinator, names in order A < B < C."""
    coordinator = site.coordinator
    return coordinator, [
        factory_with_season(coordinator, name="甲厂", children=2, present=2),
        factory_with_season(coordinator, name="乙厂", children=5, present=1),
        factory_with_season(coordinator, name="丙厂", children=3),
    ]


def factory_names(html: str) -> list[str]:
    body = html[html.index("<tbody>") : html.index("</tbody>")]
    return re.findall(r">([^<]*厂)</a>", body)


def test_the_dashboard_shows_a_page_and_totals_all_factories(client_of, three, monkeypatch):
    coordinator, seasons = three
    monkeypatch.setattr(report, "PAGE_SIZE", 2)
    client = client_of(coordinator)
    first = client.get(reverse("reports:dashboard")).content.decode()
    second = client.get(reverse("reports:dashboard"), {"page": 2}).content.decode()
    # Code-point order of the names, as before: 丙 (U+4E19) < 东 (U+4E1C, the
    # site's own factory) < 乙 (U+4E59) < 甲 (U+7532).
    assert factory_names(first) == ["丙厂", "东莞华达电子厂"]
    assert factory_names(second) == ["乙厂", "甲厂"]
    # The totals count every factory on every page, not the rows shown.
    for html in (first, second):
        totals = html[html.index('data-testid="totals"') :]
        assert "合计，4 家工厂" in totals  # the site's own factory and these three
        assert ">10<" in totals  # 2 + 5 + 3 children enrolled, site's season has none
    assert "第 1 页，共 2 页" in first and 'rel="next"' in first
    assert 'rel="prev"' in second


def test_the_dashboard_sorts_in_the_database_across_pages(client_of, three, monkeypatch):
    coordinator, _seasons = three
    monkeypatch.setattr(report, "PAGE_SIZE", 2)
    client = client_of(coordinator)
    url = reverse("reports:dashboard")
    most = client.get(url, {"sort": "-enrolled"}).content.decode()
    rest = client.get(url, {"sort": "-enrolled", "page": 2}).content.decode()
    assert factory_names(most) == ["乙厂", "丙厂"]
    assert factory_names(rest) == ["甲厂", "东莞华达电子厂"]
    today = client.get(url, {"sort": "-today"}).content.decode()
    assert factory_names(today) == ["甲厂", "乙厂"]
    # Page links keep the sort.
    assert "?sort=-enrolled&amp;page=2" in most


@pytest.mark.parametrize("page", ["abc", "-3", "999", "99999999999999999999"])
def test_a_page_number_out_of_range_shows_a_page_not_an_error(client_of, three, page):
    coordinator, _seasons = three
    response = client_of(coordinator).get(reverse("reports:dashboard"), {"page": page})
    assert response.status_code == 200
    assert factory_names(response.content.decode())


def test_the_totals_row_says_how_many_roll_calls_are_taken(client_of, three):
    coordinator, _seasons = three
    html = client_of(coordinator).get(reverse("reports:dashboard")).content.decode()
    totals = html[html.index('data-testid="totals"') : html.index("</tfoot>")]
    # 甲厂 marked both children; the others are not done: "未点名" rows, and the
    # total says so in words rather than a bare number.
    assert "4 家中 1 家已点名" in totals
    assert "<td>0</td>" not in totals


def test_the_dashboard_uses_the_same_queries_for_3_or_30_factories(
    client_of, site, django_assert_max_num_queries
):
    # session, user, every season with its totals (in order), today's counts,
    # the page's seasons, nav memberships, the impact link's check
    client = client_of(site.coordinator)
    for n in range(3):
        factory_with_season(site.coordinator, name=f"厂{n}", children=1)
    client.get(reverse("factories:home"))  # the session notes the sign-in time once
    with django_assert_max_num_queries(7) as three:
        client.get(reverse("reports:dashboard"))
    for n in range(27):
        factory_with_season(site.coordinator, name=f"厂{n + 3}", children=1)
    with django_assert_max_num_queries(len(three)):
        client.get(reverse("reports:dashboard"), {"sort": "-rate"})


def test_the_season_report_and_its_files_use_a_fixed_number_of_queries(
    client_of,
    site,
    small,  # noqa: F811 - the fixture imported above
    django_assert_max_num_queries,
):
    # session, user, season, statuses, children, groups, daily (with the times of
    # day, summed into the totals), by group, shifts, ratio rules, days for the
    # ratio, absences, incidents, teachers, many absences, nav memberships, the
    # filter's groups,
    # + 1: whether this reader may see children (managers get small cells suppressed)
    client = client_of(site.coordinator)
    client.get(reverse("factories:home"))  # the session notes the sign-in time once
    with django_assert_max_num_queries(18):
        client.get(reverse("reports:season", args=[small.pk]))
    with django_assert_max_num_queries(16):
        client.get(reverse("reports:season-export", args=[small.pk, "xlsx"]))


def test_weeks_read_as_people_say_them(client_of, site, small):  # noqa: F811
    html = client_of(site.manager).get(reverse("reports:season", args=[small.pk])).content
    assert "第 28 周" in html.decode()  # 6–10 July 2026
    assert "2026-W28" not in html.decode()
    client = client_of(site.manager)
    client.post(reverse("factories:set-language"), {"language": "en"})
    english = client.get(reverse("reports:season", args=[small.pk])).content.decode()
    assert "Week 28" in english


def test_the_excel_file_stores_dates_as_dates(client_of, site, small):  # noqa: F811
    xlsx = client_of(site.manager).get(reverse("reports:season-export", args=[small.pk, "xlsx"]))
    workbook = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    daily = workbook["每日出勤"]
    first = daily.cell(row=2, column=1)
    assert first.is_date and first.value.date() == datetime.date(2026, 7, 6)
    assert first.number_format == "yyyy-mm-dd"


def test_the_files_are_named_after_the_factory_season_and_date(client_of, site, small):  # noqa: F811
    small.name = '2026 暑期/班"A"'
    small.save()
    today = timezone.localdate().isoformat()
    for extension in ("xlsx", "csv"):
        url = reverse("reports:season-export", args=[small.pk, extension])
        header = client_of(site.manager).get(url)["Content-Disposition"]
        plain = re.search(r'filename="([^"]+)"', header).group(1)
        assert plain == f"season-report-{site.factory.code}-{small.pk}-{today}.{extension}"
        assert plain.isascii()
        utf8 = unquote(re.search(r"filename\*=UTF-8''(\S+)", header).group(1))
        assert utf8 == f"东莞华达电子厂-2026_暑期_班_A-{today}.{extension}"
