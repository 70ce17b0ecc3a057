"""The programme's indicators, defined once, here.

Each indicator reads one question of the standard instrument:

- a *share* is the percentage of answers counted as "yes" among the answers
  that apply (a parent whose child did not take part does not rate the
  space); its change is in percentage points;
- a *mean* is the average of a number (hours); its change is in that unit.

Every figure comes with the number of answers behind it. Groups: workers
with a child enrolled in the season (participants), the other workers on the
factory's list of parents, and all. The paired change is the change among
the workers who answered both rounds (matched by their pseudonym), so it is
not moved by who happened to answer.

Response rate: answers in a round over the workers on the list, per group.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from enrollment.models import Enrollment
from factories.models import Worker

from .models import Response, Round, RoundFigures, Survey
from .suppression import hidden_text, suppress_line

PARTICIPANTS, OTHERS, ALL = "participants", "others", "all"
GROUPS = (PARTICIPANTS, OTHERS, ALL)
GROUP_LABELS = {
    PARTICIPANTS: _("Participants"),
    OTHERS: _("Non-participants"),
    ALL: _("All workers"),
}
ROUNDS = (Round.BASELINE, Round.FINAL)


@dataclass(frozen=True)
class Indicator:
    key: str
    question: str
    label: Promise
    meaning: Promise
    counted: tuple = ()  # for a share: the answers that count as "yes"
    excluded: tuple = ()  # answers that take the worker out of this indicator
    mean: bool = False

    @property
    def unit(self) -> str:
        return "h" if self.mean else "%"

    def compute(self, answers: list[dict]) -> tuple[float | None, int]:
        """(value, number of answers behind it) over some workers' answers."""
        values = [a[self.question] for a in answers if a.get(self.question) is not None]
        values = [v for v in values if v not in self.excluded]
        if not values:
            return None, 0
        if self.mean:
            return statistics.fmean(values), len(values)
        return 100 * sum(1 for v in values if v in self.counted) / len(values), len(values)


NOT_USED = ("not_used",)

INDICATORS = [
    Indicator(
        "child_alone", "carer_summer", _("Children alone in the summer"),
        _("Parents whose child stays alone during the working day. Lower is better."),
        counted=("alone",), excluded=("no_child_here",),
    ),
    Indicator(
        "hours_alone", "hours_alone", _("Hours a week without an adult"),
        _("Average hours a week a child spends without an adult. Lower is better."),
        mean=True,
    ),
    Indicator(
        "satisfied_space", "satisfied_space", _("Parents satisfied with the space"),
        _("Satisfied or very satisfied, among parents whose child took part."),
        counted=("very_satisfied", "satisfied"), excluded=NOT_USED,
    ),
    Indicator(
        "space_safe", "space_safe", _("Parents who say the space is safe"),
        _("Among parents whose child took part."), counted=("yes",), excluded=NOT_USED,
    ),
    Indicator(
        "teachers_professional", "teachers_professional", _("Teachers seen as professional"),
        _("Among parents whose child took part."), counted=("yes",), excluded=NOT_USED,
    ),
    Indicator(
        "trust_management", "trust_management", _("Workers who absolutely trust management"),
        _("The strongest answer only: trust is what the programme builds."),
        counted=("absolutely",),
    ),
    Indicator(
        "stay_two_years", "stay_two_years", _("Workers planning to stay two years or more"),
        _("Retention: each worker who stays saves the factory a hire."), counted=("yes",),
    ),
    Indicator(
        "satisfied_factory", "satisfied_factory", _("Workers satisfied with the factory"),
        _("Satisfied or very satisfied with the factory overall."),
        counted=("very_satisfied", "satisfied"),
    ),
]  # fmt: skip


@dataclass(frozen=True)
class Answer:
    """One worker's answers in one round: `person` links the rounds, never a name."""

    round: str
    person: tuple
    participant: bool
    answers: dict


@dataclass
class Roster:
    participants: int = 0
    others: int = 0

    @property
    def all(self) -> int:
        return self.participants + self.others

    def of(self, group: str) -> int:
        return {PARTICIPANTS: self.participants, OTHERS: self.others, ALL: self.all}[group]


def season_answers(season) -> tuple[list[Answer], Roster]:
    """A season's answers, each marked participant or not, and its list of parents."""
    return seasons_answers([season])[season.pk]


