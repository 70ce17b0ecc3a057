"""Pickup safety: when each child is expected to be picked up (the parents'
shifts and the walk from the workshop), who is still here past it, and the
logged ladder of who was told, and when, until a person checks the child out.

Nothing here checks a child out: only a teacher or coordinator does, at the
door (attendance). A child still here is watched until then.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from enrollment.models import Enrollment
from factories.models import Factory, Role, ScopedQuerySet, Worker


class PickupRules(models.Model):
    """A factory's pickup rules: the walk from the workshop to the space and the
    manager told last on the ladder."""

    factory = models.OneToOneField(
        Factory, on_delete=models.CASCADE, related_name="pickup_rules", verbose_name=_("factory")
    )
    walk_minutes = models.PositiveSmallIntegerField(
        _("walk from the workshop (minutes)"), default=15
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("manager told of a late pickup"),
    )
    # A check-out must give the person's pickup code; without it, only a
    # coordinator may check the child out, with a reason (the "no-card" sheet).
    code_required = models.BooleanField(_("pickup code required"), default=False)

    class Meta:
        verbose_name = _("pickup rules")
        verbose_name_plural = _("pickup rules")

    def __str__(self) -> str:
        return str(self.factory_id)

    @classmethod
    def of(cls, factory_id: int) -> PickupRules:
        return cls.objects.filter(factory_id=factory_id).first() or cls(factory_id=factory_id)


class WorkShiftQuerySet(ScopedQuerySet):
    def for_member(self, user):
        return self.for_roles(user, Role.HR, Role.COORDINATOR)


class WorkShift(models.Model):
    """One of a factory's shifts. A night shift crosses midnight (ends before it starts)."""

    factory = models.ForeignKey(
        Factory, on_delete=models.CASCADE, related_name="work_shifts", verbose_name=_("factory")
    )
    name = models.CharField(_("name"), max_length=50)
    starts_at = models.TimeField(_("starts at"))
    ends_at = models.TimeField(_("ends at"))

    objects = WorkShiftQuerySet.as_manager()

    class Meta:
        verbose_name = _("work shift")
        verbose_name_plural = _("work shifts")
        ordering = ["starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["factory", "name"], name="work_shift_unique_name")
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.starts_at:%H:%M}-{self.ends_at:%H:%M}"

    def free_from(self, opens: datetime.datetime) -> datetime.datetime:
        """When a worker on this shift is free to walk over, on the day the space
        opens at `opens`: the end of the first run of the shift that ends after
        the space opens (a night shift that ended in the morning frees the worker
        all day; its next end is tomorrow)."""
        end = opens.replace(hour=self.ends_at.hour, minute=self.ends_at.minute, second=0)
        while end <= opens:
            end += datetime.timedelta(days=1)
        return end


class WorkerShift(models.Model):
    """A worker's shift from a date on: rotating shifts are rows by date."""

    worker = models.ForeignKey(
        Worker, on_delete=models.CASCADE, related_name="work_shifts", verbose_name=_("worker")
    )
    shift = models.ForeignKey(
        WorkShift, on_delete=models.CASCADE, related_name="+", verbose_name=_("shift")
    )
    starts_on = models.DateField(_("from"))

    class Meta:
        verbose_name = _("worker's shift")
        verbose_name_plural = _("workers' shifts")
        ordering = ["-starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["worker", "starts_on"], name="worker_shift_one_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.shift} {self.starts_on}"


class LadderStep(models.Model):
    """One step of a late pickup's ladder, taken once per child and day."""

    class Step(models.TextChoices):
        PARENTS = "parents", _("Parents messaged")
        STAFF = "staff", _("Coordinator and HR told")
        MANAGER = "manager", _("Manager told")
        CLOSING = "closing", _("Still here at closing")

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="+")
    date = models.DateField(_("date"))
    step = models.CharField(_("step"), max_length=10, choices=Step.choices)
    expected_at = models.DateTimeField(_("expected pickup"))
    at = models.DateTimeField(_("when"))

    class Meta:
        verbose_name = _("late pickup step")
        verbose_name_plural = _("late pickup steps")
        ordering = ["at"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "date", "step"], name="ladder_step_once_a_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_step_display()} {self.date}"


class CallAttempt(models.Model):
    """A teacher's call to a child's family while the child waits."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="+")
    date = models.DateField(_("date"))
    called = models.CharField(_("who was called"), max_length=100)
    number = models.CharField(_("number"), max_length=30)
    answered = models.BooleanField(_("answered"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("call to the family")
        verbose_name_plural = _("calls to the family")
        ordering = ["at"]

    def __str__(self) -> str:
        return f"{self.called} {self.at:%H:%M}"


class PickupCode(models.Model):
    """The hash of one person's pickup code for one child and season.

    The code itself is never stored: it is derived (pickups.codes) from the
    site's secret, the season, the person and a version, so the parent page can
    show it again and a new season or HR's renewal gives a new one. What is kept
    is a salted hash, checked at check-out (also on a phone offline, from the
    hashes sent with the page).
    """

    child = models.ForeignKey("enrollment.Child", on_delete=models.CASCADE, related_name="+")
    season = models.ForeignKey("spaces.Season", on_delete=models.CASCADE, related_name="+")
    # The person: a guardian (a worker) or an authorised pickup person.
    worker = models.ForeignKey(Worker, on_delete=models.CASCADE, null=True, related_name="+")
    pickup = models.ForeignKey(
        "enrollment.AuthorisedPickup", on_delete=models.CASCADE, null=True, related_name="+"
    )
    name = models.CharField(_("name"), max_length=100)
    version = models.PositiveSmallIntegerField(default=1)
    salt = models.CharField(max_length=32)
    code_hash = models.CharField(max_length=64)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("pickup code")
        verbose_name_plural = _("pickup codes")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(worker__isnull=False) | models.Q(pickup__isnull=False),
                name="pickup_code_has_a_holder",
            )
        ]

    def __str__(self) -> str:
        return self.name


class BarredPerson(models.Model):
    """Someone who must not take the child (a court order, a guardian's word
    recorded by HR): the check-out refuses them by name and alerts the
    coordinator at once."""

    child = models.ForeignKey(
        "enrollment.Child", on_delete=models.CASCADE, related_name="barred_people"
    )
    name = models.CharField(_("name"), max_length=100)
    note = models.CharField(_("why, and what to do"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("person not allowed to pick up")
        verbose_name_plural = _("people not allowed to pick up")

    def __str__(self) -> str:
        return self.name
