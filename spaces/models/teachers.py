"""The teacher directory and the versioned code of conduct teachers accept."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from factories.models import Factory, ScopedQuerySet
from factories.scoping import STAFF

from .seasons import BACKGROUND_CHECK_VALID_DAYS, TRAINING_VALID_DAYS, Season


class TeacherQuerySet(ScopedQuerySet):
    def for_member(self, user):
        return self.for_roles(user, *STAFF) | self.filter(user=user)


class Teacher(models.Model):
    """A hired teacher or volunteer in a factory's directory."""

    class Kind(models.TextChoices):
        PROFESSIONAL = "professional", _("Professional")
        VOLUNTEER = "volunteer", _("Volunteer")

    factory = models.ForeignKey(
        Factory, on_delete=models.PROTECT, related_name="teachers", verbose_name=_("factory")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="teacher_profiles",
        verbose_name=_("login"),
    )
    name = models.CharField(_("name"), max_length=100)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    qualification = models.CharField(_("qualification"), max_length=200, blank=True)
    training_completed_on = models.DateField(_("training completed on"), null=True, blank=True)
    background_check_on = models.DateField(_("background check on"), null=True, blank=True)

    objects = TeacherQuerySet.as_manager()

    class Meta:
        verbose_name = _("teacher")
        verbose_name_plural = _("teachers")
        ordering = ["factory", "name"]

    def __str__(self) -> str:
        return self.name

    def trained_for(self, season: Season) -> bool:
        trained = self.training_completed_on
        valid_from = season.start_date - datetime.timedelta(days=TRAINING_VALID_DAYS)
        return trained is not None and trained >= valid_from

    def background_checked_for(self, season: Season) -> bool:
        checked = self.background_check_on
        valid_from = season.start_date - datetime.timedelta(days=BACKGROUND_CHECK_VALID_DAYS)
        return checked is not None and checked >= valid_from

    def missing_requirements(self, season: Season, *, accepted_policy: bool) -> list[str]:
        """What this teacher still needs before working in `season`; empty when
        ready. The caller says whether they accepted the current code of conduct
        (one query for a whole roster; see `accepted_current_policy`)."""
        missing = []
        if not self.trained_for(season):
            missing.append(gettext("this year's training"))
        if not accepted_policy:
            missing.append(gettext("acceptance of the current code of conduct"))
        if not self.background_checked_for(season):
            missing.append(gettext("a background check on file"))
        return missing

    def accepted_current_policy(self) -> bool:
        policy = ConductPolicy.objects.current()
        return policy is not None and self.policy_acceptances.filter(policy=policy).exists()


class ConductPolicyQuerySet(models.QuerySet):
    def current(self) -> ConductPolicy | None:
        """The latest published version: the one teachers must have accepted."""
        return self.filter(published_at__lte=timezone.now()).order_by("-version").first()


class ConductPolicy(models.Model):
    """The code of conduct and child protection policy, one row per version.

    The programme's, not a factory's: published by an administrator in the
    admin. A new version makes every teacher accept again.
    """

    version = models.PositiveIntegerField(_("version"), unique=True)
    text_zh = models.TextField(_("text (Chinese)"))
    text_en = models.TextField(_("text (English)"), blank=True)
    published_at = models.DateTimeField(_("published at"), default=timezone.now)

    objects = ConductPolicyQuerySet.as_manager()

    class Meta:
        verbose_name = _("code of conduct")
        verbose_name_plural = _("codes of conduct")
        ordering = ["-version"]

    def __str__(self) -> str:
        return gettext("Code of conduct, version %(n)d") % {"n": self.version}


class PolicyAcceptanceQuerySet(ScopedQuerySet):
    factory_field = "teacher__factory"


class TeacherPolicyAcceptance(models.Model):
    """A teacher accepted one version of the code of conduct, at a time."""

    teacher = models.ForeignKey(
        Teacher,
        on_delete=models.CASCADE,
        related_name="policy_acceptances",
        verbose_name=_("teacher"),
    )
    policy = models.ForeignKey(
        ConductPolicy,
        on_delete=models.PROTECT,
        related_name="acceptances",
        verbose_name=_("code of conduct"),
    )
    accepted_at = models.DateTimeField(_("accepted at"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    objects = PolicyAcceptanceQuerySet.as_manager()

    class Meta:
        verbose_name = _("code of conduct acceptance")
        verbose_name_plural = _("code of conduct acceptances")
        ordering = ["-accepted_at"]
        constraints = [
            models.UniqueConstraint(fields=["teacher", "policy"], name="acceptance_once"),
        ]

    def __str__(self) -> str:
        return f"{self.teacher} · v{self.policy.version}"
