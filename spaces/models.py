"""Seasons, rooms, groups, teachers, and what happens in them each day."""

from __future__ import annotations

import datetime
import math
import secrets
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Count, F, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext, ngettext, pgettext
from django.utils.translation import gettext_lazy as _

from factories.models import Factory, Membership, Role, ScopedQuerySet

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


class SeasonQuerySet(ScopedQuerySet):
    def for_member(self, user):
        """Staff of the factory see its seasons; a teacher sees the seasons they teach in."""
        staff = self.for_roles(user, Role.HR, Role.COORDINATOR, Role.MANAGER)
        taught = self.filter(pk__in=TeacherAssignment.objects.of_user(user).values("season_id"))
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

    def is_opening_day(self, day: datetime.date) -> bool:
        return (
            self.start_date <= day <= self.end_date
            and str(day.isoweekday()) in self.opening_weekdays
            and not self.closed_days.filter(date=day).exists()
        )

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


class TeacherQuerySet(ScopedQuerySet):
    def for_member(self, user):
        return self.for_roles(user, Role.HR, Role.COORDINATOR, Role.MANAGER) | self.filter(
            user=user
        )


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
        return self.for_roles(user, Role.HR, Role.COORDINATOR, Role.MANAGER) | self.taught_by(user)

    def with_roll_call_status(self, day: datetime.date):
        """Annotate children expected on `day` and roll-call records taken that day.

        Counted in subqueries, not joins, so the two counts do not multiply.
        """
        from enrollment.models import Enrollment

        expected = (
            Enrollment.objects.filter(
                group=OuterRef("pk"),
                status=Enrollment.Status.ENROLLED,
                arrival_date__lte=day,
                departure_date__gte=day,
            )
            .values("group")
            .annotate(n=Count("pk"))
            .values("n")
        )
        recorded = (
            Attendance.objects.filter(group=OuterRef("pk"), date=day)
            .values("group")
            .annotate(n=Count("pk"))
            .values("n")
        )
        present = recorded.filter(status__in=[Attendance.Status.PRESENT, Attendance.Status.LATE])
        return self.annotate(
            n_expected=Coalesce(Subquery(expected), 0),
            n_recorded=Coalesce(Subquery(recorded), 0),
            n_present=Coalesce(Subquery(present), 0),
        )


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

    @property
    def children_per_teacher(self) -> int:
        return self.season.ratio_limit(self.min_age, self.max_age)

    def roll_call_role(self, user) -> str | None:
        """How `user` may write this group's records: as "coordinator" (any day),
        "teacher" (recent days), or not at all (None)."""
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

    def roll_call_refusal(self, user, day: datetime.date, *, today: datetime.date) -> str | None:
        """Why `user` may not take or correct this roll call on `day`; None if they may."""
        if day > today:
            return gettext("A roll call cannot be taken for a day that has not come yet.")
        if not self.season.is_opening_day(day):
            return gettext("The space is closed on this day: there is no roll call.")
        role = self.roll_call_role(user)
        if role == Role.COORDINATOR:
            return None
        if role == Role.TEACHER:
            days_back = settings.ROLL_CALL_TEACHER_DAYS_BACK
            if (today - day).days <= days_back:
                return None
            return ngettext(
                "Teachers can correct a roll call up to %(n)d day back; ask your coordinator.",
                "Teachers can correct a roll call up to %(n)d days back; ask your coordinator.",
                days_back,
            ) % {"n": days_back}
        return gettext("Only this group's teachers and the coordinator can take its roll call.")

    def roll_call_summary(self, day: datetime.date) -> dict:
        """Counts for the roll call's header, in two queries whatever the group size."""
        from enrollment.models import Enrollment

        expected = Enrollment.objects.for_roll_call(self, day).prefetch_related(None).count()
        marked = Attendance.objects.filter(group=self, date=day).aggregate(
            marked=Count("pk"),
            present=Count("pk", filter=Q(status__in=["present", "late"])),
            here=Count("pk", filter=Q(check_in_at__isnull=False, check_out_at__isnull=True)),
        )
        return {"expected": expected, **marked}

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
        staff = self.for_roles(user, Role.HR, Role.COORDINATOR, Role.MANAGER)
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
        staff = self.for_roles(user, Role.HR, Role.COORDINATOR, Role.MANAGER)
        return staff | self.filter(group__in=Group.objects.taught_by(user).values("pk"))