def seasons_answers(seasons) -> dict[int, tuple[list[Answer], Roster]]:
    """Every season's answers and list of parents, in four queries whatever the count.

    Only workers HR has on the roster count, as parents on the list and as
    answers: a number the public form registered is anyone's invention, and
    an answer under it could be subtracted from the figures by its author.
    An answer is kept only when its pseudonym is a rostered worker's (so an
    answer saved before a worker left the roster drops out too), and never
    when it is contested (two phones answered under one number).

    Participation is worked out now from the enrollments (a child enrolled
    after the baseline still makes the parent a participant), by computing
    the pseudonym of each worker on the list: a few hundred HMACs a season.
    """
    ids = [s.pk for s in seasons]
    surveys = {
        s.season_id: s for s in Survey.objects.filter(season__in=ids).select_related("season")
    }
    participating = defaultdict(set)
    for season_id, number in (
        Worker.objects.filter(
            on_roster=True,
            guardianships__child__enrollments__season__in=ids,
            guardianships__child__enrollments__status__in=[
                Enrollment.Status.ENROLLED, Enrollment.Status.COMPLETED,
            ],
        ).values_list("guardianships__child__enrollments__season", "employee_number")
    ):  # fmt: skip
        participating[season_id].add(number)
    on_lists = defaultdict(list)
    for factory_id, number in Worker.objects.filter(
        factory__in={s.factory_id for s in seasons}, on_roster=True
    ).values_list("factory", "employee_number"):
        on_lists[factory_id].append(number)
    responses = defaultdict(list)
    for row in Response.objects.filter(survey__season__in=ids, contested=False).values(
        "survey__season", "round", "pseudonym", "answers"
    ):
        responses[row["survey__season"]].append(row)
    out = {}
    for season in seasons:
        numbers = participating[season.pk]
        listed = on_lists.get(season.factory_id, [])
        roster = Roster(len(numbers), len(listed) - len(numbers))
        survey = surveys.get(season.pk)
        keys = {survey.pseudonym(n) for n in numbers} if survey else set()
        rostered = {survey.pseudonym(n) for n in listed} if survey else set()
        out[season.pk] = (
            [Answer(r["round"], (season.pk, r["pseudonym"]), r["pseudonym"] in keys, r["answers"])
             for r in responses[season.pk] if r["pseudonym"] in rostered],
            roster,
        )  # fmt: skip
    return out


def _in_group(answer: Answer, group: str) -> bool:
    return group == ALL or answer.participant == (group == PARTICIPANTS)


def compute(answers: list[Answer], roster: Roster) -> dict:
    """Every indicator for every group and round, unsuppressed (see `publish`)."""
    by_round = {r: [a for a in answers if a.round == r] for r in ROUNDS}
    finals = {a.person: a for a in by_round[Round.FINAL]}
    pairs = [(a, finals[a.person]) for a in by_round[Round.BASELINE] if a.person in finals]
    rates = {
        r: {g: (sum(1 for a in by_round[r] if _in_group(a, g)), roster.of(g)) for g in GROUPS}
        for r in ROUNDS
    }
    rows = []
    for indicator in INDICATORS:
        cells = {
            g: {r: indicator.compute([a.answers for a in by_round[r] if _in_group(a, g)])
                for r in ROUNDS}
            for g in GROUPS
        }  # fmt: skip
        paired = {}
        for g in GROUPS:
            both = [
                (b.answers, f.answers) for b, f in pairs
                if _in_group(f, g) and indicator.compute([b.answers])[1]
                and indicator.compute([f.answers])[1]
            ]  # fmt: skip
            before = indicator.compute([b for b, _f in both])[0]
            after = indicator.compute([f for _b, f in both])[0]
            paired[g] = (after - before if both else None, len(both))
        rows.append({"indicator": indicator, "cells": cells, "paired": paired})
    return {"rates": rates, "rows": rows, "roster": roster, "answers": len(answers)}


@dataclass
class Figure:
    """A published number: hidden when it rests on too few people."""

    value: float | None
    n: int
    hidden: bool = False
    unit: str = ""
    signed: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def shown(self) -> float | None:
        """The value as published (rounded), None when hidden or empty."""
        if self.hidden or self.value is None:
            return None
        return round(self.value, 1 if self.unit == "h" else 0)

    @property
    def text(self) -> str:
        if self.hidden:
            return hidden_text()
        if self.value is None:
            return "—"
        number = f"{self.shown:+g}" if self.signed else f"{self.shown:g}"
        return f"{number}{'%' if self.unit == '%' and not self.signed else ''}"

    @property
    def n_text(self) -> str:
        return hidden_text() if self.hidden else str(self.n)


