"""Start-up configuration: bad variables stop with one readable line; production passes --deploy."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    # The browser harness sets DJANGO_ALLOW_ASYNC_UNSAFE for this process only.
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "nonsense"),
        ("DATABASE_URL", "mysql://root@localhost/db"),
        ("DATABASE_URL", "postgres://user@host:notaport/db"),
        ("CELERY_BROKER_URL", "localhost:6379"),
        ("CELERY_BROKER_URL", "http://example.com"),
    ],
)
def test_a_malformed_url_stops_start_up_with_one_line_naming_it(variable, value):
    result = manage("check", **{variable: value})
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert variable in lines[0]
    assert "Traceback" not in result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check", DEBUG="0", SECRET_KEY="")
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "Configuration error: SECRET_KEY must be set to at least 50 random characters "
        "when DEBUG is off"
    ]


def test_production_settings_pass_the_deploy_check_without_warnings():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY="x7#k2!pQ9z" * 6,
        ALLOWED_HOSTS="ccrcsr.example.org",
        CACHE_URL="redis://127.0.0.1:6379/1",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_the_development_secret_key():
    from ccrcsr.settings import DEV_SECRET_KEY

    result = manage("check", DEBUG="0", SECRET_KEY=DEV_SECRET_KEY + "-" * 10)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
