"""The three checks before a teacher works with children (registered with
`spaces.vetting`, asked at assignment, duty and roll call)."""

from __future__ import annotations

import datetime

from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext

from spaces.models import ConductPolicy, Teacher

from .models import (
    RECORD_CHECK_VALID_YEARS,
    ConductSignature,
    RecordCheck,
    TrainingRecord,
    years_after,
)


def with_checks(teachers, day: datetime.date):
    """Teachers annotated with each check's state on `day`, in one query:
    `signed` (the current code of conduct, by themselves), `trained`, and
    their latest record check's `check_result` and `check_on`."""
    # The current version, as ConductPolicy.objects.current() picks it.
    latest_policy = Subquery(
        ConductPolicy.objects.filter(published_at__lte=timezone.now())
        .order_by("-version")
        .values("pk")[:1]
    )
    latest_check = RecordCheck.objects.filter(teacher=OuterRef("pk"), checked_on__lte=day).order_by(
        "-checked_on", "-pk"
    )
    return teachers.annotate(
        has_policy=Exists(ConductPolicy.objects.filter(published_at__lte=timezone.now())),
        signed=Exists(
            ConductSignature.objects.filter(teacher=OuterRef("pk"), policy=latest_policy)
        ),
        trained=Exists(
            TrainingRecord.objects.filter(teacher=OuterRef("pk"), completed_on__lte=day)
        ),
        check_result=Subquery(latest_check.values("result")[:1]),
        check_on=Subquery(latest_check.values("checked_on")[:1]),
    )


def missing_for(teacher, day: datetime.date) -> list[str]:
    """What an annotated teacher (`with_checks`) lacks on `day`."""
    missing = []
    # With no code of conduct published there is nothing to sign (the season's
    # readiness checklist asks for one); once there is, its current version.
    if teacher.has_policy and not teacher.signed:
        missing.append(gettext("the code of conduct signed by the teacher"))
    if not teacher.trained:
        missing.append(gettext("safeguarding training"))
    if teacher.check_result is None:
        missing.append(gettext("a police record check"))
    elif teacher.check_result != RecordCheck.Result.CLEAR:
        missing.append(gettext("a cleared police record check"))
    elif years_after(teacher.check_on, RECORD_CHECK_VALID_YEARS) <= day:
        missing.append(gettext("a police record check done in the last three years"))
    return missing


def missing_checks(teacher_id: int, day: datetime.date) -> list[str]:
    teacher = with_checks(Teacher.objects.filter(pk=teacher_id), day).first()
    return [] if teacher is None else missing_for(teacher, day)
