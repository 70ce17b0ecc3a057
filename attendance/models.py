"""What happens in a season each day: the roll call, teachers on duty, incidents,
and the daily counts the reports read.

The tables keep the names they had in `spaces` and `reports` (`db_table`):
moving the code to this app moved no data. Attendance rows are the source of
truth; `GroupDay` is kept up to date by the roll-call services in the same
transaction, and `manage.py check_daily_counts` compares the two.
"""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import (
    Count,
    F,
    Q,
)
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrollment.models import Child, Enrollment
from factories.models import Factory, ScopedQuerySet
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
        return self.status in ATTENDED

    @property
    def version(self) -> str:
        """What a phone saw of this record: its last change, in microseconds.
        A queued tap carries it back, so a change made meanwhile is a conflict."""
        return str((self.updated_at - EPOCH) // datetime.timedelta(microseconds=1))


# "Attended" means present or late: the one list the counts, reports, the roll
# call and its page (the roll's data-attended, read by roll_call.js) use.
ATTENDED = (Attendance.Status.PRESENT, Attendance.Status.LATE)

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
NO_RECORD = "0"  # the version a phone saw when the child had no record yet


class RollCallOp(models.Model):
    """A tap the server has applied, by the id the phone gave it: a tap sent
    twice (the answer was lost on the way back, the queue was sent again) is
    applied once. Holds no personal data.

    An id is the phone's, so it is unique per user, not across users: another
    user's tap with the same id neither collides with it nor tells whether it
    exists."""

    op_id = models.UUIDField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="+")
    date = models.DateField()
    applied_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("roll-call tap")
        verbose_name_plural = _("roll-call taps")
        constraints = [
            models.UniqueConstraint(fields=["user", "op_id"], name="roll_call_op_once_per_user")
        ]

    def __str__(self) -> str:
        return str(self.op_id)

    @classmethod
    def claim(cls, *, op_id: uuid.UUID, user, enrollment_id: int, day: datetime.date) -> bool:
        """Remember `op_id` of `user`; False if they already applied it. One statement and
        no savepoint (an IntegrityError would need one): ON CONFLICT DO NOTHING
        exists in SQLite and PostgreSQL alike."""
        table = connection.ops.quote_name(cls._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (op_id, user_id, enrollment_id, date, applied_at) "
                "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (user_id, op_id) DO NOTHING",
                [
                    cls._meta.get_field("op_id").get_db_prep_value(op_id, connection),
                    user.pk,
                    enrollment_id,
                    connection.ops.adapt_datefield_value(day),
                    connection.ops.adapt_datetimefield_value(timezone.now()),
                ],
            )
            return cursor.rowcount == 1


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

