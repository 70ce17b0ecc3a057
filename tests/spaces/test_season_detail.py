import pytest
from django.urls import reverse

from spaces.models import Teacher

from ..builders import GroupBuilder, TeacherBuilder, assign, enroll


def url(season):
    return reverse("spaces:season-detail", args=[season.pk])


def test_season_page_shows_groups_and_teachers(client_of, site):
    enroll(site.group)
    html = client_of(site.coordinator).get(url(site.season)).content.decode()
    assert site.group.name in html
    assert site.teacher.name in html


@pytest.mark.parametrize("persona", ["hr", "teacher_user", "coordinator", "manager"])
def test_staff_of_the_factory_may_open_it(client_of, site, persona):
    assert client_of(getattr(site, persona)).get(url(site.season)).status_code == 200


def test_another_factorys_season_answers_404(client_of, site, stranger):
    assert client_of(stranger).get(url(site.season)).status_code == 404


def test_a_teacher_not_on_the_roster_gets_404(client_of, site, other_site):
    assert client_of(other_site.teacher_user).get(url(site.season)).status_code == 404


def test_a_teacher_sees_only_own_groups(client_of, site, other_group_teacher):
    other = site.season.groups.exclude(pk=site.group.pk).get()
    html = client_of(site.teacher_user).get(url(site.season)).content.decode()
    assert site.group.name in html
    assert other.name not in html


def test_missing_season_answers_404(client_of, site):
    assert client_of(site.hr).get("/seasons/999999/").status_code == 404


def test_query_count_does_not_grow_with_groups_and_teachers(
    client_of, site, django_assert_max_num_queries
):
    client = client_of(site.coordinator)
    for _ in range(10):
        group = GroupBuilder(season=site.season)
        teacher = TeacherBuilder(factory=site.factory, kind=Teacher.Kind.VOLUNTEER)
        assign(teacher, group)
        enroll(group)
    # session, user, season, groups with counts, roster, closed days, my roles
    # at the factory, nav memberships
    # + 2: the session is saved on each request (idle timeout)
    # + 7: ratio rules, and the readiness checklist: groups, roster, previous
    #   season, safety checks, code of conduct, acceptances (test_readiness.py)
    with django_assert_max_num_queries(18):
        assert client.get(url(site.season)).status_code == 200
