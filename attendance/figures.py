"""A season's figures: what the summary email, the report card and the reports show.

Attendance rate, defined once, here: of the child-days a child was expected
(every opening day from the child's arrival to departure), the share on which
the child came (present or late). Excused absences (the family told us
beforehand) are taken out of the expected days; unexcused absences, and a
child left unmarked on a day that is over, count against the rate.

Which days count (`counted`): a group's day counts once its roll call is
taken (every child expected is marked) or once the day is over (an earlier
date, or today after the season's closing time). Until then the children not
yet marked are not absences: at 08:00 today's roll call is simply not in the
rate. The rate is summed from the daily counts (`GroupDay`), which the roll
call makes when a group's day is begun (and a recount for every opening day):
a group-day never begun is not in the rate until it is recounted (the "roll
call missing" reminder chases it meanwhile).
Every rate (the season report, the dashboard, the report card, the summary
and the weekly digest) goes through `attendance` or `counted`.
"""

from __future__ import annotations

import datetime
import io
from collections import Counter

import openpyxl
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from enrollment.models import Enrollment, Guardianship
from spaces.models import Group, Season, TeacherAssignment

from .models import ATTENDED, TIMES, Attendance, GroupDay, Incident

DEFAULT_BANDS = [(3, 6), (7, 9), (10, 14)]
COUNTS = ("expected", "attended", "excused")


def rate(attended: int, expected: int, excused: int) -> float | None:
    """Attended child-days over expected ones, excused absences taken out."""
    denominator = expected - excused
    return attended / denominator if denominator > 0 else None


def percent(share: float | None) -> int | None:
    """A rate in whole percents, as every page shows it (the templates'
    `widthratio share 1 100` rounds the same way)."""
    return None if share is None else round(share * 100)


def counted(now: datetime.datetime | None = None) -> Q:
    """The daily counts (`GroupDay` rows) that count in a rate at `now`: every
    earlier day, and today's once its roll call is taken or the space has
    closed. Today and the time are the project's zone (`TIME_ZONE`), as every
    "today" of the reports."""
    now = timezone.localtime(now)
    today = now.date()
    return Q(date__lt=today) | (
        Q(date=today) & (Q(recorded__gte=F("expected")) | Q(season__closes_at__lte=now.time()))
    )


def attendance(
    season: Season,
    *,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    group: Group | None = None,
    now: datetime.datetime | None = None,
) -> dict:
    """A season's attendance between two dates (default: its whole length up to
    now), by the one rule: the counted group-days (`days`, a queryset for
    further breakdowns), their sums per date (`daily`) and in all (`totals`),
    the rate, the days open and the average a day."""
    today = timezone.localtime(now).date()
    date_to = min(date_to or season.end_date, season.end_date, today)
    date_from = max(date_from or season.start_date, season.start_date)
    days = GroupDay.objects.filter(season=season, date__range=(date_from, date_to)).filter(
        counted(now)
    )
    if group is not None:
        days = days.filter(group=group)
    daily = list(
        days.values("date")
        .annotate(**{name: Sum(name) for name in (*COUNTS, *TIMES)})
        .order_by("date")
    )
    # The totals are the days' sums (added here: one query fewer).
    totals = {key: sum(row[key] or 0 for row in daily) for key in (*COUNTS, *TIMES)}
    for row in daily:  # the times of each day are not shown
        for name in TIMES:
            del row[name]
    return {
        "date_from": date_from,
        "date_to": date_to,
        "days": days,
        "daily": daily,
        "totals": totals,
        "rate": rate(totals["attended"], totals["expected"], totals["excused"]),
        "days_open": len(daily),
        "average_daily": totals["attended"] / len(daily) if daily else None,
    }


def families(child_ids) -> int:
    """Households of these children: children who share a guardian, and
    guardians who share a child, are one family (two parents count once)."""
    pairs = Guardianship.objects.filter(child__in=child_ids).values_list("child_id", "worker_id")
    family: dict = {}

    def root(node):
        while family.setdefault(node, node) != node:
            node = family[node]
        return node

    for child_id in child_ids:
        root(("c", child_id))  # a child with no guardian on record is a family too
    for child_id, worker_id in pairs:
        family[root(("c", child_id))] = root(("w", worker_id))
    return len({root(node) for node in family})


