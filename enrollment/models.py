"""Children, their guardians, and their places in a season."""

from __future__ import annotations

import datetime
import math
import re
import secrets
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, F, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from factories.models import PROVINCES, Factory, ScopedQuerySet, Worker
from factories.scoping import CHILDREN_STAFF
from spaces.models import Group, Season

ERASED_REFUSAL = _(
    "This child's data was erased at the family's request: it cannot be changed or "
    "filled in again. Register the child anew if the family applies again."
)


def refuse_if_erased(child) -> None:
    """A model's clean(): nothing may be written to or about an erased child."""
    if child is not None and child.anonymised_at is not None:
        raise ValidationError(ERASED_REFUSAL)


class Sex(models.TextChoices):
    FEMALE = "F", _("Girl")
    MALE = "M", _("Boy")


class LivesWith(models.TextChoices):
    GRANDPARENTS = "grandparents", _("Grandparents")
    ONE_PARENT = "one_parent", _("One parent at home")
    RELATIVES = "relatives", _("Other relatives")
    BOARDING = "boarding", _("Boarding school")
    PARENTS = "parents", _("Both parents (with them at the factory)")
    OTHER = "other", _("Other")


class SchoolGrade(models.TextChoices):
    NONE = "none", _("Not at school yet")
    KINDERGARTEN = "k", _("Kindergarten")
    P1 = "p1", _("Primary 1")
    P2 = "p2", _("Primary 2")
    P3 = "p3", _("Primary 3")
    P4 = "p4", _("Primary 4")
    P5 = "p5", _("Primary 5")
    P6 = "p6", _("Primary 6")
    J1 = "j1", _("Junior middle 1")
    J2 = "j2", _("Junior middle 2")
    J3 = "j3", _("Junior middle 3")


def search_q(query: str, child: str, *, child_name: str) -> Q:
    """Rows whose child (at `child`) is named like `query`, or whose guardian is: by
    name, employee number, or four or more digits of the phone. Guardians go through
    a subquery so a child with two guardians is one row. Full-width digits and
    letters count as plain ones, as they are stored."""
    query = unicodedata.normalize("NFKC", query).strip()
    if not query:
        return Q(pk__in=[])
    guardians = Q(worker__name__icontains=query) | Q(worker__employee_number__iexact=query)
    digits = re.sub(r"\D", "", query)
    if len(digits) >= 4 and len(digits) == len(re.sub(r"[\s-]", "", query)):
        guardians |= Q(worker__phone__contains=digits)
    by_guardian = Guardianship.objects.filter(guardians).values("child_id")
    return Q(**{f"{child_name}__icontains": query}) | Q(**{f"{child}__in": by_guardian})


# What a child may lack after an import, until HR or the parent completes it.
DETAILS_TO_COMPLETE = ("home_province", "lives_with")


class ChildQuerySet(ScopedQuerySet):
    def taught_by(self, user):
        """Children enrolled in the groups `user` teaches."""
        groups = Group.objects.taught_by(user).values("pk")
        return self.filter(
            pk__in=Enrollment.objects.filter(
                group__in=groups, status=Enrollment.Status.ENROLLED
            ).values("child_id")
        )

    def for_member(self, user):
        return self.for_roles(user, *CHILDREN_STAFF) | self.taught_by(user)

    def search(self, query: str):
        """Children by their name or their guardian's (see EnrollmentQuerySet.search)."""
        return self.filter(search_q(query, "pk", child_name="name"))


# What an application says of the child (the public form's `ApplicationData`, a
# roster row), by its name there -> the child's field.
CHILD_FIELDS_OF_APPLICATION = {
    "child_name": "name",
    "sex": "sex",
    "date_of_birth": "date_of_birth",
    "home_province": "home_province",
    "home_county": "home_county",
    "lives_with": "lives_with",
    "allergies": "allergies",
    "medical_notes": "medical_notes",
}


