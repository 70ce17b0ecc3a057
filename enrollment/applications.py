"""Applications: a worker's from the public form or one HR types in, the worker
and child found or registered (audited), and the check against the roster."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from factories.models import PROVINCES, AuditEntry, Worker
from spaces.models import Season

from .models import (
    ERASED_REFUSAL,
    AuthorisedPickup,
    Child,
    Consent,
    Enrollment,
    Guardianship,
    LivesWith,
    ProposedChange,
    Relationship,
    RosterCheck,
    Sex,
    Submission,
    new_reference,
)
from .signals import application_received


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
    # The parent agrees to be told by SMS (the parent channel, a floor above,
    # records it from the `application_received` signal).
    parent_messages: bool = False


def application_submit(*, season: Season, data: ApplicationData, user) -> Enrollment:
    """HR enters an application (a paper form): staff vouch for what they type, so
    the worker, the child (found by guardian, name and birth date, or created), its
    health notes, pickups and consents are written at once, audited."""
    now = timezone.now()
    with transaction.atomic():
        worker = Worker.objects.filter(
            factory=season.factory, employee_number=data.employee_number
        ).first()
        if worker is None:
            worker = _register_worker(season, data, user=user, on_roster=True)
        elif data.phone and worker.phone != data.phone:
            worker.phone = data.phone
            worker.save(update_fields=["phone"])
        child = _registered_child(worker, data)
        if child is None:
            child = _register_child(season, worker, data, user=user)
        else:
            _add_health_notes(child, data, user=user, factory_id=season.factory_id)
            _add_pickups(child, data.pickups, user=user, factory_id=season.factory_id)
        enrollment, _created = _enrollment(
            season, child, worker, data, user=user, now=now, check=""
        )
        for kind in data.consents:
            _give_consent(enrollment, kind, data.worker_name, now, user=user)
    return enrollment


def application_request(*, season: Season, data: ApplicationData, origin: str = "") -> Submission:
    """The public form: a request, not a change. A new worker, child and application
    are registered (flagged for HR when not on the roster); whatever the post says
    about records already registered (the worker's phone, the child's details and
    health notes, pickup people, an existing application's dates and consents) is
    kept as proposed changes for HR to accept or refuse, one by one. The answer is
    the same whether or not anything was known: a submission with its reference."""
    now = timezone.now()
    with transaction.atomic():
        worker = Worker.objects.filter(
            factory=season.factory, employee_number=data.employee_number
        ).first()
        check = roster_check(season.factory_id, worker, data.worker_name)
        proposed: list[tuple[str, object]] = []
        if worker is None:
            worker = _register_worker(season, data, user=None, on_roster=False)
        elif data.phone and worker.phone != data.phone:
            proposed.append((ProposedChange.Field.PHONE, data.phone))
        child = _registered_child(worker, data)
        if child is None:
            child = _register_child(season, worker, data, user=None)
        else:
            proposed += _child_differences(child, worker, data)
        enrollment, created = _enrollment(
            season, child, worker, data, user=None, now=now, check=check
        )
        if created:
            for kind in data.consents:
                _give_consent(enrollment, kind, data.worker_name, now, user=None)
        else:
            proposed += _enrollment_differences(enrollment, data)
        submission = Submission.objects.create(
            enrollment=enrollment,
            reference=enrollment.reference if created else new_reference(),
            submitted_at=now,
            worker=worker,
            origin=origin,
        )
        waiting = {
            (field, json.dumps(value, sort_keys=True))
            for field, value in ProposedChange.objects.filter(
                submission__enrollment=enrollment, status=ProposedChange.Status.PENDING
            ).values_list("field", "value")
        }
        ProposedChange.objects.bulk_create(
            ProposedChange(submission=submission, field=field, value=value)
            for field, value in proposed
            if (field, json.dumps(value, sort_keys=True)) not in waiting  # asked again: once
        )
    return submission


def _register_worker(season: Season, data: ApplicationData, *, user, on_roster: bool) -> Worker:
    # HR entering an application vouches for the worker; the public form does not.
    worker = Worker.objects.create(
        factory=season.factory,
        employee_number=data.employee_number,
        name=data.worker_name,
        phone=data.phone,
        on_roster=on_roster,
    )
    _record_created(user, season.factory_id, worker, {"name": worker.name})
    return worker


def _registered_child(worker: Worker, data: ApplicationData) -> Child | None:
    return Child.objects.filter(
        guardians=worker, name=data.child_name, date_of_birth=data.date_of_birth
    ).first()


def _register_child(season: Season, worker: Worker, data: ApplicationData, *, user) -> Child:
    """A child nobody registered yet: the application's details are its record."""
    child = Child.from_application(season.factory, vars(data))
    child.save()
    guardianship = Guardianship.objects.create(
        child=child, worker=worker, relationship=data.relationship
    )
    _record_created(user, season.factory_id, child, {"name": child.name})
    _record_created(user, season.factory_id, guardianship, {"worker": worker.pk, "child": child.pk})
    _add_pickups(child, data.pickups, user=user, factory_id=season.factory_id)
    return child


def _enrollment(season, child, worker, data, *, user, now, check) -> tuple[Enrollment, bool]:
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
    if created:
        AuditEntry.objects.record(
            user=user,
            factory_id=season.factory_id,
            instance=enrollment,
            action=AuditEntry.Action.CREATE,
            changes={"status": [None, enrollment.status], "child": [None, child.pk]},
        )
        application_received.send(
            sender=Enrollment,
            enrollment=enrollment,
            parent_messages=data.parent_messages,
            given_by=data.worker_name,
            user=user,
        )
    return enrollment, created


def _give_consent(enrollment: Enrollment, kind: str, given_by: str, at, *, user) -> None:
    consent, made = Consent.objects.get_or_create(
        enrollment=enrollment, kind=kind, defaults={"given_by": given_by, "given_at": at}
    )
    if made:
        _record_created(
            user, enrollment.season.factory_id, consent, {"kind": kind, "given_by": given_by}
        )


def _add_pickups(child: Child, pickups, *, user, factory_id: int) -> None:
    for name, relationship, phone in pickups:
        pickup, made = AuthorisedPickup.objects.get_or_create(
            child=child, name=name, defaults={"relationship": relationship, "phone": phone}
        )
        if made:
            _record_created(user, factory_id, pickup, {"name": name, "child": child.pk})


def _child_differences(child: Child, worker: Worker, data: ApplicationData):
    """What a public post says about a registered child that its record does not."""
    Field = ProposedChange.Field
    found: list[tuple[str, object]] = []
    for field in (Field.SEX, Field.HOME_PROVINCE, Field.LIVES_WITH):
        given = getattr(data, field)
        if given and given != getattr(child, field):
            found.append((field, given))
    held_as = child.guardianships.filter(worker=worker).values_list("relationship", flat=True)
    if data.relationship and data.relationship not in held_as:
        found.append((Field.RELATIONSHIP, data.relationship))
    for field in ProposedChange.APPENDED:
        given = getattr(data, field).strip()
        if given and given not in getattr(child, field):
            found.append((field, given))
    held = {p.name: p for p in child.pickups.all()}
    for name, relationship, phone in data.pickups:
        pickup = held.get(name)
        if (
            pickup is None
            or pickup.relationship != relationship
            or (phone and pickup.phone != phone)
        ):
            found.append(
                (Field.PICKUP, {"name": name, "relationship": relationship, "phone": phone})
            )
    return found


def _enrollment_differences(enrollment: Enrollment, data: ApplicationData):
    """What a public post says about an application already made for this child."""
    Field = ProposedChange.Field
    found: list[tuple[str, object]] = []
    if (enrollment.arrival_date, enrollment.departure_date) != (
        data.arrival_date,
        data.departure_date,
    ):
        stay = {
            "arrival": data.arrival_date.isoformat(),
            "departure": data.departure_date.isoformat(),
        }
        found.append((Field.STAY, stay))
    given = set(
        enrollment.consents.filter(withdrawn_at__isnull=True).values_list("kind", flat=True)
    )
    for kind in data.consents:
        if kind not in given:
            found.append((Field.CONSENT, {"kind": kind, "given_by": data.worker_name}))
    return found


def _add_health_notes(child: Child, data: ApplicationData, *, user, factory_id: int) -> None:
    """A child already registered (last season, or by the roster import) keeps its
    record, but what the parent declares about allergies and illnesses must reach
    the teachers: added to what is held, never replacing it."""
    changes = {}
    for field in ("allergies", "medical_notes"):
        given = getattr(data, field).strip()
        if given and given not in getattr(child, field):
            changes[field] = _append_note(child, field, given)
    if changes:
        child.save(update_fields=list(changes))
        AuditEntry.objects.record(
            user=user,
            factory_id=factory_id,
            instance=child,
            action=AuditEntry.Action.UPDATE,
            changes=changes,
        )


def _append_note(child: Child, field: str, given: str) -> list[str]:
    held = getattr(child, field)
    setattr(child, field, f"{held}\n{given}" if held else given)
    return [held, getattr(child, field)]


class ChangeRefused(Exception):
    """A proposed change that can no longer be written; the message says why."""


def proposed_change_decide(*, change: ProposedChange, accept: bool, user) -> bool:
    """HR accepts a proposed change (written now, audited) or refuses it (nothing
    written). False when it was decided already: a second click, or a colleague."""
    status = ProposedChange.Status.ACCEPTED if accept else ProposedChange.Status.REFUSED
    with transaction.atomic():
        enrollment = change.submission.enrollment
        # The child's row lock orders a decision and an erasure of the same child.
        child = Child.objects.select_for_update().get(pk=enrollment.child_id)
        claimed = ProposedChange.objects.filter(
            pk=change.pk, status=ProposedChange.Status.PENDING
        ).update(status=status, decided_by=user, decided_at=timezone.now())
        if not claimed:
            return False
        if accept:
            if child.is_erased:
                raise ChangeRefused(ERASED_REFUSAL)
            _write(change, Enrollment.objects.get(pk=enrollment.pk), child, user=user)
        AuditEntry.objects.record(
            user=user,
            factory_id=enrollment.season.factory_id,
            instance=change,
            action=AuditEntry.Action.UPDATE,
            changes={
                "status": [ProposedChange.Status.PENDING, status],
                "kind": [None, change.field],
            },
        )
    return True


def _write(change: ProposedChange, enrollment: Enrollment, child: Child, *, user) -> None:
    Field, value = ProposedChange.Field, change.value
    factory_id = child.factory_id

    def audit(instance, action, changes):
        AuditEntry.objects.record(
            user=user, factory_id=factory_id, instance=instance, action=action, changes=changes
        )

    if change.field == Field.PHONE:
        worker = change.submission.worker
        if worker is None:
            raise ChangeRefused(_("The worker of this application is no longer registered."))
        audit(worker, AuditEntry.Action.UPDATE, {"phone": [worker.phone, value]})
        worker.phone = value
        worker.save(update_fields=["phone"])
    elif change.field in ProposedChange.APPENDED:
        if value not in getattr(child, change.field):
            changes = {change.field: _append_note(child, change.field, value)}
            child.save(update_fields=[change.field])
            audit(child, AuditEntry.Action.UPDATE, changes)
    elif change.field in ProposedChange.CHILD_FIELDS:
        audit(
            child, AuditEntry.Action.UPDATE, {change.field: [getattr(child, change.field), value]}
        )
        setattr(child, change.field, value)
        child.save(update_fields=[change.field])
    elif change.field == Field.RELATIONSHIP:
        guardianship = Guardianship.objects.filter(child=child, worker=change.submission.worker)
        held = guardianship.first()
        if held is None:
            raise ChangeRefused(_("This worker is no longer the child's guardian."))
        audit(held, AuditEntry.Action.UPDATE, {"relationship": [held.relationship, value]})
        guardianship.update(relationship=value)
    elif change.field == Field.PICKUP:
        held = AuthorisedPickup.objects.filter(child=child, name=value["name"]).first()
        fields = {"relationship": value["relationship"], "phone": value["phone"]}
        if held is None:
            held = AuthorisedPickup.objects.create(child=child, name=value["name"], **fields)
            audit(
                held,
                AuditEntry.Action.CREATE,
                {"name": [None, held.name], "child": [None, child.pk]},
            )
        else:
            audit(held, AuditEntry.Action.UPDATE,
                  {f: [getattr(held, f), v] for f, v in fields.items()})  # fmt: skip
            AuthorisedPickup.objects.filter(pk=held.pk).update(**fields)
    elif change.field == Field.STAY:
        arrival = datetime.date.fromisoformat(value["arrival"])
        departure = datetime.date.fromisoformat(value["departure"])
        season = enrollment.season
        if departure < arrival or departure < season.start_date or arrival > season.end_date:
            raise ChangeRefused(_("These dates are not inside the programme any more."))
        audit(enrollment, AuditEntry.Action.UPDATE, {
            "arrival_date": [str(enrollment.arrival_date), value["arrival"]],
            "departure_date": [str(enrollment.departure_date), value["departure"]],
        })  # fmt: skip
        Enrollment.objects.filter(pk=enrollment.pk).update(
            arrival_date=arrival, departure_date=departure
        )
    elif change.field == Field.CONSENT:
        consent, made = Consent.objects.update_or_create(
            enrollment=enrollment,
            kind=value["kind"],
            defaults={
                "given_by": value["given_by"],
                "given_at": change.submission.submitted_at,
                "withdrawn_at": None,
            },
        )
        audit(consent, AuditEntry.Action.CREATE if made else AuditEntry.Action.UPDATE,
              {"kind": [None, consent.kind], "given_by": [None, consent.given_by]})  # fmt: skip


def change_difference(change: ProposedChange, enrollment: Enrollment) -> tuple[str, str]:
    """What the record holds now and what the submission proposes, as HR reads them."""
    Field, value, child = ProposedChange.Field, change.value, enrollment.child
    labels = {
        Field.SEX: dict(Sex.choices),
        Field.HOME_PROVINCE: dict(PROVINCES),
        Field.LIVES_WITH: dict(LivesWith.choices),
    }
    relationships = dict(Relationship.choices)

    def person(name, relationship, phone):
        return " · ".join(filter(None, [name, str(relationships.get(relationship, "")), phone]))

    if change.field == Field.PHONE:
        worker = change.submission.worker
        return (f"{worker.name}: {worker.phone or '—'}" if worker else "—"), value
    if change.field == Field.RELATIONSHIP:
        worker = change.submission.worker
        held = next(
            (g for g in child.guardianships.all() if g.worker_id == getattr(worker, "pk", None)),
            None,
        )
        now = f"{worker.name}: {relationships.get(held.relationship, '')}" if held else "—"
        return now, str(relationships.get(value, value))
    if change.field in labels:
        shown = labels[change.field]
        return str(shown.get(getattr(child, change.field), "—")), str(shown.get(value, value))
    if change.field in ProposedChange.APPENDED:
        held = getattr(child, change.field)
        return held or "—", f"{held}\n{value}" if held else value
    if change.field == Field.PICKUP:
        held = next((p for p in child.pickups.all() if p.name == value["name"]), None)
        now = person(held.name, held.relationship, held.phone) if held else _("Not on the list")
        return now, person(value["name"], value["relationship"], value["phone"])
    if change.field == Field.STAY:
        return (
            f"{enrollment.arrival_date} – {enrollment.departure_date}",
            f"{value['arrival']} – {value['departure']}",
        )
    kinds = dict(Consent.Kind.choices)
    held = next((c for c in enrollment.consents.all() if c.kind == value["kind"]), None)
    now = (
        _("Not given")
        if held is None or held.withdrawn_at
        else _("Given by %(name)s") % {"name": held.given_by}
    )
    return f"{kinds.get(value['kind'], '')}: {now}", f"{kinds.get(value['kind'], '')}: " + (
        _("Given by %(name)s") % {"name": value["given_by"]}
    )


# More applications than this from one address within so many minutes is shown
# to HR as a burst: one person sending many, or many phones on one Wi-Fi.
BURST_SIZE, BURST_MINUTES = 10, 10


def season_bursts(season: Season):
    return Submission.objects.filter(enrollment__season=season).bursts(
        size=BURST_SIZE, minutes=BURST_MINUTES
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
