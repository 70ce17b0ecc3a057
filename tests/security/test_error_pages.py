"""Our own error pages, with DEBUG off: the app's look, the reader's language, a way back.
The 500 page renders with the database down."""

import datetime

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from factories.models import User

HOME = reverse("factories:home")


@pytest.fixture(autouse=True)
def production(settings):
    settings.DEBUG = False


def plain_client(**kwargs) -> Client:
    return Client(raise_request_exception=False, **kwargs)


def assert_our_page(response, status, *texts):
    html = response.content.decode()
    assert response.status_code == status
    assert 'data-testid="error-page"' in html and f">{status}<" in html
    assert "bootstrap.min.css" in html and "navbar" in html  # the app's look
    for text in texts:
        assert text in html, text


def test_404_in_chinese_and_english(client, db):
    assert_our_page(client.get("/no-such-page/"), 404, "找不到页面", f'href="{HOME}"', "返回首页")
    client.cookies["django_language"] = "en"
    assert_our_page(client.get("/no-such-page/"), 404, "Page not found", "Back to the start page")


def test_404_for_another_factorys_record_keeps_the_menu(client_of, site, other_site):
    response = client_of(site.hr).get(reverse("spaces:season-detail", args=[other_site.season.pk]))
    assert_our_page(response, 404, "找不到页面", reverse("notifications:account"))


def test_403_in_chinese_and_english(client_of, site):
    # Only teachers go on duty; HR's forged request is refused (a literal path: the view moves app).
    client = client_of(site.hr)
    url = f"/groups/{site.group.pk}/roll-call/{datetime.date.today().isoformat()}/duty/"
    assert_our_page(client.post(url), 403, "无权操作", "返回首页")
    site.hr.language = "en"
    site.hr.save()
    assert_our_page(client.post(url), 403, "Not allowed", "Back to the start page")


def test_an_expired_form_gets_our_403_page(db):
    client = plain_client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "a", "password": "b"})
    assert_our_page(response, 403, "表单已过期")
    client.cookies["django_language"] = "en"
    response = client.post(reverse("login"), {"username": "a", "password": "b"})
    assert_our_page(response, 403, "This form has expired")


def test_400_in_chinese_and_english(client, db):
    form = "application/x-www-form-urlencoded; charset=utf-7"
    assert_our_page(client.post(reverse("login"), "a=b", content_type=form), 400, "无法读取请求")
    client.cookies["django_language"] = "en"
    response = client.post(reverse("login"), "a=b", content_type=form)
    assert_our_page(response, 400, "The request could not be read")


def test_400_for_a_forged_host_header(db):
    response = plain_client().get(reverse("login"), HTTP_HOST="evil.example.com")
    assert_our_page(response, 400, "无法读取请求")


def test_the_public_forms_throttle_answers_our_429_page(client, site):
    cache.clear()
    url = reverse("enrollment:apply", args=[site.season.application_token])
    for _ in range(31):  # every post counts against the address: 30 in 10 minutes
        response = client.post(url, {})
    assert_our_page(response, 429, "这部手机提交的申请太多了", f'href="{url}"')
    client.cookies["django_language"] = "en"
    response = client.post(url, {})
    assert_our_page(response, 429, "Too many applications from this phone")


def test_the_login_lockout_answers_our_429_page(client, site):
    for _ in range(5):
        response = client.post(reverse("login"), {"username": site.hr.username, "password": "x"})
    assert_our_page(response, 429, "登录失败次数太多", f'href="{reverse("login")}"')


def test_500_renders_with_the_database_down():
    # No `db` fixture: every query raises, as with the database down. The public
    # form's first query fails; the page still comes, in Chinese and in English.
    client = plain_client()
    response = client.get(reverse("enrollment:apply", args=["any-token"]))
    html = response.content.decode()
    assert response.status_code == 500
    assert "系统出错了" in html and 'href="/"' in html and "返回首页" in html
    assert "bootstrap.min.css" in html
    client.cookies["django_language"] = "en"
    html = client.get(reverse("enrollment:apply", args=["any-token"])).content.decode()
    assert "Something went wrong on our side" in html and "Server Error" not in html


def test_500_for_a_signed_in_user_when_the_database_goes_down(db, django_db_blocker):
    client = plain_client()
    client.force_login(User.objects.create_user("hr-down", password="x" * 12))
    with django_db_blocker.block():
        response = client.get(reverse("notifications:account"))
    assert response.status_code == 500
    assert "系统出错了" in response.content.decode()
