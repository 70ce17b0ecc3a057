"""Pre-aggregated roll-call counts: what the reports read, so they stay fast at a
thousand factories. Attendance rows remain the source of truth;
`manage.py check_daily_counts` compares the two.

This app exists because reports read across all three others (seasons,
enrollments, attendance) and own their summary table and exports.
"""

from __future__ import annotations

import datetime

from django.db import models
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from factories.models import Factory, ScopedQuerySet
from spaces.models import Attendance, Group, Season


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
        from enrollment.models import Enrollment

        expected = Enrollment.objects.for_roll_call(group, day).prefetch_related(None).count()
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
