"""The report card: a season's reach, safety and indicators on one page.

One builder (`season_card`) makes the card and one function (`publication`)
says which cells it publishes; the screen, the printable A4 page, the Excel
file and the email all render that and nothing else, so none can show a cell
another hides. Every survey figure is suppressed (see `indicators.publish`)
whoever reads the card, and read from the round's figures kept when the
round closed (`indicators.season_results`): it is made to leave the app.
Reach and incidents are shown as they are: they are totals and events that
managers already read in the app, not breakdowns of people.
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass

import openpyxl
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from attendance.figures import percent, season_figures
from attendance.models import Incident
from spaces.models import Season

from .indicators import (
    ALL,
    GROUP_LABELS,
    GROUPS,
    OTHERS,
    PARTICIPANTS,
    ROUNDS,
    pool,
    publish,
    season_results,
    seasons_results,
)
from .models import Round
from .suppression import hidden_text, min_cell

LANGUAGES = ("zh-hans", "en")


def both(text) -> tuple[str, str]:
    """A translatable text in Chinese and in English, for side-by-side pages."""
    out = []
    for language in LANGUAGES:
        with translation.override(language):
            out.append(str(text))
    return out[0], out[1]


def labels() -> dict:
    """What every card template needs besides the figures."""
    return {
        "group_labels": [(g, GROUP_LABELS[g]) for g in GROUPS],
        "cell_groups": [PARTICIPANTS, OTHERS],
        "rounds": list(ROUNDS),
        "round_labels": {r: Round(r).label for r in ROUNDS},
        "min_cell": min_cell(),
        "hidden": hidden_text(),
    }


def season_card(season: Season) -> dict:
    """A season's card. Its attendance is the season report's, by the one rule
    (`attendance.figures`): up to today while the season runs, labelled "so
    far" until the season is closed; families are the households of the
    children counted. Its survey figures are those published at the close of
    each round (`season_results`)."""
    figures = season_figures(season)
    so_far = figures["so_far"]
    survey = season_results(season)
    results = publish(survey)
    kinds = dict(Incident.Kind.choices)
    incidents = Counter(
        Incident.objects.filter(group__season=season).values_list("kind", flat=True)
    )
    # The rate as published: whole percents, a number in the workbook (see card_rows).
    share = percent(figures["attendance_rate"])
    card = {
        "season": season,
        "so_far": so_far,
        "until": figures["until"],
        "reach": [
            _stat(_("Children"), figures["children_served"]),
            _stat(_("Families"), figures["families_served"]),
            _stat(_("Days open so far") if so_far else _("Days open"), figures["days_open"]),
            (
                _("Attendance rate so far") if so_far else _("Attendance rate"),
                share,
                "—" if share is None else f"{share}%",
            ),
        ],  # fmt: skip
        "incidents": [(kinds.get(k, k), n) for k, n in sorted(incidents.items())],
        "incidents_total": sum(incidents.values()),
        "not_yet": _not_yet(season, survey["over"]),
        **results,
        **labels(),
    }
    return {**card, "published": publication(card)}


def _not_yet(season: Season, over: dict) -> list[tuple[str, object]]:
    """The rounds whose figures are not published yet, with the day after which they are."""
    from .models import Survey

    survey = Survey.for_season(season)
    return [(Round(r).label, survey.round_until(r)) for r in ROUNDS if not over[r]]


def _stat(label, n: int) -> tuple:
    """A figure of the card's reach: (label, number, text shown)."""
    return label, n, str(n)


def programme_card(factories, year: int) -> dict:
    """Every season of these factories that started in `year`: the indicators
    pooled (see `indicators.pool`), and each season's answers as its own card
    publishes them."""
    seasons = list(
        Season.objects.filter(factory__in=factories, start_date__year=year)
        .select_related("factory")
        .order_by("factory__name_zh", "start_date")
    )
    results_of = seasons_results(seasons)
    pooled = pool([results_of[s.pk] for s in seasons])
    by_season = [
        {"season": season, "round": Round(r).label,
         "cells": [published["rates"][r][g].n_text for g in GROUPS]}
        for season, published in zip(seasons, pooled["published"], strict=True)
        for r in ROUNDS
    ]  # fmt: skip
    results = publish(pooled)
    card = {
        "year": year, "seasons": seasons, "by_season": by_season, "left_out": pooled["left_out"],
        "reach": [_stat(_("Seasons"), len(seasons)),
                  _stat(_("Parents on the lists"), pooled["roster"].all)],
        "incidents": [], "not_yet": [], **results, **labels(),
    }  # fmt: skip
    return {**card, "published": publication(card)}


@dataclass(frozen=True)
class Cell:
    """One published cell: its text as every page writes it ("75%", "<5", "—"),
    and the same figure as a number for a sheet (None when hidden or empty)."""

    text: str
    number: float | int | None = None

    def __str__(self) -> str:
        return self.text


def _plain(value) -> Cell:
    return Cell(str(value), value if isinstance(value, int | float) else None)


def _value(figure) -> Cell:
    return Cell(figure.text, figure.shown)


def _n(figure) -> Cell:
    return Cell(figure.n_text, None if figure.hidden else figure.n)