def publish(results: dict) -> dict:
    """The figures as they may leave the app.

    Each round's answer counts are a line (participants + non-participants =
    all) suppressed with its total. The indicators of a round rest on nearly
    the same people (an indicator leaves out only those it does not apply
    to), so one indicator's counts would reveal another's hidden ones: a
    group hidden in any line of a round is hidden in every line of it. A
    change needs both of its rounds; paired changes are one more such family.
    """
    rows_in = results["rows"]
    hidden = {
        r: _union([_counts(results["rates"][r])]
                  + [[row["cells"][g][r][1] for g in GROUPS] for row in rows_in])
        for r in ROUNDS
    }  # fmt: skip
    hidden_pairs = _union([[row["paired"][g][1] for g in GROUPS] for row in rows_in])
    rates = {
        r: {g: Figure(100 * n / of if of else None, n, hidden[r][g], "%")
            for g, (n, of) in results["rates"][r].items()}
        for r in ROUNDS
    }  # fmt: skip
    rows = []
    for row in rows_in:
        unit = row["indicator"].unit
        cells = {
            g: {r: Figure(*row["cells"][g][r], hidden[r][g] or _lone(hidden[r], g, row["cells"],
                                                                      r), unit)
                for r in ROUNDS}
            for g in GROUPS
        }  # fmt: skip
        change = {}
        for g in GROUPS:
            before, after = cells[g][Round.BASELINE], cells[g][Round.FINAL]
            value = (
                after.value - before.value
                if None not in (after.value, before.value) else None
            )  # fmt: skip
            change[g] = Figure(value, min(before.n, after.n), before.hidden or after.hidden,
                               unit, signed=True)  # fmt: skip
        pairs_n = {g: {"": row["paired"][g]} for g in GROUPS}
        paired = {
            g: Figure(*row["paired"][g], hidden=hidden_pairs[g] or _lone(hidden_pairs, g,
                                                                          pairs_n, ""),
                      unit=unit, signed=True)
            for g in GROUPS
        }  # fmt: skip
        rows.append({"indicator": row["indicator"], "cells": cells, "change": change,
                     "paired": paired})  # fmt: skip
    return {"rates": rates, "rows": rows, "roster": results["roster"]}


def pool(per_season: list[dict]) -> dict:
    """Several seasons' figures together, from each season's published round
    figures (`season_results`): a season whose figure for a group and round is
    hidden on its own card is left out of the programme's figure for that
    group and round (and a season whose indicator cell is hidden, of that
    cell). Otherwise the programme figure minus the other seasons' published
    ones would give the hidden one away (a difference between tables).
    Shares and means pool exactly as averages weighted by their answers."""
    published = [publish(results) for results in per_season]
    total = Roster(
        sum(r["roster"].participants for r in per_season),
        sum(r["roster"].others for r in per_season),
    )
    rates = {r: {} for r in ROUNDS}
    rows = [{"indicator": i, "cells": {g: {} for g in GROUPS}, "paired": {}} for i in INDICATORS]
    left_out = set()
    for g in GROUPS:
        for r in ROUNDS:
            kept = [i for i, pub in enumerate(published) if not pub["rates"][r][g].hidden]
            left_out |= set(range(len(per_season))) - set(kept)
            counts = [per_season[i]["rates"][r][g] for i in kept]
            rates[r][g] = (sum(n for n, _of in counts), sum(of for _n, of in counts))
            for k, row in enumerate(rows):
                row["cells"][g][r] = _weighted([
                    per_season[i]["rows"][k]["cells"][g][r] for i in kept
                    if not published[i]["rows"][k]["cells"][g][r].hidden
                ])  # fmt: skip
        for k, row in enumerate(rows):
            row["paired"][g] = _weighted([
                results["rows"][k]["paired"][g] for results, pub in zip(per_season, published,
                                                                        strict=True)
                if not pub["rows"][k]["paired"][g].hidden
            ])  # fmt: skip
    return {"rates": rates, "rows": rows, "roster": total, "left_out": len(left_out),
            "published": published}  # fmt: skip


def _weighted(cells: list[tuple]) -> tuple[float | None, int]:
    """(value, n) pairs pooled: the average of the values weighted by their n."""
    cells = [(value, n) for value, n in cells if value is not None and n]
    n = sum(n for _value, n in cells)
    return (sum(value * n for value, n in cells) / n if n else None), n


