"""The daily counts checked against the attendance rows they count: a full
recount after a bulk load or to repair, and the comparison that
`manage.py check_daily_counts` and the tests run. The season totals are
checked against the daily counts, enrollments and incidents they sum."""

from __future__ import annotations

import datetime
import zoneinfo

from django.db.models import Count, Q, Sum
from django.db.models.functions import ExtractHour, ExtractMinute

from spaces.models import Season

from .models import ATTENDED, SUMMED, Attendance, GroupDay, SeasonTotal

CHECKED = ("recorded", "attended", "excused", "check_in_minutes", "check_ins",
           "check_out_minutes", "check_outs")  # fmt: skip


def rebuild_season(season: Season, *, until: datetime.date) -> int:
    """Recount every group-day of a season up to `until` (after a bulk load, or to
    repair), then its totals afresh from the daily counts."""
    days = [day for day in season.opening_days() if day <= until]
    n = 0
    for group in season.groups.select_related("season"):
        for day in days:
            GroupDay.recount(group, day)
            n += 1
    SeasonTotal.rebuild([season.pk])
    return n


def _minutes(field: str, tz: zoneinfo.ZoneInfo):
    """Minutes after local midnight, the portable way (not the tap's SQL): a check."""
    return Sum(ExtractHour(field, tzinfo=tz) * 60 + ExtractMinute(field, tzinfo=tz))


def raw_counts(season: Season) -> dict[tuple[int, datetime.date], dict]:
    """The same counts straight from the attendance rows, for the check."""
    tz = zoneinfo.ZoneInfo(season.factory.time_zone)
    rows = (
        Attendance.objects.filter(group__season=season)
        .values("group_id", "date")
        .annotate(
            recorded=Count("pk"),
            attended=Count("pk", filter=Q(status__in=ATTENDED)),
            excused=Count("pk", filter=Q(status="excused")),
            check_in_minutes=_minutes("check_in_at", tz),
            check_ins=Count("check_in_at"),
            check_out_minutes=_minutes("check_out_at", tz),
            check_outs=Count("check_out_at"),
        )
    )
    return {(r["group_id"], r["date"]): r for r in rows}


def mismatches(season: Season) -> list[str]:
    """Group-days whose stored counts differ from the attendance rows, and a
    season total that differs from its group-days, enrollments and incidents."""
    raw = raw_counts(season)
    stored = {
        (d.group_id, d.date): d
        for d in GroupDay.objects.filter(season=season).only("group_id", "date", *SUMMED, *CHECKED)
    }
    problems = []
    for key in sorted(set(raw) | set(stored), key=lambda k: (k[1], k[0])):
        r, d = raw.get(key), stored.get(key)
        got = tuple(getattr(d, f) for f in CHECKED) if d else (0,) * len(CHECKED)
        want = tuple(r[f] or 0 for f in CHECKED) if r else (0,) * len(CHECKED)
        if got != want:
            problems.append(f"group {key[0]} on {key[1]}: stored {got}, attendance rows {want}")
    want = SeasonTotal.computed([season.pk])[season.pk]
    total = SeasonTotal.objects.filter(season=season).first() or SeasonTotal()
    figures = (*SUMMED, "days", "enrolled", "incidents")
    got, want = (tuple(getattr(t, f) for f in figures) for t in (total, want))
    if got != want:
        problems.append(f"season total {figures}: stored {got}, counted {want}")
    return problems
