"""Small-cell suppression: no published figure rests on fewer than MIN_CELL people.

Primary suppression hides every count from 1 to MIN_CELL - 1 (zero is safe to
show). Secondary suppression then hides complementary cells so that no hidden
cell can be worked out from what is shown, by subtraction from a total.

For a list with its total (`suppress_line`) that means never exactly one
hidden entry. For a table with row totals, column totals and a grand total
(`suppress_table`), think of the table as a bipartite graph: one node per
row and per column (the total row and the total column included), one edge
per hidden cell. Every row and every column is an equation a reader can
solve; a hidden cell can be worked out exactly when its edge is a bridge
(lies on no cycle). So while some hidden cell is a bridge, we hide the
cheapest path of other cells that closes a cycle through it. Only non-zero
cells are hidden as complements: a hidden zero could be pinned by the
reader's knowledge that counts are never negative.

Today's pages publish lists with their totals (survey groups, the season
report's breakdowns); `suppress_table` is the rule for a cross-table with
margins, property-tested for the day one is published. Figures that link
several publications (the programme card against each season's card) are
handled where they are built: see `indicators.pool`.
"""

from __future__ import annotations

import heapq
from collections import defaultdict

from django.conf import settings
from django.utils.translation import gettext as _


def min_cell() -> int:
    return settings.MIN_CELL


def hidden_text() -> str:
    return f"<{min_cell()}"


def is_small(n: int, minimum: int | None = None) -> bool:
    return 0 < n < (minimum or min_cell())


def suppress_line(values: list[int], total: int | None = None, minimum: int | None = None):
    """Which entries to hide: (a flag per value, a flag for the total).

    `total` None means no total is published (each value stands alone).
    """
    minimum = minimum or min_cell()
    hide = [is_small(v, minimum) for v in values]
    if total is None:
        return hide, False
    hide_total = is_small(total, minimum)
    if sum(hide) + hide_total == 1:
        # One hidden entry is the total minus the rest: hide the smallest other.
        candidates = [(v, i) for i, v in enumerate(values) if v and not hide[i]]
        if not hide_total and total:
            candidates.append((total, -1))
        if candidates:
            _value, index = min(candidates)
            if index == -1:
                hide_total = True
            else:
                hide[index] = True
    return hide, hide_total


def with_margins(cells: list[list[int]]) -> list[list[int]]:
    """The table with a total column, a total row and the grand total."""
    rows = [list(row) + [sum(row)] for row in cells]
    width = len(rows[0]) if rows else 1
    rows.append([sum(row[j] for row in rows) for j in range(width)])
    return rows


def suppress_table(cells: list[list[int]], minimum: int | None = None) -> list[list[bool]]:
    """Which cells of the table with margins (see `with_margins`) to hide."""
    minimum = minimum or min_cell()
    grid = with_margins(cells)
    n_rows, n_cols = len(grid), len(grid[0])
    hidden = {(i, j) for i in range(n_rows) for j in range(n_cols) if is_small(grid[i][j], minimum)}
    while True:
        bridge = next((edge for edge in sorted(hidden) if _is_bridge(edge, hidden)), None)
        if bridge is None:
            break
        hidden |= _cheapest_cycle(bridge, hidden, grid)
    return [[(i, j) in hidden for j in range(n_cols)] for i in range(n_rows)]


def _neighbours(edges) -> dict:
    graph = defaultdict(list)
    for i, j in edges:
        graph[("r", i)].append((("c", j), (i, j)))
        graph[("c", j)].append((("r", i), (i, j)))
    return graph


def _is_bridge(edge, hidden) -> bool:
    """True when the edge's row and column meet through no other hidden cells."""
    graph = _neighbours(hidden - {edge})
    start, goal = ("r", edge[0]), ("c", edge[1])
    seen, todo = {start}, [start]
    while todo:
        node = todo.pop()
        if node == goal:
            return False
        for other, _cell in graph[node]:
            if other not in seen:
                seen.add(other)
                todo.append(other)
    return True


def _cheapest_cycle(edge, hidden, grid) -> set:
    """Cells to hide so that `edge` lies on a cycle: Dijkstra from its row to its
    column, where hidden cells cost nothing and a shown cell costs its count
    (hide as few people as possible). A path always exists: through the
    margins, every non-zero cell has a non-zero row, column and grand total."""
    usable = {
        (i, j)
        for i, row in enumerate(grid)
        for j, value in enumerate(row)
        if (i, j) != edge and ((i, j) in hidden or value > 0)
    }
    graph = _neighbours(usable)
    start, goal = ("r", edge[0]), ("c", edge[1])
    best = {start: 0}
    came = {}
    queue = [(0, start)]
    while queue:
        cost, node = heapq.heappop(queue)
        if node == goal:
            break
        if cost > best.get(node, float("inf")):
            continue
        for other, cell in graph[node]:
            step = 0 if cell in hidden else grid[cell[0]][cell[1]]
            if cost + step < best.get(other, float("inf")):
                best[other] = cost + step
                came[other] = (node, cell)
                heapq.heappush(queue, (cost + step, other))
    path, node = set(), goal
    while node in came:
        node, cell = came[node]
        path.add(cell)
    return path


