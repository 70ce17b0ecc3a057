"""Erasure erases: no personal value of an erased child stays anywhere (audit
trail, export, emails, incidents, sessions), the record of the erasure does,
and nothing can fill the child in again. Managers read incidents without the
free texts that name children and their health."""

import json

from django.contrib import admin
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from attendance.models import Incident
from enrollment.models import Child, Enrollment
from factories.models import AuditEntry
from notifications.models import Notification

from ..builders import EnrollmentBuilder, consent_all, enroll, mark

NAME, NOTES, COUNTY = "王小丫", "先天性心脏病，不能剧烈运动", "巫山县"


def child_edit_data(child, enrollment, **changes) -> dict:
    data = {
        "child-name": child.name,
        "child-sex": child.sex,
        "child-date_of_birth": child.date_of_birth.isoformat(),
        "child-home_province": child.home_province,
        "child-home_county": COUNTY,
        "child-lives_with": child.lives_with,
        "child-school_grade": "",
        "child-allergies": "",
        "child-medical_notes": NOTES,
        "child-special_needs": "",
        "dates-arrival_date": enrollment.arrival_date.isoformat(),
        "dates-departure_date": enrollment.departure_date.isoformat(),
    }
    return {**data, **changes}


def erase(client, child):
    url = reverse("enrollment:child-erase", args=[child.pk])
    return client.post(url, {"reason": "母亲来电要求删除", "confirm": "on"}, follow=True)


def a_child_with_a_history(client_of, site):
    """A child whose name, county and health went through the edit form, the roll
    call (picked up by grandma), an incident and an email."""
    enrollment = enroll(site.group)
    child = enrollment.child
    hr = client_of(site.hr)
    edit = reverse("enrollment:child-edit", args=[child.pk, enrollment.pk])
    response = hr.post(edit, child_edit_data(child, enrollment, **{"child-name": NAME}))
    assert response.status_code == 302
    record = mark(enrollment, timezone.localdate())
    checkout = reverse(
        "attendance:roll-call-check-out",
        args=[site.group.pk, timezone.localdate(), enrollment.pk],
    )
    client_of(site.coordinator).post(
        checkout, {"picked_up_by": child.guardianships.first().worker.name}
    )
    incident = Incident.objects.create(
        group=site.group,
        occurred_at=timezone.now(),
        kind="illness",
        severity="moderate",
        description=f"{NAME}胸闷，{NOTES}",
        action_taken="送医务室",
    )
    incident.children.add(child)
    Notification.objects.create(
        factory=site.factory,
        email="hr@example.com",
        kind="waitlist_promoted",
        idempotency_key=f"waitlist_promoted:1:{enrollment.pk}",
        language="zh-hans",
        subject=f"{NAME} 已从候补转为录取",
        body=f"{NAME} 已从候补转为录取，请联系家长。",
        html_body=f"<p>{NAME} 已从候补转为录取</p>",
    )
    return enrollment, record, incident, hr


def test_erasure_leaves_no_personal_value_in_the_trail_the_export_emails_or_incidents(
    client_of, site
):
    enrollment, record, incident, hr = a_child_with_a_history(client_of, site)
    child = enrollment.child
    assert NAME in json.dumps(
        list(AuditEntry.objects.values_list("changes", flat=True)), ensure_ascii=False
    )

    erase(client_of(site.hr), child)

    everything = json.dumps(
        [list(AuditEntry.objects.values_list("changes", flat=True))]
        + [list(Notification.objects.values_list("subject", "body", "html_body"))]
        + [list(Incident.objects.values_list("description", "action_taken"))],
        ensure_ascii=False,
    )
    for value in (NAME, NOTES, COUNTY):
        assert value not in everything
    export = hr.get(reverse("enrollment:child-export", args=[child.pk])).content.decode()
    for value in (NAME, NOTES, COUNTY):
        assert value not in json.dumps(json.loads(export), ensure_ascii=False)
    # What stays: the erasure itself (who, when, why) and the email log's rows.
    erasure = AuditEntry.objects.get(model="enrollment.child", changes__has_key="anonymised")
    assert (erasure.user, erasure.changes["anonymised"]) == (site.hr, [None, "母亲来电要求删除"])
    assert Notification.objects.count() == 1


def test_the_public_forms_session_forgets_an_erased_child(client_of, site):
    enrollment = enroll(site.group)
    season = site.season
    phone = Client()  # the shared phone the family applied on
    session = phone.session
    session[f"apply-family-{season.pk}"] = {
        "done": [[enrollment.child.name, enrollment.reference]],
        "worker": {"worker_name": "王大力", "employee_number": "A1"},
    }
    session["unrelated"] = "kept"
    session.save()

    erase(client_of(site.hr), enrollment.child)

    data = Session.objects.get(pk=session.session_key).get_decoded()
    assert data == {"unrelated": "kept"}


