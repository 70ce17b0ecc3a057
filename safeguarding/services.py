"""Safeguarding workflows: signing, raising, acknowledging, escalating, reminding."""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from factories.models import AuditEntry, User
from spaces.models import ConductPolicy, Teacher, TeacherPolicyAcceptance

from .models import RECORD_CHECK_VALID_YEARS, Concern, ConductSignature, RecordCheck, years_after
from .signals import concern_escalated, concern_raised


def conduct_sign(
    *, teacher: Teacher, policy: ConductPolicy, typed_name: str, ip: str | None, language: str
) -> ConductSignature:
    """The teacher signs `policy` themselves; also counts as the coordinator's
    record of acceptance the season checklist reads."""
    with transaction.atomic():
        signature, _new = ConductSignature.objects.get_or_create(
            teacher=teacher,
            policy=policy,
            defaults={"typed_name": typed_name, "ip_address": ip, "language": language},
        )
        TeacherPolicyAcceptance.objects.get_or_create(
            teacher=teacher, policy=policy, defaults={"recorded_by": teacher.user}
        )
    return signature


def concern_raise(
    *, enrollment, user: User, category: str, what: str, when: str, immediate_danger: bool,
    shown_emergency: bool, client_key: uuid.UUID | None = None,
) -> tuple[Concern, bool]:  # fmt: skip
    """Record a concern and tell the leads at once. The phone's key makes a
    replay (offline queue, double tap) return the first concern, unchanged."""
    if client_key is not None:
        found = Concern.objects.filter(client_key=client_key, raised_by=user).first()
        if found is not None:
            return found, False
    try:
        with transaction.atomic():
            concern = Concern.objects.create(
                factory_id=enrollment.season.factory_id,
                child_id=enrollment.child_id,
                group_id=enrollment.group_id,
                raised_by=user,
                category=category,
                what=what,
                when=when,
                immediate_danger=immediate_danger,
                shown_emergency_at=timezone.now() if shown_emergency else None,
                client_key=client_key,
            )
            AuditEntry.objects.record(
                user=user, factory_id=concern.factory_id, instance=concern,
                action=AuditEntry.Action.CREATE, changes={},
            )  # fmt: skip
            concern_raised.send(sender=Concern, concern=concern)
    except IntegrityError:
        # The same key raced in from a second request: the first one won. A key
        # someone else used is never answered with their concern: this one is
        # recorded without it.
        mine = Concern.objects.filter(client_key=client_key, raised_by=user).first()
        if mine is not None:
            return mine, False
        return concern_raise(
            enrollment=enrollment, user=user, category=category, what=what, when=when,
            immediate_danger=immediate_danger, shown_emergency=shown_emergency,
        )  # fmt: skip
    return concern, True


def concern_read(*, concern: Concern, user: User) -> None:
    """Every read of a concern is in the audit trail (no content in the entry)."""
    AuditEntry.objects.record(
        user=user, factory_id=concern.factory_id, instance=concern,
        action=AuditEntry.Action.VIEW, changes={},
    )  # fmt: skip


def concern_acknowledge(*, concern: Concern, user: User) -> bool:
    """The first lead to acknowledge claims it; later clicks change nothing."""
    now = timezone.now()
    claimed = Concern.objects.filter(pk=concern.pk, status=Concern.Status.RAISED).update(
        status=Concern.Status.ACKNOWLEDGED, acknowledged_by=user, acknowledged_at=now
    )
    if claimed:
        AuditEntry.objects.record(
            user=user, factory_id=concern.factory_id, instance=concern,
            action=AuditEntry.Action.UPDATE, changes={"status": ["raised", "acknowledged"]},
        )  # fmt: skip
    return bool(claimed)


def concern_close(*, concern: Concern, user: User, outcome: str) -> None:
    with transaction.atomic():
        previous = concern.status
        concern.status, concern.outcome = Concern.Status.CLOSED, outcome
        concern.closed_at = timezone.now()
        if concern.acknowledged_at is None:
            concern.acknowledged_by, concern.acknowledged_at = user, concern.closed_at
        concern.save()
        AuditEntry.objects.record(
            user=user, factory_id=concern.factory_id, instance=concern,
            action=AuditEntry.Action.UPDATE, changes={"status": [previous, "closed"]},
        )  # fmt: skip


def escalate_unacknowledged(*, now: datetime.datetime) -> int:
    """Concerns nobody acknowledged within SAFEGUARDING_ACK_MINUTES go to the
    programme's other leads, once (a conditional update claims each)."""
    due = now - datetime.timedelta(minutes=settings.SAFEGUARDING_ACK_MINUTES)
    escalated = 0
    for pk in Concern.objects.filter(
        status=Concern.Status.RAISED, escalated_at__isnull=True, raised_at__lte=due
    ).values_list("pk", flat=True):
        with transaction.atomic():
            if Concern.objects.filter(pk=pk, escalated_at__isnull=True).update(escalated_at=now):
                concern_escalated.send(sender=Concern, concern=Concern.objects.get(pk=pk))
                escalated += 1
    return escalated


def record_checks_expiring(*, today: datetime.date) -> list[RecordCheck]:
    """Each teacher's latest cleared record check that expires within
    RECORD_CHECK_REMIND_DAYS and was not reminded of yet."""
    soon = today + datetime.timedelta(days=settings.RECORD_CHECK_REMIND_DAYS)
    years = RECORD_CHECK_VALID_YEARS
    newer = RecordCheck.objects.filter(
        teacher=OuterRef("teacher"), checked_on__gt=OuterRef("checked_on")
    )
    candidates = (
        RecordCheck.objects.filter(
            result=RecordCheck.Result.CLEAR,
            reminded_at__isnull=True,
            checked_on__gte=years_after(today, -years) - datetime.timedelta(days=1),
            checked_on__lte=years_after(soon, -years) + datetime.timedelta(days=1),
        )
        .exclude(Exists(newer))
        .select_related("teacher__factory", "teacher__user")
    )
    return [c for c in candidates if today <= c.expires_on <= soon]


def record_check_claim_reminder(*, check: RecordCheck, now: datetime.datetime) -> bool:
    return bool(
        RecordCheck.objects.filter(pk=check.pk, reminded_at__isnull=True).update(reminded_at=now)
    )
