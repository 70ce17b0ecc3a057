"""The daily counts checked against the attendance rows they count: a full
recount after a bulk load or to repair, and the comparison that
`manage.py check_daily_counts` and the tests run."""

from __future__ import annotations

import datetime

from django.db.models import Count, Q

from spaces.models import Season

from .models import Attendance, GroupDay


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
