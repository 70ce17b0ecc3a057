"""Issue 27, parts 2 to 5: a concern in three taps that reaches only the
people who must act, its referral and follow-up, and what erasure keeps."""

import datetime
import uuid

import pytest
from django.contrib.auth.models import Permission
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation

from enrollment.privacy import child_anonymise
from factories.models import AuditEntry, Role
from notifications.models import Notification
from notifications.reminders import safeguarding_reminders
from safeguarding.models import Concern, Referral, SafeguardingLead

from ..builders import UserBuilder, enroll, member

WHAT = "左臂有大片淤青，说是爸爸打的"


@pytest.fixture
def child(site):
    enrollment = enroll(site.group)
    enrollment.child.name = "王小明"
    enrollment.child.save()
    return enrollment


def raise_concern(client, enrollment, **data):
    data = {"category": "injury", "what": WHAT, "when": "now", **data}
    return client.post(reverse("safeguarding:concern-new", args=[enrollment.pk]), data)


def test_a_teacher_raises_a_concern_from_the_roll_call_and_the_lead_is_told(client_of, site, child):
    client = client_of(site.teacher_user)
    page = client.get(reverse("attendance:roll-call", args=[site.group.pk, timezone.localdate()]))
    link = reverse("safeguarding:concern-new", args=[child.pk])
    assert f'href="{link}"' in page.content.decode()
    response = raise_concern(client, child)
    concern = Concern.objects.get()
    assert response.url == reverse("safeguarding:concern", args=[concern.pk])
    assert (concern.child, concern.raised_by, concern.group) == (
        child.child,
        site.teacher_user,
        site.group,
    )
    email = Notification.objects.get(kind="safeguarding_concern")
    assert email.recipient == site.coordinator  # no lead designated: the coordinator
    # The email names no child and no detail: only the reference and a link.
    assert concern.reference in email.subject
    for text in (email.subject, email.body, email.html_body):
        assert "王小明" not in text and "淤青" not in text


def test_immediate_danger_shows_110_and_records_that_it_was_shown(client_of, site, child):
    client = client_of(site.teacher_user)
    first = raise_concern(client, child, immediate_danger="on")
    assert first.status_code == 422 and "110" in first.content.decode()
    assert not Concern.objects.exists()
    raise_concern(client, child, immediate_danger="on", shown_emergency="on")
    concern = Concern.objects.get()
    assert concern.immediate_danger and concern.shown_emergency_at is not None


def test_a_concern_sent_twice_from_the_phone_is_recorded_once(client_of, site, child):
    client = client_of(site.teacher_user)
    key = str(uuid.uuid4())
    raise_concern(client, child, client_key=key)
    raise_concern(client, child, client_key=key)  # the offline queue's replay
    assert Concern.objects.count() == 1
    assert Notification.objects.filter(kind="safeguarding_concern").count() == 1


def test_another_users_key_never_answers_with_their_concern(client_of, site, child):
    key = str(uuid.uuid4())
    raise_concern(client_of(site.teacher_user), child, client_key=key)
    response = raise_concern(client_of(site.coordinator), child, client_key=key, what="另一件事")
    mine = Concern.objects.get(raised_by=site.coordinator)
    assert response.url == reverse("safeguarding:concern", args=[mine.pk])
    assert (mine.what, Concern.objects.count()) == ("另一件事", 2)


def test_a_concern_needs_a_category_and_words(client_of, site, child):
    response = raise_concern(client_of(site.teacher_user), child, category="", what="")
    assert response.status_code == 422 and not Concern.objects.exists()


def test_another_factorys_child_answers_404(client_of, site, other_site):
    other = enroll(other_site.group)
    assert raise_concern(client_of(site.teacher_user), other).status_code == 404


@pytest.fixture
def concern(client_of, site, child):
    raise_concern(client_of(site.teacher_user), child)
    return Concern.objects.get()


def test_only_the_lead_the_coordinator_and_the_raiser_open_it(
    client, site, other_site, concern, other_group_teacher
):
    url = reverse("safeguarding:concern", args=[concern.pk])
    lead = member(site.factory, Role.HR)
    SafeguardingLead.objects.create(factory=site.factory, user=lead)
    for user in (lead, site.coordinator):
        client.force_login(user)
        assert WHAT in client.get(url).content.decode()
    client.force_login(site.teacher_user)
    status_page = client.get(url).content.decode()
    assert "等待负责人确认" in status_page and WHAT not in status_page
    staff = UserBuilder(is_staff=True)  # staff in the admin with every permission
    staff.user_permissions.set(Permission.objects.all())
    for user in (site.hr, site.manager, other_group_teacher, other_site.coordinator, staff):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert client.post(url, {"action": "acknowledge"}).status_code == 404
        concerns = client.get(reverse("safeguarding:concerns"))
        assert concerns.status_code == 404 or concern.reference not in concerns.content.decode()
    # Every read is in the audit trail (lead, coordinator, the raiser).
    reads = AuditEntry.objects.filter(model="safeguarding.concern", action="view")
    assert reads.count() == 3 and all(entry.changes == {} for entry in reads)


