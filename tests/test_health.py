"""`/healthz/` for load balancers (nothing but "ok") and `/readyz/` for deploys."""

import pytest
from django.test import override_settings

from ccrcsr import health


def test_healthz_answers_ok_without_a_query_a_session_or_a_cookie(
    client_of, site, django_assert_num_queries
):
    client = client_of(site.hr)  # even with a signed-in user's session cookie
    with django_assert_num_queries(0):
        response = client.get("/healthz/")
    assert response.status_code == 200 and response.content == b"ok"
    assert not response.cookies  # no session, no CSRF cookie


@override_settings(SECURE_SSL_REDIRECT=True, ALLOWED_HOSTS=["kids.example.com"])
def test_healthz_answers_a_probe_by_ip_over_plain_http(client, db):
    # Neither redirected to HTTPS nor refused for its Host header.
    response = client.get("/healthz/", HTTP_HOST="10.0.0.7")
    assert response.status_code == 200 and response.content == b"ok"


def test_healthz_is_not_throttled_by_the_login_lockout(client, site):
    from django.urls import reverse

    for _ in range(6):
        client.post(reverse("login"), {"username": site.hr.username, "password": "wrong"})
    assert client.get("/healthz/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_readyz_answers_200_when_the_database_and_broker_answer(client):
    response = client.get("/readyz/")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok"}


@pytest.mark.django_db(transaction=True)
def test_readyz_answers_503_when_the_broker_is_down(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    response = client.get("/readyz/")
    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "ok" and body["broker"] in ("unreachable", "timeout")


@pytest.mark.django_db(transaction=True)
def test_readyz_answers_503_when_the_database_is_unreachable(client, monkeypatch):
    from django.db import connections

    # The check opens a connection of its own from these settings.
    broken = {**connections.settings["default"], "NAME": "/nonexistent/folder/db.sqlite3"}
    if broken["ENGINE"].endswith("postgresql"):
        broken.update(NAME="ccrcsr", PORT="1")
    monkeypatch.setattr(health, "_database_settings", lambda: broken)
    response = client.get("/readyz/")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"
