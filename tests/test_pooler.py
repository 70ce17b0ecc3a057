"""PgBouncer in transaction mode: nothing the app sends through it needs a session.

`.ci/run` runs the whole suite through a PgBouncer in transaction mode with
`pooler_guard` on every connection (tests/conftest.py); these tests pin the
settings that make that hold and show the guard catches what would break it.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from ccrcsr.pooler import SessionStateError, pooler_guard
from factories.models import AuditEntry

from .builders import FactoryBuilder

ROOT = Path(__file__).resolve().parent.parent


def settings_with(**env) -> dict:
    """DATABASES as a process started with these variables sees them."""
    unset = {"DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_POOLER", "DIRECT_DATABASE_URL"}
    base = {k: v for k, v in os.environ.items() if k not in unset}
    script = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.DATABASES, default=str))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "ccrcsr.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_transaction_pooling_turns_server_side_cursors_off_and_keeps_a_direct_alias():
    databases = settings_with(
        DATABASE_URL="postgres://app@pgbouncer.internal:6432/ccrcsr",
        DIRECT_DATABASE_URL="postgres://app@db.internal:5432/ccrcsr",
        DATABASE_POOLER="transaction",
    )
    assert databases["default"]["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert databases["default"]["PORT"] == 6432
    direct = databases["direct"]
    assert (direct["HOST"], direct["PORT"], direct["NAME"]) == ("db.internal", 5432, "ccrcsr")
    assert direct["DISABLE_SERVER_SIDE_CURSORS"] is False
    assert direct["TEST"]["MIRROR"] == "default"  # the tests' one database, reached two ways


def test_without_a_pooler_the_direct_alias_is_the_same_database():
    databases = settings_with(DATABASE_URL="postgres://app@db.internal:5432/ccrcsr")
    assert databases["default"]["DISABLE_SERVER_SIDE_CURSORS"] is False
    assert databases["direct"]["HOST"] == "db.internal"


def test_an_unknown_pooler_mode_stops_start_up():
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**base, "DATABASE_POOLER": "session"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "DATABASE_POOLER" in result.stderr


@pytest.mark.parametrize(
    "sql",
    [
        "SET statement_timeout = 1000",
        "set search_path to x",
        "SELECT pg_advisory_lock(42)",
        "SELECT pg_try_advisory_lock(1, 2)",
        "LISTEN roll_call",
        "PREPARE taps AS SELECT 1",
        "SELECT set_config('work_mem', '64MB', false)",
    ],
)
def test_the_guard_refuses_what_needs_a_session(sql):
    with pytest.raises(SessionStateError):
        pooler_guard(lambda *a: None, sql, None, False, {"cursor": _Cursor()})


@pytest.mark.parametrize(
    "sql",
    [
        "SET LOCAL work_mem = '128MB'",
        "SET CONSTRAINTS ALL IMMEDIATE",
        "SELECT pg_advisory_xact_lock(42)",
        "SELECT offset_setting FROM t WHERE name = 'SET x'",
    ],
)
def test_the_guard_lets_transaction_scoped_statements_through(sql):
    assert pooler_guard(lambda *a: "ran", sql, None, False, {"cursor": _Cursor()}) == "ran"


class _Cursor:
    cursor = object()


@pytest.mark.postgres
@pytest.mark.django_db
def test_iterating_a_large_queryset_declares_no_server_side_cursor_through_the_pooler(settings):
    """.iterator() is the one Django habit that outlives a transaction: with the
    pooler's settings it reads client-side, and the guard sees no named cursor."""
    factory = FactoryBuilder()
    AuditEntry.objects.bulk_create(
        AuditEntry(factory=factory, model="x", object_id=str(i), action="view") for i in range(300)
    )
    pooled = settings.DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"]
    connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] = True
    try:
        with connection.execute_wrapper(pooler_guard):
            assert len(list(AuditEntry.objects.iterator(chunk_size=50))) == 300
        # And the guard does catch one, if the setting went missing.
        connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] = False
        with connection.execute_wrapper(pooler_guard), pytest.raises(SessionStateError):
            list(AuditEntry.objects.iterator(chunk_size=50))
    finally:
        connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] = pooled


@pytest.mark.django_db
def test_through_the_pooler_every_connection_of_the_suite_is_guarded(settings):
    if settings.DATABASE_POOLER != "transaction":
        pytest.skip("this run does not go through a transaction pooler")
    connection.ensure_connection()
    assert pooler_guard in connection.execute_wrappers
    assert connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] is True
    with pytest.raises(SessionStateError), connection.cursor() as cursor:
        cursor.execute("SET work_mem = '1MB'")
