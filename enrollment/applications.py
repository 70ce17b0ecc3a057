"""Applications: a worker's from the public form or one HR types in, the worker
and child found or registered (audited), and the check against the roster."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from factories.models import AuditEntry, Worker
from spaces.models import Season

from .models import (
    AuthorisedPickup,
    Child,
    Consent,
    Enrollment,
    Guardianship,
    RosterCheck,
)


@dataclass
class ApplicationData:
    """One child's application, as the public form or HR's form gives it."""

    employee_number: str
    worker_name: str
    relationship: str
    phone: str
    child_name: str
    sex: str
    date_of_birth: datetime.date
    home_province: str
    lives_with: str
    arrival_date: datetime.date
    departure_date: datetime.date
    allergies: str
    medical_notes: str
    pickups: list[tuple[str, str, str]]
    consents: list[str]


def application_submit(*, season: Season, data: ApplicationData, user=None) -> Enrollment:
    """Record an application: the worker (found or registered), the child (found by
    guardian, name and birth date, or created), pickups, consents, the enrollment."""
    now = timezone.now()
    public = user is None
    with transaction.atomic():
        worker = Worker.objects.filter(
            factory=season.factory, employee_number=data.employee_number
        ).first()
        check = roster_check(season.factory_id, worker, data.worker_name) if public else ""
        worker_created = worker is None
        if worker_created:
            # HR entering an application vouches for the worker; the public form does not.
            worker = Worker.objects.create(
                factory=season.factory,
                employee_number=data.employee_number,
                name=data.worker_name,
                phone=data.phone,
                on_roster=not public,
            )
        elif data.phone and worker.phone != data.phone and check != RosterCheck.NAME_DIFFERS:
            # Someone else typing this number must not change the roster's phone.
            worker.phone = data.phone
            worker.save(update_fields=["phone"])
        if worker_created:
            _record_created(user, season.factory_id, worker, {"name": worker.name})
        child = Child.objects.filter(
            guardians=worker, name=data.child_name, date_of_birth=data.date_of_birth
        ).first()
        if child is None:
            child = Child.from_application(season.factory, vars(data))
            child.save()
            guardianship = Guardianship.objects.create(
                child=child, worker=worker, relationship=data.relationship
            )
            _record_created(user, season.factory_id, child, {"name": child.name})
            _record_created(
                user, season.factory_id, guardianship, {"worker": worker.pk, "child": child.pk}
            )
        else:
            _add_health_notes(child, data, user=user, factory_id=season.factory_id)
        for name, relationship, phone in data.pickups:
            pickup, made = AuthorisedPickup.objects.get_or_create(
                child=child, name=name, defaults={"relationship": relationship, "phone": phone}
            )
            if made:
                _record_created(user, season.factory_id, pickup, {"name": name, "child": child.pk})
        enrollment, created = Enrollment.objects.get_or_create(
            child=child,
            season=season,
            defaults={
                "arrival_date": data.arrival_date,
                "departure_date": data.departure_date,
                "created_by": user if user is not None and user.is_authenticated else None,
                "applied_at": now,
                "roster_check": check,
                "applicant_name": data.worker_name,
                "applicant_worker": worker,
            },
        )
        for kind in data.consents:
            consent, made = Consent.objects.get_or_create(
                enrollment=enrollment,
                kind=kind,
                defaults={"given_by": data.worker_name, "given_at": now},
            )
            if made:
                _record_created(
                    user, season.factory_id, consent, {"kind": kind, "given_by": data.worker_name}
                )
        if created:
            AuditEntry.objects.record(
                user=user,
                factory_id=season.factory_id,
                instance=enrollment,
                action=AuditEntry.Action.CREATE,
                changes={"status": [None, enrollment.status], "child": [None, child.pk]},
            )
    return enrollment


def _add_health_notes(child: Child, data: ApplicationData, *, user, factory_id: int) -> None:
    """A child already registered (last season, or by the roster import) keeps its
    record, but what the parent declares about allergies and illnesses must reach
    the teachers: added to what is held, never replacing it."""
    changes = {}
    for field in ("allergies", "medical_notes"):
        held, given = getattr(child, field), getattr(data, field).strip()
        if given and given not in held:
            setattr(child, field, f"{held}\n{given}" if held else given)
            changes[field] = [held, getattr(child, field)]
    if changes:
        child.save(update_fields=list(changes))
        AuditEntry.objects.record(
            user=user,
            factory_id=factory_id,
            instance=child,
            action=AuditEntry.Action.UPDATE,
            changes=changes,
        )


def same_name(a: str, b: str) -> bool:
    return "".join(a.split()).casefold() == "".join(b.split()).casefold()


def roster_check(factory_id: int, worker: Worker | None, name: str) -> str:
    """How a public application's employee number and name compare with the roster.

    A factory that has no roster yet (HR never imported or entered a worker) has
    nothing to compare with: every application passes until it has one.
    """
    if worker is not None and worker.on_roster:
        return "" if same_name(worker.name, name) else RosterCheck.NAME_DIFFERS
    if not Worker.objects.filter(factory_id=factory_id, on_roster=True).exists():
        return ""
    return RosterCheck.UNKNOWN_NUMBER


def enrollment_confirm_roster(*, enrollment: Enrollment, worker: Worker | None, user) -> None:
    """HR settles a "not on the roster" application: either the applicant is the
    worker of the number given (`worker` None: confirmed, and put on the roster), or
    the child belongs to `worker`, a roster worker HR found, and is moved to them."""
    with transaction.atomic():
        given = enrollment.applicant_worker
        changes = {"roster_check": [enrollment.roster_check, ""]}
        if worker is None and given is not None and not given.on_roster:
            given.on_roster = True
            given.save(update_fields=["on_roster"])
        elif worker is not None and given is not None and worker != given:
            child = enrollment.child
            wrong = Guardianship.objects.filter(child=child, worker=given)
            if Guardianship.objects.filter(child=child, worker=worker).exists():
                wrong.delete()
            else:
                wrong.update(worker=worker)
            enrollment.applicant_worker = worker
            changes["worker"] = [given.pk, worker.pk]
        enrollment.roster_check = ""
        enrollment.save(update_fields=["roster_check", "applicant_worker"])
        AuditEntry.objects.record(
            user=user,
            factory_id=enrollment.season.factory_id,
            instance=enrollment,
            action=AuditEntry.Action.UPDATE,
            changes=changes,
        )


def _record_created(user, factory_id: int, instance, fields: dict) -> AuditEntry:
    return AuditEntry.objects.record(
        user=user,
        factory_id=factory_id,
        instance=instance,
        action=AuditEntry.Action.CREATE,
        changes={name: [None, value] for name, value in fields.items()},
    )
