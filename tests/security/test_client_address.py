"""The client's address behind the HTTPS proxy: read from X-Forwarded-For only
through TRUSTED_PROXIES, for the public form's throttle, the login lockout and
the audit trail; a header from anyone else is ignored."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.core.cache import cache
from django.test import Client, RequestFactory
from django.urls import reverse

from ccrcsr.throttle import client_address
from factories.models import AuditEntry

from ..builders import PASSWORD, enroll
from ..enrollment.test_apply import url as apply_url
from ..enrollment.test_apply import valid

ROOT = Path(__file__).resolve().parents[2]
PROXY = "10.0.0.5"


@pytest.fixture(autouse=True)
def behind_a_proxy(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24", "fd00::/64"]
    cache.clear()


def address(remote: str, forwarded: str | None = None) -> str:
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_address(RequestFactory().get("/", **meta))


@pytest.mark.parametrize(
    ("remote", "forwarded", "client"),
    [
        # Through the proxy: the address it appended.
        (PROXY, "198.51.100.7", "198.51.100.7"),
        # A client's own forged entries sit left of what the proxy appended.
        (PROXY, "1.2.3.4, 5.6.7.8, 198.51.100.7", "198.51.100.7"),
        # Two trusted proxies (a balancer behind the HTTPS proxy): past both.
        (PROXY, "1.2.3.4, 198.51.100.7, 10.0.0.9", "198.51.100.7"),
        # Not from a trusted proxy: the header is the client's word, ignored.
        ("203.0.113.9", "198.51.100.7", "203.0.113.9"),
        ("203.0.113.9", "10.0.0.1", "203.0.113.9"),
        # No header, or nothing usable in it: the last trusted hop is all we know.
        (PROXY, None, PROXY),
        (PROXY, "unknown", PROXY),
        (PROXY, "", PROXY),
        # IPv6 proxies and clients.
        ("fd00::1", "2001:db8::42", "2001:db8::42"),
    ],
)
def test_the_client_is_the_first_address_no_trusted_proxy_vouches_for(remote, forwarded, client):
    assert address(remote, forwarded) == client


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = []
    assert address(PROXY, "198.51.100.7") == PROXY


def post_application(season, n: int, **meta):
    phone = Client(**meta)
    phone.get(apply_url(season))  # the form sets the phone's CSRF cookie
    return phone.post(apply_url(season), valid(season, child_name=f"孩子{n}")).status_code


def test_families_behind_the_proxy_are_throttled_each_at_their_own_address(site, monkeypatch):
    from enrollment.views import public

    monkeypatch.setitem(public.APPLY_LIMITS, "address", 3)
    first = [
        post_application(site.season, n, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.7")
        for n in range(4)
    ]
    assert first == [302, 302, 302, 429]
    # Another factory's Wi-Fi, through the same proxy: a bucket of its own.
    other = post_application(site.season, 9, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.20")
    assert other == 302


def test_a_client_forging_the_header_cannot_escape_its_bucket(site, monkeypatch):
    from enrollment.views import public

    monkeypatch.setitem(public.APPLY_LIMITS, "address", 3)
    codes = [
        post_application(
            site.season, n, REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}"
        )
        for n in range(4)
    ]
    assert codes == [302, 302, 302, 429]


def login(user, password: str, forwarded: str):
    client = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)
    return client.post(reverse("login"), {"username": user.username, "password": password})


def test_the_login_lockout_locks_the_guessers_address_not_the_proxys(site):
    for _ in range(5):
        login(site.hr, "wrong", "198.51.100.66")
    assert login(site.hr, PASSWORD, "198.51.100.66").status_code == 429
    # The real HR clerk, at the factory, through the same proxy, still gets in.
    assert login(site.hr, PASSWORD, "203.0.113.20").status_code == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.66"}


def test_the_audit_trail_records_the_clients_address(site):
    child = enroll(site.group).child
    hr = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.7")
    hr.force_login(site.hr)
    assert hr.get(reverse("enrollment:child-export", args=[child.pk])).status_code == 200
    entry = AuditEntry.objects.get(action="export", model="enrollment.child")
    assert entry.changes["address"] == [None, "198.51.100.7"]


def run(*command: str, **env: str) -> subprocess.CompletedProcess:
    unset = ("DJANGO_ALLOW_ASYNC_UNSAFE", "CACHE_URL")
    base = {k: v for k, v in os.environ.items() if k not in unset}
    production = {"DEBUG": "0", "SECRET_KEY": "x7#k2!pQ9z" * 6, "ALLOWED_HOSTS": "kids.example"}
    return subprocess.run(
        [sys.executable, *command],
        cwd=ROOT,
        env={**base, **production, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_a_per_process_cache_at_start_up():
    checked = run("manage.py", "check")
    assert checked.returncode != 0
    assert "ccrcsr.E001" in checked.stderr and "CACHE_URL" in checked.stderr
    # gunicorn runs no checks: the WSGI entry point refuses by itself.
    served = run("-c", "import ccrcsr.wsgi")
    assert served.returncode != 0 and "ccrcsr.E001" in served.stderr
    shared = run("manage.py", "check", CACHE_URL="redis://127.0.0.1:6379/1")
    assert shared.returncode == 0, shared.stderr


def test_a_malformed_trusted_proxy_stops_start_up():
    result = run("manage.py", "check", TRUSTED_PROXIES="10.0.0.0/33", DEBUG="1")
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "Configuration error: TRUSTED_PROXIES: '10.0.0.0/33' is not an IP address or network"
    ]