def publish_line(pairs: list[tuple[str, int]], minimum: int | None = None) -> list[tuple]:
    """A breakdown of (label, count) whose total is shown elsewhere, ready for a
    manager: hidden counts become "<5"."""
    hide, _total = suppress_line([n for _label, n in pairs], sum(n for _l, n in pairs), minimum)
    return [(label, hidden_text() if h else n) for (label, n), h in zip(pairs, hide, strict=True)]


def publish_table(pairs: list[tuple[tuple[str, str], int]], minimum: int | None = None) -> list:
    """A cross-table given as ((row, column), count) pairs, ready for a manager:
    the cells `suppress_table` hides, as if its margins were known (the season
    report publishes them), become "<5"; the pairs keep their order."""
    if not pairs:
        return []
    rows = list(dict.fromkeys(row for (row, _column), _n in pairs))
    columns = list(dict.fromkeys(column for (_row, column), _n in pairs))
    counts = dict(pairs)
    hidden = suppress_table([[counts.get((r, c), 0) for c in columns] for r in rows], minimum)
    return [
        (key, hidden_text() if hidden[rows.index(key[0])][columns.index(key[1])] else n)
        for key, n in pairs
    ]


# The season report's breakdowns of children (and their absences) that a
# manager, who may not see the children, gets suppressed.
REPORT_BREAKDOWNS = ("by_age", "by_sex", "by_province", "absence_reasons")


def children_note(breakdowns: list[list[tuple]]) -> str:
    """What a reader of suppressed breakdowns of children needs to read them, or ""
    when nothing is hidden: a complement hidden as "<5" may well be 10."""
    if not any(n == hidden_text() for pairs in breakdowns for _label, n in pairs):
        return ""
    return _(
        "Figures resting on fewer than %(n)s children are shown as “%(hidden)s”, "
        "and so are figures that would reveal them."
    ) % {"n": min_cell(), "hidden": hidden_text()}


def published_breakdowns(data: dict) -> dict:
    """A whole season's breakdowns of children, suppressed, as kept at close
    (JSON: lists of [label, count or "<5"])."""
    return {
        **{key: [list(pair) for pair in publish_line(data[key])] for key in REPORT_BREAKDOWNS},
        # A count of children standing alone: hidden when small.
        "many_absences_hidden": is_small(data["many_absences"]),
        "many_absences": 0 if is_small(data["many_absences"]) else data["many_absences"],
    }


def suppress_season_report(data: dict, *, published: dict | None, filtered: bool) -> dict:
    """The season report as a manager may see it.

    Suppression must hold across publications, not only within one, so a
    manager's breakdowns of children are never computed for the request:
    they are `published` once, when the season has closed (None before), and
    the ones that depend on dates and group are shown only when the report
    is not filtered. Everything else in the report counts child-days and
    teachers, not children, and is shown as it is.
    """
    if published is None:
        breakdowns = {key: [] for key in REPORT_BREAKDOWNS}
        breakdowns |= {"many_absences": 0, "many_absences_hidden": False}
        withheld = _(
            "Ages, sex, home provinces and absences of the children are published for the "
            "whole season once it closes: figures recomputed every day could be subtracted "
            "from each other to single out a child."
        )
    else:
        breakdowns = {**published, **{key: [tuple(pair) for pair in published[key]]
                                      for key in REPORT_BREAKDOWNS}}  # fmt: skip
        withheld = ""
        if filtered:  # two windows a day apart differ by one day's absences
            breakdowns |= {"absence_reasons": [], "many_absences": 0,
                           "many_absences_hidden": False}  # fmt: skip
            withheld = _(
                "Absences by reason are published for the whole season and every group only."
            )
    return {
        **data,
        **breakdowns,
        "suppression_note": children_note([breakdowns[key] for key in REPORT_BREAKDOWNS]),
        "withheld_note": withheld,
        "suppression_minimum": min_cell(),
    }


# The breakdowns of `attendance.figures.season_figures` (the summary and digest
# emails and their workbook) that a manager gets suppressed, as in the report.
FIGURES_BREAKDOWNS = ("provinces", "absence_reasons")


def suppress_season_figures(figures: dict, *, final: bool = True) -> dict:
    """The season's figures as a manager may see them. Only a `final`
    publication (the summary, once, after the season) carries the breakdowns
    of children; a weekly one would differ from the last by a week's
    enrollments and absences, which subtracting the two would single out."""
    if not final:
        empty = {"by_band_sex": [], **{key: [] for key in FIGURES_BREAKDOWNS}}
        return {**figures, **empty, "suppression_note": _(
            "Ages, sex, home provinces and absences of the children are published for the "
            "whole season once it closes: figures recomputed every day could be subtracted "
            "from each other to single out a child."
        )}  # fmt: skip
    published = {
        "by_band_sex": publish_table(figures["by_band_sex"]),
        **{key: publish_line(figures[key]) for key in FIGURES_BREAKDOWNS},
    }
    return {**figures, **published, "suppression_note": children_note(list(published.values()))}
