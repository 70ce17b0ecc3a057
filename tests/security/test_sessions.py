"""Sessions cost nothing per request: no write while the user keeps clicking,
yet the 30-minute idle and 12-hour limits hold."""

import time

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse


def session_writes(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries.captured_queries
        if "django_session" in q["sql"] and not q["sql"].lstrip().upper().startswith("SELECT")
    ]


def test_a_second_request_within_a_minute_does_not_write_the_session(client_of, site):
    client = client_of(site.hr)
    client.get(reverse("factories:home"))  # the first request after login notes the time
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("factories:home"))
    assert response.status_code == 200
    assert session_writes(queries) == []
    assert "sessionid" not in response.cookies  # nor is the cookie sent again


def test_a_request_a_minute_later_pushes_the_idle_limit_back(client_of, site):
    client = client_of(site.hr)
    client.get(reverse("factories:home"))
    session = client.session
    session["last_seen"] = int(time.time()) - 61
    session.save()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("factories:home"))
    assert session_writes(queries)
    assert response.cookies["sessionid"]["max-age"] == 30 * 60
    assert client.session["last_seen"] >= int(time.time()) - 1


def test_a_session_idle_for_30_minutes_ends(client_of, site):
    client = client_of(site.hr)
    client.get(reverse("factories:home"))
    session = client.session
    session["last_seen"] = int(time.time()) - 30 * 60 - 1
    session.save()
    response = client.get(reverse("factories:home"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert "_auth_user_id" not in client.session


def test_a_user_active_every_few_seconds_is_still_signed_in(client_of, site):
    client = client_of(site.hr)
    for _ in range(3):
        assert client.get(reverse("factories:home")).status_code == 200
    assert client.session.get_expiry_age() == 30 * 60


def test_sessions_live_in_the_shared_cache_when_there_is_one():
    from ..test_settings import manage

    show = "from django.conf import settings; print(settings.SESSION_ENGINE)"
    shared = manage("shell", "-c", show, CACHE_URL="redis://127.0.0.1:6379/3")
    assert shared.stdout.split()[-1] == "django.contrib.sessions.backends.cached_db"
    # A cache of each process's own would serve a logged-out session elsewhere.
    alone = manage("shell", "-c", show, CACHE_URL="locmemcache://")
    assert alone.stdout.split()[-1] == "django.contrib.sessions.backends.db"
