"""Saving a worker's answers: checked against the roster, kept under a pseudonym."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from factories.models import Worker

from .models import Response, Survey


def worker_on_roster(survey: Survey, employee_number: str) -> bool:
    return Worker.objects.filter(
        factory_id=survey.season.factory_id, employee_number=employee_number
    ).exists()


def response_save(
    *, survey: Survey, round: str, employee_number: str, answers: dict, language: str
) -> tuple[Response, bool]:
    """Keep a worker's answers for a round; returns (response, replaced an earlier one).

    The unique (survey, round, pseudonym) row is replaced, never duplicated,
    so a worker who answers twice counts once, with their latest answers.
    """
    with transaction.atomic():
        response, created = Response.objects.update_or_create(
            survey=survey,
            round=round,
            pseudonym=survey.pseudonym(employee_number),
            defaults={"answers": answers, "language": language, "answered_at": timezone.now()},
        )
    return response, not created
