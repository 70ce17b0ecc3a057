"""Every open session, wherever the configured engine keeps it: rows in the
database (db, cached_db), entries in the shared cache (cache, cached_db), so
that a change to what sessions hold (an erasure) reaches all of them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from importlib import import_module

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from django.utils import timezone

DB_ENGINES = ("django.contrib.sessions.backends.db", "django.contrib.sessions.backends.cached_db")
CACHE_ENGINES = (
    "django.contrib.sessions.backends.cache",
    "django.contrib.sessions.backends.cached_db",
)


def _store_class() -> type[SessionBase]:
    return import_module(settings.SESSION_ENGINE).SessionStore


def session_keys() -> set[str]:
    """The keys of every session that has not expired."""
    keys: set[str] = set()
    if settings.SESSION_ENGINE in DB_ENGINES:
        from django.contrib.sessions.models import Session

        keys |= set(
            Session.objects.filter(expire_date__gt=timezone.now()).values_list(
                "session_key", flat=True
            )
        )
    if settings.SESSION_ENGINE in CACHE_ENGINES:
        keys |= set(_cached_session_keys(_store_class().cache_key_prefix))
    return keys


def _cached_session_keys(prefix: str) -> Iterator[str]:
    """Session keys found in the session cache. Django's cache API cannot list keys,
    so this reads the two backends a deployment of ours uses: Redis (production)
    and the per-process memory cache (tests). Another backend raises, rather than
    let an erasure pass silently over sessions it cannot see."""
    cache = caches[settings.SESSION_CACHE_ALIAS]
    made = cache.make_key(prefix)
    if isinstance(cache, RedisCache):
        client = cache._cache.get_client(write=False)
        pattern = "".join(f"[{c}]" if c in "*?[]\\" else c for c in made) + "*"
        for key in client.scan_iter(match=pattern, count=1000):
            yield key.decode().removeprefix(made)
    elif isinstance(cache, LocMemCache):
        for key in list(cache._cache):
            if key.startswith(made):
                yield key.removeprefix(made)
    else:
        raise NotImplementedError(
            f"cannot list the sessions held in {type(cache).__name__}: use Redis or the database"
        )


def rewrite_sessions(change: Callable[[SessionBase], bool]) -> int:
    """Open every session through the engine; `change` edits one and says whether it
    did, and those are saved the engine's way (database and cache alike).
    Returns how many were changed."""
    store_class, changed = _store_class(), 0
    for key in session_keys():
        store = store_class(session_key=key)
        if store.keys() and change(store):  # nothing loaded: it ended meanwhile
            store.save()
            changed += 1
    return changed
