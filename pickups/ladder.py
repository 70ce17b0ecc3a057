"""The late-pickup ladder: which step is due for a child still here, taken once.

Steps, from the expected pickup time (factory time): the parents are messaged
at once; after `PICKUP_STAFF_AFTER_MINUTES` the coordinator and HR are told,
with the guardians' department and shift so HR can find them on the floor;
after `PICKUP_MANAGER_AFTER_MINUTES` the factory's designated manager. At
closing time, every child still checked in raises an alert to the coordinator.
Each step is a row (once per child and day, by a unique constraint) and an
entry in the audit trail; a child checked out leaves the "still here" list, so
no later step fires. Nothing checks a child out.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import IntegrityError, transaction

from factories.models import AuditEntry

from .expected import StillHere
from .models import LadderStep

Step = LadderStep.Step


def due_steps(row: StillHere, closes: datetime.datetime) -> list[str]:
    """The steps whose time has come for this child, in order."""
    now, expected = row.now, row.expected_at
    due = []
    if now >= expected:
        due.append(Step.PARENTS)
    if now >= expected + datetime.timedelta(minutes=settings.PICKUP_STAFF_AFTER_MINUTES):
        due.append(Step.STAFF)
    if now >= expected + datetime.timedelta(minutes=settings.PICKUP_MANAGER_AFTER_MINUTES):
        due.append(Step.MANAGER)
    if now >= closes:
        due.append(Step.CLOSING)
    return due


def take_step(row: StillHere, step: str) -> bool:
    """Record `step` for this child today; False when it was taken before. Call
    inside the transaction that also logs its messages."""
    enrollment = row.enrollment
    try:
        with transaction.atomic():
            taken = LadderStep.objects.create(
                enrollment=enrollment,
                date=row.record.date,
                step=step,
                expected_at=row.expected_at,
                at=row.now,
            )
    except IntegrityError:
        return False
    AuditEntry.objects.record(
        user=None,
        factory_id=enrollment.season.factory_id,
        instance=taken,
        action=AuditEntry.Action.CREATE,
        changes={
            "step": [None, step],
            "enrollment": [None, enrollment.pk],
            "expected_at": [None, row.expected_at.isoformat()],
            "minutes_late": [None, row.minutes_late],
        },
    )
    return True
