"""Season figures against numbers worked out by hand."""

import datetime

from attendance.counts import rebuild_season
from attendance.figures import figures_workbook, season_figures
from attendance.models import Incident
from enrollment.models import LivesWith

from ..builders import ChildBuilder, GroupBuilder, SeasonBuilder, enroll, mark


def test_the_figures_of_a_small_season(db):
    # Monday 6 to Friday 10 July 2026, open Monday to Friday: 5 opening days.
    season = SeasonBuilder(
        start_date=datetime.date(2026, 7, 6),
        end_date=datetime.date(2026, 7, 10),
        opening_weekdays="12345",
    )
    group = GroupBuilder(season=season, min_age=6, max_age=12)
    days = season.opening_days()
    girl = enroll(group, child=ChildBuilder(factory=season.factory, sex="F",
                  date_of_birth=datetime.date(2018, 1, 1), home_province="sichuan"))  # fmt: skip
    boy = enroll(
        group,
        child=ChildBuilder(factory=season.factory, sex="M", date_of_birth=datetime.date(2015, 1, 1),
                           home_province="henan", lives_with=LivesWith.PARENTS),
        arrival_date=datetime.date(2026, 7, 8),  # 3 expected days
    )  # fmt: skip
    # Girl: present 4 days, absent 1. Boy: present 1, late 1, excused 1.
    for day in days[:4]:
        mark(girl, day)
    mark(girl, days[4], "absent")
    mark(boy, days[2])
    mark(boy, days[3], "late")
    mark(boy, days[4], "excused")
    occurred = datetime.datetime(2026, 7, 7, 10, tzinfo=datetime.UTC)
    Incident.objects.create(
        group=group, occurred_at=occurred, kind="injury", severity="minor", description="x"
    )
    rebuild_season(season, until=season.end_date)  # the daily counts the roll call keeps

    f = season_figures(season, until=datetime.date(2026, 7, 10))
    assert f["days_open"] == 5
    assert f["children_enrolled"] == 2 and f["children_served"] == 2
    # Expected child-days: 5 + 3 = 8, less 1 excused = 7; attended 4 + 2 = 6.
    assert f["child_days_expected"] == 7 and f["child_days_attended"] == 6
    assert f["attendance_rate"] == 6 / 7
    assert f["average_daily_attendance"] == 6 / 5
    assert f["left_behind"] == 1
    assert dict(f["provinces"]) == {"四川": 1, "河南": 1} or dict(f["provinces"]) == {
        "Sichuan": 1,
        "Henan": 1,
    }
    assert sum(n for _key, n in f["by_band_sex"]) == 2
    assert [n for _k, n in f["incidents"]] == [1]
    assert figures_workbook(f)[:2] == b"PK"
