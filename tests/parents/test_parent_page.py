"""The parent page: a signed link, no login, the family's own children only,
three answers that reach the roll call, nothing kept on a shared phone."""

import datetime

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from factories.models import AuditEntry
from parents import links
from parents.models import ParentContact, ParentNotice
from tests.builders import AuthorisedPickupBuilder, ChildBuilder, WorkerBuilder, enroll, mark

pytestmark = pytest.mark.django_db


@pytest.fixture
def family(site):
    parent = WorkerBuilder(factory=site.factory, name="王芳", phone="13711112222")
    child = ChildBuilder(factory=site.factory, name="王小雨", guardian=parent)
    enrollment = enroll(site.group, child=child)
    AuthorisedPickupBuilder(child=child, name="王奶奶")
    contact = ParentContact.objects.create(
        worker=parent, consented=True, consent_given_by="王芳", consent_at=timezone.now()
    )
    return contact, enrollment


def page_url(contact):
    return reverse("parents:page", args=[links.token_for(contact)])


def notice_url(contact, enrollment):
    return reverse("parents:notice", args=[links.token_for(contact), enrollment.pk])


def test_the_link_opens_the_familys_page_with_todays_status(client, family, site):
    contact, enrollment = family
    record = mark(enrollment, timezone.localdate())
    record.check_in_at = timezone.localtime().replace(hour=7, minute=52)
    record.recorded_by = site.teacher_user
    record.save()
    response = client.get(page_url(contact))
    assert response.status_code == 200
    text = response.content.decode()
    assert "王小雨" in text
    assert "07:52" in text and str(site.teacher_user) in text
    assert "王奶奶" in text
    # Nothing stays on a shared phone: no cookie, no cache, no referrer.
    assert response.cookies == {}
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"


def test_the_page_shows_nothing_of_another_family(client, family, site):
    contact, _ = family
    other = enroll(site.group, child=ChildBuilder(factory=site.factory, name="李明明"))
    text = client.get(page_url(contact)).content.decode()
    assert "李明明" not in text
    # Nor can the link answer for another family's child.
    response = client.post(notice_url(contact, other), {"kind": "absent", "reason": "sick"})
    assert response.status_code == 422
    assert not ParentNotice.objects.exists()


@pytest.mark.parametrize(
    "data, field",
    [
        ({"kind": "absent", "reason": "sick"}, "reason"),
        ({"kind": "late", "until": "23:59"}, "until"),
        (
            {
                "kind": "pickup",
                "pickup_name": "王舅舅",
                "pickup_relationship": "aunt_uncle",
                "pickup_phone": "137 1111 3333",
            },
            "pickup_name",
        ),
    ],
)
def test_each_answer_is_recorded_for_today_and_audited(client, family, data, field):
    contact, enrollment = family
    response = client.post(notice_url(contact, enrollment), data)
    assert response.status_code == 302
    notice = ParentNotice.objects.get()
    assert notice.kind == data["kind"]
    assert notice.date == timezone.localdate()
    assert getattr(notice, field)
    entry = AuditEntry.objects.get(model="parents.parentnotice")
    assert entry.user is None and entry.changes["kind"] == [None, data["kind"]]
    assert response.cookies == {}
    # The child's record is not changed: the teachers see the notice.
    assert enrollment.child.pickups.count() == 1


def test_a_newer_answer_replaces_the_older_of_the_same_kind(client, family):
    contact, enrollment = family
    client.post(notice_url(contact, enrollment), {"kind": "absent", "reason": "sick"})
    client.post(notice_url(contact, enrollment), {"kind": "absent", "reason": "family"})
    assert [n.reason for n in ParentNotice.objects.on(timezone.localdate())] == ["family"]


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "absent"},
        {"kind": "absent", "reason": "holiday"},
        {"kind": "late", "until": "00:00"},
        {"kind": "late", "until": "25:99"},
        {
            "kind": "pickup",
            "pickup_name": "",
            "pickup_relationship": "other",
            "pickup_phone": "13711113333",
        },
        {
            "kind": "pickup",
            "pickup_name": "张三",
            "pickup_relationship": "other",
            "pickup_phone": "12345",
        },
        {
            "kind": "pickup",
            "pickup_name": "张" * 51,
            "pickup_relationship": "x",
            "pickup_phone": "1" * 200,
        },
        {"kind": "nonsense"},
        {},
    ],
)
def test_bad_answers_get_a_message_and_change_nothing(client, family, data):
    contact, enrollment = family
    response = client.post(notice_url(contact, enrollment), data)
    assert response.status_code == 422
    assert not ParentNotice.objects.exists()