def test_no_trace_for_hr_in_search_child_page_export_log_or_admin(client, site, concern, child):
    hr = site.hr
    hr.is_staff = True
    hr.save()
    hr.user_permissions.set(Permission.objects.all())
    client.force_login(hr)
    pages = [
        reverse("enrollment:search") + "?q=王小明",
        reverse("enrollment:child-detail", args=[child.child_id]),
        reverse("enrollment:child-export", args=[child.child_id]),
        reverse("notifications:notification-log"),
        "/admin/safeguarding/concern/",
        "/admin/notifications/notification/",
        "/admin/factories/auditentry/",
    ]
    for page in pages:
        body = client.get(page).content.decode()
        assert concern.reference not in body, page
        assert "淤青" not in body and "/safeguarding/concerns/" not in body, page


def test_the_lead_acknowledges_refers_follows_up_and_closes(client_of, site, concern):
    client = client_of(site.coordinator)
    url = reverse("safeguarding:concern", args=[concern.pk])
    client.post(url, {"action": "acknowledge"})
    concern.refresh_from_db()
    assert (concern.status, concern.acknowledged_by) == ("acknowledged", site.coordinator)
    data = {"action": "referral", "referral-to": "police", "referral-on": "2026-07-10",
            "referral-consent": "not_sought"}  # fmt: skip
    refused = client.post(url, data)
    assert (
        refused.status_code == 422
        and "请说明为什么没有征求监护人的意见" in refused.content.decode()
    )
    assert not Referral.objects.exists()
    client.post(url, {"action": "referral", "referral-to": "police", "referral-on": "2026-07-10",
                      "referral-consent": "not_sought",
                      "referral-why_not_sought": "怀疑监护人施暴"})  # fmt: skip
    client.post(url, {"action": "follow_up", "follow_up-on": "2026-07-11",
                      "follow_up-note": "派出所已受理"})  # fmt: skip
    client.post(url, {"action": "close", "close-outcome": "已由公安机关处理"})
    concern.refresh_from_db()
    referral = concern.referrals.get()
    assert (referral.to, referral.why_not_sought) == ("police", "怀疑监护人施暴")
    assert concern.follow_ups.get().note == "派出所已受理"
    assert (concern.status, concern.outcome) == ("closed", "已由公安机关处理")
    raiser = client_of(site.teacher_user).get(url).content.decode()
    with translation.override("zh-hans"):
        assert str(Concern.Status.CLOSED.label) in raiser
    assert "派出所已受理" not in raiser and WHAT not in raiser


def test_another_factorys_lead_gets_404_on_every_action(client_of, other_site, concern):
    client = client_of(other_site.coordinator)
    url = reverse("safeguarding:concern", args=[concern.pk])
    for action in ("acknowledge", "referral", "follow_up", "close"):
        assert client.post(url, {"action": action}).status_code == 404
    concern.refresh_from_db()
    assert concern.status == "raised"


@override_settings(SAFEGUARDING_ACK_MINUTES=30)
def test_an_unacknowledged_concern_escalates_once_to_the_other_leads(site, concern):
    lead = member(site.factory, Role.HR)
    SafeguardingLead.objects.create(factory=site.factory, user=lead)
    later = concern.raised_at + datetime.timedelta(minutes=31)
    safeguarding_reminders(now=concern.raised_at + datetime.timedelta(minutes=29))
    assert not Notification.objects.filter(kind="safeguarding_escalated").exists()
    safeguarding_reminders(now=later)
    safeguarding_reminders(now=later + datetime.timedelta(hours=1))
    told = Notification.objects.filter(kind="safeguarding_escalated")
    assert [n.recipient for n in told] == [site.coordinator]
    concern.refresh_from_db()
    assert concern.escalated_at == later


def test_an_acknowledged_concern_does_not_escalate(client_of, site, concern):
    client_of(site.coordinator).post(
        reverse("safeguarding:concern", args=[concern.pk]), {"action": "acknowledge"}
    )
    safeguarding_reminders(now=timezone.now() + datetime.timedelta(days=1))
    assert not Notification.objects.filter(kind="safeguarding_escalated").exists()


def test_erasing_the_child_keeps_the_concern_under_its_reference(client_of, site, child):
    raise_concern(client_of(site.teacher_user), child, what="王小明说爸爸打他")
    concern = Concern.objects.get()
    child_anonymise(child=child.child, reason="retention")
    concern.refresh_from_db()
    assert concern.child_id == child.child_id
    assert concern.what == f"[{concern.reference}]说爸爸打他"
    page = client_of(site.coordinator).get(reverse("safeguarding:concern", args=[concern.pk]))
    html = page.content.decode()
    assert concern.reference in html and "王小明" not in html
