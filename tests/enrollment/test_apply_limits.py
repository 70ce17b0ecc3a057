"""The public form's limits count what a client cannot change cheaply (issue 24,
item 7): the network it posts from, the phone number and the employee number
typed, each its own bucket, whatever the outcome. An attacker who takes a fresh
CSRF cookie for every post (and a fresh IPv6 address in the same /64) is still
one client; and HR sees when many applications arrived from one address."""

import datetime

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from enrollment.models import Enrollment, Submission

from ..builders import WorkerBuilder
from .test_apply import url, valid, worker


@pytest.fixture(autouse=True)
def fresh_throttle():
    cache.clear()


def attacker(season, address="203.0.113.9") -> Client:
    """A client with a brand-new CSRF cookie (and session): nothing carried over."""
    client = Client(REMOTE_ADDR=address)
    client.get(url(season))
    return client


def post(season, address="203.0.113.9", **changes) -> int:
    return attacker(season, address).post(url(season), valid(season, **changes)).status_code


def test_a_fresh_cookie_per_post_does_not_reset_one_employee_numbers_limit(site):
    codes = [post(site.season, child_name=f"孩子{n}") for n in range(25)]
    assert codes == [302] * 10 + [429] * 15
    assert Enrollment.objects.count() == 10


def test_one_phone_number_is_limited_whatever_employee_numbers_come_with_it(site):
    codes = [
        post(site.season, address=f"198.51.100.{n}", employee_number=f"X{n}", child_name=f"孩子{n}")
        for n in range(12)
    ]
    assert codes == [302] * 10 + [429] * 2


def test_one_address_cannot_fill_the_not_on_the_roster_queue(client_of, site):
    WorkerBuilder(factory=site.factory, employee_number="A100", on_roster=True)
    codes = [post(site.season, **worker(n)) for n in range(40)]
    assert codes == [302] * 30 + [429] * 10
    assert Enrollment.objects.filter(roster_check="unknown_number").count() == 30
    # Another address is not held back by it.
    assert post(site.season, address="198.51.100.1", **worker(99)) == 302


def test_rotating_ipv6_addresses_within_one_64_is_one_address(site):
    codes = [post(site.season, address=f"2001:db8:1:2::{n:x}", **worker(n)) for n in range(32)]
    assert codes == [302] * 30 + [429] * 2
    assert post(site.season, address="2001:db8:1:3::1", **worker(77)) == 302


def test_refused_forms_count_as_well(site):
    refused = [post(site.season, consent_data="", child_name=f"孩子{n}") for n in range(10)]
    assert refused == [200] * 10
    assert post(site.season, child_name="最后一个") == 429
    assert not Enrollment.objects.exists()


# --- what HR sees ---


def review(client, season, **query):
    return client.get(reverse("enrollment:applications", args=[season.pk]), query)


def test_hr_sees_that_many_applications_came_from_one_address_in_minutes(client_of, site):
    for n in range(12):
        assert post(site.season, address="203.0.113.50", **worker(n)) == 302
    for n in range(12, 15):  # three workers, each on their own phone's network
        assert post(site.season, address=f"198.51.100.{n}", **worker(n)) == 302
    hr = client_of(site.hr)

    html = review(hr, site.season).content.decode()

    assert "12 份申请在 1 分钟内来自同一地址" in html
    assert html.count('data-testid="in-burst"') == 12
    only = review(hr, site.season, burst="on").content.decode()
    assert "孩子0<" in only and "孩子11<" in only and "孩子12<" not in only


def test_the_same_number_spread_over_hours_is_no_burst(client_of, site):
    for n in range(12):
        assert post(site.season, address="203.0.113.50", **worker(n)) == 302
    start = datetime.datetime(2026, 7, 1, 8, 0, tzinfo=datetime.UTC)
    for n, submission in enumerate(Submission.objects.order_by("pk")):
        submission.submitted_at = start + datetime.timedelta(minutes=20 * n)
        submission.save()
    html = review(client_of(site.hr), site.season).content.decode()
    assert "来自同一地址" not in html and 'data-testid="in-burst"' not in html


def test_two_bursts_an_hour_apart_are_shown_as_two(client_of, site):
    for n in range(20):
        assert post(site.season, address="203.0.113.50", **worker(n)) == 302
    start = datetime.datetime(2026, 7, 1, 8, 0, tzinfo=datetime.UTC)
    for n, submission in enumerate(Submission.objects.order_by("pk")):
        submission.submitted_at = start + datetime.timedelta(minutes=n % 10 + 60 * (n // 10))
        submission.save()
    html = review(client_of(site.hr), site.season).content.decode()
    assert html.count("10 份申请在 9 分钟内来自同一地址") == 2