def season_figures(season: Season, *, until: datetime.date | None = None) -> dict:
    """Every figure of the season up to `until` (default: today, or the season's
    end); its attendance by the one rule (`attendance`). `so_far` until the
    season is closed: the figures still move."""
    until = min(season.end_date, until or timezone.localdate())
    counts = attendance(season, date_to=until)
    enrollments = list(
        Enrollment.objects.filter(
            season=season, status__in=[Enrollment.Status.ENROLLED, Enrollment.Status.COMPLETED]
        ).select_related("child")
    )
    came = set(
        Attendance.objects.filter(group__season=season, date__lte=until, status__in=ATTENDED)
        .order_by()
        .values_list("enrollment_id", flat=True)
        .distinct()
    )
    served = [e.child for e in enrollments if e.pk in came]
    bands = sorted({(g.min_age, g.max_age) for g in season.groups.all()}) or DEFAULT_BANDS
    by_band_sex = Counter()
    for child in served:
        age = season.age_on_start(child.date_of_birth)
        band = next((b for b in bands if b[0] <= age <= b[1]), None)
        by_band_sex[(f"{band[0]}–{band[1]}" if band else "?", str(child.get_sex_display()))] += 1
    reasons = Counter(
        Attendance.objects.filter(
            group__season=season, date__lte=until, status="absent"
        ).values_list("absence_reason", flat=True)
    )
    incidents = Counter(
        Incident.objects.filter(group__season=season).values_list("kind", flat=True)
    )
    totals = counts["totals"]
    return {
        "season": season,
        "until": until,
        "so_far": season.status != Season.Status.CLOSED,
        "days_open": counts["days_open"],
        "children_enrolled": len(enrollments),
        "children_served": len(served),
        "families_served": families([child.pk for child in served]),
        "child_days_expected": totals["expected"] - totals["excused"],
        "child_days_attended": totals["attended"],
        "attendance_rate": counts["rate"],
        "average_daily_attendance": counts["average_daily"],
        "by_band_sex": sorted(
            by_band_sex.items(), key=lambda item: (int(item[0][0].split("–")[0]), item[0][1])
        )
        if "?" not in {band for band, _sex in by_band_sex}
        else sorted(by_band_sex.items()),
        # An imported child whose details are still missing counts as unknown.
        "provinces": Counter(
            c.get_home_province_display() or _("Unknown") for c in served
        ).most_common(),
        "left_behind": sum(1 for c in served if c.is_left_behind),
        "absence_reasons": [
            (str(dict(Attendance.AbsenceReason.choices).get(k, k)), n)
            for k, n in reasons.most_common()
        ],
        "incidents": [
            (str(dict(Incident.Kind.choices).get(k, k)), n) for k, n in incidents.most_common()
        ],
        "teachers": TeacherAssignment.objects.filter(season=season)
        .values("teacher")
        .distinct()
        .count(),
    }


def figures_workbook(figures: dict) -> bytes:
    """The figures as an Excel workbook, one sheet per table."""
    workbook = openpyxl.Workbook()
    summary = workbook.active
    summary.title = _("Summary")[:31]
    rate = figures["attendance_rate"]
    for label, value in (
        (_("Season"), str(figures["season"])),
        (_("Days open"), figures["days_open"]),
        (_("Children enrolled"), figures["children_enrolled"]),
        (_("Children served"), figures["children_served"]),
        (_("Attendance rate"), round(rate, 4) if rate is not None else ""),
        (_("Average daily attendance"), round(figures["average_daily_attendance"] or 0, 1)),
        (_("Left-behind children"), figures["left_behind"]),
        (_("Teachers"), figures["teachers"]),
    ):
        summary.append([str(label), value])
    for title, header, rows in (
        (_("Ages and sex"), [_("Age band"), _("Sex"), _("Children")],
         [[band, sex, n] for (band, sex), n in figures["by_band_sex"]]),
        (_("Home provinces"), [_("Province"), _("Children")], figures["provinces"]),
        (_("Absences"), [_("Reason"), _("Days")], figures["absence_reasons"]),
        (_("Incidents"), [_("Kind"), _("Number")], figures["incidents"]),
    ):  # fmt: skip
        sheet = workbook.create_sheet(str(title)[:31])
        sheet.append([str(h) for h in header])
        for row in rows:
            sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
