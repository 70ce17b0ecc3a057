"""Groups (an age band in a room), the roster of teachers, weekly plans."""

from __future__ import annotations

import datetime
from functools import cached_property

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from factories.models import Membership, Role, ScopedQuerySet
from factories.scoping import STAFF

from .rooms import Space
from .seasons import ISO_WEEKDAYS, Season, weekday_names
from .teachers import Teacher

# Annotations a higher floor adds to a list of groups for one day, as
# `fn(groups, day) -> groups`: the attendance app adds the roll-call counts
# (see attendance/apps.py). A registry, so this floor imports none above it.
GROUP_DAY_ANNOTATIONS: list = []


class GroupQuerySet(ScopedQuerySet):
    factory_field = "season__factory"

    def taught_by(self, user):
        """Groups `user` teaches: as lead, assigned to the group, or to its whole season."""
        if not user.is_authenticated:
            return self.none()
        season_wide = TeacherAssignment.objects.of_user(user).filter(group__isnull=True)
        return self.filter(
            Q(lead_teacher__user=user)
            | Q(pk__in=TeacherAssignment.objects.of_user(user).values("group_id"))
            | Q(season__in=season_wide.values("season_id"))
        )

    def for_member(self, user):
        return self.for_roles(user, *STAFF) | self.taught_by(user)

    def with_roll_call_status(self, day: datetime.date):
        """Annotate what the roll call counts of each group on `day` (`n_expected`,
        `n_recorded`, `n_present`). The roll call is a higher floor (attendance):
        it registers the annotation in GROUP_DAY_ANNOTATIONS when it loads."""
        groups = self
        for annotate in GROUP_DAY_ANNOTATIONS:
            groups = annotate(groups, day)
        return groups


class Group(models.Model):
    """A roll-call unit of a season: an age band in a room, with a lead teacher."""

    season = models.ForeignKey(
        Season, on_delete=models.CASCADE, related_name="groups", verbose_name=_("season")
    )
    name = models.CharField(_("name"), max_length=100)
    space = models.ForeignKey(
        Space,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="groups",
        verbose_name=_("space"),
    )
    min_age = models.PositiveSmallIntegerField(_("minimum age"))
    max_age = models.PositiveSmallIntegerField(_("maximum age"))
    capacity = models.PositiveIntegerField(_("capacity"))
    lead_teacher = models.ForeignKey(
        Teacher,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_groups",
        verbose_name=_("lead teacher"),
    )

    objects = GroupQuerySet.as_manager()

    class Meta:
        verbose_name = _("group")
        verbose_name_plural = _("groups")
        ordering = ["season", "min_age", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_age__gte=F("min_age")), name="group_age_range_ordered"
            ),
            models.UniqueConstraint(fields=["season", "name"], name="group_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @cached_property
    def children_per_teacher(self) -> int:
        """The strictest ratio rule for the group's ages (read once per instance:
        the header and the ratio rule ask it in the same request)."""
        return self.season.ratio_limit(self.min_age, self.max_age)

    def teachers_needed(self, children: int) -> int:
        """The ratio rule: how many teachers `children` of this group need
        (`children_per_teacher` each, the strictest rule for the group's ages)."""
        return -(-children // self.children_per_teacher)  # rounded up

    def too_few_teachers(self, *, children: int, teachers: int) -> bool:
        """Whether `teachers` on duty break the ratio rule for `children` here."""
        return teachers < self.teachers_needed(children)

    def roll_call_role(self, user) -> str | None:
        """How `user` may act on this group's daily records (roll call, incidents,
        weekly plan): as "coordinator" (any day), "teacher", or not at all (None)."""
        if (
            user.is_superuser
            or Membership.objects.filter(
                user=user, factory_id=self.season.factory_id, role=Role.COORDINATOR
            ).exists()
        ):
            return Role.COORDINATOR
        if Group.objects.taught_by(user).filter(pk=self.pk).exists():
            return Role.TEACHER
        return None

    @property
    def roll_call_taken(self) -> bool:
        """Whether every expected child has a record (needs `with_roll_call_status`)."""
        return self.n_recorded >= self.n_expected


class TeacherAssignmentQuerySet(ScopedQuerySet):
    factory_field = "season__factory"

    def of_user(self, user):
        return self.filter(teacher__user=user) if user.is_authenticated else self.none()

    def for_member(self, user):
        """Staff see the whole roster; a teacher sees their own and their groups' colleagues."""
        staff = self.for_roles(user, *STAFF)
        return staff | self.filter(
            Q(teacher__user=user) | Q(group__in=Group.objects.taught_by(user).values("pk"))
        )


class TeacherAssignment(models.Model):
    """A teacher on a season's roster, for one group or the whole season."""

    teacher = models.ForeignKey(
        Teacher, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("teacher")
    )
    season = models.ForeignKey(
        Season, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("season")
    )
    group = models.ForeignKey(
        Group,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="assignments",
        verbose_name=_("group"),
    )
    # The ISO weekdays this teacher works in the season, as in `opening_weekdays`.
    weekdays = models.CharField(_("working days"), max_length=7, default="1234567")

    objects = TeacherAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("teacher assignment")
        verbose_name_plural = _("teacher assignments")
        constraints = [
            # NULL group means the whole season; NULLs are distinct in a
            # plain unique index, so each case gets its own partial one.
            models.UniqueConstraint(
                fields=["teacher", "group"],
                condition=Q(group__isnull=False),
                name="assignment_unique_group",
            ),
            models.UniqueConstraint(
                fields=["teacher", "season"],
                condition=Q(group__isnull=True),
                name="assignment_unique_season_wide",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.teacher} · {self.group or self.season}"

    @property
    def weekday_names(self) -> str:
        return weekday_names(self.weekdays)


class DailyRecordQuerySet(ScopedQuerySet):
    """Roll call and incidents: staff of the factory, and teachers of the group."""

    factory_field = "group__season__factory"

    def for_member(self, user):
        staff = self.for_roles(user, *STAFF)
        return staff | self.filter(group__in=Group.objects.taught_by(user).values("pk"))


class ActivitySlot(models.Model):
    """One half-day block of a group's weekly plan: what the children do."""

    class Block(models.TextChoices):
        MORNING = "am", _("Morning")
        AFTERNOON = "pm", _("Afternoon")

    class Kind(models.TextChoices):
        READING = "reading", _("Reading")
        HOMEWORK = "homework", _("Homework help")
        ARTS = "arts", _("Arts and crafts")
        SPORT = "sport", _("Sport and games")
        SAFETY = "safety", _("Safety education")
        PARENT_CHILD = "parent_child", _("Parent-child day")
        OTHER = "other", _("Other")

    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, related_name="activity_slots", verbose_name=_("group")
    )
    weekday = models.PositiveSmallIntegerField(
        _("weekday"), choices=[(int(n), name) for n, name in ISO_WEEKDAYS]
    )
    block = models.CharField(_("time of day"), max_length=2, choices=Block.choices)
    kind = models.CharField(_("activity"), max_length=20, choices=Kind.choices)
    note = models.CharField(_("details"), max_length=200, blank=True)

    objects = DailyRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("weekly plan activity")
        verbose_name_plural = _("weekly plan")
        ordering = ["group", "weekday", "block"]
        constraints = [
            models.UniqueConstraint(fields=["group", "weekday", "block"], name="slot_unique"),
            models.CheckConstraint(
                condition=Q(weekday__gte=1, weekday__lte=7), name="slot_weekday_iso"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.group} {self.weekday}{self.block} {self.kind}"
