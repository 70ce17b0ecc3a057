"""Which days count in an attendance rate: a group's day once its roll call is
taken, or once the space has closed. In the morning, today's children not yet
marked are not absences, on the dashboard, the season report (weekly and
overall), the report card and the summary figures alike."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from attendance.figures import season_figures

from ..builders import enroll


@pytest.fixture
def morning(site, client_of):
    """Four children, yesterday's roll call taken in full, today's begun with one
    child (the space is open until the last second of the day)."""
    site.season.closes_at = datetime.time(23, 59, 59)
    site.season.save()
    children = [enroll(site.group) for _ in range(4)]
    today = timezone.localdate()
    yesterday = today - datetime.timedelta(days=1)
    coordinator = client_of(site.coordinator)
    coordinator.post(reverse("attendance:roll-call-mark-all", args=[site.group.pk, yesterday]))
    coordinator.post(
        reverse("attendance:roll-call-mark", args=[site.group.pk, today, children[0].pk]),
        {"status": "present"},
        HTTP_HX_REQUEST="true",
    )
    return children


def rates_seen(client, site) -> dict:
    """The attendance rate each page shows, in whole percents."""
    report = client.get(reverse("reports:season", args=[site.season.pk])).context["r"]
    dashboard = client.get(reverse("reports:dashboard")).context
    card = client.get(reverse("impact:report-card", args=[site.season.pk])).context["card"]
    return {
        "report": round(100 * report["attendance_rate"]),
        "weeks": [round(100 * week["rate"]) for week in report["by_week"]],
        "days open": report["days_open"],
        "dashboard": dashboard["rows"][0]["rate_pct"],
        "dashboard total": round(100 * dashboard["totals"]["rate"]),
        "years": [round(100 * year["rate"]) for year in dashboard["years"]],
        "card": card["reach"][3][2],
        "card days": card["reach"][2][1],
        "summary": round(100 * season_figures(site.season)["attendance_rate"]),
    }


def test_todays_children_not_yet_marked_are_not_absences_in_the_morning(morning, site, client_of):
    seen = rates_seen(client_of(site.coordinator), site)
    # Yesterday: 4 of 4. Today's roll call (1 of 4 marked) is not counted yet.
    assert seen == {
        "report": 100, "weeks": [100] * len(seen["weeks"]), "days open": 1,
        "dashboard": "100%", "dashboard total": 100, "years": [100],
        "card": "100%", "card days": 1, "summary": 100,
    }  # fmt: skip


def test_today_counts_once_its_roll_call_is_taken(morning, site, client_of):
    today = timezone.localdate()
    client = client_of(site.teacher_user)
    for child, status in zip(morning[1:], ("present", "absent", "present"), strict=True):
        url = reverse("attendance:roll-call-mark", args=[site.group.pk, today, child.pk])
        client.post(url, {"status": status, "absence_reason": "sick"}, HTTP_HX_REQUEST="true")
    seen = rates_seen(client_of(site.coordinator), site)
    # 4 of 4 yesterday and 3 of 4 today: 7 of 8.
    assert (seen["report"], seen["dashboard"], seen["card"], seen["summary"]) == (
        88,
        "88%",
        "88%",
        88,
    )
    assert seen["days open"] == seen["card days"] == 2


def test_today_counts_once_the_space_has_closed_even_half_taken(morning, site, client_of):
    site.season.closes_at = datetime.time(0, 0)  # closed since midnight: the day is over
    site.season.save()
    seen = rates_seen(client_of(site.coordinator), site)
    # 4 of 4 yesterday and 1 of 4 today: 5 of 8; the three unmarked count as absent.
    assert (seen["report"], seen["dashboard"], seen["card"], seen["summary"]) == (
        62,
        "62%",
        "62%",
        62,
    )
    assert seen["weeks"][-1] in (62, 25)  # today may begin a new week


def test_the_dashboard_sorts_by_the_rate_it_shows(morning, site, other_site, client_of):
    from factories.models import Membership, Role

    from ..builders import enroll as enroll_in

    # The other factory: 3 of 4 yesterday (75%), below this one's 100% so far.
    Membership.objects.create(user=site.coordinator, factory=other_site.factory,
                              role=Role.COORDINATOR)  # fmt: skip
    others = [enroll_in(other_site.group) for _ in range(4)]
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    client = client_of(site.coordinator)
    for child, status in zip(others, ("present", "present", "present", "absent"), strict=True):
        url = reverse("attendance:roll-call-mark", args=[other_site.group.pk, yesterday, child.pk])
        client.post(url, {"status": status}, HTTP_HX_REQUEST="true")
    rows = client.get(reverse("reports:dashboard"), {"sort": "-rate"}).context["rows"]
    assert [(row["factory"].pk, row["rate_pct"]) for row in rows] == [
        (site.factory.pk, "100%"), (other_site.factory.pk, "75%"),
    ]  # fmt: skip
