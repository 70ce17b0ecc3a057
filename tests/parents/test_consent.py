"""The guardian's consent to be told, from the application forms: who gave it,
when and where; the public form only records a first choice."""

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from notifications.models import Notification
from parents.models import ParentContact
from tests.builders import WorkerBuilder
from tests.enrollment.test_apply import valid

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_throttle():
    cache.clear()


def test_the_public_form_records_the_parents_consent_and_tells_them_it_arrived(client, site):
    response = client.post(
        reverse("enrollment:apply", args=[site.season.application_token]),
        valid(site.season, parent_messages="on"),
    )
    assert response.status_code == 302
    contact = ParentContact.objects.get()
    assert contact.consented and contact.consent_source == "public_form"
    assert contact.consent_given_by == "王秀英" and contact.consent_at is not None
    (row,) = Notification.objects.filter(kind="parent_application_received")
    assert row.address == "13812345678" and "小明" in row.body and "王小明" not in row.body


def test_without_the_box_ticked_nothing_is_recorded_or_sent(client, site):
    client.post(
        reverse("enrollment:apply", args=[site.season.application_token]), valid(site.season)
    )
    assert not ParentContact.objects.filter(consented=True).exists()
    assert not Notification.objects.exclude(channel="email").exists()


def test_hrs_paper_application_records_consent_with_who_recorded_it(client_of, site):
    client_of(site.hr).post(
        reverse("enrollment:application-new", args=[site.season.pk]),
        valid(site.season, parent_messages="on"),
    )
    contact = ParentContact.objects.get()
    assert contact.consent_source == "paper" and contact.consent_recorded_by == site.hr


def test_the_public_form_never_changes_a_choice_recorded_before(client, site):
    worker = WorkerBuilder(factory=site.factory, employee_number="DG-2024-0815",
                           name="王秀英", phone="13812345678")  # fmt: skip
    stopped = ParentContact.objects.create(
        worker=worker, consented=True, stopped_at=timezone.now(), consent_given_by="王秀英"
    )
    client.post(
        reverse("enrollment:apply", args=[site.season.application_token]),
        valid(site.season, parent_messages="on"),
    )
    stopped.refresh_from_db()
    assert stopped.stopped_at is not None and stopped.channels == []
    assert not Notification.objects.exclude(channel="email").exists()


def test_for_a_parent_on_the_roster_the_public_form_only_asks(client, client_of, site):
    worker = WorkerBuilder(factory=site.factory, employee_number="DG-2024-0815",
                           name="王秀英", phone="13812345678")  # fmt: skip
    client.post(
        reverse("enrollment:apply", args=[site.season.application_token]),
        valid(site.season, parent_messages="on"),
    )
    contact = ParentContact.objects.get(worker=worker)
    assert not contact.consented and contact.requested_at is not None
    assert not Notification.objects.exclude(channel="email").exists()
    page = client_of(site.hr).get(reverse("parents:contact", args=[worker.pk]))
    assert 'data-testid="requested"' in page.content.decode()
