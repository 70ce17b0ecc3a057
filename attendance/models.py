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
from django.db import connection, models
from django.db.models import (
    Count,
    Exists,
    F,
    FilteredRelation,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from enrollment.models import AuthorisedPickup, Child, Enrollment, Guardianship, Relationship
from factories.models import Factory, Membership, Role, ScopedQuerySet
from spaces.models import ClosedDay, DailyRecordQuerySet, Group, Season, Teacher


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

    @property
    def version(self) -> str:
        """What a phone saw of this record: its last change, in microseconds.
        A queued tap carries it back, so a change made meanwhile is a conflict."""
        return str((self.updated_at - EPOCH) // datetime.timedelta(microseconds=1))


EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
NO_RECORD = "0"  # the version a phone saw when the child had no record yet


class RollCallOp(models.Model):
    """A tap the server has applied, by the id the phone gave it: a tap sent
    twice (the answer was lost on the way back, the queue was sent again) is
    applied once. Holds no personal data."""

    op_id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="+")
    date = models.DateField()
    applied_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("roll-call tap")
        verbose_name_plural = _("roll-call taps")

    def __str__(self) -> str:
        return str(self.op_id)

    @classmethod
    def claim(cls, *, op_id: uuid.UUID, user, enrollment_id: int, day: datetime.date) -> bool:
        """Remember `op_id`; False if it was already applied. One statement and
        no savepoint (an IntegrityError would need one): ON CONFLICT DO NOTHING
        exists in SQLite and PostgreSQL alike."""
        table = connection.ops.quote_name(cls._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (op_id, user_id, enrollment_id, date, applied_at) "
                "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (op_id) DO NOTHING",
                [
                    cls._meta.pk.get_db_prep_value(op_id, connection),
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
    # Checked in and not yet picked up: the roll call's "children here now".
    here = models.PositiveIntegerField(_("here now"), default=0)

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
            here=Count("pk", filter=Q(check_in_at__isnull=False, check_out_at__isnull=True)),
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

    @classmethod
    def recount(cls, group: Group, day: datetime.date) -> GroupDay:
        """`refresh` in one statement, for the tap: the counts are computed and
        written by one INSERT ... SELECT ... ON CONFLICT DO UPDATE ... RETURNING
        (SQLite 3.35+ and PostgreSQL). The caller holds the group's lock, so
        two taps never count at the same time."""
        expected = (
            Enrollment.objects.for_roll_call(group, day)
            .order_by()
            .values("group")
            .annotate(n=Count("pk"))
            .values("n")
        )
        expected_sql, expected_params = expected.query.sql_with_params()
        t = connection.ops.quote_name
        counts = ", ".join(
            f"COALESCE(SUM(CASE WHEN {condition} THEN 1 ELSE 0 END), 0)"
            for condition in (
                "a.status IN ('present', 'late')",
                "a.status = 'late'",
                "a.status = 'absent'",
                "a.status = 'excused'",
                "a.check_in_at IS NOT NULL AND a.check_out_at IS NULL",
            )
        )
        fields = ("expected", "recorded", "attended", "late", "absent", "excused", "here")
        sql = (
            f"INSERT INTO {t(cls._meta.db_table)} (factory_id, season_id, group_id, {t('date')}, "
            f"{', '.join(fields)}) "
            f"SELECT %s, %s, %s, %s, COALESCE(({expected_sql}), 0), COUNT(a.id), {counts} "
            f"FROM {t(Attendance._meta.db_table)} a WHERE a.group_id = %s AND a.{t('date')} = %s "
            f"ON CONFLICT (group_id, {t('date')}) DO UPDATE SET "
            + ", ".join(f"{f} = excluded.{f}" for f in fields)
            + f" RETURNING id, {', '.join(fields)}"
        )
        date = connection.ops.adapt_datefield_value(day)
        params = [group.season.factory_id, group.season_id, group.pk, date]
        params += [*expected_params, group.pk, date]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            pk, *values = cursor.fetchone()
        return cls(
            pk=pk,
            factory_id=group.season.factory_id,
            season_id=group.season_id,
            group=group,
            date=day,
            **dict(zip(fields, values, strict=True)),
        )


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


RECORD_FIELDS = (
    "id",
    "group_id",
    "status",
    "absence_reason",
    "check_in_at",
    "check_out_at",
    "dropped_off_by",
    "picked_up_by",
    "recorded_by_id",
    "updated_at",
)


def roster_with_records(enrollments, day: datetime.date) -> list[Enrollment]:
    """The roster with each child's record of `day`, in ONE query (a LEFT JOIN on
    the day's row, which the (enrollment, date) constraint keeps to one), read
    by `Enrollment.day_record` like `with_day_record`."""
    rows = enrollments.annotate(
        rec=FilteredRelation("attendances", condition=Q(attendances__date=day)),
        **{f"rec_{field}": F(f"rec__{field}") for field in RECORD_FIELDS},
    )
    roster = list(rows)
    for enrollment in roster:
        values = {field: getattr(enrollment, f"rec_{field}") for field in RECORD_FIELDS}
        record = None
        if values["id"] is not None:
            record = Attendance(enrollment=enrollment, date=day, **values)
            record._state.adding = False
        enrollment.day_records = [record] if record else []
    return roster


def with_day_record(enrollments, day: datetime.date):
    """The roster with each child's record of `day` in `day_records` (a list of at
    most one, read by `Enrollment.day_record`): one more query for any group size."""
    return enrollments.prefetch_related(
        Prefetch("attendances", queryset=Attendance.objects.filter(date=day), to_attr="day_records")
    )


def roll_call_refusal(
    group: Group, user, day: datetime.date, *, today: datetime.date
) -> str | None:
    """Why `user` may not take or correct this group's roll call on `day`; None if they may.
    A group fetched by `Group.objects.for_roll_call_of` answers without a query."""
    if day > today:
        return gettext("A roll call cannot be taken for a day that has not come yet.")
    if not group.season.is_opening_day(day, closed=getattr(group, "is_closed_day", None)):
        return gettext("The space is closed on this day: there is no roll call.")
    role = group.rc_role if hasattr(group, "rc_role") else group.roll_call_role(user)
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


def roll_call_group(user, group_id: int, day: datetime.date, *, lock: bool = False):
    """The group as the roll call needs it, fetched once: `user`'s scope, and
    annotated with what the page and a tap ask of it (closed day, the user's
    role and teacher row, the day's counts), so that permissions cost no
    further query. `lock`: take the group's row lock (a tap). None if out of scope."""
    membership = Membership.objects.filter(
        user=user, factory=OuterRef("season__factory"), role=Role.COORDINATOR
    )
    groups = (
        Group.objects.visible_to(user)
        .select_related("season__factory")
        .prefetch_related("season__ratio_rules")
        .annotate(
            is_closed_day=Exists(ClosedDay.objects.filter(season=OuterRef("season"), date=day)),
            is_coordinator=Exists(membership),
            is_teacher=Exists(Group.objects.taught_by(user).filter(pk=OuterRef("pk"))),
            my_teacher_id=Subquery(
                Teacher.objects.filter(user=user, factory=OuterRef("season__factory")).values("pk")[
                    :1
                ]
            ),
            counted=FilteredRelation("days", condition=Q(days__date=day)),
            **{f"counted_{field}": F(f"counted__{field}") for field in DAY_COUNTS},
        )
    )
    if lock:
        groups = groups.select_for_update(of=("self",))
    group = groups.filter(pk=group_id).first()
    if group is not None:
        if user.is_superuser or group.is_coordinator:
            group.rc_role = Role.COORDINATOR
        else:
            group.rc_role = Role.TEACHER if group.is_teacher else None
    return group


def pickup_people(child_ids) -> dict[int, list[dict]]:
    """Who may pick each child up (guardians first, then the authorised pickup
    people), with relationship and phone, in one query (a UNION) for a whole roster."""
    columns = ("child_id", "kind", "person", "relationship", "tel")
    guardians = (
        Guardianship.objects.filter(child_id__in=child_ids)
        .annotate(kind=Value(0), person=F("worker__name"), tel=F("worker__phone"))
        .values_list(*columns)
    )
    pickups = (
        AuthorisedPickup.objects.filter(child_id__in=child_ids)
        .annotate(kind=Value(1), person=F("name"), tel=F("phone"))
        .values_list(*columns)
    )
    labels = dict(Relationship.choices)
    people: dict[int, list[dict]] = {}
    for child_id, _kind, name, relationship, phone in sorted(
        guardians.union(pickups, all=True), key=lambda row: row[:3]
    ):
        people.setdefault(child_id, []).append(
            {
                "name": name,
                "relationship": str(labels.get(relationship, relationship)),
                "phone": phone,
            }
        )
    return people


def pickup_listed(name: str):
    """Whether `name` is on the child's list (a guardian or an authorised pickup
    person), as an expression for the roster's query."""
    return Exists(Guardianship.objects.filter(child=OuterRef("child"), worker__name=name)) | Exists(
        AuthorisedPickup.objects.filter(child=OuterRef("child"), name=name)
    )


DAY_COUNTS = ("id", "expected", "recorded", "attended", "here")


def day_summary(group: Group, day: datetime.date, counts: GroupDay | None = None) -> dict:
    """The header's counts from the daily counts (`counts`, or the row fetched
    with `roll_call_group`); counted from the attendance rows when the day has
    no row yet (records loaded in bulk, or none taken)."""
    if counts is None and getattr(group, "counted_id", None) is not None:
        counts = GroupDay(
            expected=group.counted_expected,
            recorded=group.counted_recorded,
            attended=group.counted_attended,
            here=group.counted_here,
        )
    if counts is None:
        return roll_call_summary(group, day)
    return {
        "expected": counts.expected,
        "marked": counts.recorded,
        "present": counts.attended,
        "here": counts.here,
    }


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
