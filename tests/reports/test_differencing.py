"""A manager trying to single out a child by comparing season reports: every
date window and group the filters allow, on the page, in the CSV and in the
Excel file, before and after the season closes, and after the data moved."""

import csv
import datetime
import io
import itertools

import openpyxl
import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from attendance.counts import rebuild_season
from attendance.models import Attendance
from spaces.models import Season

from ..builders import ChildBuilder, GroupBuilder, SeasonBuilder, enroll, mark


def titles() -> set[str]:
    with translation.override("zh-hans"):
        return {_(t) for t in ("Ages", "Sex", "Home provinces", "Absences")}


@pytest.fixture
def season(site):
    """Two groups over five days; seven children; one sick day on day 3 in
    the first group (the cell an attacker wants), family absences otherwise."""
    season = SeasonBuilder(
        factory=site.factory, start_date=datetime.date(2026, 7, 6),
        end_date=datetime.date(2026, 7, 10), opening_weekdays="12345", status="running",
    )  # fmt: skip
    first, second = (GroupBuilder(season=season) for _ in range(2))
    days = season.opening_days()
    children = [
        enroll(first if n < 4 else second, child=ChildBuilder(
            factory=site.factory, home_province="yunnan" if n == 0 else "sichuan"))
        for n in range(7)
    ]  # fmt: skip
    for n, enrollment in enumerate(children):
        for d, day in enumerate(days):
            if (n, d) == (0, 2):
                row = mark(enrollment, day, "absent")
                Attendance.objects.filter(pk=row.pk).update(absence_reason="sick")
            elif d in (1, 3) and n < 6:
                row = mark(enrollment, day, "absent")
                Attendance.objects.filter(pk=row.pk).update(absence_reason="family")
            else:
                mark(enrollment, day)
    rebuild_season(season, until=season.end_date)
    return season


def windows(season: Season):
    """Every query the report's filters allow: each start, each end, each group."""
    days = season.opening_days()
    groups = [None, *season.groups.values_list("pk", flat=True)]
    for start, end in itertools.combinations_with_replacement(days, 2):
        for group in groups:
            yield {"date_from": start.isoformat(), "date_to": end.isoformat(),
                   **({"group": group} if group else {})}  # fmt: skip
    yield {}


def published(client, season: Season, query: dict) -> dict:
    """The children's breakdowns one query publishes, per format:
    {(format, table, label): count}."""
    cells = {}
    page = client.get(reverse("reports:season", args=[season.pk]), query)
    r = page.context["r"]
    for key in ("by_age", "by_sex", "by_province", "absence_reasons"):
        for label, n in r[key]:
            cells[("page", key, str(label))] = str(n)
    if r["many_absences"] or r["many_absences_hidden"]:
        cells[("page", "many", "")] = "<5" if r["many_absences_hidden"] else str(r["many_absences"])
    text = client.get(reverse("reports:season-export", args=[season.pk, "csv"]), query)
    title, rows = None, list(csv.reader(io.StringIO(text.content.decode("utf-8-sig"))))
    for previous, row in zip([[]] + rows, rows, strict=False):
        if len(row) == 1 and row[0] in titles():
            title = row[0]
        elif not row:
            title = None
        elif title and len(row) == 2 and previous != [title]:  # not the header row
            cells[("csv", title, row[0])] = row[1]
    book = openpyxl.load_workbook(io.BytesIO(
        client.get(reverse("reports:season-export", args=[season.pk, "xlsx"]), query).content
    ))  # fmt: skip
    for sheet in book.worksheets:
        if sheet.title in titles():
            for label, n, *_rest in list(sheet.iter_rows(values_only=True))[1:]:
                if n is not None:
                    cells[("xlsx", sheet.title, label)] = str(n)
    return cells


def test_a_manager_cannot_difference_the_season_report(client_of, site, season):
    manager = client_of(site.manager)
    # While the season runs nothing about the children is published: any two
    # reports (consecutive end dates, one group and all) show no such cell.
    for query in windows(season):
        assert published(manager, season, query) == {}, query

    season.status = Season.Status.CLOSED
    season.save(update_fields=["status"])
    whole = published(manager, season, {})
    # One publication: the whole season, all groups, with its small cells hidden.
    assert whole[("page", "absence_reasons", "生病")] == "<5"
    assert whole[("page", "by_province", "云南")] == "<5"
    assert {fmt for fmt, _t, _l in whole} == {"page", "csv", "xlsx"}
    seen = {}
    for query in windows(season):
        cells = published(manager, season, query)
        # A part of the season adds nothing: the breakdowns that do not depend
        # on dates or group are the whole season's, the others are absent.
        assert set(cells.items()) <= set(whole.items()), query
        if query in ({}, {"date_from": "2026-07-06", "date_to": "2026-07-10"}):
            assert cells == whole  # the whole season, asked for in full
            continue
        assert not any(key[1] in ("absence_reasons", "many") or key[1] == _("Absences")
                       for key in cells), query  # fmt: skip
        for key, value in cells.items():
            assert seen.setdefault(key, value) == value
    # The data moves after close (a late correction, a child enrolled late):
    # what was published stays what it was.
    Attendance.objects.filter(absence_reason="sick").update(absence_reason="family")
    enroll(season.groups.first(), child=ChildBuilder(factory=site.factory, home_province="yunnan"))
    assert published(manager, season, {}) == whole


def test_hr_and_coordinators_still_filter_their_own_childrens_figures(client_of, site, season):
    query = {"date_from": "2026-07-08", "date_to": "2026-07-08"}
    page = client_of(site.coordinator).get(reverse("reports:season", args=[season.pk]), query)
    assert dict(page.context["r"]["absence_reasons"]) == {"生病": 1}
