"""Seasons: dates, opening days, ratio rules per age band, closed days; and the
programme rules a season is set up by."""

from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.db import models
from django.db.models import Count, F, Max, Q
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from factories.models import Factory, ScopedQuerySet
from factories.scoping import STAFF

# Programme rules for setting up a season. Constants, not settings: they are
# the programme's policy, the same at every deployment; change them here.
#
# Floor area per child. China's kindergarten design code (JGJ 39-2016) asks
# for an activity room of at least 70 m² per class of up to 35 children,
# about 2 m² a child; our rooms also hold school-age children, so this is a
# minimum, not a target. The programme should confirm the figure.
M2_PER_CHILD = Decimal("2.0")


# Teachers are trained before each summer: an older training does not count.
TRAINING_VALID_DAYS = 365


# A background check (无犯罪记录证明) is renewed every three years.
BACKGROUND_CHECK_VALID_DAYS = 3 * 365


# ISO weekdays, "1" Monday to "7" Sunday, as stored in the weekday strings.
ISO_WEEKDAYS = [(str(n), WEEKDAYS[n - 1]) for n in range(1, 8)]


def new_application_token() -> str:
    return secrets.token_urlsafe(12)


def join_list(items) -> str:
    """Items of a list in a sentence: "a, b, c"; in Chinese "a、b、c"."""
    return pgettext("list separator", ", ").join(str(item) for item in items)


def weekday_names(days: str) -> str:
    """ "135" as "Monday, Wednesday, Friday", in the reader's language."""
    names = dict(ISO_WEEKDAYS)
    return join_list(names[d] for d in days)


@dataclass(frozen=True)
class Calendar:
    """The days a season opens: its dates, its weekdays and its closed days."""

    start: datetime.date
    end: datetime.date
    weekdays: str
    closed: frozenset = frozenset()

    @classmethod
    def of(cls, season: Season) -> Calendar:
        closed = frozenset(season.closed_days.values_list("date", flat=True)) if season.pk else ()
        return cls(season.start_date, season.end_date, season.opening_weekdays, frozenset(closed))

    def is_open(self, day: datetime.date) -> bool:
        return (
            self.start <= day <= self.end
            and str(day.isoweekday()) in self.weekdays
            and day not in self.closed
        )


def days_left_out(old: Calendar, new: Calendar, days) -> list[datetime.date]:
    """Of `days` (the dates of some records), those open by the old calendar and
    not by the new one: a change would leave their records outside the season."""
    return sorted(day for day in set(days) if old.is_open(day) and not new.is_open(day))


def some_days(days: list[datetime.date], shown: int = 5) -> str:
    """A few dates for a message: "2026-07-06, 2026-07-07 … 2026-07-24"."""
    if len(days) <= shown:
        return ", ".join(day.isoformat() for day in days)
    return ", ".join(d.isoformat() for d in days[: shown - 1]) + f" … {days[-1].isoformat()}"


# What a higher floor holds on a season's days, checked before the season's
# dates, weekdays or closed days change: `fn(season, old, new) -> [message]`,
# a translated reason for each kind of record the change would leave outside
# the season (attendance: roll calls, daily counts, teachers on duty,
# incidents; enrollment: the children's stays). A registry, so this floor
# imports none above it; see `Season.calendar_change_refusals`.
CALENDAR_GUARDS: list = []


class SeasonQuerySet(ScopedQuerySet):
    def for_member(self, user):
        """Staff of the factory see its seasons; a teacher sees the seasons they teach in."""
        staff = self.for_roles(user, *STAFF)
        # Through the roster (TeacherAssignment, in groups.py, which imports this).
        taught = self.filter(
            pk__in=Season.objects.filter(assignments__teacher__user=user).values("pk")
        )
        return staff | taught

    def running_on(self, day: datetime.date):
        return self.filter(status=Season.Status.RUNNING, start_date__lte=day, end_date__gte=day)

    def current(self):
        return self.exclude(status=Season.Status.CLOSED)

    def with_counts(self):
        """Annotate enrollment counts by status: one query for a whole list of seasons."""
        counts = {
            f"n_{status}": Count("enrollments", filter=Q(enrollments__status=status))
            for status in ("applied", "waitlisted", "enrolled", "withdrawn")
        }
        return self.annotate(**counts)


