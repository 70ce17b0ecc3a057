"""The report card: a season's reach, safety and indicators on one page.

One builder (`season_card`) feeds the screen, the printable A4 page, the
Excel file and the email, so they cannot disagree. Every survey figure is
suppressed (see `indicators.publish`) whoever reads the card: it is made to
leave the app. Reach and incidents are shown as they are: they are totals
and events that managers already read in the app, not breakdowns of people.
"""

from __future__ import annotations

import io
from collections import Counter

import openpyxl
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from attendance.figures import percent, season_figures
from attendance.models import Incident
from spaces.models import Season

from .indicators import (
    GROUP_LABELS,
    GROUPS,
    OTHERS,
    PARTICIPANTS,
    ROUNDS,
    compute,
    pool,
    publish,
    season_answers,
    seasons_answers,
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
    children counted."""
    figures = season_figures(season)
    so_far = figures["so_far"]
    answers, roster = season_answers(season)
    results = publish(compute(answers, roster))
    kinds = dict(Incident.Kind.choices)
    incidents = Counter(
        Incident.objects.filter(group__season=season).values_list("kind", flat=True)
    )
    # The rate as published: whole percents, a number in the workbook (see card_workbook).
    share = percent(figures["attendance_rate"])
    return {
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
        **results,
        **labels(),
    }


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
    answers_of = seasons_answers(seasons)
    pooled = pool([answers_of[s.pk] for s in seasons])
    by_season = [
        {"season": season, "round": Round(r).label,
         "cells": [published["rates"][r][g].n_text for g in GROUPS]}
        for season, published in zip(seasons, pooled["published"], strict=True)
        for r in ROUNDS
    ]  # fmt: skip
    results = publish(pooled)
    return {
        "year": year, "seasons": seasons, "by_season": by_season, "left_out": pooled["left_out"],
        "reach": [_stat(_("Seasons"), len(seasons)),
                  _stat(_("Parents on the lists"), pooled["roster"].all)],
        "incidents": [], **results, **labels(),
    }  # fmt: skip


def card_rows(card: dict) -> list[list]:
    """The card as rows of a sheet: the same figures as the page, bilingual."""
    rows = [["区域 / Section", "项目", "Item", "基线 / Baseline", "终期 / Final",
             "变化 / Change", "配对变化 / Paired change"]]  # fmt: skip
    for label, value, text in card["reach"]:
        zh, en = both(label)
        if text.endswith("%"):  # a rate: a number of whole percents, its unit in the label
            zh, en = f"{zh}（%）", f"{en} (%)"
        rows.append(["覆盖 / Reach", zh, en, "" if value is None else value, "", "", ""])
    for label, n in card["incidents"]:
        rows.append(["安全 / Safety", *both(label), n, "", "", ""])
    for g in GROUPS:
        zh, en = both(GROUP_LABELS[g])
        rows.append(["回应率 / Response rate", zh, en,
                     *[_cell(card["rates"][r][g]) for r in ROUNDS], "", ""])  # fmt: skip
    for row in card["rows"]:
        for g in GROUPS:
            label_zh, label_en = both(row["indicator"].label)
            group_zh, group_en = both(GROUP_LABELS[g])
            rows.append([
                "指标 / Indicator", f"{label_zh}（{group_zh}）", f"{label_en} ({group_en})",
                *[_cell(row["cells"][g][r]) for r in ROUNDS],
                _cell(row["change"][g]), _cell(row["paired"][g]),
            ])  # fmt: skip
    return rows


def _cell(figure):
    """A figure in a sheet: its published number, "<5" when hidden, "" when empty."""
    if figure.hidden:
        return hidden_text()
    return "" if figure.shown is None else figure.shown


def _n(figure):
    """How many answers a figure rests on, as a number in a sheet ("<5" when hidden)."""
    return hidden_text() if figure.hidden else figure.n


def answers_behind(card: dict) -> list[list]:
    rows = [["项目 / Item", "Item", *[f"{r} n" for r in ROUNDS], "pairs n"]]
    for row in card["rows"]:
        for g in GROUPS:
            label_zh, label_en = both(row["indicator"].label)
            group_zh, group_en = both(GROUP_LABELS[g])
            rows.append([
                f"{label_zh}（{group_zh}）", f"{label_en} ({group_en})",
                *[_n(row["cells"][g][r]) for r in ROUNDS], _n(row["paired"][g]),
            ])  # fmt: skip
    return rows


def card_workbook(card: dict) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Report card"
    for row in card_rows(card):
        sheet.append(row)
    behind = workbook.create_sheet("Answers behind")
    for row in answers_behind(card):
        behind.append(row)
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
