"""A teacher's login is one of the factory's people or a new account with an
invitation: never someone else's account, and no hint of which usernames exist."""

import re

from django.contrib.auth import authenticate
from django.test import RequestFactory
from django.urls import reverse

from factories.models import Membership, Role, User
from spaces.models import Teacher

from ..builders import UserBuilder, member
from .test_teachers import edit_url, new_url, teacher_data

REFUSED = "请选择本厂的人员，或新建一个登录账号。"


def test_another_factorys_login_cannot_be_taken_and_looks_like_a_missing_one(
    client_of, site, other_site
):
    coordinator = client_of(site.coordinator)
    elsewhere = coordinator.post(
        new_url(site.factory), teacher_data(username=other_site.teacher_user.username)
    )
    missing = coordinator.post(new_url(site.factory), teacher_data(username="no-such-login"))
    assert REFUSED in elsewhere.content.decode() and REFUSED in missing.content.decode()
    assert not Teacher.objects.filter(name="刘晓丽").exists()
    assert not Membership.objects.filter(user=other_site.teacher_user, factory=site.factory)


def test_the_administrator_cannot_be_made_a_teacher(client_of, site):
    admin = UserBuilder(username="admin", is_superuser=True, is_staff=True)
    Membership.objects.create(user=admin, factory=site.factory, role=Role.COORDINATOR)
    response = client_of(site.coordinator).post(
        new_url(site.factory), teacher_data(username="admin")
    )
    assert REFUSED in response.content.decode()
    assert not Teacher.objects.filter(user=admin).exists()


def test_the_choice_lists_this_factorys_people_only(client_of, site, other_site):
    html = client_of(site.coordinator).get(new_url(site.factory)).content.decode()
    assert f'value="{site.hr.username}"' in html
    assert f'value="{other_site.hr.username}"' not in html


def test_a_new_login_comes_with_an_invitation_that_sets_its_password_once(client_of, site, client):
    response = client_of(site.coordinator).post(
        new_url(site.factory), teacher_data(new_login="on"), follow=True
    )
    teacher = Teacher.objects.get(name="刘晓丽")
    login = teacher.user
    assert login is not None and not login.has_usable_password()
    assert Membership.objects.filter(user=login, factory=site.factory, role=Role.TEACHER).exists()
    html = response.content.decode()
    assert f"刘晓丽 的登录名是 {login.username}" in html
    link = re.search(r"http://testserver(/invitation/[^\s<]+/)", html).group(1)

    client.logout()
    form_page = client.get(link, follow=True)
    assert "设置密码" in form_page.content.decode()
    password = "桂花树下读书的夏天2026"
    done = client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else link,
        {"new_password1": password, "new_password2": password},
        follow=True,
    )
    assert "密码已设置" in done.content.decode()
    assert authenticate(
        RequestFactory().post("/login/"), username=login.username, password=password
    )
    # The link works once.
    assert "已用过或已过期" in client.get(link, follow=True).content.decode()


def test_picking_and_making_a_login_at_once_is_refused(client_of, site):
    colleague = member(site.factory, Role.HR)
    response = client_of(site.coordinator).post(
        new_url(site.factory), teacher_data(username=colleague.username, new_login="on")
    )
    assert "二选一" in response.content.decode()
    assert not User.objects.filter(display_name="刘晓丽").exists()
    assert not Teacher.objects.filter(name="刘晓丽").exists()


def test_a_made_up_invitation_link_says_it_does_not_work(db, client):
    response = client.get(reverse("factories:invitation", args=["MQ", "x-y"]), follow=True)
    assert "已用过或已过期" in response.content.decode()


# --- removing a teacher takes their access with them (issue 24, item 8) ---

PASSWORD = "桂花树下读书的夏天2026"


def invite(client_of, site) -> tuple[Teacher, str]:
    """A new teacher with a new login; the invitation link the coordinator is shown."""
    response = client_of(site.coordinator).post(
        new_url(site.factory), teacher_data(new_login="on"), follow=True
    )
    link = re.search(r"http://testserver(/invitation/[^\s<]+/)", response.content.decode())
    return Teacher.objects.get(name="刘晓丽"), link.group(1)


