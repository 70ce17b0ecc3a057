"""Builders for the survey tests: a season's parents, participants or not, and their answers."""

import datetime

import pytest
from django.utils import timezone

from factories.models import Worker
from impact.models import FINAL_DAYS_AFTER_END, Survey
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
    """The worker answers from their own phone (so a second answer replaces the first)."""
    survey = Survey.for_season(season)
    return response_save(
        survey=survey, round=round_, employee_number=worker.employee_number,
        answers={**TYPICAL, **answers}, language="zh-hans", device_key=f"phone-{worker.pk}",
    )  # fmt: skip


def rounds_over(season) -> None:
    """Move the season into the past: both survey rounds are over, so their
    figures are published (they are never published while a round is open)."""
    today = timezone.localdate()
    season.start_date = today - datetime.timedelta(days=90)
    season.end_date = today - datetime.timedelta(days=FINAL_DAYS_AFTER_END + 5)
    season.save(update_fields=["start_date", "end_date"])


@pytest.fixture
def survey(site) -> Survey:
    return Survey.for_season(site.season)
