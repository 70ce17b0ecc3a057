"""`/healthz/` and `/readyz/`: answered before any other middleware runs.

A load balancer asks `/healthz/` several times a second, often by IP address
and over plain HTTP: it must not touch the database, the session, the login
lockout table or the CSRF cookie, must not be redirected to HTTPS and must not
be refused for its Host header. So this middleware sits first in MIDDLEWARE
and answers these two paths itself; every other request goes on untouched.

`/readyz/` is for deploys: 200 when the database and the Celery broker both
answer within READYZ_TIMEOUT seconds, 503 (with which one failed) otherwise.
"""

from __future__ import annotations

import concurrent.futures
import logging
import math

import kombu
from django.conf import settings
from django.db import connections
from django.db.utils import load_backend
from django.http import HttpResponse, JsonResponse

logger = logging.getLogger(__name__)

HEALTHZ = "/healthz/"
READYZ = "/readyz/"


def _database_settings() -> dict:
    return {**connections.settings["default"]}


def database_reachable() -> None:
    """Open a fresh connection (never the request's) and run SELECT 1."""
    params = _database_settings()
    if params["ENGINE"].endswith("postgresql"):
        # libpq takes whole seconds.
        timeout = max(1, math.ceil(_timeout()))
        params["OPTIONS"] = {**params.get("OPTIONS", {}), "connect_timeout": timeout}
    wrapper = load_backend(params["ENGINE"]).DatabaseWrapper(params, "readyz")
    try:
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        wrapper.close()


def broker_reachable() -> None:
    with kombu.Connection(
        settings.CELERY_BROKER_URL,
        transport_options=getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}),
        connect_timeout=_timeout(),
    ) as connection:
        connection.ensure_connection(max_retries=1, timeout=_timeout())
        # The Redis transport connects lazily: opening a channel makes it talk.
        _channel = connection.default_channel


CHECKS = {"database": database_reachable, "broker": broker_reachable}


def _timeout() -> float:
    return float(getattr(settings, "READYZ_TIMEOUT", 2))


def readiness() -> dict[str, str]:
    """Run every check in parallel, each bounded by the timeout, even if it hangs."""
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=len(CHECKS))
    futures = {name: pool.submit(check) for name, check in CHECKS.items()}
    results = {}
    for name, future in futures.items():
        try:
            future.result(timeout=_timeout() + 0.5)
            results[name] = "ok"
        except concurrent.futures.TimeoutError:
            results[name] = "timeout"
        except Exception:  # any failure means "not ready"; the log says which
            logger.warning("readyz: %s unreachable", name, exc_info=True)
            results[name] = "unreachable"
    # A hung check's thread is left to end on its own socket timeout.
    pool.shutdown(wait=False)
    return results


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == HEALTHZ:
            return HttpResponse("ok", content_type="text/plain")
        if request.path == READYZ:
            results = readiness()
            ready = all(value == "ok" for value in results.values())
            return JsonResponse(results, status=200 if ready else 503)
        return self.get_response(request)
