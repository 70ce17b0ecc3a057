"""Safeguarding: the checks before anyone works with children, and concerns.

Checks (per teacher): the code of conduct signed by the teacher on their own
phone, safeguarding training, and the police record check (入职查询; only its
result and reference, never the record's contents). Concerns: raised by a
teacher about a child, seen only by the factory's safeguarding leads, its
coordinators and (its status only) the teacher who raised it.
"""

from __future__ import annotations

import datetime
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrollment.models import Child
from factories.models import Factory, Membership, Role, ScopedQuerySet
from spaces.models import ConductPolicy, Group, Teacher

RECORD_CHECK_VALID_YEARS = 3


def years_after(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


class ConductSignature(models.Model):
    """The teacher themselves accepted one version of the code of conduct."""

    teacher = models.ForeignKey(
        Teacher, on_delete=models.CASCADE, related_name="conduct_signatures",
        verbose_name=_("teacher"),
    )  # fmt: skip
    policy = models.ForeignKey(
        ConductPolicy, on_delete=models.PROTECT, related_name="+", verbose_name=_("version")
    )
    typed_name = models.CharField(_("name typed"), max_length=100)
    signed_at = models.DateTimeField(_("signed at"), default=timezone.now)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    language = models.CharField(_("language read"), max_length=10)

    class Meta:
        verbose_name = _("code of conduct signature")
        verbose_name_plural = _("code of conduct signatures")
        ordering = ["-signed_at"]
        constraints = [
            models.UniqueConstraint(fields=["teacher", "policy"], name="signature_once"),
        ]

    def __str__(self) -> str:
        return f"{self.teacher} · v{self.policy.version}"


class TrainingRecord(models.Model):
    teacher = models.ForeignKey(
        Teacher, on_delete=models.CASCADE, related_name="safeguarding_trainings",
        verbose_name=_("teacher"),
    )  # fmt: skip
    course = models.CharField(_("course"), max_length=200)
    completed_on = models.DateField(_("completed on"))
    trainer = models.CharField(_("trainer"), max_length=100)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("safeguarding training")
        verbose_name_plural = _("safeguarding trainings")
        ordering = ["-completed_on"]

    def __str__(self) -> str:
        return f"{self.course} ({self.completed_on})"


class RecordCheck(models.Model):
    """A criminal record check with the police: its outcome, never its contents."""

    class Result(models.TextChoices):
        CLEAR = "clear", _("No record found")
        NOT_CLEARED = "not_cleared", _("Not cleared")

    teacher = models.ForeignKey(
        Teacher, on_delete=models.CASCADE, related_name="record_checks", verbose_name=_("teacher")
    )
    checked_on = models.DateField(_("date done"))
    checked_by = models.CharField(_("done by"), max_length=200)
    result = models.CharField(_("result"), max_length=20, choices=Result.choices)
    reference = models.CharField(_("reference number"), max_length=100)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    # Set when the one reminder before expiry was logged.
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("record check")
        verbose_name_plural = _("record checks")
        ordering = ["-checked_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.reference} ({self.checked_on})"

    @property
    def expires_on(self) -> datetime.date:
        return years_after(self.checked_on, RECORD_CHECK_VALID_YEARS)

    def valid_on(self, day: datetime.date) -> bool:
        return self.result == self.Result.CLEAR and self.checked_on <= day < self.expires_on


class SafeguardingLead(models.Model):
    """A person designated to receive a factory's concerns. Without one, the
    factory's coordinators are its leads (the issue's default)."""

    factory = models.ForeignKey(
        Factory, on_delete=models.CASCADE, related_name="+", verbose_name=_("factory")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
        verbose_name=_("user"),
    )  # fmt: skip

    class Meta:
        verbose_name = _("safeguarding lead")
        verbose_name_plural = _("safeguarding leads")
        constraints = [
            models.UniqueConstraint(fields=["factory", "user"], name="lead_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.factory}"


def lead_factory_ids(user):
    """Factories whose concerns `user` handles: designated, or a coordinator."""
    designated = SafeguardingLead.objects.filter(user=user).values("factory_id")
    coordinating = Membership.objects.factory_ids(user, (Role.COORDINATOR,))
    return Q(factory_id__in=designated) | Q(factory_id__in=coordinating)


def is_lead(user) -> bool:
    """Whether `user` handles any factory's concerns."""
    return (
        SafeguardingLead.objects.filter(user=user).exists()
        or Membership.objects.filter(user=user, role=Role.COORDINATOR).exists()
    )


def leads_of(factory_id: int):
    """Who is told first of a factory's concern: its designated leads, or its
    coordinators when none is designated."""
    from factories.models import User, staff_of

    designated = User.objects.filter(
        is_active=True, pk__in=SafeguardingLead.objects.filter(factory_id=factory_id).values("user")
    )
    return designated if designated.exists() else staff_of(factory_id, Role.COORDINATOR)


class ConcernQuerySet(ScopedQuerySet):
    def handled_by(self, user):
        """Concerns `user` may read in full and act on: the lead's and coordinator's."""
        if user.is_superuser:
            return self.all()
        if not user.is_authenticated:
            return self.none()
        return self.filter(lead_factory_ids(user))

    def visible_to(self, user):
        """The lead's and coordinator's, and the raising teacher's own (status only)."""
        if user.is_superuser:
            return self.all()
        if not user.is_authenticated:
            return self.none()
        return self.filter(lead_factory_ids(user) | Q(raised_by=user))


def new_reference() -> str:
    return "SG-" + secrets.token_hex(4).upper()


class Concern(models.Model):
    class Category(models.TextChoices):
        INJURY = "injury", _("Unexplained injury")
        NEGLECT = "neglect", _("Signs of neglect or malnutrition")
        HOME_VIOLENCE = "home_violence", _("Violence at home")
        BULLYING = "bullying", _("Bullying")
        SEXUAL_HARM = "sexual_harm", _("Sexual harm")
        ABANDONMENT = "abandonment", _("Abandonment")
        OTHER = "other", _("Other")

    class When(models.TextChoices):
        NOW = "now", _("Just now")
        TODAY = "today", _("Earlier today")
        BEFORE = "before", _("Before today")

    class Status(models.TextChoices):
        RAISED = "raised", _("Raised, waiting for the lead")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged by the lead")
        CLOSED = "closed", _("Closed")

    factory = models.ForeignKey(
        Factory, on_delete=models.PROTECT, related_name="+", verbose_name=_("factory")
    )
    # Kept if the child's row ever goes: the reference still names the case.
    child = models.ForeignKey(
        Child, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("child")
    )
    reference = models.CharField(_("reference"), max_length=20, unique=True, default=new_reference)
    group = models.ForeignKey(Group, on_delete=models.SET_NULL, null=True, related_name="+")
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+",
        verbose_name=_("raised by"),
    )  # fmt: skip
    raised_at = models.DateTimeField(_("raised at"), default=timezone.now)
    category = models.CharField(_("what kind"), max_length=20, choices=Category.choices)
    what = models.TextField(_("what was seen or heard"), max_length=2000)
    when = models.CharField(_("when"), max_length=10, choices=When.choices, default=When.NOW)
    immediate_danger = models.BooleanField(_("immediate danger"), default=False)
    # When the teacher was shown the emergency number and the duty to call the police.
    shown_emergency_at = models.DateTimeField(null=True, blank=True)
    # The phone's own id for the concern: replayed after being offline, it is applied once.
    client_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.RAISED
    )
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = ConcernQuerySet.as_manager()

    class Meta:
        verbose_name = _("concern")
        verbose_name_plural = _("concerns")
        ordering = ["-raised_at"]

    def __str__(self) -> str:
        return self.reference


class Referral(models.Model):
    class To(models.TextChoices):
        POLICE = "police", _("Police")
        WOMENS_FEDERATION = "womens_federation", _("Women's federation")
        CIVIL_AFFAIRS = "civil_affairs", _("Civil affairs")
        SCHOOL = "school", _("School")
        HOSPITAL = "hospital", _("Hospital")

    class Consent(models.TextChoices):
        GIVEN = "given", _("The guardian consented")
        REFUSED = "refused", _("The guardian refused")
        NOT_SOUGHT = "not_sought", _("Not sought")

    concern = models.ForeignKey(Concern, on_delete=models.CASCADE, related_name="referrals")
    to = models.CharField(_("referred to"), max_length=20, choices=To.choices)
    on = models.DateField(_("when"))
    consent = models.CharField(_("guardian's consent"), max_length=20, choices=Consent.choices)
    why_not_sought = models.CharField(_("why consent was not sought"), max_length=500, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(consent="not_sought") | ~Q(why_not_sought=""),
                name="referral_says_why_consent_not_sought",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_to_display()} ({self.on})"


class FollowUp(models.Model):
    concern = models.ForeignKey(Concern, on_delete=models.CASCADE, related_name="follow_ups")
    on = models.DateField(_("when"))
    note = models.TextField(_("what was done"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["on", "pk"]

    def __str__(self) -> str:
        return f"{self.on}: {self.note[:40]}"
