"""The season report and the programme dashboard, read from the daily counts.

The attendance rate follows the one definition in `attendance.figures` (attended
child-days over expected child-days, excused absences taken out); `GroupDay`
holds exactly those counts per group and day.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from django.db import connection
from django.db.models import (
    Case,
    Count,
    F,
    Max,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    When,
    prefetch_related_objects,
)
from django.db.models.functions import (
    Coalesce,
    Collate,
    NullIf,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from attendance.figures import DEFAULT_BANDS
from attendance.models import Attendance, GroupDay, Incident, SeasonTotal, StaffShift
from enrollment.models import Child, Enrollment, LivesWith
from spaces.models import Season, TeacherAssignment

MANY_ABSENCES = 3


def _band_order(item) -> int:
    band = item[0]
    return int(band.split("–")[0]) if band != "?" else 99


def rate(attended: int, expected: int, excused: int) -> float | None:
    denominator = expected - excused
    return attended / denominator if denominator > 0 else None


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
    today = timezone.localdate()
    date_to = min(date_to or season.end_date, season.end_date, today)
    date_from = max(date_from or season.start_date, season.start_date)
    days = GroupDay.objects.filter(season=season, date__range=(date_from, date_to))
    attendance = Attendance.objects.filter(group__season=season, date__range=(date_from, date_to))
    if group is not None:
        days = days.filter(group=group)
        attendance = attendance.filter(group=group)

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
        provinces[province_labels.get(province, province)] += 1
    left_behind = sum(1 for child in children if child[3] != LivesWith.PARENTS)

    daily = list(
        days.values("date")
        .annotate(expected=Sum("expected"), attended=Sum("attended"), excused=Sum("excused"))
        .order_by("date")
    )
    totals = days.totals()
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
        d.date for d in days.only("group_id", "date", "attended")
        if d.attended > on_duty.get((d.group_id, d.date), 0) * limits.get(d.group_id, 1)
    }  # fmt: skip
    day_count = len({row["date"] for row in daily})

    # Counted in SQL; ties keep the order the rows used to be counted in (latest first).
    absences = Counter(
        dict(
            attendance.filter(status="absent")
            .order_by()
            .values("absence_reason")
            .annotate(n=Count("pk"), last=Max("date"))
            .order_by("-last", "absence_reason")
            .values_list("absence_reason", "n")
        )
    )
    many = (
        attendance.filter(status="absent")
        .values("enrollment__child__name")
        .annotate(n=Count("pk"))
        .filter(n__gte=MANY_ABSENCES)
        .order_by("-n")
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
    overall = rate(totals["attended"] or 0, totals["expected"] or 0, totals["excused"] or 0)
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
        "left_behind_share": left_behind / len(children) if children else None,
        "daily": daily,
        "attendance_rate": overall,
        "average_daily": (totals["attended"] or 0) / day_count if day_count else None,
        "days_open": day_count,
        "by_group": [{**g, "rate": rate(g["attended"], g["expected"], g["excused"])}
                     for g in by_group],  # fmt: skip
        "by_week": [
            {"week": week_label(w), **v, "rate": rate(v["attended"], v["expected"], v["excused"])}
            for (y, w), v in sorted(weeks.items())
        ],
        "absence_reasons": [(str(reasons.get(k, k)), n) for k, n in absences.most_common()],
        "many_absences": list(many),
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


PAGE_SIZE = 50
# Sort keys of the dashboard, each ending on the factory id so pages never overlap.
SORTS = {
    "factory": ("name_for_sort",),
    "enrolled": ("enrolled",),
    "today": ("today_present",),
    "rate": ("rate_for_sort",),
    "incidents": ("incidents",),
}


def current_seasons(factories) -> QuerySet[Season]:
    """Each factory's current season: its latest running one, else its latest
    one that is past planning."""
    pick = (
        Season.objects.filter(factory=OuterRef("factory_id"))
        .exclude(status=Season.Status.PLANNING)
        .order_by(Case(When(status=Season.Status.RUNNING, then=0), default=1), "-start_date", "-pk")
        .values("pk")[:1]
    )
    return Season.objects.filter(factory__in=factories).filter(pk=Subquery(pick))


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


def _sort_key(sort: str, today) -> tuple[list[str], dict]:
    """The ORDER BY for a sort name, and the one annotation it needs (only that
    figure is computed for every season; the rest only for the page shown)."""
    field = sort.lstrip("-")
    if field not in SORTS:
        field, sort = "factory", "factory"
    days = GroupDay.objects.all()
    if field == "factory":
        annotations = {"name_for_sort": _codepoint_order("factory__name_zh")}
    elif field == "enrolled":
        enrolled = Enrollment.objects.filter(status__in=["enrolled", "completed"])
        annotations = {"enrolled": _per_season(enrolled, "season", Count("pk"))}
    elif field == "today":
        today_rows = days.filter(date=today)
        annotations = {"today_present": _per_season(today_rows, "season", Sum("attended"))}
    elif field == "rate":
        # As the rows show it: no rate (no total, or nothing expected) sorts as 0.
        came, due, excused = F("total__attended"), F("total__expected"), F("total__excused")
        annotations = {"rate_for_sort": Coalesce(came * 1.0 / NullIf(due - excused, 0), 0.0)}
    else:
        incidents = _per_season(Incident.objects.all(), "group__season", Count("pk"))
        annotations = {"incidents": incidents}
    order = [f"-{key}" if sort.startswith("-") else key for key in SORTS[field]]
    return order + ["factory_id"], annotations


def dashboard(factories, *, sort: str = "factory", page: int = 1) -> dict:
    """Every factory's current season, a page at a time, sorted in SQL, with the
    totals of all of them and the seasons compared across years. The number
    of queries is fixed; the work per page does not grow with the factories
    beyond the sort key and the totals, which the database sums."""
    today = timezone.localdate()
    # The current seasons are picked once (a correlated subquery per season);
    # the page's query then reads them by id.
    capacities = dict(current_seasons(factories).order_by().values_list("pk", "capacity"))
    order, annotations = _sort_key(sort, today)
    sums = _season_sums(factories, list(capacities), today)
    totals = _totals(capacities, sums)
    pages = max(1, -(-totals["seasons"] // PAGE_SIZE))
    page = min(max(page, 1), pages)
    offset = (page - 1) * PAGE_SIZE
    seasons = list(
        Season.objects.filter(pk__in=list(capacities))
        .select_related("factory")
        .annotate(**annotations)
        .order_by(*order)[offset : offset + PAGE_SIZE]
    )
    rows = _rows(seasons, sums)
    return {
        "rows": rows,
        "totals": totals,
        "years": _years(sums),
        "page": page,
        "pages": pages,
        "first_row": offset + 1 if rows else 0,
        "last_row": offset + len(rows),
    }


def _rows(seasons: list[Season], sums: dict[int, dict]) -> list[dict]:
    """The figures of one page of seasons (two small GROUP BY queries)."""
    ids = [s.pk for s in seasons]
    enrolled = dict(
        Enrollment.objects.filter(season__in=ids, status__in=["enrolled", "completed"])
        .values_list("season").annotate(n=Count("pk")).values_list("season", "n")
    )  # fmt: skip
    incidents = dict(
        Incident.objects.filter(group__season__in=ids)
        .values_list("group__season").annotate(n=Count("pk")).values_list("group__season", "n")
    )  # fmt: skip
    rows = []
    for season in seasons:
        s = sums.get(season.pk, {})
        counted_today = s.get("today_expected") is not None
        rows.append({
            "season": season,
            "factory": season.factory,
            "enrolled": enrolled.get(season.pk, 0),
            "capacity": season.capacity,
            "today_present": s.get("today_present") or 0,
            "today_expected": s.get("today_expected") or 0,
            "roll_call_taken": counted_today and s["today_recorded"] >= s["today_expected"],
            "rate": rate(s.get("attended") or 0, s.get("expected") or 0, s.get("excused") or 0),
            "incidents": incidents.get(season.pk, 0),
        })  # fmt: skip
    return rows


def _season_sums(factories, current: list[int], today) -> dict[int, dict]:
    """Every season of these factories with daily counts: its totals over all days
    (one row a season, kept by the roll call) and its start year, and for the
    current seasons today's counts (their rows of today, through the index on
    season and date). Two queries whose work grows with the seasons, not the days."""
    sums = {
        row["season_id"]: {**row, "today_expected": None}
        for row in SeasonTotal.objects.filter(factory__in=factories).values(
            "season_id", "expected", "attended", "excused", year=F("season__start_date__year")
        )
    }
    for row in (
        GroupDay.objects.filter(season__in=current, date=today)
        .order_by()
        .values("season_id")
        .annotate(
            today_expected=Sum("expected"),
            today_recorded=Sum("recorded"),
            today_present=Sum("attended"),
        )
    ):
        sums.setdefault(row["season_id"], {"expected": 0, "attended": 0, "excused": 0})
        sums[row["season_id"]].update(row)
    return sums


def _totals(seasons: dict[int, int], sums: dict[int, dict]) -> dict:
    """The totals row over every current season (id: capacity), not only the page."""
    mine = [sums[pk] for pk in seasons if pk in sums]
    today = [row for row in mine if row["today_expected"] is not None]

    def total(key, rows=mine):
        return sum(row[key] or 0 for row in rows)

    return {
        "seasons": len(seasons),
        "enrolled": Enrollment.objects.filter(
            season__in=list(seasons), status__in=["enrolled", "completed"]
        ).count(),
        "capacity": sum(seasons.values()),
        "today_present": total("today_present", today),
        "today_expected": total("today_expected", today),
        "taken": sum(1 for row in today if row["today_recorded"] >= row["today_expected"]),
        "incidents": Incident.objects.filter(group__season__in=list(seasons)).count(),
        "rate": rate(total("attended"), total("expected"), total("excused")),
    }


def _years(sums: dict[int, dict]) -> list[dict]:
    """Every season of these factories with daily counts, summed by its start year."""
    by_year = defaultdict(lambda: {"seasons": 0, "expected": 0, "attended": 0, "excused": 0})
    for row in sums.values():
        if "year" not in row:  # counted today, not yet in the totals: no year to show
            continue
        year = by_year[row["year"]]
        year["seasons"] += 1
        for key in ("expected", "attended", "excused"):
            year[key] += row[key] or 0
    return [
        {"year": year, "seasons": v["seasons"], "attended": v["attended"],
         "rate": rate(v["attended"], v["expected"], v["excused"])}
        for year, v in sorted(by_year.items())
    ]  # fmt: skip
