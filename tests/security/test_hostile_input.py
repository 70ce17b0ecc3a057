"""Random input thrown at every form of the project never causes a server error."""

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ..builders import UserBuilder
from ..test_access_matrix import URLS, furnish, kwargs_for

FIELDS = [
    "status", "absence_reason", "picked_up_by", "action", "group", "reason", "selected",
    "children", "occurred_at", "kind", "severity", "description", "action_taken",
    "guardian_informed_at", "employee_number", "worker_name", "name", "phone", "shift",
    "department", "home_province", "child_name", "sex", "date_of_birth", "lives_with",
    "arrival_date", "departure_date", "consent_data", "season", "confirm", "language", "next",
    "username", "password", "band", "missing_consent", "province", "child-name",
    "child-date_of_birth", "dates-arrival_date", "dates-departure_date", "page",
]  # fmt: skip
values = st.one_of(
    st.text(max_size=40),
    st.integers(min_value=-(2**63), max_value=2**63).map(str),
    st.sampled_from(["", "0", "-1", "2026-02-30", "9999-12-31T25:61", "present", "on", "∞"]),
)
form_data = st.dictionaries(st.sampled_from(FIELDS), values, max_size=8)
hostile = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def world(site):
    return furnish(site)


@pytest.mark.parametrize(("name", "kwarg_names"), URLS, ids=[name for name, _ in URLS])
@hostile
@given(data=form_data)
def test_no_form_answers_a_server_error(client, world, name, kwarg_names, data):
    cache.clear()  # the public form's throttle
    client.force_login(world.coordinator)
    url = reverse(name, kwargs=kwargs_for(world, kwarg_names))
    clean = {k: v.replace("\x00", "") for k, v in data.items()}
    assert client.post(url, clean).status_code < 500
    assert client.get(url, clean).status_code < 500


@hostile
@given(content=st.binary(max_size=2000), name=st.sampled_from(["a.xlsx", "a.csv", "a.png", "a"]))
def test_random_files_never_break_the_import(client, site, content, name):
    client.force_login(UserBuilder(is_superuser=True))
    url = reverse("enrollment:import", args=[site.factory.pk])
    response = client.post(url, {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 200