def test_an_answer_after_the_season_ended_is_refused_plainly(client, family, site):
    contact, enrollment = family
    site.season.end_date = timezone.localdate() - datetime.timedelta(days=1)
    site.season.save()
    response = client.post(notice_url(contact, enrollment), {"kind": "absent", "reason": "sick"})
    assert response.status_code == 422
    assert not ParentNotice.objects.exists()


def test_an_expired_link_answers_a_clear_page_and_nothing_else(client, family, settings):
    contact, enrollment = family
    settings.PARENT_LINK_DAYS = 0
    response = client.get(page_url(contact))
    assert response.status_code == 410
    assert "王小雨" not in response.content.decode()
    assert 'data-why="expired"' in response.content.decode()
    response = client.post(notice_url(contact, enrollment), {"kind": "absent", "reason": "sick"})
    assert response.status_code == 410
    assert not ParentNotice.objects.exists()


def test_hr_revoking_the_links_closes_every_link_given_before(client, family, site):
    from parents.services import revoke_links

    contact, _ = family
    old = page_url(contact)
    revoke_links(contact, user=site.hr)
    contact.refresh_from_db()
    response = client.get(old)
    assert response.status_code == 410 and 'data-why="revoked"' in response.content.decode()
    assert client.get(page_url(contact)).status_code == 200


def test_a_forged_or_altered_link_opens_nothing(client, family):
    contact, _ = family
    token = links.token_for(contact)
    other_worker = WorkerBuilder(factory=contact.worker.factory)
    ParentContact.objects.create(worker=other_worker, consented=True)
    forged = signing.TimestampSigner(salt="another").sign_object([other_worker.pk, 1])
    for bad in (token[:-2] + "xx", forged, "x", "..%00", token + "/../"):
        response = client.get(
            reverse("parents:page", args=[bad]) if "/" not in bad else "/p/" + bad
        )
        assert response.status_code == 404
        assert "王小雨" not in response.content.decode()


def test_stop_messages_takes_one_tap_and_a_preview_cannot_do_it(client, family):
    contact, _ = family
    url = reverse("parents:stop", args=[links.token_for(contact)])
    client.get(url)
    contact.refresh_from_db()
    assert contact.stopped_at is None and contact.channels == ["sms"]
    client.post(url)
    contact.refresh_from_db()
    assert contact.stopped_at is not None
    assert contact.channels == []
    assert "stopped" in contact.why_silent or contact.why_silent


def test_the_page_is_in_the_parents_language(client, family):
    contact, _ = family
    contact.language = "en"
    contact.save()
    assert "My child today" in client.get(page_url(contact)).content.decode()
    contact.language = "zh-hans"
    contact.save()
    assert "My child today" not in client.get(page_url(contact)).content.decode()


# --- HR's side ----------------------------------------------------------------------


def test_hr_records_a_paper_consent_and_the_parents_choices(client_of, family, site):
    contact, enrollment = family
    contact.consented = False
    contact.save()
    url = reverse("parents:contact", args=[contact.worker.pk])
    client = client_of(site.hr)
    assert "未同意" in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "consented": "on",
            "consent_given_by": "王芳",
            "sms": "on",
            "check_in_out_children": [enrollment.child.pk],
            "language": "zh-hans",
        },
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.consented and contact.consent_source == "paper"
    assert contact.consent_recorded_by == site.hr and contact.channels == ["sms"]
    assert list(contact.check_in_out_children.all()) == [enrollment.child]
    assert AuditEntry.objects.filter(model="parents.parentcontact", user=site.hr).exists()


def test_consent_without_who_gave_it_is_refused(client_of, family, site):
    contact, _ = family
    contact.consented = False
    contact.save()
    url = reverse("parents:contact", args=[contact.worker.pk])
    response = client_of(site.hr).post(url, {"consented": "on", "language": "zh-hans"})
    assert response.status_code == 200
    contact.refresh_from_db()
    assert not contact.consented


