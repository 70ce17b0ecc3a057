"""A child's profile: who may see it, and which fields each role sees."""

from django.urls import reverse

from factories.models import AuditEntry

from ..builders import enroll, mark


def url(child):
    return reverse("enrollment:child-detail", args=[child.pk])


def test_hr_sees_guardians_consents_medical_notes_and_attendance(client_of, site):
    enrollment = enroll(site.group)
    child = enrollment.child
    child.medical_notes = "哮喘，随身带喷雾"
    child.save()
    mark(enrollment, site.season.start_date)
    html = client_of(site.hr).get(url(child)).content.decode()
    assert child.guardians.get().name in html
    assert "哮喘" in html and "已记录 1 天" in html


def test_a_teacher_sees_allergies_but_not_medical_notes(client_of, site):
    enrollment = enroll(site.group)
    child = enrollment.child
    child.allergies, child.medical_notes = "花生", "哮喘"
    child.save()
    html = client_of(site.teacher_user).get(url(child)).content.decode()
    assert "花生" in html and "哮喘" not in html


def test_managers_strangers_and_other_teachers_get_404(
    client_of, site, stranger, other_group_teacher
):
    child = enroll(site.group).child
    for user in (site.manager, stranger, other_group_teacher):
        assert client_of(user).get(url(child)).status_code == 404


def test_viewing_a_profile_is_logged(client_of, site):
    child = enroll(site.group).child
    client_of(site.hr).get(url(child))
    entry = AuditEntry.objects.get(action="view")
    assert (entry.user, entry.object_id) == (site.hr, str(child.pk))


def test_the_profile_uses_a_fixed_number_of_queries(client_of, site, django_assert_max_num_queries):
    enrollment = enroll(site.group)
    for day in site.season.opening_days()[:15]:
        mark(enrollment, day)
    client = client_of(site.hr)
    # session (2 + save 2), user, child, guardians, pickups, contacts, roles,
    # enrollments, consents, attendance, changes waiting, audit write, history,
    # nav memberships
    with django_assert_max_num_queries(18):
        client.get(url(enrollment.child))
