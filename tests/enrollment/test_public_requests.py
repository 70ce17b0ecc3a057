"""The public form is a request, not a change (issue 24, item 1): a stranger who
knows a worker's employee number and a child's name and birth date cannot add a
pickup person, health notes or a phone to registered records. What the form says
about them waits as proposed changes, shown to HR as a difference to accept or
refuse one by one; the check-out list, the child page and the worker stay as they
are until HR accepts."""

import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from attendance.models import Attendance
from enrollment.models import AuthorisedPickup, Consent, Enrollment, ProposedChange, Submission
from factories.models import AuditEntry

from ..builders import ChildBuilder, WorkerBuilder, enroll
from .test_apply import url, valid

HTMX = {"HTTP_HX_REQUEST": "true"}
STRANGER = "陌生人"


@pytest.fixture(autouse=True)
def fresh_throttle():
    cache.clear()


@pytest.fixture
def registered(site):
    """A roster worker's child, enrolled in the group and checked in today."""
    worker = WorkerBuilder(
        factory=site.factory, employee_number="A100", name="王秀英", phone="13812345678",
        on_roster=True,
    )  # fmt: skip
    start = site.season.start_date
    child = ChildBuilder(
        factory=site.factory, name="王小明", guardian=worker, allergies="青霉素",
        date_of_birth=start.replace(year=start.year - 8), sex="M",
    )  # fmt: skip
    enrollment = enroll(site.group, child=child)
    mark_url = reverse(
        "attendance:roll-call-mark", args=[site.group.pk, timezone.localdate(), enrollment.pk]
    )
    teacher = Client()
    teacher.force_login(site.teacher_user)
    assert teacher.post(mark_url, {"status": "present"}, **HTMX).status_code == 200
    return enrollment


def stranger_post(season, **changes):
    """What someone who read the child's name and birth date off a form sends."""
    data = valid(
        season, employee_number="A100", worker_name="张三", phone="13900009999",
        pickup_name=STRANGER, pickup_relationship="other", pickup_phone="13700001111",
        allergies="无", medical_notes="无需特别照顾",
    )  # fmt: skip
    data.update(changes)
    return Client().post(url(season), data, follow=True)


def check_out_url(enrollment):
    day = timezone.localdate()
    return reverse("attendance:roll-call-check-out", args=[enrollment.group_id, day, enrollment.pk])


def changes_url(enrollment):
    return reverse("enrollment:application-changes", args=[enrollment.season_id, enrollment.pk])


@pytest.mark.parametrize("parent_name", ["张三", "王秀英"])
def test_a_stranger_cannot_add_a_pickup_person_health_notes_or_a_phone(
    client_of, site, registered, parent_name
):
    child, worker = registered.child, registered.child.guardians.get()

    response = stranger_post(site.season, worker_name=parent_name)

    assert response.status_code == 200
    child.refresh_from_db()
    worker.refresh_from_db()
    assert list(child.pickups.values_list("name", flat=True)) == []
    assert (child.allergies, child.medical_notes) == ("青霉素", "")
    assert worker.phone == "13812345678"
    # The teacher's check-out list does not offer the stranger, and refuses them.
    teacher = client_of(site.teacher_user)
    form = teacher.get(check_out_url(registered), **HTMX).content.decode()
    assert STRANGER not in form
    refused = teacher.post(check_out_url(registered), {"picked_up_by": STRANGER}, **HTMX)
    assert refused.status_code == 422
    assert Attendance.objects.get().check_out_at is None
    # Nor does the child's page show it.
    page = client_of(site.hr).get(reverse("enrollment:child-detail", args=[child.pk]))
    assert STRANGER not in page.content.decode()
    # HR sees each change as a difference to decide.
    fields = set(ProposedChange.objects.values_list("field", flat=True))
    assert fields == {"pickup", "allergies", "medical_notes", "phone", "consent"}
    changes = client_of(site.hr).get(changes_url(registered)).content.decode()
    assert "13812345678" in changes and "13900009999" in changes
    assert STRANGER in changes and "青霉素" in changes


def test_a_second_submission_for_an_enrolled_child_changes_neither_dates_nor_consents(
    site, registered
):
    Consent.objects.create(
        enrollment=registered, kind="data", given_by="王秀英", given_at=timezone.now()
    )
    start = site.season.start_date
    stranger_post(
        site.season, consent_photos="on", consent_medical="on",
        arrival_date=(start + timezone.timedelta(days=3)).isoformat(),
    )  # fmt: skip
    registered.refresh_from_db()
    assert registered.arrival_date == start
    assert list(registered.consents.values_list("kind", flat=True)) == ["data"]
    proposed = dict(ProposedChange.objects.values_list("field", "value").order_by("pk"))
    assert proposed["stay"]["arrival"] == (start + timezone.timedelta(days=3)).isoformat()
    assert ProposedChange.objects.filter(field="consent").count() == 2