def test_the_parent_page_for_staff_is_scoped_to_the_factory(client_of, family, site, other_site):
    contact, _ = family
    url = reverse("parents:contact", args=[contact.worker.pk])
    revoke = reverse("parents:revoke", args=[contact.worker.pk])
    assert client_of(site.coordinator).get(url).status_code == 200
    for user in (other_site.hr, other_site.coordinator, site.manager, site.teacher_user):
        client = client_of(user)
        assert client.get(url).status_code == 404
        assert client.post(revoke).status_code == 404
    contact.refresh_from_db()
    assert contact.link_version == 1
    client_of(site.hr).post(revoke)
    contact.refresh_from_db()
    assert contact.link_version == 2


def test_the_page_shows_the_parents_own_pickup_code_and_its_qr(client, family, site):
    from pickups import codes
    from pickups.models import PickupCode

    contact, enrollment = family
    html = client.get(page_url(contact)).content.decode()
    mine = PickupCode.objects.get(worker=contact.worker, season=site.season)
    assert codes.code_of(mine) in html and "<svg" in html
    # Not the code of the grandmother, who has her own.
    grandma = PickupCode.objects.get(pickup__name="王奶奶")
    assert codes.code_of(grandma) not in html


# --- what reaches the roll call ---------------------------------------------------------


HTMX = {"HTTP_HX_REQUEST": "true"}


def test_a_parents_answers_show_on_the_roll_call_row(client, client_of, family, site):
    contact, enrollment = family
    url = notice_url(contact, enrollment)
    client.post(url, {"kind": "late", "until": "23:59"})
    uncle = {"pickup_name": "王舅舅", "pickup_relationship": "aunt_uncle"}
    client.post(url, {"kind": "pickup", "pickup_phone": "13711113333", **uncle})
    page = client_of(site.teacher_user).get(
        reverse("attendance:roll-call-today", args=[site.group.pk])
    )
    html = page.content.decode()
    assert "23:59" in html and "王舅舅" in html


def test_a_one_day_pickup_from_the_parent_works_that_day_for_that_child_only(
    client, client_of, family, site
):
    from attendance.models import Attendance
    from tests.builders import mark

    contact, enrollment = family
    sibling = enroll(site.group, child=ChildBuilder(factory=site.factory, guardian=contact.worker))
    client.post(notice_url(contact, enrollment), {
        "kind": "pickup", "pickup_name": "王舅舅", "pickup_relationship": "aunt_uncle",
        "pickup_phone": "13711113333"})  # fmt: skip
    teacher = client_of(site.teacher_user)
    today = timezone.localdate()
    for e in (enrollment, sibling):
        teacher.post(reverse("attendance:roll-call-mark", args=[site.group.pk, today, e.pk]),
                     {"status": "present"}, **HTMX)  # fmt: skip

    def check_out(e):
        return teacher.post(
            reverse("attendance:roll-call-check-out", args=[site.group.pk, today, e.pk]),
            {"picked_up_by": "王舅舅"}, **HTMX,
        )  # fmt: skip

    form = teacher.get(
        reverse("attendance:roll-call-check-out", args=[site.group.pk, today, enrollment.pk]),
        **HTMX,
    ).content.decode()
    assert "王舅舅" in form
    assert check_out(sibling).status_code == 422  # not for the sibling
    assert check_out(enrollment).status_code == 200
    assert Attendance.objects.get(enrollment=enrollment).picked_up_by == "王舅舅"
    assert Attendance.objects.get(enrollment=sibling).check_out_at is None
    # Another day, the uncle is not on the list: yesterday's notice says nothing today.
    ParentNotice.objects.update(date=today - datetime.timedelta(days=1))
    yesterday_only = enroll(site.group, child=ChildBuilder(factory=site.factory,
                                                          guardian=contact.worker))  # fmt: skip
    mark(yesterday_only, today).save()
    Attendance.objects.filter(enrollment=yesterday_only).update(check_in_at=timezone.now())
    ParentNotice.objects.create(enrollment=yesterday_only, worker=contact.worker,
                                date=today - datetime.timedelta(days=1), kind="pickup",
                                pickup_name="王舅舅", pickup_relationship="aunt_uncle")  # fmt: skip
    assert check_out(yesterday_only).status_code == 422


def test_absent_today_is_not_offered_or_taken_once_the_child_is_checked_in(client, family):
    contact, enrollment = family
    record = mark(enrollment, timezone.localdate())
    record.check_in_at = timezone.now()
    record.save()
    assert 'name="reason"' not in client.get(page_url(contact)).content.decode()
    response = client.post(notice_url(contact, enrollment), {"kind": "absent", "reason": "sick"})
    assert response.status_code == 422
    assert not ParentNotice.objects.exists()