class Season(models.Model):
    """One programme run at one factory, such as "Summer 2026"."""

    class Status(models.TextChoices):
        PLANNING = "planning", _("Planning")
        OPEN = "open", _("Open for applications")
        RUNNING = "running", _("Running")
        CLOSED = "closed", _("Closed")

    # A season only moves forward through these; see services.season_set_status.
    LIFECYCLE = [Status.PLANNING, Status.OPEN, Status.RUNNING, Status.CLOSED]

    factory = models.ForeignKey(
        Factory, on_delete=models.PROTECT, related_name="seasons", verbose_name=_("factory")
    )
    name = models.CharField(_("name"), max_length=100)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    # ISO weekdays the space opens, "1" Monday to "7" Sunday: "123456" is Monday to Saturday.
    opening_weekdays = models.CharField(_("opening weekdays"), max_length=7, default="12345")
    opens_at = models.TimeField(_("opens at"), default=datetime.time(8, 0))
    closes_at = models.TimeField(_("closes at"), default=datetime.time(17, 30))
    capacity = models.PositiveIntegerField(_("capacity"))
    min_age = models.PositiveSmallIntegerField(_("minimum age"), default=3)
    max_age = models.PositiveSmallIntegerField(_("maximum age"), default=14)
    enrollment_deadline = models.DateField(_("enrollment deadline"), null=True, blank=True)
    # The limit for ages no ratio rule covers; the rules (RatioRule) set the
    # limit per age band. Seasons from before the rules have none, so this
    # general limit keeps applying to them unchanged.
    children_per_teacher = models.PositiveSmallIntegerField(
        _("children per teacher (maximum)"), default=10
    )
    # Languages of the printed documents (weekly plan, notices), as language
    # codes joined by commas: "zh-hans" or "zh-hans,en".
    document_languages = models.CharField(
        _("languages of its documents"), max_length=50, default="zh-hans"
    )
    rolled_over_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="rolled_over_into",
        verbose_name=_("copied from"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PLANNING
    )
    # The secret in the public application link and QR code: unguessable, so
    # season ids reveal nothing and a link can be revoked by changing it.
    application_token = models.CharField(
        _("application link code"), max_length=32, unique=True, default=new_application_token
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SeasonQuerySet.as_manager()

    class Meta:
        verbose_name = _("season")
        verbose_name_plural = _("seasons")
        ordering = ["-start_date", "factory__name_zh"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="season_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(max_age__gte=F("min_age")), name="season_age_range_ordered"
            ),
            models.CheckConstraint(
                condition=Q(children_per_teacher__gt=0), name="season_ratio_positive"
            ),
            models.UniqueConstraint(fields=["factory", "name"], name="season_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.factory} · {self.name}"

    @property
    def accepts_applications(self) -> bool:
        """The public form takes applications; HR may still enter late ones."""
        return not self.applications_closed_because

    @property
    def applications_closed_because(self) -> str:
        """Why the public form is closed, in words for the worker; "" while it is open.
        The deadline holds for a running season too."""
        if self.status == self.Status.PLANNING:
            return _("Applications have not opened yet.")
        if self.status not in (self.Status.OPEN, self.Status.RUNNING):
            return _("This season is over.")
        if self.enrollment_deadline and timezone.localdate() > self.enrollment_deadline:
            return _("The enrollment deadline was %(day)s.") % {
                "day": self.enrollment_deadline.isoformat()
            }
        return ""

    def age_on_start(self, born: datetime.date) -> int:
        start = self.start_date
        return start.year - born.year - ((start.month, start.day) < (born.month, born.day))

    def is_opening_day(self, day: datetime.date, *, closed: bool | None = None) -> bool:
        """`closed`: whether `day` is a closed day, when the caller already knows it."""
        return (
            self.start_date <= day <= self.end_date
            and str(day.isoweekday()) in self.opening_weekdays
            and not (self.closed_days.filter(date=day).exists() if closed is None else closed)
        )

    def calendar_change_refusals(self, new: Calendar, *, old: Calendar | None = None) -> list[str]:
        """Why the season may not move from its stored calendar (or `old`) to
        `new`: every kind of record the change would orphan (a roll call on a
        day no longer open, a child's stay outside the dates) is a reason."""
        if self.pk is None:
            return []
        old = old or Calendar.of(Season.objects.get(pk=self.pk))
        if new == old:
            return []
        return [reason for guard in CALENDAR_GUARDS for reason in guard(self, old, new)]

    def opening_days(self) -> list[datetime.date]:
        closed = set(self.closed_days.values_list("date", flat=True))
        days = []
        day = self.start_date
        while day <= self.end_date:
            if str(day.isoweekday()) in self.opening_weekdays and day not in closed:
                days.append(day)
            day += datetime.timedelta(days=1)
        return days

    @property
    def languages(self) -> list[str]:
        return [code for code in self.document_languages.split(",") if code]

    def next_statuses(self) -> list[str]:
        return self.LIFECYCLE[self.LIFECYCLE.index(self.status) + 1 :]

    def ratio_limit(self, min_age: int, max_age: int) -> int:
        """Most children per teacher for a group of these ages: the strictest
        rule overlapping them, or the general limit if an age has no rule.

        Strictest, not an average: a group may take any child of its band, so
        it is staffed for its youngest. Reads `ratio_rules.all()`, so a
        prefetch makes it free.
        """
        limits, covered = [], set()
        for rule in self.ratio_rules.all():
            low, high = max(rule.min_age, min_age), min(rule.max_age, max_age)
            if low <= high:
                limits.append(rule.children_per_teacher)
                covered.update(range(low, high + 1))
        if len(covered) < max_age - min_age + 1:
            limits.append(self.children_per_teacher)
        return min(limits)

    def checks_count_after(self) -> datetime.date | None:
        """A pre-opening safety check counts for this season if done after this
        day: when the factory's previous season ended (last summer's check is
        not this summer's). None for a factory's first season."""
        return (
            Season.objects.filter(factory_id=self.factory_id, end_date__lt=self.start_date)
            .exclude(pk=self.pk)
            .aggregate(last=Max("end_date"))["last"]
        )


class RatioRule(models.Model):
    """At most this many children per teacher, for an age band of one season."""

    # Filled in for a new season (1:7 for ages 3 to 6, 1:12 for 7 to 13), then edited.
    DEFAULTS = [(3, 6, 7), (7, 13, 12)]

    season = models.ForeignKey(
        Season, on_delete=models.CASCADE, related_name="ratio_rules", verbose_name=_("season")
    )
    min_age = models.PositiveSmallIntegerField(_("from age"))
    max_age = models.PositiveSmallIntegerField(_("to age"))
    children_per_teacher = models.PositiveSmallIntegerField(_("children per teacher (maximum)"))

    class Meta:
        verbose_name = _("ratio rule")
        verbose_name_plural = _("ratio rules")
        ordering = ["season", "min_age"]
        constraints = [
            models.CheckConstraint(
                condition=Q(children_per_teacher__gt=0), name="ratio_rule_positive"
            ),
            models.CheckConstraint(
                condition=Q(max_age__gte=F("min_age")), name="ratio_rule_ages_ordered"
            ),
            models.UniqueConstraint(fields=["season", "min_age"], name="ratio_rule_unique_band"),
        ]

    def __str__(self) -> str:
        return f"{self.min_age}–{self.max_age}: 1:{self.children_per_teacher}"

    @classmethod
    def add_defaults(cls, season: Season) -> list[RatioRule]:
        return cls.objects.bulk_create(
            cls(season=season, min_age=low, max_age=high, children_per_teacher=n)
            for low, high, n in cls.DEFAULTS
        )


class ClosedDay(models.Model):
    """A day inside a season when the space stays closed (a public holiday)."""

    season = models.ForeignKey(
        Season, on_delete=models.CASCADE, related_name="closed_days", verbose_name=_("season")
    )
    date = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("closed day")
        verbose_name_plural = _("closed days")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["season", "date"], name="closed_day_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.reason}"
