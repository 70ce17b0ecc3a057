"""Builders for the survey tests: a season's parents, participants or not, and their answers."""

import pytest

from factories.models import Worker
from impact.models import Survey
from impact.services import response_save

from ..builders import ChildBuilder, EnrollmentBuilder, WorkerBuilder

TYPICAL = {
    "carer_summer": "alone",
    "hours_alone": 30,
    "satisfied_space": "not_used",
    "space_safe": "not_used",
    "teachers_professional": "not_used",
    "trust_management": "mostly",
    "stay_two_years": "no",
    "satisfied_factory": "neutral",
}


def parent(season, *, participant: bool) -> Worker:
    """A worker on the factory's list; a participant has a child enrolled in the season."""
    worker = WorkerBuilder(factory=season.factory)
    child = ChildBuilder(factory=season.factory, guardian=worker)
    if participant:
        EnrollmentBuilder(season=season, child=child)
    return worker


def answer(season, round_: str, worker: Worker, **answers):
    survey = Survey.for_season(season)
    return response_save(
        survey=survey, round=round_, employee_number=worker.employee_number,
        answers={**TYPICAL, **answers}, language="zh-hans",
    )[0]  # fmt: skip


@pytest.fixture
def survey(site) -> Survey:
    return Survey.for_season(site.season)