def test_an_old_edit_form_reposted_after_erasure_fills_nothing_in(client_of, site):
    enrollment = enroll(site.group)
    child = enrollment.child
    hr = client_of(site.hr)
    edit = reverse("enrollment:child-edit", args=[child.pk, enrollment.pk])
    old_form = child_edit_data(child, enrollment, **{"child-name": NAME})
    erase(hr, child)

    response = hr.post(edit, old_form, follow=True)

    assert "不能再修改或重新填写" in response.content.decode()
    child.refresh_from_db()
    assert (child.name, child.medical_notes, child.home_county) == ("已匿名", "", "")


def test_an_erased_child_cannot_be_enrolled_or_waitlisted(client_of, site):
    enrollment = EnrollmentBuilder(season=site.season, status="applied")
    consent_all(enrollment)
    hr = client_of(site.hr)
    erase(hr, enrollment.child)
    url = reverse("enrollment:applications", args=[site.season.pk])
    for action in ("enroll", "waitlist"):
        response = hr.post(url, {"action": action, "selected": [enrollment.pk]}, follow=True)
        assert "不能再修改或重新填写" in response.content.decode()
    assert Enrollment.objects.get(pk=enrollment.pk).status == "applied"


def test_the_admin_refuses_to_fill_an_erased_child_in(client_of, site):
    child = enroll(site.group).child
    erase(client_of(site.hr), child)
    child.refresh_from_db()
    model_admin = admin.site._registry[Child]
    request = RequestFactory().get("/")
    request.user = site.coordinator
    form_class = model_admin.get_form(request, child)
    data = {
        f.name: getattr(child, f.name)
        for f in Child._meta.fields
        if f.name in form_class.base_fields
    }
    data.update(name=NAME, medical_notes=NOTES, factory=child.factory_id)
    form = form_class(data, instance=child)
    assert not form.is_valid()
    assert Child.objects.get(pk=child.pk).name == "已匿名"


def test_erasing_twice_keeps_one_record_of_it(client_of, site):
    child = enroll(site.group).child
    hr = client_of(site.hr)
    erase(hr, child)
    erase(hr, child)
    assert AuditEntry.objects.filter(changes__has_key="anonymised").count() == 1


def test_a_manager_reads_incidents_without_the_free_texts(client_of, site):
    enrollment = enroll(site.group)
    incident = Incident.objects.create(
        group=site.group,
        occurred_at=timezone.now(),
        kind="injury",
        severity="minor",
        description=f"{enrollment.child.name}在滑梯摔倒，{NOTES}",
        action_taken="冰敷，已通知奶奶",
    )
    incident.children.add(enrollment.child)
    url = reverse("attendance:season-incidents", args=[site.season.pk])
    manager_page = client_of(site.manager).get(url).content.decode()
    assert "受伤" in manager_page and "轻微" in manager_page and "1 个孩子" in manager_page
    for text in (enrollment.child.name, NOTES, "冰敷"):
        assert text not in manager_page
    coordinator_page = client_of(site.coordinator).get(url).content.decode()
    assert NOTES in coordinator_page and "冰敷" in coordinator_page


def test_an_erased_childs_application_no_longer_names_or_links_the_parent(client, client_of, site):
    """The public form keeps who applied on the enrollment; erasure must drop it too,
    or the anonymised child stays one link away from the parent's name and phone."""
    cache.clear()
    start = site.season.start_date
    client.post(
        reverse("enrollment:apply", args=[site.season.application_token]),
        {
            "employee_number": "A77",
            "worker_name": "王大力",
            "relationship": "father",
            "phone": "13812345678",
            "child_name": NAME,
            "sex": "F",
            "date_of_birth": start.replace(year=start.year - 8).isoformat(),
            "home_province": "sichuan",
            "lives_with": "grandparents",
            "arrival_date": start.isoformat(),
            "departure_date": site.season.end_date.isoformat(),
            "consent_data": "on",
        },
    )
    enrollment = Enrollment.objects.get(child__name=NAME)
    assert (enrollment.applicant_name, enrollment.applicant_worker.name) == ("王大力", "王大力")

    erase(client_of(site.hr), enrollment.child)

    enrollment.refresh_from_db()
    assert enrollment.applicant_name == "" and enrollment.applicant_worker is None
    export = client_of(site.hr).get(reverse("enrollment:child-export", args=[enrollment.child.pk]))
    assert "王大力" not in export.content.decode() and "13812345678" not in export.content.decode()
