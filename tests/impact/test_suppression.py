"""Small cells: hidden, and no hidden cell can be worked out from what is shown."""

import io
from fractions import Fraction

import openpyxl
import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from impact.suppression import suppress_line, suppress_table, with_margins
from spaces.models import Season

from ..builders import ChildBuilder, EnrollmentBuilder, mark

MIN = 5
counts = st.one_of(st.integers(0, 6), st.integers(0, 40))


def rank(rows: list[list[Fraction]]) -> int:
    """Rank by Gaussian elimination over the rationals (exact)."""
    rows = [list(r) for r in rows if any(r)]
    rank, col = 0, 0
    width = len(rows[0]) if rows else 0
    while rank < len(rows) and col < width:
        pivot = next((i for i in range(rank, len(rows)) if rows[i][col]), None)
        if pivot is None:
            col += 1
            continue
        rows[rank], rows[pivot] = rows[pivot], rows[rank]
        for i in range(len(rows)):
            if i != rank and rows[i][col]:
                factor = rows[i][col] / rows[rank][col]
                rows[i] = [a - factor * b for a, b in zip(rows[i], rows[rank], strict=True)]
        rank, col = rank + 1, col + 1
    return rank


def determined(equations: list[dict], unknown) -> bool:
    """Whether the published equations (each {cell: coefficient} over the hidden
    cells) pin `unknown` down: its unit vector lies in their row space."""
    cells = sorted({c for eq in equations for c in eq} | {unknown})
    matrix = [[Fraction(eq.get(c, 0)) for c in cells] for eq in equations]
    unit = [Fraction(int(c == unknown)) for c in cells]
    return rank(matrix) == rank([*matrix, unit])


def table_equations(grid, hidden):
    """Each row and column of the table with margins: cells sum to its total."""
    n_rows, n_cols = len(grid), len(grid[0])
    lines = [[(i, j) for j in range(n_cols)] for i in range(n_rows)]
    lines += [[(i, j) for i in range(n_rows)] for j in range(n_cols)]
    equations = []
    for line in lines:
        *parts, total = line
        equation = {c: 1 for c in parts if hidden[c[0]][c[1]]}
        if hidden[total[0]][total[1]]:
            equation[total] = -1
        if equation:
            equations.append(equation)
    return equations


@given(st.lists(st.lists(counts, min_size=1, max_size=4), min_size=1, max_size=4).filter(
    lambda rows: len({len(r) for r in rows}) == 1
))  # fmt: skip
def test_no_hidden_cell_of_a_table_can_be_recomputed_from_rows_columns_and_totals(cells):
    hidden = suppress_table(cells, minimum=MIN)
    grid = with_margins(cells)
    for i, row in enumerate(grid):
        for j, value in enumerate(row):
            if 0 < value < MIN:
                assert hidden[i][j], f"small cell {value} at {(i, j)} shown"
            if hidden[i][j]:
                # Never a hidden zero: counts are never negative, so a reader
                # could pin a zero down from bounds alone.
                assert value > 0
    equations = table_equations(grid, hidden)
    for i, row in enumerate(grid):
        for j, _value in enumerate(row):
            if hidden[i][j]:
                assert not determined(equations, (i, j)), f"cell {(i, j)} of {grid}"


@given(st.lists(counts, min_size=1, max_size=8))
def test_no_hidden_entry_of_a_list_can_be_recomputed_from_its_total(values):
    total = sum(values)
    hide, hide_total = suppress_line(values, total, minimum=MIN)
    for value, hidden in zip(values, hide, strict=True):
        assert hidden == (0 < value < MIN) or (hidden and value > 0)
    assert sum(hide) + hide_total != 1


def test_a_table_example_hides_the_complements():
    # Row 0 has a 2: its row, its column and the grand total must not give it away.
    hidden = suppress_table([[2, 10], [8, 9]], minimum=MIN)
    shown = [[v if not h else None for v, h in zip(r, hr, strict=True)]
             for r, hr in zip(with_margins([[2, 10], [8, 9]]), hidden, strict=True)]  # fmt: skip
    assert shown[0][0] is None
    assert sum(v is None for v in shown[0]) >= 2 and sum(r[0] is None for r in shown) >= 2


