"""HR and managers never see an individual answer, nor who answered what."""

import pytest
from django.urls import reverse

from ..builders import UserBuilder
from .conftest import answer, parent


@pytest.fixture
def one_answer(site):
    worker = parent(site.season, participant=True)
    return worker, answer(site.season, "final", worker, trust_management="not_at_all")


@pytest.mark.parametrize("role", ["hr", "manager", "coordinator", "teacher_user"])
def test_staff_of_the_factory_get_404_on_an_individual_answer(client_of, site, one_answer, role):
    _worker, response = one_answer
    client = client_of(getattr(site, role))
    assert client.get(reverse("impact:response-detail", args=[response.pk])).status_code == 404
    # The admin's answer pages are not theirs either.
    admin = client.get(f"/admin/impact/response/{response.pk}/change/")
    assert admin.status_code == 302 and "/admin/login/" in admin.url


def test_only_the_superuser_opens_an_answer(client_of, one_answer, superuser):
    _worker, response = one_answer
    page = client_of(superuser).get(reverse("impact:response-detail", args=[response.pk]))
    assert page.status_code == 200 and "not_at_all" in page.content.decode()


def test_a_staff_user_of_the_admin_who_is_not_superuser_cannot_list_answers(client_of, one_answer):
    staff = UserBuilder(is_staff=True)
    assert client_of(staff).get("/admin/impact/response/").status_code == 403


def test_no_page_names_who_answered(client_of, site, one_answer):
    worker, response = one_answer
    for name in ("impact:season-survey", "impact:report-card"):
        body = client_of(site.hr).get(reverse(name, args=[site.season.pk])).content.decode()
        assert worker.name not in body and worker.employee_number not in body
        assert response.pseudonym not in body and "not_at_all" not in body
