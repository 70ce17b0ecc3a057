"""The figures kept beside the daily counts: each season's totals (what the
dashboard reads) follow every write of the roll call, HR and the incident form,
and the average times of day summed per group-day equal the hand count in the
factory's own time zone."""

import datetime
import io
import zoneinfo

from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from attendance.counts import mismatches, rebuild_season
from attendance.models import GroupDay, Incident, SeasonTotal
from enrollment.models import Enrollment
from reports.report import season_report

from ..builders import ChildBuilder, GroupBuilder, SeasonBuilder, enroll, mark


def totals(season) -> tuple:
    total = SeasonTotal.objects.get(season=season)
    return total.days, total.expected, total.attended, total.enrolled, total.incidents


def test_the_season_totals_follow_the_roll_call_hr_and_incidents(client_of, site):
    first, second = enroll(site.group), enroll(site.group)
    today = timezone.localdate()
    assert totals(site.season) == (0, 0, 0, 2, 0)
    teacher = client_of(site.teacher_user)
    url = reverse("attendance:roll-call-mark", args=[site.group.pk, today, first.pk])
    teacher.post(url, {"status": "present"}, HTTP_HX_REQUEST="true")
    assert totals(site.season) == (1, 2, 1, 2, 0)
    teacher.post(url, {"status": "absent", "absence_reason": "sick"}, HTTP_HX_REQUEST="true")
    assert totals(site.season) == (1, 2, 0, 2, 0)
    second.status = Enrollment.Status.WITHDRAWN
    second.save()
    incident = Incident.objects.create(
        group=site.group, occurred_at=timezone.now(), kind="injury", severity="minor",
        description="擦伤",
    )  # fmt: skip
    assert totals(site.season) == (1, 2, 0, 1, 1)
    assert mismatches(site.season) == []
    incident.delete()
    GroupDay.objects.filter(season=site.season).delete()
    assert totals(site.season) == (0, 0, 0, 1, 0)


def test_a_total_that_drifted_is_reported_and_rebuilt(site):
    enroll(site.group)
    rebuild_season(site.season, until=timezone.localdate())
    assert mismatches(site.season) == []
    SeasonTotal.objects.filter(season=site.season).update(enrolled=7)
    assert any("season total" in line for line in mismatches(site.season))
    out = io.StringIO()
    call_command("check_daily_counts", "--fix", stdout=out)
    assert "recounted" in out.getvalue() and mismatches(site.season) == []


def test_average_times_are_the_hand_count_in_the_factorys_zone(site):
    site.factory.time_zone = "Asia/Urumqi"  # UTC+6, two hours behind Beijing
    site.factory.save()
    season = SeasonBuilder(factory=site.factory, start_date=datetime.date(2026, 7, 6),
                           end_date=datetime.date(2026, 7, 10), opening_weekdays="12345",
                           status="closed")  # fmt: skip
    group = GroupBuilder(season=season, min_age=3, max_age=14)
    zone = zoneinfo.ZoneInfo("Asia/Urumqi")
    times = [((8, 10), (17, 5)), ((8, 21), None), ((7, 59), (16, 58))]
    for day, (arrived, left) in zip(season.opening_days(), times, strict=False):
        record = mark(enroll(group, child=ChildBuilder(factory=site.factory)), day)
        record.check_in_at = datetime.datetime(2026, 7, day.day, *arrived, 40, tzinfo=zone)
        if left:
            record.check_out_at = datetime.datetime(2026, 7, day.day, *left, tzinfo=zone)
        record.save()
    rebuild_season(season, until=season.end_date)
    report = season_report(season)
    # (490 + 501 + 479) / 3 = 490 minutes; (1025 + 1018) / 2 = 1021.5, rounded to even
    assert report["average_check_in"] == "08:10"
    assert report["average_check_out"] == "17:02"
    assert mismatches(season) == []
