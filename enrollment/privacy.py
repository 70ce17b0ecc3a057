"""Children's data under PIPL: erasure (asked for by a parent, done by HR, or
done by the retention job when a child's last season is long over) and the
JSON export of everything held about a child."""

from __future__ import annotations

import datetime
import json

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ccrcsr.fields import years_before
from ccrcsr.sessions import rewrite_sessions
from factories.models import AuditEntry
from spaces.models import Season

from .models import (
    Child,
    Consent,
    Enrollment,
    ProposedChange,
    Submission,
)
from .signals import child_anonymising, child_exporting

ANONYMISED = "已匿名"


def child_anonymise(*, child: Child, user=None, reason: str) -> None:
    """Remove what identifies a child, keeping what the reports count.

    Kept: sex, home province, who the child lives with, and a birth date moved
    to keep the child's age at the start of each season (the age band), the
    enrollments and attendance rows. Removed: name, county, health notes,
    guardians' links, pickups, emergency contacts, who dropped off and picked
    up, who gave consent, who applied, the free text of incidents naming the child, the
    values the audit trail recorded about all of it, the emails that named the
    child, and what any open session holds about the child (the public form's
    "applied" list, an import preview). What stays of the erasure itself is
    one audit entry: who, when, why.
    """
    with transaction.atomic():
        child = Child.objects.select_for_update().get(pk=child.pk)
        if child.is_erased:
            return  # erased already (two clicks, or the daily job after HR)
        former_name = child.name
        references = list(child.enrollments.values_list("reference", flat=True))
        audited = {
            "enrollment.child": [child.pk],
            "enrollment.enrollment": list(child.enrollments.values_list("pk", flat=True)),
            "enrollment.consent": list(
                Consent.objects.filter(enrollment__child=child).values_list("pk", flat=True)
            ),
            "enrollment.guardianship": list(child.guardianships.values_list("pk", flat=True)),
            "enrollment.authorisedpickup": list(child.pickups.values_list("pk", flat=True)),
            "enrollment.emergencycontact": list(
                child.emergency_contacts.values_list("pk", flat=True)
            ),
        }
        first_season = (
            Season.objects.filter(enrollments__child=child).order_by("start_date").first()
        )
        if first_season is not None:
            age = first_season.age_on_start(child.date_of_birth)
            child.date_of_birth = years_before(first_season.start_date, age)
        child.name = ANONYMISED
        child.home_county = child.allergies = child.medical_notes = child.special_needs = ""
        child.school_grade = ""
        child.anonymised_at = timezone.now()
        child.save()
        child.guardianships.all().delete()
        child.pickups.all().delete()
        child.emergency_contacts.all().delete()
        Consent.objects.filter(enrollment__child=child).update(given_by=ANONYMISED)
        # Who applied (the public form's name and worker) would lead back to the parent.
        child.enrollments.update(applicant_name="", applicant_worker=None)
        for model, pks in audited.items():
            AuditEntry.objects.scrub(model=model, object_ids=pks, mark=ANONYMISED)
        # What public submissions proposed for the child goes; their time stays.
        submissions = set(
            Submission.objects.filter(enrollment__child=child).values_list("pk", flat=True)
        )
        ProposedChange.objects.filter(submission__in=submissions).delete()
        Submission.objects.filter(pk__in=submissions).update(origin="", worker=None)
        _scrub_sessions(former_name, references, submissions)
        # Attendance, incidents and emails are scrubbed by the apps that hold them.
        child_anonymising.send(sender=Child, child=child, former_name=former_name)
        AuditEntry.objects.record(
            user=user,
            factory_id=child.factory_id,
            instance=child,
            action=AuditEntry.Action.UPDATE,
            changes={"anonymised": [None, reason]},
        )


def _scrub_sessions(name: str, references: list[str], submissions: set[int]) -> None:
    """Drop what open sessions hold about an erased child, wherever the sessions
    live (database, shared cache, or both): the family the public form remembers on
    a phone (it lists submissions by id) and any import preview naming the child."""
    needles = [name, *references]

    def names_the_child(key: str, value) -> bool:
        if key.startswith("apply-family-") and isinstance(value, dict):
            done = value.get("done")
            if isinstance(done, list) and any(
                not isinstance(pk, int) or pk in submissions for pk in done
            ):
                return True
        return key.startswith(("apply-", "import-")) and any(
            n in json.dumps(value, ensure_ascii=False, default=str) for n in needles
        )

    def scrub(session) -> bool:
        stale = [key for key, value in session.items() if names_the_child(key, value)]
        for key in stale:
            del session[key]
        return bool(stale)

    rewrite_sessions(scrub)


def children_due_for_anonymising(*, today: datetime.date, months: int):
    """Children whose last season closed `months` ago (or, never enrolled,
    registered that long ago), not yet anonymised."""
    cutoff = today - datetime.timedelta(days=round(months * 30.44))
    recent = Enrollment.objects.filter(
        Q(season__end_date__gte=cutoff) | ~Q(season__status=Season.Status.CLOSED)
    )
    return (
        Child.objects.filter(anonymised_at__isnull=True)
        .exclude(pk__in=recent.values("child_id"))
        .filter(Q(enrollments__isnull=False) | Q(created_at__date__lt=cutoff))
        .distinct()
    )


def export_row(obj, *fields) -> dict:
    """Some fields of a row as text, for a child's export."""
    return {f: (str(v) if (v := getattr(obj, f)) is not None else None) for f in fields}


def child_export(child: Child) -> dict:
    """Everything held about one child, for the guardian who asks."""
    row = export_row
    export = {
        "child": row(
            child,
            "name",
            "sex",
            "date_of_birth",
            "home_province",
            "home_county",
            "lives_with",
            "school_grade",
            "allergies",
            "medical_notes",
            "special_needs",
            "created_at",
        ),  # fmt: skip
        "guardians": [
            {
                **row(g.worker, "employee_number", "name", "phone", "department"),
                "relationship": g.relationship,
            }
            for g in child.guardianships.select_related("worker")
        ],  # fmt: skip
        "pickups": [row(p, "name", "relationship", "phone") for p in child.pickups.all()],
        "emergency_contacts": [
            row(c, "name", "relationship", "phone") for c in child.emergency_contacts.all()
        ],
        "enrollments": [
            {
                **row(
                    e,
                    "reference",
                    "status",
                    "arrival_date",
                    "departure_date",
                    "applied_at",
                    "decided_at",
                    "status_reason",
                ),
                "season": str(e.season),
                "group": str(e.group) if e.group else None,
                "consents": [
                    row(c, "kind", "given_by", "given_at", "withdrawn_at") for c in e.consents.all()
                ],
            }
            for e in child.enrollments.select_related("season", "group").prefetch_related(
                "consents"
            )
        ],  # fmt: skip
        "history": [
            row(a, "at", "action", "model", "object_id") | {"changes": a.changes}
            for a in AuditEntry.objects.filter(model="enrollment.child", object_id=str(child.pk))
        ],
    }
    # Attendance and incidents come from the apps that hold them, before the history.
    history = export.pop("history")
    for _receiver, (section, rows) in child_exporting.send(sender=Child, child=child):
        export[section] = rows
    export["history"] = history
    return export
