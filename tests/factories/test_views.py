"""Login, the home dashboard per role, factory pages, language switching."""

import pytest
from django.urls import reverse
from django.utils import timezone

from factories.models import Role

from ..builders import PASSWORD, GroupBuilder, enroll, mark, member


def test_login_with_wrong_password_shows_a_clear_message(client, site):
    response = client.post(
        reverse("login"),
        {"username": site.hr.username, "password": "wrong"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "do not match" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_message_is_chinese_by_default(client, site):
    response = client.post(reverse("login"), {"username": site.hr.username, "password": "x"})
    assert "用户名和密码不匹配" in response.content.decode()


def test_login_lands_on_the_dashboard(client, site):
    response = client.post(
        reverse("login"), {"username": site.hr.username, "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("factories:home")
    assert site.hr.display_name in response.content.decode()


def test_pages_ask_anonymous_visitors_to_log_in(client, site):
    for url in (
        reverse("factories:home"),
        reverse("factories:factory-list"),
        reverse("spaces:factory-detail", args=[site.factory.pk]),
        reverse("spaces:season-detail", args=[site.season.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


def test_hr_dashboard_shows_waiting_applications(client_of, site):
    enroll(site.group, status="applied")
    enroll(site.group, status="applied")
    html = client_of(site.hr).get(reverse("factories:home")).content.decode()
    assert 'data-testid="hr-section"' in html
    assert 'data-testid="teacher-section"' not in html
    assert '<div class="card-stat">2</div>' in html


def test_teacher_dashboard_shows_todays_groups_and_roll_call_state(client_of, site):
    site.teacher_user.language = "en"
    site.teacher_user.save()
    first = enroll(site.group)
    enroll(site.group)
    client = client_of(site.teacher_user)
    html = client.get(reverse("factories:home")).content.decode()
    assert site.group.name in html
    assert "0 of 2 present" in html and "Roll call not taken" in html
    mark(first, timezone.localdate())
    html = client.get(reverse("factories:home")).content.decode()
    assert "1 of 2 present" in html


def test_on_a_closed_day_the_dashboard_says_closed_not_roll_call_missing(client_of, site):
    from spaces.models import ClosedDay

    enroll(site.group)
    ClosedDay.objects.create(season=site.season, date=timezone.localdate(), reason="国庆节")
    for user, missing in ((site.teacher_user, "点名未完成"), (site.coordinator, "未点名")):
        html = client_of(user).get(reverse("factories:home")).content.decode()
        assert site.group.name in html
        assert "今天休息" in html and missing not in html


def test_on_a_weekday_the_space_does_not_open_the_dashboard_says_closed(client_of, site):
    enroll(site.group)
    weekdays = "1234567".replace(str(timezone.localdate().isoweekday()), "")
    site.season.opening_weekdays = weekdays
    site.season.save()
    html = client_of(site.teacher_user).get(reverse("factories:home")).content.decode()
    assert "今天休息" in html and "点名未完成" not in html


def test_coordinator_dashboard_lists_groups_across_factories(client_of, site, other_site):
    from factories.models import Membership

    Membership.objects.create(
        user=site.coordinator, factory=other_site.factory, role=Role.COORDINATOR
    )
    html = client_of(site.coordinator).get(reverse("factories:home")).content.decode()
    assert site.factory.name_zh in html and other_site.factory.name_zh in html


def test_coordinator_dashboard_never_shows_another_factory(client_of, site, other_site):
    html = client_of(site.coordinator).get(reverse("factories:home")).content.decode()
    assert other_site.factory.name_zh not in html


def test_manager_dashboard_shows_the_season_at_a_glance(client_of, site):
    enroll(site.group)
    enroll(site.group, status="waitlisted")
    html = client_of(site.manager).get(reverse("factories:home")).content.decode()
    assert 'data-testid="manager-section"' in html
    assert site.season.name in html


def test_coordinator_dashboard_query_count_does_not_grow_with_groups(
    client_of, site, django_assert_max_num_queries
):
    client = client_of(site.coordinator)
    for _ in range(8):
        group = GroupBuilder(season=site.season)
        enroll(group)
    # session, user, memberships (roles), groups with counts, nav memberships
    # + 2: the session is saved on each request (idle timeout)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("factories:home"))
    assert response.status_code == 200


def test_factory_list_shows_only_own_factories(client_of, site, other_site):
    html = client_of(site.hr).get(reverse("factories:factory-list")).content.decode()
    assert site.factory.name_zh in html
    assert other_site.factory.name_zh not in html


def test_factory_detail_answers_404_for_another_factory(client_of, site, stranger):
    url = reverse("spaces:factory-detail", args=[site.factory.pk])
    assert client_of(site.hr).get(url).status_code == 200
    assert client_of(stranger).get(url).status_code == 404


def test_factory_detail_shows_seasons_and_spaces(client_of, site):
    html = (
        client_of(site.manager)
        .get(reverse("spaces:factory-detail", args=[site.factory.pk]))
        .content.decode()
    )
    assert site.season.name in html


def test_switching_language_is_kept_on_the_account(client_of, site):
    client = client_of(site.hr)
    response = client.post(
        reverse("factories:set-language"), {"language": "en", "next": "/factories/"}
    )
    assert response.status_code == 302 and response.url == "/factories/"
    site.hr.refresh_from_db()
    assert site.hr.language == "en"
    assert "Factories" in client.get("/factories/").content.decode()


def test_language_switch_refuses_foreign_redirects_and_bad_codes(client_of, site):
    client = client_of(site.hr)
    response = client.post(
        reverse("factories:set-language"), {"language": "xx", "next": "https://evil.example/"}
    )
    assert response.status_code == 302 and response.url == "/"
    site.hr.refresh_from_db()
    assert site.hr.language == "zh-hans"


def test_anonymous_visitor_can_switch_language_by_cookie(client):
    client.post(reverse("factories:set-language"), {"language": "en", "next": "/login/"})
    assert "Log in" in client.get(reverse("login")).content.decode()


def test_pages_are_chinese_by_default(client):
    assert "登录" in client.get(reverse("login")).content.decode()


@pytest.mark.parametrize("role", [Role.HR, Role.TEACHER, Role.COORDINATOR, Role.MANAGER])
def test_every_role_gets_a_dashboard(client_of, site, role):
    user = member(site.factory, role)
    assert client_of(user).get(reverse("factories:home")).status_code == 200


def test_a_next_that_looks_like_a_view_name_is_just_a_path(client):
    # Found by the hostile-input test: redirect("0") tried to reverse a view called "0".
    response = client.post(reverse("factories:set-language"), {"language": "en", "next": "0"})
    assert response.status_code == 302