class Attendance(models.Model):
    """One enrolled child on one opening day: the roll call's row."""

    class Status(models.TextChoices):
        PRESENT = "present", _("Present")
        LATE = "late", _("Late")
        ABSENT = "absent", _("Absent")
        EXCUSED = "excused", _("Excused")

    class AbsenceReason(models.TextChoices):
        SICK = "sick", _("Sick")
        FAMILY_TRIP = "family_trip", _("Family trip")
        RETURNED_HOME = "returned_home", _("Returned home")
        UNKNOWN = "unknown", _("Unknown")

    enrollment = models.ForeignKey(
        "enrollment.Enrollment",
        on_delete=models.CASCADE,
        related_name="attendances",
        verbose_name=_("enrollment"),
    )
    # The group the child was in that day (children can move between groups).
    group = models.ForeignKey(
        Group, on_delete=models.PROTECT, related_name="attendances", verbose_name=_("group")
    )
    date = models.DateField(_("date"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    absence_reason = models.CharField(
        _("absence reason"), max_length=20, choices=AbsenceReason.choices, blank=True
    )
    check_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    check_out_at = models.DateTimeField(_("checked out at"), null=True, blank=True)
    dropped_off_by = models.CharField(_("dropped off by"), max_length=100, blank=True)
    picked_up_by = models.CharField(_("picked up by"), max_length=100, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = DailyRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        ordering = ["-date"]
        constraints = [
            # One record per child per day, whoever taps and however often.
            models.UniqueConstraint(fields=["enrollment", "date"], name="attendance_one_per_day"),
            models.CheckConstraint(
                condition=Q(check_out_at__isnull=True)
                | Q(check_in_at__isnull=False, check_out_at__gte=F("check_in_at")),
                name="attendance_checkout_after_checkin",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["absent", "excused"]) | Q(absence_reason=""),
                name="attendance_reason_only_when_absent",
            ),
        ]
        indexes = [models.Index(fields=["group", "date"], name="attendance_group_day_idx")]

    def __str__(self) -> str:
        return f"{self.enrollment} {self.date} {self.status}"

    @property
    def is_here(self) -> bool:
        """Checked in and not yet picked up."""
        return self.check_in_at is not None and self.check_out_at is None

    @property
    def attended(self) -> bool:
        return self.status in (self.Status.PRESENT, self.Status.LATE)


class Incident(models.Model):
    """An injury, illness or safety event, and what was done about it."""

    class Kind(models.TextChoices):
        INJURY = "injury", _("Injury")
        ILLNESS = "illness", _("Illness")
        BEHAVIOUR = "behaviour", _("Behaviour")
        SAFETY = "safety", _("Safety")
        OTHER = "other", _("Other")

    class Severity(models.TextChoices):
        MINOR = "minor", _("Minor")
        MODERATE = "moderate", _("Moderate")
        SERIOUS = "serious", _("Serious")

    group = models.ForeignKey(
        Group, on_delete=models.PROTECT, related_name="incidents", verbose_name=_("group")
    )
    children = models.ManyToManyField(
        "enrollment.Child", related_name="incidents", verbose_name=_("children")
    )
    occurred_at = models.DateTimeField(_("occurred at"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    severity = models.CharField(_("severity"), max_length=20, choices=Severity.choices)
    description = models.TextField(_("what happened"))
    action_taken = models.TextField(_("what was done"), blank=True)
    guardian_informed_at = models.DateTimeField(_("guardian told at"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DailyRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-occurred_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_at:%Y-%m-%d}"

    @property
    def guardian_informed(self) -> bool:
        return self.guardian_informed_at is not None


class StaffShift(models.Model):
    """A teacher on duty with a group on one day: what the ratio counts."""

    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, related_name="staff_shifts", verbose_name=_("group")
    )
    teacher = models.ForeignKey(
        Teacher, on_delete=models.CASCADE, related_name="shifts", verbose_name=_("teacher")
    )
    date = models.DateField(_("date"))
    check_in_at = models.DateTimeField(_("checked in at"))
    check_out_at = models.DateTimeField(_("checked out at"), null=True, blank=True)

    objects = DailyRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("teacher on duty")
        verbose_name_plural = _("teachers on duty")
        ordering = ["date", "check_in_at"]
        constraints = [
            # A teacher is on duty with one group a day.
            models.UniqueConstraint(fields=["teacher", "date"], name="shift_one_per_day"),
            models.CheckConstraint(
                condition=Q(check_out_at__isnull=True) | Q(check_out_at__gte=F("check_in_at")),
                name="shift_checkout_after_checkin",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.teacher} {self.date}"


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