# The summed counts of a group-day (`here` is a moment, not summed over days).
SUMMED = ("expected", "recorded", "attended", "late", "absent", "excused")
TIMES = ("check_in_minutes", "check_ins", "check_out_minutes", "check_outs")


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
    # Checked in and not yet picked up: the roll call's "children here now".
    here = models.PositiveIntegerField(_("here now"), default=0)
    # Check-in and check-out times as minutes after midnight in the factory's
    # zone (seconds dropped), summed, and how many: the report's average times
    # without reading every attendance row of the season.
    check_in_minutes = models.PositiveIntegerField(_("check-in minutes"), default=0)
    check_ins = models.PositiveIntegerField(_("check-ins"), default=0)
    check_out_minutes = models.PositiveIntegerField(_("check-out minutes"), default=0)
    check_outs = models.PositiveIntegerField(_("check-outs"), default=0)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        db_table = "reports_groupday"
        verbose_name = _("group day")
        verbose_name_plural = _("group days")
        constraints = [
            models.UniqueConstraint(fields=["group", "date"], name="group_day_unique"),
        ]
        # The daily chart reads one season by date; the dashboard today's rows of
        # every factory of a coordinator (one range of the index, not a probe a season).
        indexes = [
            models.Index(fields=["season", "date"], name="group_day_season_date_idx"),
            models.Index(fields=["date", "factory"], name="group_day_date_factory_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.group} {self.date}"

    @classmethod
    def recount(cls, group: Group, day: datetime.date) -> GroupDay:
        """Recount one group's day from its attendance rows in one statement, for
        the tap: the counts are computed and written by one INSERT ... SELECT ...
        ON CONFLICT DO UPDATE ... RETURNING (SQLite 3.35+ and PostgreSQL). The
        caller holds the group's lock, so two taps never count at the same time.
        The season's totals follow in the database (see `SeasonTotal`)."""
        counts_sql, counts_params = _counts_sql(group, day)
        t = connection.ops.quote_name
        fields = (*SUMMED, "here", *TIMES)
        factory_id, season_id = group.season.factory_id, group.season_id
        sql = (
            f"INSERT INTO {t(cls._meta.db_table)} (factory_id, season_id, group_id, {t('date')}, "
            f"{', '.join(fields)}) "
            f"SELECT %s, %s, %s, %s, {', '.join(f'n.{f}' for f in fields)} "
            # WHERE true: without it SQLite could read ON CONFLICT as part of the SELECT.
            f"FROM ({counts_sql}) n WHERE true "
            f"ON CONFLICT (group_id, {t('date')}) DO UPDATE SET "
            + ", ".join(f"{f} = excluded.{f}" for f in fields)
            + f" RETURNING id, {', '.join(fields)}"
        )
        date = connection.ops.adapt_datefield_value(day)
        with connection.cursor() as cursor:
            cursor.execute(sql, [factory_id, season_id, group.pk, date, *counts_params])
            pk, *values = cursor.fetchone()
        return cls(
            pk=pk,
            factory_id=factory_id,
            season_id=season_id,
            group=group,
            date=day,
            **dict(zip(fields, values, strict=True)),
        )


def minute_of_day_sql(column: str, zone: str) -> str:
    """SQL for the minutes after local midnight (seconds dropped) of a datetime
    column in the time zone named by the SQL expression `zone`. PostgreSQL
    converts once per row; SQLite calls Django's own extract function, as the
    ORM's ExtractHour and ExtractMinute do there."""
    if connection.vendor == "postgresql":
        return f"FLOOR(DATE_PART('epoch', ({column} AT TIME ZONE {zone})::time) / 60)"
    # Stored values are UTC text (USE_TZ), the zone Django tells the function.
    return (
        f"(django_datetime_extract('hour', {column}, {zone}, 'UTC') * 60 "
        f"+ django_datetime_extract('minute', {column}, {zone}, 'UTC'))"
    )


def _counts_sql(group: Group, day: datetime.date) -> tuple[str, list]:
    """One row of a group-day's counts from its attendance rows (a SELECT with
    no GROUP BY, so one row even when nobody is marked yet)."""
    expected = (
        Enrollment.objects.for_roll_call(group, day)
        .order_by()
        .values("group")
        .annotate(n=Count("pk"))
        .values("n")
    )
    expected_sql, expected_params = expected.query.sql_with_params()
    t = connection.ops.quote_name

    def count(condition: str) -> str:
        return f"COALESCE(SUM(CASE WHEN {condition} THEN 1 ELSE 0 END), 0)"

    def minutes(column: str) -> str:
        return f"COALESCE(SUM({minute_of_day_sql(column, 'z.name')}), 0)"

    conditions = {
        "attended": f"a.status IN ({', '.join(repr(str(s)) for s in ATTENDED)})",
        "late": "a.status = 'late'",
        "absent": "a.status = 'absent'",
        "excused": "a.status = 'excused'",
        "here": "a.check_in_at IS NOT NULL AND a.check_out_at IS NULL",
    }
    zone = f"(SELECT time_zone FROM {t(Factory._meta.db_table)} WHERE id = %s)"
    sql = (
        f"SELECT COALESCE(({expected_sql}), 0) AS expected, COUNT(a.id) AS recorded, "
        + "".join(f"{count(condition)} AS {name}, " for name, condition in conditions.items())
        + f"{minutes('a.check_in_at')} AS check_in_minutes, COUNT(a.check_in_at) AS check_ins, "
        f"{minutes('a.check_out_at')} AS check_out_minutes, COUNT(a.check_out_at) AS check_outs "
        f"FROM {t(Attendance._meta.db_table)} a, (SELECT {zone} AS name) z "
        f"WHERE a.group_id = %s AND a.{t('date')} = %s"
    )
    date = connection.ops.adapt_datefield_value(day)
    return sql, [*expected_params, group.season.factory_id, group.pk, date]


class SeasonTotal(models.Model):
    """A season's figures summed over all its days: the daily counts, how many
    group-days there are, the children enrolled and the incidents. What the
    programme dashboard reads, one row a season, so its work grows with the
    seasons, not with their days or children.

    The database keeps it: triggers on the daily counts, the enrollments and
    the incidents (migration 0003_season_totals_and_times_of_day) add each
    change to its season's row within the same statement. Triggers rather than
    a second statement in `GroupDay.recount`: the tap stays within its query
    budget, and every writer (the tap, a recount, a bulk load, HR's screens, an
    UPDATE by hand) moves the totals without having to remember to. A
    migration that rebuilds one of those tables on SQLite must make them again.
    `attendance.counts` checks the totals and rebuilds them.
    """

    season = models.OneToOneField(
        Season, on_delete=models.CASCADE, primary_key=True, related_name="total"
    )
    factory = models.ForeignKey(Factory, on_delete=models.CASCADE, related_name="+")
    # Plain integers, not positive ones: a total that drifted below a difference
    # taken off it must show up in the check, not stop the roll call.
    expected = models.IntegerField(_("expected"), default=0)
    recorded = models.IntegerField(_("marked"), default=0)
    attended = models.IntegerField(_("present or late"), default=0)
    late = models.IntegerField(_("late"), default=0)
    absent = models.IntegerField(_("absent"), default=0)
    excused = models.IntegerField(_("excused"), default=0)
    days = models.IntegerField(_("group-days counted"), default=0)
    enrolled = models.IntegerField(_("children enrolled"), default=0)
    incidents = models.IntegerField(_("incidents"), default=0)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("season total")
        verbose_name_plural = _("season totals")

    def __str__(self) -> str:
        return str(self.season)

    @classmethod
    def computed(cls, seasons: list[int]) -> dict[int, SeasonTotal]:
        """The totals these seasons should have, from the rows they sum."""
        totals = {
            pk: cls(season_id=pk, factory_id=factory_id)
            for pk, factory_id in Season.objects.filter(pk__in=seasons).values_list(
                "pk", "factory_id"
            )
        }
        sums = (
            GroupDay.objects.filter(season__in=seasons)
            .order_by()
            .values("season_id")
            .annotate(days=Count("pk"), **{name: models.Sum(name) for name in SUMMED})
        )
        for row in sums:
            for name, value in row.items():
                setattr(totals[row["season_id"]], name, value)
        counted = [Enrollment.Status.ENROLLED, Enrollment.Status.COMPLETED]
        for figure, rows in (
            ("enrolled", Enrollment.objects.filter(season__in=seasons, status__in=counted)
             .order_by().values_list("season_id").annotate(n=Count("pk"))),
            ("incidents", Incident.objects.filter(group__season__in=seasons)
             .order_by().values_list("group__season_id").annotate(n=Count("pk"))),
        ):  # fmt: skip
            for season_id, n in rows:
                setattr(totals[season_id], figure, n)
        return totals

    @classmethod
    def rebuild(cls, seasons: list[int]) -> int:
        """Sum these seasons' figures afresh (after a repair of the daily counts)."""
        totals = cls.computed(seasons)
        with transaction.atomic():
            cls.objects.filter(season__in=seasons).delete()
            return len(cls.objects.bulk_create(totals.values()))
