"""The cards read a fixed number of queries, whatever the answers and seasons."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from factories.models import Membership

from ..builders import SeasonBuilder
from .conftest import answer, parent


def queries(client, url, **params) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params).status_code == 200
    return len(captured)


def test_the_report_card_does_not_query_per_answer(client_of, site):
    client = client_of(site.manager)
    url = reverse("impact:report-card", args=[site.season.pk])
    answer(site.season, "baseline", parent(site.season, participant=True))
    client.get(url)  # the first request after login writes the session's last-seen time
    one = queries(client, url)
    for _ in range(12):
        worker = parent(site.season, participant=True)
        answer(site.season, "baseline", worker)
        answer(site.season, "final", worker)
    assert queries(client, url) == one


def test_the_programme_card_does_not_query_per_season(client_of, site, other_site):
    coordinator = site.coordinator
    client = client_of(coordinator)
    year = site.season.start_date.year
    url = reverse("impact:programme")
    answer(site.season, "baseline", parent(site.season, participant=True))
    client.get(url, {"year": year})  # the first request after login writes the session
    one = queries(client, url, year=year)
    for _ in range(3):
        season = SeasonBuilder(factory=other_site.factory, start_date=site.season.start_date,
                               end_date=site.season.end_date)  # fmt: skip
        answer(season, "baseline", parent(season, participant=False))
    Membership.objects.create(user=coordinator, factory=other_site.factory, role="coordinator")
    # The first read after a round is over keeps its figures (a few writes a
    # season, once: see indicators.seasons_results); every read after is flat.
    client.get(url, {"year": year})
    assert queries(client, url, year=year) == one
