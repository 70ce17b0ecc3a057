"""Erasure reaches every session, wherever the engine keeps it (issue 24, item 6):
in the database, in the shared cache, or in both (cached_db, production's engine
when CACHE_URL is set). The public form's family kept on a phone's session is
cleared everywhere, and nothing a session still holds (a copy saved by a request
that began before the erasure) can bring the erased child or family back.

The shared cache is Redis when one answers (CACHE_URL, else the Celery broker's
server, under a key prefix of this test), else Django's memory cache."""

import os
import re
import uuid
from html import unescape
from importlib import import_module

import pytest
from django.core.cache import caches
from django.test import Client
from django.urls import reverse

from enrollment.models import Enrollment, Submission

from ..enrollment.test_apply import url, valid

ENGINES = {
    "db": "django.contrib.sessions.backends.db",
    "cache": "django.contrib.sessions.backends.cache",
    "cached_db": "django.contrib.sessions.backends.cached_db",
}
PARENT, CHILD = "王秀英", "王小明"


def redis_url() -> str | None:
    for variable in ("CACHE_URL", "CELERY_BROKER_URL"):
        value = os.environ.get(variable, "")
        if value.startswith("redis://"):
            try:
                import redis

                redis.Redis.from_url(value, socket_timeout=1).ping()
            except Exception:  # noqa: BLE001 - any failure: no Redis here
                return None
            return value
    return None


@pytest.fixture(params=["locmem", "redis"])
def shared_cache(request, settings):
    if request.param == "locmem":
        location = f"sessions-{uuid.uuid4().hex}"
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "LOCATION": location,
            }
        }
        yield
        return
    location = redis_url()
    if location is None:
        pytest.skip("no Redis answers (CACHE_URL or CELERY_BROKER_URL): the memory cache ran")
    prefix = f"test-erasure-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": location,
            "KEY_PREFIX": prefix,
        }
    }
    yield
    client = caches["default"]._cache.get_client(write=True)
    for key in client.scan_iter(match=f"{prefix}:*"):
        client.delete(key)


@pytest.fixture(params=list(ENGINES))
def engine(request, settings, shared_cache):
    settings.SESSION_ENGINE = ENGINES[request.param]
    return request.param


def store(key):
    from django.conf import settings

    return import_module(settings.SESSION_ENGINE).SessionStore(session_key=key)


def everything_held(key: str) -> str:
    """A session's data as the engine reads it, and as each of its places holds it."""
    from django.conf import settings
    from django.contrib.sessions.models import Session

    held = [repr(dict(store(key).items()))]
    if settings.SESSION_ENGINE != ENGINES["cache"]:
        held += [repr(row.get_decoded()) for row in Session.objects.filter(pk=key)]
    if settings.SESSION_ENGINE != ENGINES["db"]:
        prefix = import_module(settings.SESSION_ENGINE).SessionStore.cache_key_prefix
        held.append(repr(caches["default"].get(prefix + key)))
    return "\n".join(held)


def erase(client_of, site, child):
    hr = client_of(site.hr)
    response = hr.post(
        reverse("enrollment:child-erase", args=[child.pk]),
        {"reason": "母亲来电要求删除", "confirm": "on"},
    )
    assert response.status_code == 302


def apply_on_a_phone(site) -> tuple[Client, str]:
    phone = Client()
    response = phone.post(url(site.season), valid(site.season, child_name=CHILD), follow=True)
    html = response.content.decode()
    assert CHILD in html
    return phone, unescape(re.search(r'href="([^"]*\?another=[^"]*)"', html)[1])


def test_erasure_clears_the_public_forms_family_wherever_sessions_live(client_of, site, engine):
    phone, another = apply_on_a_phone(site)
    key = phone.cookies["sessionid"].value
    family = f"apply-family-{site.season.pk}"
    assert family in everything_held(key) and key  # held where the engine keeps it
    child = Enrollment.objects.get().child

    erase(client_of, site, child)

    assert family not in everything_held(key)
    # The phone comes back (its session is saved again): nothing returns.
    form = phone.get(another).content.decode()
    assert f'value="{PARENT}"' not in form
    phone.get(reverse("enrollment:apply-thanks", args=[site.season.application_token]))
    held = everything_held(key)
    assert family not in held and CHILD not in held and PARENT not in held


def test_a_family_saved_back_after_the_erasure_brings_nothing_back(client_of, site, engine):
    """A request that read the session before the erasure and saved it after puts
    the family back: it names the erased application, so it is forgotten on read."""
    phone, another = apply_on_a_phone(site)
    key = phone.cookies["sessionid"].value
    stale = dict(store(key).items())
    child = Enrollment.objects.get().child
    erase(client_of, site, child)
    session = store(key)
    session.update(stale)  # the late save
    session.save()

    form = phone.get(another).content.decode()
    thanks = phone.get(
        reverse("enrollment:apply-thanks", args=[site.season.application_token])
    ).content.decode()

    assert f'value="{PARENT}"' not in form and "13812345678" not in form
    assert CHILD not in thanks
    assert f"apply-family-{site.season.pk}" not in everything_held(key)
    child.refresh_from_db()
    assert child.name == "已匿名" and Submission.objects.get().origin == ""
