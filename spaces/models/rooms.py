"""Rooms (spaces) and their safety checks."""

from __future__ import annotations

import math

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from factories.models import Factory, ScopedQuerySet

from .seasons import M2_PER_CHILD, join_list


class Space(models.Model):
    """A physical room at a factory, used by one season after another."""

    factory = models.ForeignKey(
        Factory, on_delete=models.PROTECT, related_name="spaces", verbose_name=_("factory")
    )
    name = models.CharField(_("name"), max_length=100)
    area_m2 = models.DecimalField(_("area (m²)"), max_digits=7, decimal_places=1, null=True)
    capacity = models.PositiveIntegerField(_("capacity"))
    location = models.CharField(_("location"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("space")
        verbose_name_plural = _("spaces")
        ordering = ["factory", "name"]
        constraints = [
            models.UniqueConstraint(fields=["factory", "name"], name="space_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def room_for(self) -> int | None:
        """Children the room can hold: its capacity, and no more than its area
        allows. None while the area is not recorded."""
        if self.area_m2 is None:
            return None
        return min(self.capacity, math.floor(self.area_m2 / M2_PER_CHILD))


class SafetyCheckQuerySet(ScopedQuerySet):
    factory_field = "space__factory"


class SafetyCheck(models.Model):
    """A walk through a space's safety checklist, before opening and weekly."""

    class Kind(models.TextChoices):
        PRE_OPENING = "pre_opening", _("Before opening")
        WEEKLY = "weekly", _("Weekly")

    space = models.ForeignKey(
        Space, on_delete=models.CASCADE, related_name="safety_checks", verbose_name=_("space")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.WEEKLY)
    checked_on = models.DateField(_("checked on"))
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        verbose_name=_("checked by"),
    )
    exits_clear = models.BooleanField(_("emergency exits clear"), default=False)
    first_aid_kit = models.BooleanField(_("first aid kit stocked"), default=False)
    fire_extinguisher = models.BooleanField(_("fire extinguisher in date"), default=False)
    drinking_water = models.BooleanField(_("drinking water available"), default=False)
    toilets = models.BooleanField(_("clean toilets nearby"), default=False)
    hazards_removed = models.BooleanField(_("hazards removed"), default=False)
    separated_from_production = models.BooleanField(
        _("separated from production areas"), default=False
    )
    notes = models.TextField(_("notes"), blank=True)

    ITEMS = (
        "exits_clear",
        "first_aid_kit",
        "fire_extinguisher",
        "drinking_water",
        "toilets",
        "hazards_removed",
        "separated_from_production",
    )

    objects = SafetyCheckQuerySet.as_manager()

    class Meta:
        verbose_name = _("safety check")
        verbose_name_plural = _("safety checks")
        ordering = ["-checked_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.space} {self.checked_on}"

    @property
    def passed(self) -> bool:
        return all(getattr(self, item) for item in self.ITEMS)

    @property
    def failed_items(self) -> list[str]:
        return [
            str(self._meta.get_field(item).verbose_name)
            for item in self.ITEMS
            if not getattr(self, item)
        ]

    @property
    def failed_summary(self) -> str:
        return join_list(self.failed_items)
