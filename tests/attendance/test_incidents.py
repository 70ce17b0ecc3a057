"""Incidents: recorded from the roll call, listed per season."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from attendance.models import Incident
from factories.models import AuditEntry

from ..builders import enroll


def new_url(group):
    return reverse("attendance:incident-new", args=[group.pk])


def list_url(season):
    return reverse("attendance:season-incidents", args=[season.pk])


def local(dt: datetime.datetime) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def two_children(site):
    return [enroll(site.group), enroll(site.group)]


def form_data(enrollments, **overrides):
    now = timezone.now() - datetime.timedelta(minutes=30)
    data = {
        "children": [e.child.pk for e in enrollments],
        "occurred_at": local(now),
        "kind": "injury",
        "severity": "minor",
        "description": "跑步时摔倒，膝盖擦伤",
        "action_taken": "清洗伤口，贴创可贴",
        "guardian_informed_at": local(now + datetime.timedelta(minutes=10)),
    }
    data.update(overrides)
    return data


def test_a_teacher_records_an_incident_for_several_children(client_of, site, two_children):
    response = client_of(site.teacher_user).post(new_url(site.group), form_data(two_children))
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert set(incident.children.all()) == {e.child for e in two_children}
    assert incident.recorded_by == site.teacher_user and incident.guardian_informed
    assert AuditEntry.objects.filter(model="attendance.incident").exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("occurred_at", "2099-01-01T10:00", "不能晚于现在"),
        ("occurred_at", "2001-01-01T10:00", "早于本期项目开始"),
        ("occurred_at", "not a time", "输入一个有效的日期"),
        ("guardian_informed_at", "2001-01-01T10:00", "不能早于事件发生"),
        ("kind", "explosion", "选择一个有效的选项"),
        ("description", "", "这个字段是必填项"),
        ("description", "长" * 5001, "5000"),
        ("children", [], "这个字段是必填项"),
    ],
)
def test_bad_input_is_refused_on_the_form_and_nothing_saved(
    client_of, site, two_children, field, value, message
):
    data = form_data(two_children, **{field: value})
    response = client_of(site.teacher_user).post(new_url(site.group), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Incident.objects.exists()


def test_a_child_of_another_factory_cannot_be_named(client_of, site, other_site, two_children):
    far = enroll(other_site.group)
    data = form_data(two_children, children=[far.child.pk])
    response = client_of(site.teacher_user).post(new_url(site.group), data)
    assert "选择一个有效的选项" in response.content.decode()
    assert not Incident.objects.exists()


def test_hr_and_managers_cannot_record_incidents(client_of, site, two_children):
    for user in (site.hr, site.manager):
        response = client_of(user).post(new_url(site.group), form_data(two_children))
        assert response.status_code == 422
    assert not Incident.objects.exists()


def test_another_factory_answers_404(client_of, site, stranger, two_children):
    assert client_of(stranger).get(new_url(site.group)).status_code == 404
    assert client_of(stranger).get(list_url(site.season)).status_code == 404


def test_coordinators_see_names_and_managers_see_counts(client_of, site, two_children):
    client_of(site.teacher_user).post(new_url(site.group), form_data(two_children))
    names = [e.child.name for e in two_children]
    coordinator_html = client_of(site.coordinator).get(list_url(site.season)).content.decode()
    assert all(name in coordinator_html for name in names) and "膝盖擦伤" in coordinator_html
    manager_html = client_of(site.manager).get(list_url(site.season)).content.decode()
    assert not any(name in manager_html for name in names)
    # Issue 12: what happened is free text about children's health, not for managers.
    assert "2 个孩子" in manager_html and "膝盖擦伤" not in manager_html


def test_the_list_uses_a_fixed_number_of_queries(
    client_of, site, two_children, django_assert_max_num_queries
):
    teacher = client_of(site.teacher_user)
    for _ in range(5):
        teacher.post(new_url(site.group), form_data(two_children))
    coordinator = client_of(site.coordinator)
    # session, user, season, incidents, children prefetch, name check, nav memberships
    # + 2: the session is saved on each request (idle timeout)
    with django_assert_max_num_queries(10):
        coordinator.get(list_url(site.season))


def test_the_form_starts_with_the_time_now(client_of, site, two_children):
    html = client_of(site.teacher_user).get(new_url(site.group)).content.decode()
    assert f'value="{timezone.localtime():%Y-%m-%dT%H:}' in html
