"""Random input thrown at every season set-up form never causes a server error."""

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ..builders import SpaceBuilder, enroll

FIELDS = [
    "name", "start_date", "end_date", "opening_weekdays", "opens_at", "closes_at", "capacity",
    "min_age", "max_age", "enrollment_deadline", "children_per_teacher", "document_languages",
    "closed-TOTAL_FORMS", "closed-INITIAL_FORMS", "closed-0-id", "closed-0-date",
    "closed-0-reason", "closed-0-DELETE", "rules-TOTAL_FORMS", "rules-INITIAL_FORMS",
    "rules-0-id", "rules-0-min_age", "rules-0-max_age", "rules-0-children_per_teacher",
    "rules-0-DELETE", "returning", "status", "teacher", "group", "weekdays", "location",
    "area_m2", "kind", "checked_on", "exits_clear", "notes", "qualification", "phone",
    "training_completed_on", "background_check_on", "username", "accepts_policy",
    "lead_teacher", "space", "kind_1_am", "note_1_am", "kind_7_pm",
]  # fmt: skip
values = st.one_of(
    st.text(max_size=30),
    st.integers(min_value=-(2**63), max_value=2**63).map(str),
    st.sampled_from(
        ["", "0", "1", "-1", "3", "2026-02-30", "0001-01-01", "9999-12-31", "25:61", "on", "∞"]
    ),
)
form_data = st.dictionaries(st.sampled_from(FIELDS), values, max_size=10)
hostile = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
URLS = {
    "spaces:season-new": lambda s: [s.factory.pk],
    "spaces:season-edit": lambda s: [s.season.pk],
    "spaces:season-rollover": lambda s: [s.season.pk],
    "spaces:season-status": lambda s: [s.season.pk],
    "spaces:season-roster": lambda s: [s.season.pk],
    "spaces:group-new": lambda s: [s.season.pk],
    "spaces:group-edit": lambda s: [s.group.pk],
    "spaces:group-plan": lambda s: [s.group.pk],
    "enrollment:enrollment-move": lambda s: [s.enrollment.pk],
    "spaces:space-new": lambda s: [s.factory.pk],
    "spaces:space-edit": lambda s: [s.space.pk],
    "spaces:safety-check-new": lambda s: [s.space.pk],
    "spaces:teacher-new": lambda s: [s.factory.pk],
    "spaces:teacher-edit": lambda s: [s.teacher.pk],
}


@pytest.fixture
def world(site):
    site.enrollment = enroll(site.group)
    site.space = SpaceBuilder(factory=site.factory, area_m2=60, capacity=30)
    return site


@pytest.mark.parametrize("name", URLS)
@hostile
@given(data=form_data)
def test_no_set_up_form_answers_a_server_error(client, world, name, data):
    client.force_login(world.coordinator)
    url = reverse(name, args=URLS[name](world))
    clean = {k: v.replace("\x00", "") for k, v in data.items()}
    assert client.post(url, clean).status_code < 500
    assert client.get(url).status_code < 500
    # Whatever was saved, the season page still shows.
    season_page = reverse("spaces:season-detail", args=[world.season.pk])
    assert client.get(season_page).status_code == 200
