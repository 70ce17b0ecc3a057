"""The season report and the programme dashboard, read from the daily counts.

The attendance rate follows the one definition in `attendance.figures` (attended
child-days over expected child-days, excused absences taken out, over the
group-days that count: `figures.counted`); `GroupDay` holds exactly those counts
per group and day, and `SeasonTotal` their sums, from which the dashboard takes
off today's group-days that do not count yet.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from django.conf import settings
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import (
    Count,
    F,
    Max,
    OuterRef,
    Subquery,
    Sum,
    prefetch_related_objects,
)
from django.db.models.functions import (
    Coalesce,
    Collate,
    NullIf,
)
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from attendance.figures import COUNTS, DEFAULT_BANDS, attendance, counted, rate
from attendance.models import Attendance, GroupDay, Incident, StaffShift
from enrollment.models import Child, Enrollment, LivesWith
from impact.models import PublishedBreakdowns
from impact.suppression import published_breakdowns
from spaces.models import Season, TeacherAssignment

MANY_ABSENCES = 3


def _band_order(item) -> int:
    band = item[0]
    return int(band.split("–")[0]) if band != "?" else 99


def _clock(total_minutes: int | None, n: int) -> str | None:
    """An average local time of day, as HH:MM, from the sum of minutes after
    midnight and their number (exact integers from SQL: the same mean, to the
    last bit, as averaging the times one by one)."""
    if not n:
        return None
    mean = round(total_minutes / n)
    return f"{mean // 60:02d}:{mean % 60:02d}"


def _labels(field: str) -> dict[str, str]:
    """A Child choice field's values and their labels, translated once."""
    return {str(k): str(v) for k, v in Child._meta.get_field(field).flatchoices}


def week_label(week: int) -> str:
    """An ISO week as people say it: "第 46 周" (the season gives the year)."""
    return _("Week %(week)s") % {"week": week}


