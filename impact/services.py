"""Saving a worker's answers: checked against the roster, kept under a pseudonym.

The public page says the same thing whatever happens here (kept, replaced,
dropped), so it tells nobody who is on the roster or who answered before.
"""

from __future__ import annotations

import hashlib

from django.db import transaction
from django.utils import timezone

from factories.models import Worker

from .models import Response, Survey


def worker_on_roster(survey: Survey, employee_number: str) -> bool:
    """Only workers HR put on the roster count: a number the public application
    form registered (on_roster False until HR confirms it) is anyone's invention."""
    return Worker.objects.filter(
        factory_id=survey.season.factory_id, employee_number=employee_number, on_roster=True
    ).exists()


def device_hash(device_key: str) -> str:
    return hashlib.sha256(device_key.encode()).hexdigest() if device_key else ""


def response_save(
    *, survey: Survey, round: str, employee_number: str, answers: dict, language: str,
    device_key: str = "",
) -> Response | None:  # fmt: skip
    """Keep a worker's answers for a round; None when nothing is kept.

    A number not on the roster is dropped. The first answer for a number is
    kept with the answering phone's key; a later one replaces it only from
    that phone. From any other phone it replaces nothing and marks the
    number's answer contested (left out of the figures): one of the two is
    not the worker, and nothing here can tell which.
    """
    if not worker_on_roster(survey, employee_number):
        return None
    device = device_hash(device_key)
    with transaction.atomic():
        response, created = Response.objects.select_for_update().get_or_create(
            survey=survey, round=round, pseudonym=survey.pseudonym(employee_number),
            defaults={"answers": answers, "language": language, "device": device},
        )  # fmt: skip
        if created:
            return response
        if device and response.device == device:
            response.answers, response.language = answers, language
            response.answered_at = timezone.now()
            response.save(update_fields=["answers", "language", "answered_at"])
        elif not response.contested:
            response.contested = True
            response.save(update_fields=["contested"])
    return response