class Child(models.Model):
    """A worker's child. Sensitive personal information: see DESIGN.md."""

    factory = models.ForeignKey(
        Factory, on_delete=models.PROTECT, related_name="children", verbose_name=_("factory")
    )
    name = models.CharField(_("name"), max_length=100)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    date_of_birth = models.DateField(_("date of birth"))
    # Blank when an imported roster did not say: the child is "details missing"
    # until HR (or the parent) completes it; figures count it as unknown.
    home_province = models.CharField(
        _("home province"), max_length=20, choices=PROVINCES, blank=True
    )
    home_county = models.CharField(_("home county"), max_length=100, blank=True)
    lives_with = models.CharField(
        _("normally lives with"), max_length=20, choices=LivesWith.choices, blank=True
    )
    school_grade = models.CharField(
        _("school grade"), max_length=4, choices=SchoolGrade.choices, blank=True
    )
    allergies = models.TextField(_("allergies"), blank=True)
    medical_notes = models.TextField(_("medical notes"), blank=True)
    special_needs = models.TextField(_("special needs"), blank=True)
    guardians = models.ManyToManyField(
        Worker, through="Guardianship", related_name="children", verbose_name=_("guardians")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when the retention rule (or an erasure request) removed what identifies the child.
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)

    objects = ChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("child")
        verbose_name_plural = _("children")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def from_application(cls, factory, values) -> Child:
        """An unsaved child of `factory` with what an application says of them
        (`values`: a mapping by the application's names; what it does not carry
        stays empty)."""
        return cls(
            factory=factory,
            **{
                field: values[key]
                for key, field in CHILD_FIELDS_OF_APPLICATION.items()
                if key in values
            },
        )

    @property
    def is_erased(self) -> bool:
        """Anonymised (on request or by the retention rule): read-only for ever."""
        return self.anonymised_at is not None

    def clean(self):
        # The stored row decides: a form cannot un-erase by clearing the date.
        if self.pk and Child.objects.filter(pk=self.pk, anonymised_at__isnull=False).exists():
            raise ValidationError(ERASED_REFUSAL)

    def age_on(self, day: datetime.date) -> int:
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    @property
    def is_left_behind(self) -> bool:
        """Lives away from the parents; False when nobody has said (details missing)."""
        return bool(self.lives_with) and self.lives_with != LivesWith.PARENTS

    @property
    def details_missing(self) -> list[str]:
        """The fields an import left to complete (a roster has no such columns)."""
        return [
            str(self._meta.get_field(name).verbose_name)
            for name in DETAILS_TO_COMPLETE
            if not getattr(self, name)
        ]


class Relationship(models.TextChoices):
    MOTHER = "mother", _("Mother")
    FATHER = "father", _("Father")
    GRANDPARENT = "grandparent", _("Grandparent")
    AUNT_UNCLE = "aunt_uncle", _("Aunt or uncle")
    SIBLING = "sibling", _("Adult sibling")
    OTHER = "other", _("Other")


