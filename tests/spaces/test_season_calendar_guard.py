"""A season's dates, weekdays and closed days cannot move past what is recorded
on them: the change is refused with the reason, and nothing changes."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from attendance.counts import mismatches, rebuild_season
from attendance.models import GroupDay, Incident
from reports.report import dashboard, season_report
from spaces.models import ClosedDay

from ..builders import enroll, mark
from .test_season_setup import edit_data, edit_url


@pytest.fixture
def recorded(site):
    """A running season (open every day) with 16 days of roll calls so far."""
    children = [enroll(site.group) for _ in range(3)]
    days = [site.season.start_date + datetime.timedelta(days=n) for n in range(16)]
    for day in days:
        for child in children:
            mark(child, day)
    rebuild_season(site.season, until=days[-1])
    return days


def data(season, **changes) -> dict:
    return edit_data(season, **{"opening_weekdays": list(season.opening_weekdays), **changes})


def saved_calendar(season):
    season.refresh_from_db()
    return (season.start_date, season.end_date, season.opening_weekdays,
            list(season.closed_days.values_list("date", flat=True)))  # fmt: skip


def test_moving_a_running_seasons_start_past_recorded_days_is_refused(client_of, site, recorded):
    before = saved_calendar(site.season)
    new_start = recorded[-1] + datetime.timedelta(days=1)
    response = client_of(site.coordinator).post(
        edit_url(site.season), data(site.season, start_date=new_start.isoformat())
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "16 天记录了点名或值班老师" in html and recorded[0].isoformat() in html
    assert saved_calendar(site.season) == before
    # The report and the dashboard still count the same days.
    report = season_report(site.season)
    row = dashboard([site.factory])["rows"][0]
    assert report["days_open"] == 16 and report["attendance_rate"] == row["rate"] == 1.0


def test_dropping_a_weekday_or_closing_a_day_with_roll_calls_is_refused(client_of, site, recorded):
    client = client_of(site.coordinator)
    weekday = str(recorded[3].isoweekday())
    fewer = [d for d in site.season.opening_weekdays if d != weekday]
    response = client.post(edit_url(site.season), data(site.season, opening_weekdays=fewer))
    assert "记录了点名或值班老师" in response.content.decode()
    closing = {"closed-0-date": recorded[5].isoformat(), "closed-0-reason": "停电"}
    response = client.post(edit_url(site.season), data(site.season, **closing))
    assert recorded[5].isoformat() in response.content.decode()
    site.season.refresh_from_db()
    assert site.season.opening_weekdays == "1234567"
    assert not ClosedDay.objects.filter(season=site.season).exists()


def test_a_childs_stay_left_outside_the_new_dates_is_refused(client_of, site):
    early = enroll(
        site.group,
        arrival_date=site.season.start_date,
        departure_date=site.season.start_date + datetime.timedelta(days=2),
    )
    new_start = site.season.start_date + datetime.timedelta(days=5)
    response = client_of(site.coordinator).post(
        edit_url(site.season), data(site.season, start_date=new_start.isoformat())
    )
    html = response.content.decode()
    assert "1 个孩子的在园日期将与本期日期不再重合" in html and early.child.name in html
    site.season.refresh_from_db()
    assert site.season.start_date != new_start


def test_an_incident_left_outside_the_new_dates_is_refused(client_of, site):
    when = timezone.make_aware(
        datetime.datetime.combine(site.season.start_date, datetime.time(10, 0))
    )
    Incident.objects.create(
        group=site.group, occurred_at=when, kind="injury", severity="minor", description="x"
    )
    new_start = site.season.start_date + datetime.timedelta(days=1)
    response = client_of(site.coordinator).post(
        edit_url(site.season), data(site.season, start_date=new_start.isoformat())
    )
    assert "事故记录" in response.content.decode()


def test_a_change_that_orphans_nothing_is_saved_and_drops_empty_counts(client_of, site):
    # Counted by a recount up to today with nobody ever marked: empty daily counts.
    rebuild_season(site.season, until=timezone.localdate())
    new_start = site.season.start_date + datetime.timedelta(days=3)
    response = client_of(site.coordinator).post(
        edit_url(site.season), data(site.season, start_date=new_start.isoformat()), follow=True
    )
    assert "项目期已保存。" in response.content.decode()
    site.season.refresh_from_db()
    assert site.season.start_date == new_start
    assert not GroupDay.objects.filter(season=site.season, date__lt=new_start).exists()
    assert mismatches(site.season) == []  # the season's totals follow


def test_the_admin_refuses_the_same_change(client, site, superuser, recorded):
    client.force_login(superuser)
    url = reverse("admin:spaces_season_change", args=[site.season.pk])
    form = client.get(url).context["adminform"].form
    post = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    post.update({
        "start_date": (recorded[-1] + datetime.timedelta(days=1)).isoformat(),
        "closes_at": "17:30", "opens_at": "08:00",
    })  # fmt: skip
    for prefix in ("ratio_rules", "closed_days", "groups"):
        post.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    groups = list(site.season.groups.all())
    post.update({"groups-TOTAL_FORMS": str(len(groups)), "groups-INITIAL_FORMS": str(len(groups))})
    for n, group in enumerate(groups):
        post.update({f"groups-{n}-id": group.pk, f"groups-{n}-season": site.season.pk,
                     f"groups-{n}-name": group.name, f"groups-{n}-min_age": group.min_age,
                     f"groups-{n}-max_age": group.max_age})  # fmt: skip
    before = saved_calendar(site.season)
    response = client.post(url, post)
    assert response.status_code == 200
    html = " ".join(response.content.decode().split())
    assert "16 days this change would take out of the season" in html or "有 16 天记录" in html
    assert saved_calendar(site.season) == before


def test_a_stranger_cannot_reach_the_season_form(client_of, site, stranger, recorded):
    response = client_of(stranger).post(
        edit_url(site.season), data(site.season, start_date=recorded[-1].isoformat())
    )
    assert response.status_code == 404
