"""The audit trail: who changed what about a child, and who looked or exported."""

import pytest
from django.contrib.admin.sites import site as admin_site
from django.urls import reverse
from django.utils import timezone

from enrollment.models import Child
from factories.models import AuditEntry

from ..builders import UserBuilder, child_edit_data, enroll


def entries(model):
    return AuditEntry.objects.filter(model=model)


def test_an_application_records_every_row_it_creates(client, site):
    from ..enrollment.test_apply import url, valid

    client.post(url(site.season), valid(site.season))
    models = set(AuditEntry.objects.values_list("model", flat=True))
    assert {
        "factories.worker",
        "enrollment.child",
        "enrollment.guardianship",
        "enrollment.authorisedpickup",
        "enrollment.enrollment",
        "enrollment.consent",
    } <= models


def test_editing_a_child_keeps_old_and_new_values(client_of, site):
    enrollment = enroll(site.group)
    child = enrollment.child
    data = child_edit_data(enrollment, **{"child-name": "新名字"})
    client_of(site.hr).post(reverse("enrollment:child-edit", args=[child.pk, enrollment.pk]), data)
    entry = entries("enrollment.child").get(action="update")
    assert entry.changes["name"] == [child.name, "新名字"] and entry.user == site.hr


def test_admin_edits_are_audited_too(client, site):
    admin = UserBuilder(is_superuser=True, is_staff=True)
    client.force_login(admin)
    child = enroll(site.group).child
    url = reverse("admin:enrollment_child_change", args=[child.pk])
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(
        {
            "name": "管理员改名",
            "date_of_birth": child.date_of_birth.isoformat(),
            "guardianships-TOTAL_FORMS": 0,
            "guardianships-INITIAL_FORMS": 0,
            "pickups-TOTAL_FORMS": 0,
            "pickups-INITIAL_FORMS": 0,
            "emergency_contacts-TOTAL_FORMS": 0,
            "emergency_contacts-INITIAL_FORMS": 0,
        }
    )
    data.pop("factory", None)
    data["factory"] = child.factory_id
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = entries("enrollment.child").get(action="update", user=admin)
    assert entry.changes["name"][1] == "管理员改名"


def test_the_trail_cannot_be_changed_in_the_admin(client, db):
    admin = UserBuilder(is_superuser=True, is_staff=True)
    model_admin = admin_site._registry[AuditEntry]
    request = type("R", (), {"user": admin})()
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


def test_bulk_roll_call_does_not_bypass_the_trail(client_of, site):
    for _ in range(5):
        enroll(site.group)
    client_of(site.teacher_user).post(
        reverse("attendance:roll-call-mark-all", args=[site.group.pk, timezone.localdate()])
    )
    assert entries("attendance.attendance").filter(action="create").count() == 5


def test_viewing_and_exporting_are_logged(client_of, site):
    child = enroll(site.group).child
    hr = client_of(site.hr)
    hr.get(reverse("enrollment:child-detail", args=[child.pk]))
    hr.get(reverse("enrollment:child-export", args=[child.pk]))
    hr.get(reverse("attendance:sign-in-sheet", args=[site.group.pk, site.season.start_date]))
    actions = list(AuditEntry.objects.values_list("action", "model"))
    assert ("view", "enrollment.child") in actions
    assert ("export", "enrollment.child") in actions
    assert ("export", "spaces.group") in actions


def test_coordinators_see_a_childs_history_and_teachers_do_not(client_of, site):
    enrollment = enroll(site.group)
    client_of(site.hr).get(reverse("enrollment:child-detail", args=[enrollment.child.pk]))
    url = reverse("enrollment:child-detail", args=[enrollment.child.pk])
    assert "已查看" in client_of(site.coordinator).get(url).content.decode()
    assert "已查看" not in client_of(site.teacher_user).get(url).content.decode()


@pytest.mark.parametrize("model", [Child])
def test_audited_models_are_registered_with_the_audited_admin(model):
    from factories.admin import AuditedAdmin

    assert isinstance(admin_site._registry[model], AuditedAdmin)
