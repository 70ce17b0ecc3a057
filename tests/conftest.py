"""Personas and the browser harness.

The personas: staff of factory A in each role, a teacher of A who teaches
another group, and a stranger who is HR staff of factory B. Every view test
checks the allowed path and the stranger's 404.
"""

import os
from dataclasses import dataclass

import pytest
from django.db.backends.signals import connection_created
from django.dispatch import receiver

from factories.models import Factory, Role, User
from spaces.models import Group, Season, Teacher

from .builders import (
    FactoryBuilder,
    GroupBuilder,
    SeasonBuilder,
    TeacherBuilder,
    UserBuilder,
    assign,
    member,
)

# Playwright's sync API runs an event loop in the test thread; Django then
# refuses ORM calls from it (even creating the test database) without this.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"


SERVER_KEYS = ("HOST", "PORT", "USER", "PASSWORD")
# The default alias' server (PgBouncer) while the test database is set up directly.
_pooled: dict = {}


def _point_default_at(address: dict) -> None:
    from django.db import connections

    connections["default"].close()
    connections["default"].settings_dict.update(address)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings):
    """Through PgBouncer, the test database is created, migrated and dropped
    over the direct connection, as production migrates (README): DROP DATABASE
    cannot wait for the pooler's idle server connections to go."""
    from django.conf import settings
    from django.db import connections

    default, direct = connections["default"].settings_dict, connections["direct"].settings_dict
    if settings.DATABASE_POOLER == "transaction" and any(
        default[key] != direct[key] for key in SERVER_KEYS
    ):
        _pooled.update({key: default[key] for key in SERVER_KEYS})
        _point_default_at({key: direct[key] for key in SERVER_KEYS})


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from django.db import connections

    if not _pooled:
        yield
        return
    direct = {key: connections["direct"].settings_dict[key] for key in SERVER_KEYS}
    _point_default_at(_pooled)
    yield
    _point_default_at(direct)
    # PgBouncer's idle server connections to the test database would block its DROP.
    with django_db_blocker.unblock(), connections["direct"].cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    connections["direct"].close()


@receiver(connection_created)
def _guard_pooled_connection(sender, connection, **kwargs):
    """Through the pooler, a query that needs a session fails its test."""
    from django.conf import settings

    from ccrcsr.pooler import pooler_guard

    if (
        connection.alias == "default"
        and settings.DATABASE_POOLER == "transaction"
        and pooler_guard not in connection.execute_wrappers
    ):
        connection.execute_wrappers.append(pooler_guard)


def pytest_collection_modifyitems(config, items):
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (real row locks and concurrency)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The real hasher is deliberately slow; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class Site:
    """One factory with a running season, a group, its teacher and staff."""

    factory: Factory
    season: Season
    group: Group
    teacher: Teacher
    hr: User
    teacher_user: User
    coordinator: User
    manager: User


def build_site(**factory_fields) -> Site:
    factory_obj = FactoryBuilder(**factory_fields)
    season = SeasonBuilder(factory=factory_obj)
    teacher_user = member(factory_obj, Role.TEACHER)
    teacher = TeacherBuilder(factory=factory_obj, user=teacher_user)
    group = GroupBuilder(season=season, lead_teacher=teacher)
    assign(teacher, group)
    return Site(
        factory=factory_obj,
        season=season,
        group=group,
        teacher=teacher,
        hr=member(factory_obj, Role.HR),
        teacher_user=teacher_user,
        coordinator=member(factory_obj, Role.COORDINATOR),
        manager=member(factory_obj, Role.MANAGER),
    )


@pytest.fixture
def site(db) -> Site:
    return build_site(name_zh="东莞华达电子厂", name_en="Dongguan Huada Electronics")


@pytest.fixture
def other_site(db) -> Site:
    return build_site(name_zh="苏州明光制衣厂", name_en="Suzhou Mingguang Garments")


@pytest.fixture
def stranger(other_site) -> User:
    """HR staff of another factory."""
    return other_site.hr


@pytest.fixture
def superuser(db) -> User:
    return UserBuilder(is_superuser=True, is_staff=True)


@pytest.fixture
def other_group_teacher(site) -> User:
    """A teacher of factory A who teaches a different group of the same season."""
    user = member(site.factory, Role.TEACHER)
    teacher = TeacherBuilder(factory=site.factory, user=user)
    assign(teacher, GroupBuilder(season=site.season, min_age=3, max_age=5))
    return user


@pytest.fixture
def client_of(client):
    """`client_of(user)`: the test client, signed in as `user`."""

    def login(user):
        client.force_login(user)
        return client

    return login


# --- browser harness (Playwright driving Debian's Chromium) ---


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing in CI: browser tests must run")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture
def browser_context_args(browser_context_args, live_server):
    # A cheap phone: 360 px wide.
    return {
        **browser_context_args,
        "base_url": live_server.url,
        "viewport": {"width": 360, "height": 740},
        "locale": "zh-CN",
    }
