"""A season's figures: what the summary email and the reports show.

Attendance rate, defined once, here: of the child-days a child was expected
(every opening day from the child's arrival to departure, up to today), the
share on which the child came (present or late). Excused absences (the
family told us beforehand) are taken out of the expected days; unexcused
absences count against the rate.
"""

from __future__ import annotations

import datetime
import io
from collections import Counter

import openpyxl
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from enrollment.models import Enrollment
from spaces.models import Season, TeacherAssignment

from .models import Attendance, Incident

DEFAULT_BANDS = [(3, 6), (7, 9), (10, 14)]


def season_figures(season: Season, *, until: datetime.date | None = None) -> dict:
    """Every figure of the season up to `until` (default: today, or the season's end)."""
    until = min(season.end_date, until or timezone.localdate())
    days = [day for day in season.opening_days() if day <= until]
    enrollments = list(
        Enrollment.objects.filter(
            season=season, status__in=[Enrollment.Status.ENROLLED, Enrollment.Status.COMPLETED]
        ).select_related("child")
    )
    records = {
        row["enrollment_id"]: row
        for row in Attendance.objects.filter(group__season=season, date__lte=until)
        .values("enrollment_id")
        .annotate(
            attended=Count("pk", filter=Q(status__in=["present", "late"])),
            excused=Count("pk", filter=Q(status="excused")),
            absent=Count("pk", filter=Q(status="absent")),
        )
    }
    expected = attended = excused = 0
    served = []
    for enrollment in enrollments:
        mine = records.get(enrollment.pk, {"attended": 0, "excused": 0})
        expected += sum(
            1 for day in days if enrollment.arrival_date <= day <= enrollment.departure_date
        )
        attended += mine["attended"]
        excused += mine["excused"]
        if mine["attended"]:
            served.append(enrollment.child)
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
    denominator = expected - excused
    return {
        "season": season,
        "until": until,
        "days_open": len(days),
        "children_enrolled": len(enrollments),
        "children_served": len(served),
        "child_days_expected": denominator,
        "child_days_attended": attended,
        "attendance_rate": attended / denominator if denominator else None,
        "average_daily_attendance": attended / len(days) if days else None,
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