def set_password(client, link: str):
    form_page = client.get(link, follow=True)
    target = form_page.redirect_chain[-1][0] if form_page.redirect_chain else link
    return client.post(target, {"new_password1": PASSWORD, "new_password2": PASSWORD}, follow=True)


def unlink(client_of, site, teacher: Teacher):
    response = client_of(site.coordinator).post(
        edit_url(teacher), teacher_data(username=""), follow=True
    )
    assert "的登录账号已不能再进入本厂，之前给出的邀请链接也已失效" in response.content.decode()


def factory_pages(site) -> list[str]:
    return [
        reverse("spaces:factory-detail", args=[site.factory.pk]),
        reverse("spaces:space-list", args=[site.factory.pk]),
    ]


def test_an_invitation_given_before_the_teacher_was_unlinked_sets_no_password(
    client_of, site, client
):
    teacher, link = invite(client_of, site)
    login = teacher.user
    unlink(client_of, site, teacher)

    client.logout()
    assert "已用过或已过期" in set_password(client, link).content.decode()
    login.refresh_from_db()
    assert not login.has_usable_password() and not login.is_active
    assert not Membership.objects.filter(user=login, factory=site.factory).exists()
    signed_in = client.post(reverse("login"), {"username": login.username, "password": PASSWORD})
    assert "_auth_user_id" not in client.session and signed_in.status_code == 200


def test_a_removed_teachers_open_session_loses_the_factory_at_once(client_of, site, client):
    teacher, link = invite(client_of, site)
    client.logout()
    assert "密码已设置" in set_password(client, link).content.decode()
    client.post(reverse("login"), {"username": teacher.user.username, "password": PASSWORD})
    for url in factory_pages(site):
        assert client.get(url).status_code == 200, url

    # The coordinator, on another phone, clears the teacher's login.
    from django.test import Client

    coordinator = Client()
    coordinator.force_login(site.coordinator)
    coordinator.post(edit_url(teacher), teacher_data(username=""))

    for url in factory_pages(site):
        assert client.get(url).status_code in (302, 404), url
    assert (
        client.get(factory_pages(site)[0], follow=True)
        .redirect_chain[-1][0]
        .startswith(reverse("login"))
    )
    assert not Membership.objects.filter(user__username=teacher.user.username).exists()


def test_unlinking_a_teacher_who_is_also_hr_keeps_the_hr_role_and_the_account(client_of, site):
    colleague = member(site.factory, Role.HR)
    client_of(site.coordinator).post(
        new_url(site.factory), teacher_data(username=colleague.username)
    )
    teacher = Teacher.objects.get(name="刘晓丽")
    assert Membership.objects.filter(user=colleague, role=Role.TEACHER).exists()
    unlink(client_of, site, teacher)
    roles = set(Membership.objects.filter(user=colleague).values_list("role", flat=True))
    assert roles == {Role.HR}
    colleague.refresh_from_db()
    assert colleague.is_active
    assert client_of(colleague).get(factory_pages(site)[0]).status_code == 200


def test_another_factorys_coordinator_cannot_unlink_a_teacher(client_of, site, other_site):
    response = client_of(other_site.coordinator).post(
        edit_url(site.teacher), teacher_data(username="")
    )
    assert response.status_code == 404
    assert Membership.objects.filter(user=site.teacher_user, role=Role.TEACHER).exists()


def test_deleting_a_teacher_in_the_admin_removes_the_login_from_the_factory(client, site):
    admin = UserBuilder(username="root", is_superuser=True, is_staff=True)
    client.force_login(admin)
    url = reverse("admin:spaces_teacher_delete", args=[site.teacher.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not Teacher.objects.filter(pk=site.teacher.pk).exists()
    assert not Membership.objects.filter(user=site.teacher_user, factory=site.factory).exists()
    site.teacher_user.refresh_from_db()
    assert not site.teacher_user.is_active