def publication(card: dict) -> dict:
    """Every cell the card publishes, and only those: the one source of the
    screen, the printable page, the Excel file and the email.

    Answers and response rates per group; each indicator's baseline, final,
    change and answers for participants and for the other workers; the paired
    change of the workers who answered both rounds. The all-workers cells of
    the indicators are not published: for the space's questions they are the
    participants' cells (the others do not rate the space), and the pairs
    say what the programme changed for the same people.
    """
    # A response rate goes beside its answers, and only where it is a number
    # (a hidden count's rate says "<5" once, in the count).
    rates = [
        {"group": g, "label": GROUP_LABELS[g],
         "cells": {r: {"n": _n(card["rates"][r][g]),
                       "rate": _value(card["rates"][r][g]) if card["rates"][r][g].shown is not None
                       else ""}
                   for r in ROUNDS}}
        for g in GROUPS
    ]  # fmt: skip
    indicators = []
    for row in card["rows"]:
        groups = [
            {"group": g, "label": GROUP_LABELS[g],
             **{r: _value(row["cells"][g][r]) for r in ROUNDS},
             "change": _value(row["change"][g]),
             **{f"n_{r}": _n(row["cells"][g][r]) for r in ROUNDS}}
            for g in (PARTICIPANTS, OTHERS)
        ]  # fmt: skip
        paired = row["paired"][ALL]
        indicators.append({"indicator": row["indicator"], "groups": groups,
                           "paired": _value(paired), "n_paired": _n(paired)})  # fmt: skip
    return {"reach": card["reach"], "incidents": card["incidents"], "rates": rates,
            "indicators": indicators}  # fmt: skip


HEADER = ["区域 / Section", "项目", "Item", "基线 / Baseline", "终期 / Final",
          "变化 / Change", "配对变化 / Paired change", "基线人数 / Baseline n",
          "终期人数 / Final n", "配对人数 / Pairs n"]  # fmt: skip


def card_rows(card: dict) -> list[list]:
    """The published cells as rows of a sheet (the Excel file and the email):
    bilingual labels, then `HEADER`'s columns; a cell is a `Cell` or ""."""
    published = card["published"]
    rows = [list(HEADER)]
    blank = [""] * (len(HEADER) - 3)

    def line(section, zh_en, **cells):
        columns = ["baseline", "final", "change", "paired", "n_baseline", "n_final", "n_paired"]
        return [section, *zh_en, *[cells.get(c, "") for c in columns]]

    for label, value, text in published["reach"]:
        zh, en = both(label)
        if text.endswith("%"):  # a rate: a number of whole percents, its unit in the label
            zh, en = f"{zh}（%）", f"{en} (%)"
        rows.append(["覆盖 / Reach", zh, en, Cell(text, value), *blank[1:]])
    for label, n in published["incidents"]:
        rows.append(["安全 / Safety", *both(label), _plain(n), *blank[1:]])
    for rate in published["rates"]:
        cells = rate["cells"]
        rows.append(
            line(
                "回应数 / Answers",
                both(rate["label"]),
                n_baseline=cells["baseline"]["n"],
                n_final=cells["final"]["n"],
            )
        )
        rows.append(
            line(
                "回应率 / Response rate",
                both(rate["label"]),
                baseline=cells["baseline"]["rate"],
                final=cells["final"]["rate"],
            )
        )
    for item in published["indicators"]:
        label_zh, label_en = both(item["indicator"].label)
        for group in item["groups"]:
            group_zh, group_en = both(group["label"])
            rows.append(
                line(
                    "指标 / Indicator",
                    (f"{label_zh}（{group_zh}）", f"{label_en} ({group_en})"),
                    baseline=group["baseline"],
                    final=group["final"],
                    change=group["change"],
                    n_baseline=group["n_baseline"],
                    n_final=group["n_final"],
                )
            )
        same_zh, same_en = both(_("Same workers"))
        rows.append(
            line(
                "指标 / Indicator",
                (f"{label_zh}（{same_zh}）", f"{label_en} ({same_en})"),
                paired=item["paired"],
                n_paired=item["n_paired"],
            )
        )
    return rows  # fmt: skip


def card_lines(rows: list[list]) -> list[str]:
    """The rows as lines of a plain-text email: every published cell, named."""
    header = rows[0]
    return [
        f"{row[1]} / {row[2]}: "
        + "; ".join(f"{header[i]} {cell}" for i, cell in enumerate(row) if i > 2 and cell != "")
        for row in rows[1:]
    ]


def _sheet_value(cell):
    """A cell in a sheet: its number where it has one (so Excel can add it up),
    else its text ("<5", "—")."""
    if isinstance(cell, Cell):
        return cell.text if cell.number is None else cell.number
    return cell


def card_workbook(card: dict) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Report card"
    for row in card_rows(card):
        sheet.append([_sheet_value(cell) for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def years_of(factories) -> list[int]:
    return sorted(
        {
            d.year
            for d in Season.objects.filter(factory__in=factories).values_list(
                "start_date", flat=True
            )
        },
        reverse=True,
    )


def last_closed_year(factories) -> int | None:
    """The year a programme card opens on: the last one with a closed season."""
    last = (
        Season.objects.filter(factory__in=factories, status=Season.Status.CLOSED)
        .order_by("-start_date")
        .values_list("start_date", flat=True)
        .first()
    )
    return last.year if last else None