class Guardianship(models.Model):
    """A worker is a guardian of record of a child (and may always pick them up)."""

    child = models.ForeignKey(
        Child, on_delete=models.CASCADE, related_name="guardianships", verbose_name=_("child")
    )
    worker = models.ForeignKey(
        Worker, on_delete=models.PROTECT, related_name="guardianships", verbose_name=_("worker")
    )
    relationship = models.CharField(_("relationship"), max_length=20, choices=Relationship.choices)

    class Meta:
        verbose_name = _("guardian")
        verbose_name_plural = _("guardians")
        constraints = [
            models.UniqueConstraint(fields=["child", "worker"], name="guardianship_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.worker} ({self.get_relationship_display()})"

    def clean(self):
        refuse_if_erased(self.child if self.child_id else None)


class AuthorisedPickup(models.Model):
    """Someone other than a guardian whom HR allows to collect the child."""

    child = models.ForeignKey(
        Child, on_delete=models.CASCADE, related_name="pickups", verbose_name=_("child")
    )
    name = models.CharField(_("name"), max_length=100)
    relationship = models.CharField(_("relationship"), max_length=20, choices=Relationship.choices)
    phone = models.CharField(_("phone"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("authorised pickup person")
        verbose_name_plural = _("authorised pickup people")
        constraints = [
            models.UniqueConstraint(fields=["child", "name"], name="pickup_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        refuse_if_erased(self.child if self.child_id else None)


class EmergencyContact(models.Model):
    child = models.ForeignKey(
        Child,
        on_delete=models.CASCADE,
        related_name="emergency_contacts",
        verbose_name=_("child"),
    )
    name = models.CharField(_("name"), max_length=100)
    relationship = models.CharField(_("relationship"), max_length=20, choices=Relationship.choices)
    phone = models.CharField(_("phone"), max_length=30)

    class Meta:
        verbose_name = _("emergency contact")
        verbose_name_plural = _("emergency contacts")

    def __str__(self) -> str:
        return f"{self.name} {self.phone}"

    def clean(self):
        refuse_if_erased(self.child if self.child_id else None)


def new_reference() -> str:
    """A short code a worker can read out to HR; no 0/O or 1/I to confuse."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(8))


class EnrollmentQuerySet(ScopedQuerySet):
    factory_field = "season__factory"

    def for_member(self, user):
        """HR and coordinators see every row; teachers see their groups' children.

        Managers read counts only (through Season), not rows about children.
        """
        own_groups = self.filter(group__in=Group.objects.taught_by(user).values("pk"))
        return self.for_roles(user, *CHILDREN_STAFF) | own_groups

    def pending(self):
        return self.filter(status=Enrollment.Status.APPLIED)

    def search(self, query: str):
        """HR's search: child or parent name, reference code, employee number, or any
        four or more digits of the parent's phone."""
        reference = unicodedata.normalize("NFKC", query).strip()
        # A later public submission for the same child has a reference of its own.
        submitted = Submission.objects.filter(reference__iexact=reference).values("enrollment_id")
        return self.filter(
            search_q(query, "child", child_name="child__name")
            | Q(reference__iexact=reference)
            | Q(pk__in=submitted)
        )

    def for_review(self):
        """The review list's rows: child, group, consents and the guardians (with the
        roster's name for a flagged application) in four queries for any page size,
        each with the number of changes its public submissions propose, waiting."""
        waiting = (
            ProposedChange.objects.filter(
                submission__enrollment=OuterRef("pk"), status=ProposedChange.Status.PENDING
            )
            .order_by()
            .values("submission__enrollment")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return (
            self.select_related("child", "group", "applicant_worker")
            .annotate(changes_waiting=Coalesce(Subquery(waiting), 0))
            .prefetch_related(
                "consents",
                Prefetch(
                    "child__guardianships",
                    queryset=Guardianship.objects.select_related("worker"),
                    to_attr="guardian_rows",
                ),
            )
        )

    def for_roll_call(self, group: Group, day: datetime.date):
        """The group's children in the programme on `day`, in roll-call order.
        The attendance app reads each child's record of the day with it
        (`attendance.roll_call.roll_call_roster`)."""
        return (
            self.filter(
                group=group,
                status__in=[Enrollment.Status.ENROLLED, Enrollment.Status.COMPLETED],
                arrival_date__lte=day,
                departure_date__gte=day,
            )
            .select_related("child")
            .order_by("child__name", "pk")
        )


class RosterCheck(models.TextChoices):
    OK = "", _("On the roster")
    UNKNOWN_NUMBER = "unknown_number", _("Employee number not on the roster")
    NAME_DIFFERS = "name_differs", _("Name differs from the roster")


class Enrollment(models.Model):
    """A child's place (or application for one) in a season."""

    class Status(models.TextChoices):
        APPLIED = "applied", _("Applied")
        WAITLISTED = "waitlisted", _("Waitlisted")
        ENROLLED = "enrolled", _("Enrolled")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        COMPLETED = "completed", _("Completed")

    child = models.ForeignKey(
        Child, on_delete=models.CASCADE, related_name="enrollments", verbose_name=_("child")
    )
    season = models.ForeignKey(
        Season, on_delete=models.PROTECT, related_name="enrollments", verbose_name=_("season")
    )
    group = models.ForeignKey(
        Group,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="enrollments",
        verbose_name=_("group"),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.APPLIED
    )
    reference = models.CharField(
        _("reference"), max_length=12, unique=True, default=new_reference, editable=False
    )
    # Settable (not auto_now_add): an imported paper application keeps its
    # real date, and the waitlist is ordered by it.
    applied_at = models.DateTimeField(_("applied at"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    arrival_date = models.DateField(_("arrival date"))
    departure_date = models.DateField(_("departure date"))
    status_reason = models.CharField(_("reason"), max_length=300, blank=True)
    # Set when the public form's employee number is not on the factory's roster, or
    # its name is not the roster's; the child cannot be enrolled until HR confirms.
    roster_check = models.CharField(
        _("roster check"), max_length=20, choices=RosterCheck.choices, blank=True
    )
    applicant_name = models.CharField(_("name given by the applicant"), max_length=100, blank=True)
    applicant_worker = models.ForeignKey(
        Worker,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("worker of the employee number given"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entered by"),
    )

    objects = EnrollmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        ordering = ["season", "applied_at"]
        constraints = [
            models.UniqueConstraint(fields=["child", "season"], name="enrollment_once_per_season"),
            models.CheckConstraint(
                condition=Q(departure_date__gte=F("arrival_date")),
                name="enrollment_departs_after_arrival",
            ),
        ]
        indexes = [models.Index(fields=["season", "status"], name="enrollment_season_status_idx")]

    def __str__(self) -> str:
        return f"{self.child} · {self.season}"

    def clean(self):
        refuse_if_erased(self.child if self.child_id else None)

    def is_in_programme_on(self, day: datetime.date) -> bool:
        return self.arrival_date <= day <= self.departure_date


class Consent(models.Model):
    """A consent given for one enrollment: who gave it and when."""

    class Kind(models.TextChoices):
        DATA_PROCESSING = "data", _("Processing of the child's personal data")
        PHOTOS = "photos", _("Photos of the child")
        MEDICAL = "medical", _("Emergency medical care")

    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.CASCADE, related_name="consents", verbose_name=_("enrollment")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    given_by = models.CharField(_("given by"), max_length=100)
    given_at = models.DateTimeField(_("given at"))
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        constraints = [
            models.UniqueConstraint(fields=["enrollment", "kind"], name="consent_once_per_kind"),
        ]

    SHORT_LABELS = {
        Kind.DATA_PROCESSING: _("Data"),
        Kind.PHOTOS: _("Photos"),
        Kind.MEDICAL: _("Medical care"),
    }

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.given_by}"

    def clean(self):
        refuse_if_erased(self.enrollment.child if self.enrollment_id else None)

    @property
    def short_label(self) -> str:
        return self.SHORT_LABELS[self.kind]


class SubmissionQuerySet(models.QuerySet):
    def bursts(self, *, size: int, minutes: int) -> list[Burst]:
        """Runs of at least `size` submissions from one address, each within
        `minutes` of the `size - 1`th after it: what one person sending many
        applications looks like (or many phones on one Wi-Fi: HR checks)."""
        found: list[Burst] = []
        window = datetime.timedelta(minutes=minutes)
        rows = self.exclude(origin="").order_by("origin", "submitted_at", "pk")
        by_origin: dict[str, list[tuple]] = {}
        for origin, at, enrollment_id in rows.values_list(
            "origin", "submitted_at", "enrollment_id"
        ):
            by_origin.setdefault(origin, []).append((at, enrollment_id))
        for arrivals in by_origin.values():
            marked = [False] * len(arrivals)
            end = 0
            for start in range(len(arrivals)):
                end = max(end, start)
                while end < len(arrivals) and arrivals[end][0] - arrivals[start][0] <= window:
                    end += 1
                if end - start >= size:
                    marked[start:end] = [True] * (end - start)
            run: list[tuple] = []
            for arrival, in_burst in [*zip(arrivals, marked, strict=True), (None, False)]:
                # Two bursts an hour apart are two, even with nothing between them.
                if run and (not in_burst or arrival[0] - run[-1][0] > window):
                    found.append(Burst(run[0][0], run[-1][0], [e for _at, e in run]))
                    run = []
                if in_burst:
                    run.append(arrival)
        return sorted(found, key=lambda b: b.first, reverse=True)


@dataclass
class Burst:
    first: datetime.datetime
    last: datetime.datetime
    enrollment_ids: list[int]

    @property
    def count(self) -> int:
        return len(self.enrollment_ids)

    @property
    def minutes(self) -> int:
        return max(1, math.ceil((self.last - self.first).total_seconds() / 60))


class Submission(models.Model):
    """One post of the public form. It is a request, not a change: what it says
    about a child, guardian or pickup list already registered waits here as
    proposed changes until HR accepts or refuses each one."""

    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.CASCADE, related_name="submissions",
        verbose_name=_("application"),
    )  # fmt: skip
    # What the thanks page shows: the application's own reference when this post
    # created it, a new one otherwise (an existing application's reference is
    # never shown to whoever typed the same child's details).
    reference = models.CharField(
        _("reference"), max_length=12, default=new_reference, editable=False, db_index=True
    )
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    # The worker of the employee number given: a proposed phone is theirs.
    worker = models.ForeignKey(
        Worker, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("worker of the employee number given"),
    )  # fmt: skip
    # A keyed hash of the client's network (never the address itself): enough to
    # see that many applications came from one place in a few minutes.
    origin = models.CharField(_("origin"), max_length=16, blank=True, editable=False)

    objects = SubmissionQuerySet.as_manager()

    class Meta:
        verbose_name = _("public form submission")
        verbose_name_plural = _("public form submissions")
        indexes = [models.Index(fields=["origin", "submitted_at"], name="submission_origin_idx")]

    def __str__(self) -> str:
        return self.reference


class ProposedChange(models.Model):
    """A change to a registered record that a public submission asks for."""

    class Field(models.TextChoices):
        PHONE = "phone", _("Parent's phone")
        SEX = "sex", _("Sex")
        HOME_PROVINCE = "home_province", _("Home province")
        LIVES_WITH = "lives_with", _("Normally lives with")
        ALLERGIES = "allergies", _("Allergies")
        MEDICAL_NOTES = "medical_notes", _("Medical notes")
        RELATIONSHIP = "relationship", _("Relationship to the child")
        PICKUP = "pickup", _("Authorised pickup person")
        STAY = "stay", _("Arrival and departure")
        CONSENT = "consent", _("Consent")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for HR")
        ACCEPTED = "accepted", _("Accepted")
        REFUSED = "refused", _("Refused")

    # Health notes are added to what is held, never replacing it.
    APPENDED = (Field.ALLERGIES, Field.MEDICAL_NOTES)
    CHILD_FIELDS = (Field.SEX, Field.HOME_PROVINCE, Field.LIVES_WITH, *APPENDED)

    submission = models.ForeignKey(
        Submission, on_delete=models.CASCADE, related_name="changes",
        verbose_name=_("submission"),
    )  # fmt: skip
    field = models.CharField(_("field"), max_length=20, choices=Field.choices)
    # Text for the child's fields and the phone; {"name", "relationship", "phone"}
    # for a pickup person, {"arrival", "departure"} for the stay, {"kind",
    # "given_by"} for a consent.
    value = models.JSONField(_("proposed value"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("decided by"),
    )  # fmt: skip
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("proposed change")
        verbose_name_plural = _("proposed changes")
        ordering = ["submission__submitted_at", "pk"]
        indexes = [models.Index(fields=["status"], name="proposedchange_status_idx")]

    def __str__(self) -> str:
        return f"{self.get_field_display()} · {self.get_status_display()}"


class ColumnMapping(models.Model):
    """How HR mapped the columns of one of the factory's header rows by hand.

    Kept by the whole header row (each column's header and group heading, by
    position: `signature`), never by header text alone: a mapping made for a roster
    with 姓名 twice must not read another file's 姓名 as the child's.
    """

    factory = models.ForeignKey(
        Factory, on_delete=models.CASCADE, related_name="+", verbose_name=_("factory")
    )
    signature = models.CharField(_("header row"), max_length=64)
    # Column index (as text) -> import field key; columns not in it are not imported.
    mapping = models.JSONField(_("columns"), default=dict)
    # The columns as HR saw them (子女信息 / 姓名), for the admin.
    headers = models.JSONField(_("headers"), default=list)
    mapped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("mapped by"),
    )
    mapped_at = models.DateTimeField(_("mapped at"), auto_now=True)

    class Meta:
        verbose_name = _("import column mapping")
        verbose_name_plural = _("import column mappings")
        constraints = [
            models.UniqueConstraint(
                fields=["factory", "signature"], name="column_mapping_unique_header_row"
            ),
        ]

    def __str__(self) -> str:
        return " | ".join(self.headers)