def _lone(hidden: dict, group: str, cells: dict, key) -> bool:
    """True for the all-workers figure of a line where it is one hidden group's
    figure: the other group has no answer there (the space's questions, which
    non-participants do not rate), so showing "all" would show the hidden one."""
    if group != ALL or hidden[ALL] or not (hidden[PARTICIPANTS] or hidden[OTHERS]):
        return False
    return 0 in (cells[PARTICIPANTS][key][1], cells[OTHERS][key][1])


# Publication at fixed points: a round's figures are computed once, the first
# time they are read after the round is over, and kept (`RoundFigures`). No
# figure is published while a round takes answers, and none is recomputed
# after: two publications of one round never differ by a few answers.
EMPTY = (None, 0)


def freeze(results: dict, round_: str) -> dict:
    """One round of `compute`'s results as kept: counts and values, no answer."""
    data = {
        "rates": {g: list(results["rates"][round_][g]) for g in GROUPS},
        "cells": {
            row["indicator"].key: {g: list(row["cells"][g][round_]) for g in GROUPS}
            for row in results["rows"]
        },
    }
    if round_ == Round.FINAL:  # the pairs need both rounds: kept with the last one
        data["paired"] = {
            row["indicator"].key: {g: list(row["paired"][g]) for g in GROUPS}
            for row in results["rows"]
        }
    return data


def thaw(frozen: dict[str, dict | None]) -> dict:
    """The kept rounds in `compute`'s shape; a round not yet over is empty."""

    def pair(data, *path):
        for key in path:
            if not data or key not in data:
                return EMPTY
            data = data[key]
        return tuple(data)

    rates = {
        r: {g: tuple(frozen[r]["rates"][g]) if frozen.get(r) else (0, 0) for g in GROUPS}
        for r in ROUNDS
    }
    rows = [
        {"indicator": indicator,
         "cells": {g: {r: pair(frozen.get(r), "cells", indicator.key, g) for r in ROUNDS}
                   for g in GROUPS},
         "paired": {g: pair(frozen.get(Round.FINAL), "paired", indicator.key, g)
                    for g in GROUPS}}
        for indicator in INDICATORS
    ]  # fmt: skip
    latest = next((frozen[r] for r in reversed(ROUNDS) if frozen.get(r)), None)
    roster = (
        Roster(latest["rates"][PARTICIPANTS][1], latest["rates"][OTHERS][1]) if latest else Roster()
    )
    return {"rates": rates, "rows": rows, "roster": roster,
            "over": {r: bool(frozen.get(r)) for r in ROUNDS}}  # fmt: skip


def seasons_results(seasons, today=None) -> dict[int, dict]:
    """Every season's survey figures as published: the kept figures of each
    round that is over (computed and kept now when this is their first read)."""
    seasons = list(seasons)
    surveys = {s.season_id: s for s in Survey.objects.filter(season__in=[x.pk for x in seasons])}
    for season in seasons:  # round_over reads the season's dates: no query each
        if season.pk in surveys:
            surveys[season.pk].season = season
    kept = defaultdict(dict)
    for season_id, round_, results in RoundFigures.objects.filter(
        survey__in=surveys.values()
    ).values_list("survey__season", "round", "results"):
        kept[season_id][round_] = results
    due = [
        season for season in seasons if season.pk in surveys and any(
            surveys[season.pk].round_over(r, today) and r not in kept[season.pk] for r in ROUNDS
        )
    ]  # fmt: skip
    answers_of = seasons_answers(due) if due else {}
    for season in due:
        answers, roster = answers_of[season.pk]
        survey = surveys[season.pk]
        results = compute(answers, roster)
        for r in ROUNDS:
            if survey.round_over(r, today) and r not in kept[season.pk]:
                figures, _created = RoundFigures.objects.get_or_create(
                    survey=survey, round=r, defaults={"results": freeze(results, r)}
                )
                kept[season.pk][r] = figures.results
    return {season.pk: thaw(kept[season.pk]) for season in seasons}


def season_results(season, today=None) -> dict:
    return seasons_results([season], today)[season.pk]


def _counts(rates: dict) -> list[int]:
    return [rates[g][0] for g in GROUPS]


def _union(lines: list[list[int]]) -> dict[str, bool]:
    """Groups hidden in any of these lines. Each line hides none or at least two
    of its three entries, so their union does too."""
    marks = [_hidden_groups(ns) for ns in lines]
    return {g: any(m[g] for m in marks) for g in GROUPS}


def _hidden_groups(ns: list[int]) -> dict[str, bool]:
    """participants, non-participants and all: a list and its total."""
    hide, hide_all = suppress_line(ns[:2], ns[2])
    return {PARTICIPANTS: hide[0], OTHERS: hide[1], ALL: hide_all}