def test_hr_accepts_one_change_and_refuses_another_and_only_the_accepted_is_written(
    client_of, site, registered
):
    stranger_post(site.season)
    hr = client_of(site.hr)
    pickup = ProposedChange.objects.get(field="pickup")
    phone = ProposedChange.objects.get(field="phone")

    hr.post(changes_url(registered), {"change": pickup.pk, "decision": "accept"})
    hr.post(changes_url(registered), {"change": phone.pk, "decision": "refuse"})

    worker = registered.child.guardians.get()
    assert worker.phone == "13812345678"
    held = AuthorisedPickup.objects.get(child=registered.child)
    assert (held.name, held.phone) == (STRANGER, "13700001111")
    pickup.refresh_from_db()
    assert (pickup.status, pickup.decided_by) == ("accepted", site.hr)
    # The writing is audited, with who decided.
    entry = AuditEntry.objects.get(model="enrollment.authorisedpickup", object_id=str(held.pk))
    assert entry.user == site.hr and entry.action == "create"
    assert AuditEntry.objects.filter(model="enrollment.proposedchange", user=site.hr).count() == 2
    # Now the teacher's check-out list offers them.
    teacher = client_of(site.teacher_user)
    assert STRANGER in teacher.get(check_out_url(registered), **HTMX).content.decode()
    # A second click (or a colleague's) decides nothing again.
    hr = client_of(site.hr)
    again = hr.post(
        changes_url(registered), {"change": phone.pk, "decision": "accept"}, follow=True
    )
    assert "已经处理过" in again.content.decode()
    assert registered.child.guardians.get().phone == "13812345678"


def test_accepted_health_notes_are_added_to_what_is_held(client_of, site, registered):
    stranger_post(site.season, allergies="花生", medical_notes="哮喘，随身带喷雾")
    hr = client_of(site.hr)
    for change in ProposedChange.objects.filter(field__in=["allergies", "medical_notes"]):
        hr.post(changes_url(registered), {"change": change.pk, "decision": "accept"})
    child = registered.child
    child.refresh_from_db()
    assert child.allergies == "青霉素\n花生" and child.medical_notes == "哮喘，随身带喷雾"
    # The same words sent again propose nothing more.
    stranger_post(site.season, allergies="花生", medical_notes="哮喘，随身带喷雾")
    assert not ProposedChange.objects.filter(
        status="pending", field__in=["allergies", "medical_notes"]
    ).exists()


def test_the_review_list_and_the_child_page_say_changes_wait(client_of, site, registered):
    stranger_post(site.season)
    hr = client_of(site.hr)
    listing = hr.get(reverse("enrollment:applications", args=[site.season.pk])).content.decode()
    waiting = ProposedChange.objects.count()
    assert f"{waiting} 项待核对的修改" in listing and changes_url(registered) in listing
    page = hr.get(reverse("enrollment:child-detail", args=[registered.child_id])).content.decode()
    assert changes_url(registered) in page


def test_a_worker_the_public_form_registered_keeps_the_phone_it_was_given(site):
    Client().post(url(site.season), valid(site.season, employee_number="B200", phone="13811112222"))
    stranger_post(site.season, employee_number="B200", worker_name="李四", child_name="李小红")
    worker = Enrollment.objects.order_by("pk").first().applicant_worker
    assert worker.phone == "13811112222"


def thanks_without_references(response) -> str:
    html = response.content.decode()
    for reference in Submission.objects.values_list("reference", flat=True):
        html = html.replace(reference, "REF")
    html = re.sub(r"another=[^\"&]+", "another=KEY", html)
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return re.sub(r'"X-CSRFToken": "[^"]+"', "", html)


def test_the_answer_is_the_same_whether_or_not_the_child_and_worker_are_known(site, registered):
    """The thanks page names what the applicant typed and a reference, whether the
    child was registered or not; an existing application's reference is never shown."""
    known = stranger_post(site.season)
    cache.clear()
    unknown = stranger_post(site.season, employee_number="Z999")
    assert known.status_code == unknown.status_code == 200
    assert thanks_without_references(known) == thanks_without_references(unknown)
    assert registered.reference not in known.content.decode()
    # HR finds the application by the reference the applicant was given.
    given = Submission.objects.filter(enrollment=registered).get().reference
    hr_search = Client()
    hr_search.force_login(site.hr)
    found = hr_search.get(reverse("enrollment:search"), {"q": given}).content.decode()
    assert registered.reference in found


def test_the_changes_page_is_scoped(client_of, site, other_site, registered):
    stranger_post(site.season)
    change = ProposedChange.objects.get(field="pickup")
    for user in (other_site.hr, site.teacher_user, site.manager):
        client = client_of(user)
        assert client.get(changes_url(registered)).status_code == 404
        post = client.post(changes_url(registered), {"change": change.pk, "decision": "accept"})
        assert post.status_code == 404
    foreign = reverse("enrollment:application-changes", args=[other_site.season.pk, registered.pk])
    assert client_of(other_site.hr).get(foreign).status_code == 404
    # A change of another application cannot be decided through this one's page.
    other = enroll(site.group)
    hr = client_of(site.hr)
    hr.post(changes_url(other), {"change": change.pk, "decision": "accept"})
    change.refresh_from_db()
    assert change.status == "pending"
    assert not AuthorisedPickup.objects.exists()


def test_erasure_removes_what_was_proposed_for_the_child(client_of, site, registered):
    stranger_post(site.season)
    client_of(site.hr).post(
        reverse("enrollment:child-erase", args=[registered.child_id]),
        {"reason": "家长要求", "confirm": "on"},
    )
    assert not ProposedChange.objects.exists()
    assert list(Submission.objects.values_list("origin", flat=True)) == [""]


def test_a_relationship_given_differently_is_proposed_too(client_of, site, registered):
    stranger_post(site.season, worker_name="王秀英", relationship="father")
    guardianship = registered.child.guardianships.get()
    assert guardianship.relationship == "mother"
    change = ProposedChange.objects.get(field="relationship")
    hr = client_of(site.hr)
    page = hr.get(changes_url(registered)).content.decode()
    assert "王秀英: 母亲" in page
    hr.post(changes_url(registered), {"change": change.pk, "decision": "accept"})
    guardianship.refresh_from_db()
    assert guardianship.relationship == "father"