@pytest.fixture
def small_breakdowns(site):
    """Seven children: six from Sichuan, one from Yunnan; the season is closed
    (a manager's breakdowns of children are published once, at close)."""
    for n in range(7):
        child = ChildBuilder(factory=site.factory, home_province="yunnan" if n == 0 else "sichuan")
        EnrollmentBuilder(season=site.season, child=child)
    close_season(site.season)
    return site


def close_season(season):
    season.status = Season.Status.CLOSED
    season.save(update_fields=["status"])


def test_a_manager_sees_the_reports_small_breakdowns_suppressed(client_of, small_breakdowns):
    site = small_breakdowns
    page = client_of(site.manager).get(reverse("reports:season", args=[site.season.pk]))
    provinces = dict(page.context["r"]["by_province"])
    # Yunnan has one child, so it is hidden, and so is Sichuan: 7 - 6 would give it away.
    assert provinces == {"云南": "<5", "四川": "<5"} or provinces == {
        "Yunnan": "<5",
        "Sichuan": "<5",
    }
    assert "&lt;5" in page.content.decode()
    export = client_of(site.manager).get(
        reverse("reports:season-export", args=[site.season.pk, "csv"])
    )
    assert "<5" in export.content.decode("utf-8-sig")


def test_the_report_says_a_hidden_cell_may_be_large_wherever_it_hides_one(
    client_of, small_breakdowns
):
    site = small_breakdowns
    note = "少于5个孩子的数字显示为“<5”，能推算出它们的数字也一并隐藏。"
    page = client_of(site.manager).get(reverse("reports:season", args=[site.season.pk]))
    assert page.context["r"]["suppression_note"] == note  # Sichuan's 6 shows "<5"
    assert "少于5个孩子的数字显示为“&lt;5”" in page.content.decode()
    export = client_of(site.manager).get(
        reverse("reports:season-export", args=[site.season.pk, "xlsx"])
    )
    provinces = openpyxl.load_workbook(io.BytesIO(export.content))["老家省份"]
    assert [row[0] for row in provinces.iter_rows(values_only=True)][-1] == note
    for user in (site.coordinator, site.hr):
        page = client_of(user).get(reverse("reports:season", args=[site.season.pk]))
        assert "少于5个孩子" not in page.content.decode()


def test_a_manager_sees_a_small_number_of_children_with_many_absences_hidden(client_of, site):
    days = site.season.opening_days()
    for _ in range(2):
        enrollment = EnrollmentBuilder(season=site.season, group=site.group)
        for day in days[:3]:
            mark(enrollment, day, "absent")
    close_season(site.season)
    url = reverse("reports:season", args=[site.season.pk])
    page = client_of(site.manager).get(url).content.decode()
    assert "缺勤 3 天或以上的孩子少于 5 个。" in page and "2 个孩子缺勤" not in page
    # For a part of the season it is not published at all (see the attacker's test).
    page = client_of(site.manager).get(url, {"date_to": days[3].isoformat()}).content.decode()
    assert "缺勤 3 天或以上" not in page and 'data-testid="withheld-note"' in page
    page = client_of(site.coordinator).get(url, {"date_to": days[3].isoformat()}).content.decode()
    assert "2 个孩子缺勤 3 天或以上。" in page


def test_coordinators_and_hr_see_the_counts_of_their_children(client_of, small_breakdowns):
    site = small_breakdowns
    for user in (site.coordinator, site.hr):
        page = client_of(user).get(reverse("reports:season", args=[site.season.pk]))
        assert sorted(n for _name, n in page.context["r"]["by_province"]) == [1, 6]


def test_one_indicators_counts_do_not_reveal_a_group_hidden_in_another(site):
    """Five participants and two other parents answer the final: the others are
    too few, so the participants are hidden too (7 - 5 would give them away) in
    every indicator, even the space's, which only participants answer."""
    from impact.indicators import compute, publish, season_answers

    from .conftest import answer, parent

    for taking_part in [True] * 5 + [False] * 2:
        worker = parent(site.season, participant=taking_part)
        used = {"satisfied_space": "satisfied", "space_safe": "yes"} if taking_part else {}
        answer(site.season, "final", worker, **used)
    published = publish(compute(*season_answers(site.season)))
    assert published["rates"]["final"]["participants"].hidden
    for row in published["rows"]:
        cell = row["cells"]["participants"]["final"]
        assert cell.hidden and cell.text == "<5", row["indicator"].key
        assert row["cells"]["all"]["final"].n in (0, 5, 7)
