"""A coordinator unlocks their factories' people after too many failed logins."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from factories.models import AuditEntry, Role

from ..builders import PASSWORD, member


def lock(client, user):
    for _ in range(5):
        client.post(reverse("login"), {"username": user.username, "password": "wrong"})


def can_log_in(client, user) -> bool:
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    client.logout()
    return response.status_code == 302


def unlock_url(factory, user):
    return reverse("factories:staff-unlock", args=[factory.pk, user.pk])


def factory_page(site):
    return reverse("spaces:factory-detail", args=[site.factory.pk])


def test_the_coordinator_sees_the_locked_login_and_unlocks_it(client, site):
    lock(client, site.teacher_user)
    assert not can_log_in(client, site.teacher_user)

    client.force_login(site.coordinator)
    html = client.get(factory_page(site)).content.decode()
    assert 'data-testid="locked-staff"' in html and site.teacher_user.username in html
    response = client.post(unlock_url(site.factory, site.teacher_user), follow=True)
    assert "可以重新登录了" in response.content.decode()
    assert 'data-testid="locked-staff"' not in response.content.decode()
    client.logout()

    assert can_log_in(client, site.teacher_user)
    entry = AuditEntry.objects.get(model="factories.user", object_id=str(site.teacher_user.pk))
    assert entry.user == site.coordinator and entry.factory == site.factory
    assert entry.changes == {"login": ["locked", "unlocked"]}


def test_a_login_that_is_not_locked_is_left_alone(client_of, site):
    response = client_of(site.coordinator).post(unlock_url(site.factory, site.hr), follow=True)
    assert "没有被锁定" in response.content.decode()
    assert not AuditEntry.objects.filter(model="factories.user").exists()


def test_another_factorys_person_is_404_and_stays_locked(client, site, other_site):
    lock(client, other_site.hr)
    client.force_login(site.coordinator)
    # Their factory, or ours with their person: both unknown here.
    assert client.post(unlock_url(other_site.factory, other_site.hr)).status_code == 404
    assert client.post(unlock_url(site.factory, other_site.hr)).status_code == 404
    client.logout()
    assert not can_log_in(client, other_site.hr)


@pytest.mark.parametrize("role", ["hr", "teacher_user", "manager"])
def test_only_coordinators_unlock(client, site, role):
    lock(client, site.hr)
    client.force_login(getattr(site, role))
    assert client.post(unlock_url(site.factory, site.hr)).status_code == 404
    assert 'data-testid="locked-staff"' not in client.get(factory_page(site)).content.decode()
    client.logout()
    assert not can_log_in(client, site.hr)


def queries_for(client, url) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        html = client.get(url).content.decode()
    return len(queries), html


def test_the_locked_list_is_one_query_however_many_are_locked(client, site):
    lock(client, site.hr)
    client.force_login(site.coordinator)
    one, html = queries_for(client, factory_page(site))
    assert html.count(">解锁<") == 1
    client.logout()
    for _ in range(3):
        lock(client, member(site.factory, Role.TEACHER))
    client.force_login(site.coordinator)
    four, html = queries_for(client, factory_page(site))
    assert html.count(">解锁<") == 4
    assert four == one
