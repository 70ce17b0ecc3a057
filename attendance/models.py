"""What happens in a season each day: the roll call, teachers on duty, incidents,
and the daily counts the reports read.

The tables keep the names they had in `spaces` and `reports` (`db_table`):
moving the code to this app moved no data. Attendance rows are the source of
truth; `GroupDay` is kept up to date by the roll-call services in the same
transaction, and `manage.py check_daily_counts` compares the two.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Count, F, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from enrollment.models import Child, Enrollment
from factories.models import Factory, Role, ScopedQuerySet
from spaces.models import DailyRecordQuerySet, Group, Season, Teacher


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
        Enrollment,
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
        db_table = "spaces_attendance"
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
        Child,
        related_name="incidents",
        verbose_name=_("children"),
        db_table="spaces_incident_children",
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
        db_table = "spaces_incident"
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
        db_table = "spaces_staffshift"
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


# --- daily counts ---------------------------------------------------------------


class GroupDayQuerySet(ScopedQuerySet):
    def totals(self):
        return self.aggregate(
            expected=models.Sum("expected"),
            recorded=models.Sum("recorded"),
            attended=models.Sum("attended"),
            excused=models.Sum("excused"),
            absent=models.Sum("absent"),
        )


class GroupDay(models.Model):
    """One group's roll call on one day, counted."""

    factory = models.ForeignKey(Factory, on_delete=models.CASCADE, related_name="+")
    season = models.ForeignKey(Season, on_delete=models.CASCADE, related_name="group_days")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="days")
    date = models.DateField(_("date"))
    expected = models.PositiveIntegerField(_("expected"), default=0)
    recorded = models.PositiveIntegerField(_("marked"), default=0)
    attended = models.PositiveIntegerField(_("present or late"), default=0)
    late = models.PositiveIntegerField(_("late"), default=0)
    absent = models.PositiveIntegerField(_("absent"), default=0)
    excused = models.PositiveIntegerField(_("excused"), default=0)

    objects = GroupDayQuerySet.as_manager()

    class Meta:
        db_table = "reports_groupday"
        verbose_name = _("group day")
        verbose_name_plural = _("group days")
        constraints = [
            models.UniqueConstraint(fields=["group", "date"], name="group_day_unique"),
        ]
        # The dashboard sums a season's days; the daily chart reads one season by date.
        indexes = [models.Index(fields=["season", "date"], name="group_day_season_date_idx")]

    def __str__(self) -> str:
        return f"{self.group} {self.date}"

    @classmethod
    def refresh(cls, group: Group, day: datetime.date) -> GroupDay:
        """Recount one group's day from the attendance rows (two small queries)."""
        expected = Enrollment.objects.for_roll_call(group, day).count()
        counts = Attendance.objects.filter(group=group, date=day).aggregate(
            recorded=Count("pk"),
            attended=Count("pk", filter=Q(status__in=["present", "late"])),
            late=Count("pk", filter=Q(status="late")),
            absent=Count("pk", filter=Q(status="absent")),
            excused=Count("pk", filter=Q(status="excused")),
        )
        row, _created = cls.objects.update_or_create(
            group=group,
            date=day,
            defaults={
                "factory_id": group.season.factory_id,
                "season_id": group.season_id,
                "expected": expected,
                **counts,
            },
        )
        return row


def rebuild_season(season: Season, *, until: datetime.date) -> int:
    """Recount every group-day of a season up to `until` (after a bulk load, or to repair)."""
    days = [day for day in season.opening_days() if day <= until]
    n = 0
    for group in season.groups.select_related("season"):
        for day in days:
            GroupDay.refresh(group, day)
            n += 1
    return n


def raw_counts(season: Season) -> dict[tuple[int, datetime.date], dict]:
    """The same counts straight from the attendance rows, for the check."""
    rows = (
        Attendance.objects.filter(group__season=season)
        .values("group_id", "date")
        .annotate(
            recorded=Count("pk"),
            attended=Count("pk", filter=Q(status__in=["present", "late"])),
            excused=Count("pk", filter=Q(status="excused")),
        )
    )
    return {(r["group_id"], r["date"]): r for r in rows}


def mismatches(season: Season) -> list[str]:
    """Group-days whose stored counts differ from the attendance rows."""
    raw = raw_counts(season)
    stored = {
        (d.group_id, d.date): d
        for d in GroupDay.objects.filter(season=season).only(
            "group_id", "date", "recorded", "attended", "excused"
        )
    }
    problems = []
    for key in sorted(set(raw) | set(stored), key=lambda k: (k[1], k[0])):
        r, d = raw.get(key), stored.get(key)
        got = (d.recorded, d.attended, d.excused) if d else (0, 0, 0)
        want = (r["recorded"], r["attended"], r["excused"]) if r else (0, 0, 0)
        if got != want:
            problems.append(f"group {key[0]} on {key[1]}: stored {got}, attendance rows {want}")
    return problems


# --- the roll call of one group on one day --------------------------------------


def with_day_record(enrollments, day: datetime.date):
    """The roster with each child's record of `day` in `day_records` (a list of at
    most one, read by `Enrollment.day_record`): one more query for any group size."""
    return enrollments.prefetch_related(
        Prefetch("attendances", queryset=Attendance.objects.filter(date=day), to_attr="day_records")
    )


def roll_call_refusal(
    group: Group, user, day: datetime.date, *, today: datetime.date
) -> str | None:
    """Why `user` may not take or correct this group's roll call on `day`; None if they may."""
    if day > today:
        return gettext("A roll call cannot be taken for a day that has not come yet.")
    if not group.season.is_opening_day(day):
        return gettext("The space is closed on this day: there is no roll call.")
    role = group.roll_call_role(user)
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


def roll_call_summary(group: Group, day: datetime.date) -> dict:
    """Counts for the roll call's header, in two queries whatever the group size."""
    expected = Enrollment.objects.for_roll_call(group, day).count()
    marked = Attendance.objects.filter(group=group, date=day).aggregate(
        marked=Count("pk"),
        present=Count("pk", filter=Q(status__in=["present", "late"])),
        here=Count("pk", filter=Q(check_in_at__isnull=False, check_out_at__isnull=True)),
    )
    return {"expected": expected, **marked}


def with_roll_call_status(groups, day: datetime.date):
    """Annotate children expected on `day` and roll-call records taken that day.

    Counted in subqueries, not joins, so the two counts do not multiply.
    Registered with `spaces.models.GROUP_DAY_ANNOTATIONS` (see apps.py), so the
    season page in `spaces` shows it without importing this app.
    """
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
    return groups.annotate(
        n_expected=Coalesce(Subquery(expected), 0),
        n_recorded=Coalesce(Subquery(recorded), 0),
        n_present=Coalesce(Subquery(present), 0),
    )