def season_report(season: Season, *, date_from=None, date_to=None, group=None) -> dict:
    counts = attendance(season, date_from=date_from, date_to=date_to, group=group)
    date_from, date_to, days = counts["date_from"], counts["date_to"], counts["days"]
    records = Attendance.objects.filter(group__season=season, date__range=(date_from, date_to))
    if group is not None:
        records = records.filter(group=group)

    statuses = dict(
        season.enrollments.order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    # Four plain values per child, labelled once per choice: get_FOO_display()
    # re-hashes every lazy label on each call (two thirds of the page's time).
    children = list(
        season.enrollments.filter(
            status__in=[Enrollment.Status.ENROLLED, Enrollment.Status.COMPLETED]
        ).values_list(
            "child__date_of_birth", "child__sex", "child__home_province", "child__lives_with"
        )
    )
    sex_labels, province_labels = _labels("sex"), _labels("home_province")
    groups = list(season.groups.prefetch_related(None))  # for the age bands and the ratio
    bands = sorted({(g.min_age, g.max_age) for g in groups}) or DEFAULT_BANDS
    ages, sexes, provinces = Counter(), Counter(), Counter()
    for born, sex, province, _lives_with in children:
        age = season.age_on_start(born)
        band = next((f"{lo}–{hi}" for lo, hi in bands if lo <= age <= hi), "?")
        ages[band] += 1
        sexes[sex_labels.get(sex, sex)] += 1
        # "" is an imported child whose details are still missing: counted, as unknown.
        provinces[province_labels.get(province) or _("Unknown")] += 1
    left_behind = sum(1 for child in children if child[3] not in (LivesWith.PARENTS, ""))
    lives_with_known = sum(1 for child in children if child[3])

    daily, totals = counts["daily"], counts["totals"]
    by_group = list(
        days.values("group__name")
        .annotate(expected=Sum("expected"), attended=Sum("attended"), excused=Sum("excused"))
        .order_by("group__min_age", "group__name")
    )
    weeks = defaultdict(lambda: {"expected": 0, "attended": 0, "excused": 0})
    for row in daily:
        year, week, _weekday = row["date"].isocalendar()
        for key in ("expected", "attended", "excused"):
            weeks[(year, week)][key] += row[key]

    # Staffing: a day keeps the ratio when every group had enough teachers on duty.
    on_duty = Counter(
        StaffShift.objects.filter(
            group__season=season, date__range=(date_from, date_to)
        ).values_list("group_id", "date")
    )
    # Each group's limit is the ratio rule for its ages.
    prefetch_related_objects([season], "ratio_rules")  # one query, not one per group
    limits = {g.pk: season.ratio_limit(g.min_age, g.max_age) for g in groups}
    broken_days = {
        day for group_id, day, attended in days.values_list("group_id", "date", "attended")
        if attended > on_duty.get((group_id, day), 0) * limits.get(group_id, 1)
    }  # fmt: skip
    day_count = counts["days_open"]

    # Counted in SQL; ties keep the order the rows used to be counted in (latest first).
    absences = Counter(
        dict(
            records.filter(status="absent")
            .order_by()
            .values("absence_reason")
            .annotate(n=Count("pk"), last=Max("date"))
            .order_by("-last", "absence_reason")
            .values_list("absence_reason", "n")
        )
    )
    # Counted by enrollment: two children of the same name are two children (and
    # the report's data, which a manager's page gets, holds no child's name).
    many_absences = (
        records.filter(status="absent")
        .order_by()
        .values("enrollment_id")
        .annotate(n=Count("pk"))
        .filter(n__gte=MANY_ABSENCES)
        .count()
    )
    incidents = Incident.objects.filter(
        group__season=season, occurred_at__date__range=(date_from, date_to)
    )
    if group is not None:
        incidents = incidents.filter(group=group)
    kinds_and_severities = list(incidents.values_list("kind", "severity"))
    by_kind = Counter(kind for kind, _severity in kinds_and_severities)
    by_severity = Counter(severity for _kind, severity in kinds_and_severities)
    kinds, severities = dict(Incident.Kind.choices), dict(Incident.Severity.choices)
    reasons = dict(Attendance.AbsenceReason.choices)
    enrolled = statuses.get("enrolled", 0) + statuses.get("completed", 0)
    teachers = TeacherAssignment.objects.filter(season=season).values("teacher").distinct().count()
    return {
        "season": season,
        "date_from": date_from,
        "date_to": date_to,
        "statuses": [(label, statuses.get(value, 0)) for value, label in
                     Enrollment.Status.choices],  # fmt: skip
        "enrolled": enrolled,
        "capacity_used": enrolled / season.capacity if season.capacity else None,
        "by_age": sorted(ages.items(), key=_band_order),
        "by_sex": sorted(sexes.items()),
        "by_province": provinces.most_common(),
        "left_behind": left_behind,
        # Of the children whose home situation is known; the rest are shown as unknown.
        "left_behind_share": left_behind / lives_with_known if lives_with_known else None,
        "lives_with_unknown": len(children) - lives_with_known,
        "daily": daily,
        "attendance_rate": counts["rate"],
        "average_daily": counts["average_daily"],
        "days_open": day_count,
        "by_group": [{**g, "rate": rate(g["attended"], g["expected"], g["excused"])}
                     for g in by_group],  # fmt: skip
        "by_week": [
            {"week": week_label(w), **v, "rate": rate(v["attended"], v["expected"], v["excused"])}
            for (y, w), v in sorted(weeks.items())
        ],
        "absence_reasons": [(str(reasons.get(k, k)), n) for k, n in absences.most_common()],
        "many_absences": many_absences,
        # Times of day in the factory's zone, summed as the roll call is taken.
        "average_check_in": _clock(totals["check_in_minutes"], totals["check_ins"]),
        "average_check_out": _clock(totals["check_out_minutes"], totals["check_outs"]),
        "teachers": teachers,
        "ratio_kept_days": day_count - len(broken_days),
        "incidents": sum(by_kind.values()),
        "incidents_by_kind": [(str(kinds.get(k, k)), n) for k, n in by_kind.most_common()],
        "incidents_by_severity": [
            (str(severities.get(k, k)), n) for k, n in by_severity.most_common()
        ],
    }  # fmt: skip


def manager_breakdowns(season: Season) -> dict | None:
    """The season's breakdowns of children as published to managers: computed
    once, at the first read after the season closed, in both languages, and
    kept (`impact.PublishedBreakdowns`); None while the season is not closed.
    See `impact.suppression.suppress_season_report`."""
    if season.status != Season.Status.CLOSED:
        return None
    kept = PublishedBreakdowns.objects.filter(season=season).values_list("data", flat=True).first()
    if kept is None:
        data = {}
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                data[language] = published_breakdowns(season_report(season))
        kept = PublishedBreakdowns.objects.get_or_create(season=season, defaults={"data": data})[
            0
        ].data
    return kept["en" if translation.get_language() == "en" else settings.LANGUAGE_CODE]


PAGE_SIZE = 50
# Sort keys of the dashboard, each ending on the factory id so pages never overlap
# (named apart from the figures read beside them, which would replace them).
SORTS = {
    "factory": ("name_for_sort",),
    "enrolled": ("enrolled_for_sort",),
    "today": ("today_for_sort",),
    "rate": ("rate_for_sort",),
    "incidents": ("incidents_for_sort",),
}


FIGURES = ("expected", "attended", "excused", "days", "enrolled", "incidents")


def _seasons(factories, order: list[str], annotations: dict) -> list[dict]:
    """Every season of these factories with its totals (one row a season, kept by
    the database as the roll call, HR and the incident form write), in the
    dashboard's order: one query, sorted by the database."""
    return list(
        Season.objects.filter(factory__in=factories)
        .annotate(**annotations)
        .order_by(*order)
        .values(
            "pk",
            "factory_id",
            "status",
            "start_date",
            "capacity",
            **{f: F(f"total__{f}") for f in FIGURES},
        )  # fmt: skip
    )


def _current(seasons: list[dict]) -> dict[int, dict]:
    """Each factory's current season: its latest running one, else its latest
    one that is past planning (ties to the higher id); in the order given."""
    best = {}
    for season in seasons:
        if season["status"] == Season.Status.PLANNING:
            continue
        key = (season["status"] == Season.Status.RUNNING, season["start_date"], season["pk"])
        if season["factory_id"] not in best or key > best[season["factory_id"]][0]:
            best[season["factory_id"]] = (key, season["pk"])
    picked = {pk for _key, pk in best.values()}
    return {season["pk"]: season for season in seasons if season["pk"] in picked}


def _per_season(queryset, season_field: str, value) -> Coalesce:
    """A figure of one season (OuterRef), summed in a correlated subquery."""
    return Coalesce(
        Subquery(
            queryset.filter(**{season_field: OuterRef("pk")})
            .order_by()
            .values(season_field)
            .annotate(v=value)
            .values("v")
        ),
        0,
    )


def _codepoint_order(field: str):
    """Names in code-point order, as Python sorts them, on every database (the
    locale's collation of PostgreSQL would order mixed names differently)."""
    return Collate(F(field), "C") if connection.vendor == "postgresql" else F(field)


def _sort_key(sort: str, now) -> tuple[list[str], dict]:
    """The ORDER BY for a sort name, and the one annotation it needs (only that
    figure is read for every season; the page's rows take the rest from the totals)."""
    field = sort.lstrip("-")
    if field not in SORTS:
        field, sort = "factory", "factory"
    if field == "factory":
        annotations = {"name_for_sort": _codepoint_order("factory__name_zh")}
    elif field == "enrolled":
        annotations = {"enrolled_for_sort": Coalesce(F("total__enrolled"), 0)}
    elif field == "today":
        today_rows = GroupDay.objects.filter(date=now.date())
        annotations = {"today_for_sort": _per_season(today_rows, "season", Sum("attended"))}
    elif field == "rate":
        # As the rows show it: the totals less today's group-days that do not count
        # yet; no rate (no total, or nothing expected) sorts as 0.
        pending = GroupDay.objects.filter(date=now.date()).exclude(counted(now))
        due, came, excused = (
            Coalesce(F(f"total__{key}"), 0) - _per_season(pending, "season", Sum(key))
            for key in ("expected", "attended", "excused")
        )
        annotations = {"rate_for_sort": Coalesce(came * 1.0 / NullIf(due - excused, 0), 0.0)}
    else:
        annotations = {"incidents_for_sort": Coalesce(F("total__incidents"), 0)}
    order = [f"-{key}" if sort.startswith("-") else key for key in SORTS[field]]
    return order + ["factory_id"], annotations


def dashboard(factories, *, sort: str = "factory", page=1) -> dict:
    """Every factory's current season, a page at a time, sorted in SQL, with the
    totals of all of them and the seasons compared across years. Three queries
    (every season with its totals in order, today's counts, the page's seasons),
    none of which reads a season's days, children or incidents one by one."""
    now = timezone.localtime()
    order, annotations = _sort_key(sort, now)
    seasons = _seasons(factories, order, annotations)
    current = _current(seasons)
    counted_today = _today(factories, seasons, current, now)
    totals = _totals(current, counted_today)
    # `page` as the address gives it (Django's paging: not a number shows the first
    # page, one out of range the last).
    shown_page = Paginator(list(current), PAGE_SIZE).get_page(page)
    ids = shown_page.object_list
    shown = Season.objects.select_related("factory").in_bulk(ids)
    rows = _rows([shown[pk] for pk in ids], current, counted_today)
    return {
        "rows": rows,
        "totals": totals,
        "years": _years(seasons),
        "page": shown_page.number,
        "pages": shown_page.paginator.num_pages,
        "first_row": shown_page.start_index(),
        "last_row": shown_page.end_index(),
    }


def _today(factories, seasons: list[dict], current: dict[int, dict], now) -> dict[int, dict]:
    """Today's counts of the current seasons, from the rows of today (one range of
    the index on date and factory); a season without one has not been counted today.
    Today's group-days that do not count yet (`figures.counted`: roll call not
    taken, space still open) are taken off every season's totals here, so the
    rates, the years and the totals row leave them out as the season report does."""
    not_yet = ~counted(now)
    rows = (
        GroupDay.objects.filter(factory__in=factories, date=now.date())
        .order_by()
        .values("season_id")
        # The pending sums first: once `expected` names the day's sum, Sum("expected") cannot.
        .annotate(pending_days=Count("pk", filter=not_yet),
                  **{f"pending_{key}": Sum(key, filter=not_yet) for key in COUNTS})
        .annotate(expected=Sum("expected"), recorded=Sum("recorded"), present=Sum("attended"))
    )  # fmt: skip
    by_season = {row["season_id"]: row for row in rows}
    for season in seasons:
        row = by_season.get(season["pk"])
        if row is None or not row["pending_days"]:
            continue
        for key in (*COUNTS, "days"):
            season[key] = (season[key] or 0) - (row[f"pending_{key}"] or 0)
    return {pk: row for pk, row in by_season.items() if pk in current}


def _rows(shown: list[Season], current: dict[int, dict], today: dict[int, dict]) -> list[dict]:
    """The figures of one page of seasons, from what was read for the totals."""
    rows = []
    for season in shown:
        s, t = current[season.pk], today.get(season.pk)
        rows.append({
            "season": season,
            "factory": season.factory,
            "enrolled": s["enrolled"] or 0,
            "capacity": season.capacity,
            "today_present": t["present"] if t else 0,
            "today_expected": t["expected"] if t else 0,
            "roll_call_taken": t is not None and t["recorded"] >= t["expected"],
            "rate": rate(s["attended"] or 0, s["expected"] or 0, s["excused"] or 0),
            "incidents": s["incidents"] or 0,
        })  # fmt: skip
    return rows


def _totals(current: dict[int, dict], today: dict[int, dict]) -> dict:
    """The totals row over every current season, not only the page."""

    def total(key, rows):
        return sum(row[key] or 0 for row in rows)

    seasons, counted = list(current.values()), list(today.values())
    return {
        "seasons": len(seasons),
        "enrolled": total("enrolled", seasons),
        "capacity": total("capacity", seasons),
        "today_present": total("present", counted),
        "today_expected": total("expected", counted),
        "taken": sum(1 for row in counted if row["recorded"] >= row["expected"]),
        "incidents": total("incidents", seasons),
        "rate": rate(*(total(key, seasons) for key in ("attended", "expected", "excused"))),
    }


def _years(seasons: list[dict]) -> list[dict]:
    """Every season of these factories with daily counts, summed by its start year."""
    by_year = defaultdict(lambda: {"seasons": 0, "expected": 0, "attended": 0, "excused": 0})
    for season in seasons:
        if not season["days"]:
            continue
        year = by_year[season["start_date"].year]
        year["seasons"] += 1
        for key in ("expected", "attended", "excused"):
            year[key] += season[key]
    return [
        {"year": year, "seasons": v["seasons"], "attended": v["attended"],
         "rate": rate(v["attended"], v["expected"], v["excused"])}
        for year, v in sorted(by_year.items())
    ]  # fmt: skip
