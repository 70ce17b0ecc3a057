"""Each indicator computed by hand on a small season: three parents with a
child enrolled (P1-P3), three without (N1-N3, N3 never answers)."""

import pytest

from impact.indicators import ALL, INDICATORS, OTHERS, PARTICIPANTS, compute, season_answers

from .conftest import answer, parent

B, F = "baseline", "final"


@pytest.fixture
def results(site):
    season = site.season
    p1, p2, p3 = (parent(season, participant=True) for _ in range(3))
    n1, n2, _n3 = (parent(season, participant=False) for _ in range(3))
    # P1 first answered something else: the second answer replaces it.
    answer(season, B, p1, carer_summer="grandparents", hours_alone=99)
    answer(season, B, p1, carer_summer="alone", hours_alone=40)
    answer(
        season,
        B,
        p2,
        carer_summer="grandparents",
        hours_alone=20,
        trust_management="absolutely",
        stay_two_years="yes",
        satisfied_factory="satisfied",
    )
    answer(season, B, p3, carer_summer="alone", hours_alone=30, satisfied_factory="satisfied")
    answer(
        season,
        B,
        n1,
        carer_summer="alone",
        hours_alone=36,
        trust_management="little",
        stay_two_years="yes",
    )
    final = {
        "carer_summer": "space",
        "satisfied_space": "very_satisfied",
        "space_safe": "yes",
        "teachers_professional": "yes",
        "trust_management": "absolutely",
        "stay_two_years": "yes",
        "satisfied_factory": "very_satisfied",
    }
    answer(season, F, p1, **final, hours_alone=5)
    answer(
        season,
        F,
        p2,
        **{
            **final,
            "satisfied_space": "satisfied",
            "teachers_professional": "dont_know",
            "satisfied_factory": "satisfied",
        },
        hours_alone=0,
    )
    answer(season, F, n1, carer_summer="alone", hours_alone=30, stay_two_years="yes")
    answer(
        season,
        F,
        n2,
        carer_summer="relatives",
        hours_alone=10,
        trust_management="absolutely",
        satisfied_factory="satisfied",
    )
    answers, roster = season_answers(season)
    out = compute(answers, roster)
    return out, {row["indicator"].key: row for row in out["rows"]}  # fmt: skip


def cell(row, group, round_):
    value, n = row["cells"][group][round_]
    return (pytest.approx(value) if value is not None else None), n


def test_every_indicator_is_defined_once_with_its_meaning():
    keys = [i.key for i in INDICATORS]
    assert len(keys) == len(set(keys)) == 8
    assert all(str(i.meaning) for i in INDICATORS)


def test_child_alone_is_the_share_whose_child_stays_alone(results):
    _out, rows = results
    row = rows["child_alone"]
    assert cell(row, PARTICIPANTS, B) == (pytest.approx(200 / 3), 3)
    assert cell(row, PARTICIPANTS, F) == (0, 2)
    assert cell(row, OTHERS, B) == (100, 1)
    assert cell(row, OTHERS, F) == (50, 2)
    assert cell(row, ALL, B) == (75, 4)
    assert cell(row, ALL, F) == (25, 4)
    # Paired: P1, P2 and N1 answered both rounds: 2 of 3 alone before, 1 of 3 after.
    change, n = row["paired"][ALL]
    assert (change, n) == (pytest.approx(100 / 3 - 200 / 3), 3)
    assert row["paired"][PARTICIPANTS] == (pytest.approx(-50), 2)


def test_hours_alone_is_the_mean_and_changes_in_hours(results):
    _out, rows = results
    row = rows["hours_alone"]
    assert cell(row, PARTICIPANTS, B) == (30, 3)
    assert cell(row, PARTICIPANTS, F) == (2.5, 2)
    assert cell(row, ALL, B) == (31.5, 4)
    assert cell(row, ALL, F) == (11.25, 4)
    change, n = row["paired"][ALL]
    assert (change, n) == (pytest.approx((5 + 0 + 30) / 3 - (40 + 20 + 36) / 3), 3)


def test_space_ratings_leave_out_parents_whose_child_did_not_take_part(results):
    _out, rows = results
    assert cell(rows["satisfied_space"], PARTICIPANTS, B) == (None, 0)
    assert cell(rows["satisfied_space"], PARTICIPANTS, F) == (100, 2)
    assert cell(rows["satisfied_space"], OTHERS, F) == (None, 0)
    assert cell(rows["space_safe"], ALL, F) == (100, 2)
    # "I do not know" counts in the denominator, not as a yes.
    assert cell(rows["teachers_professional"], ALL, F) == (50, 2)


def test_trust_counts_only_the_strongest_answer(results):
    _out, rows = results
    row = rows["trust_management"]
    assert cell(row, PARTICIPANTS, B) == (pytest.approx(100 / 3), 3)
    assert cell(row, PARTICIPANTS, F) == (100, 2)
    assert cell(row, OTHERS, B) == (0, 1)
    assert cell(row, OTHERS, F) == (50, 2)
    assert cell(row, ALL, B) == (25, 4)
    assert cell(row, ALL, F) == (75, 4)


def test_plan_to_stay_and_satisfaction_with_the_factory(results):
    _out, rows = results
    assert cell(rows["stay_two_years"], ALL, B) == (50, 4)
    assert cell(rows["stay_two_years"], ALL, F) == (75, 4)
    assert cell(rows["satisfied_factory"], ALL, B) == (50, 4)
    assert cell(rows["satisfied_factory"], ALL, F) == (75, 4)


def test_response_rates_per_round_and_group(results):
    out, _rows = results
    assert out["rates"][B] == {PARTICIPANTS: (3, 3), OTHERS: (1, 3), ALL: (4, 6)}
    assert out["rates"][F] == {PARTICIPANTS: (2, 3), OTHERS: (2, 3), ALL: (4, 6)}
