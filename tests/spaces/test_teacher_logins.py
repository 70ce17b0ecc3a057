"""A teacher's login is one of the factory's people or a new account with an
invitation: never someone else's account, and no hint of which usernames exist."""

import re

from django.contrib.auth import authenticate
from django.test import RequestFactory
from django.urls import reverse

from factories.models import Membership, Role, User
from spaces.models import Teacher

from ..builders import UserBuilder, member
from .test_teachers import new_url, teacher_data

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
