"""Input no form can read gets a 400 with our page, never a 500: a username longer
than any account's, a body in a foreign charset, too many fields, broken multipart."""

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse

FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def csrf_client(settings):
    """A client that checks CSRF as a browser's request is checked, with its cookie."""
    settings.DEBUG = False
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.get(reverse("login"))
    return client


def token(client) -> str:
    return client.cookies["csrftoken"].value


def post(client, url, body, content_type):
    return client.post(url, body, content_type=content_type, HTTP_X_CSRFTOKEN=token(client))


@pytest.mark.parametrize("length", [151, 256, 5000])
def test_a_too_long_username_gets_a_message_and_is_never_tried(client, db, length):
    response = client.post(reverse("login"), {"username": "a" * length, "password": "x"})
    assert response.status_code == 200
    assert "用户名最多 150 个字符" in response.content.decode()
    # Never handed to authenticate(): django-axes' 255-character column is not reached.
    assert not AccessAttempt.objects.exists()


def test_the_username_message_speaks_english(client, db):
    client.cookies["django_language"] = "en"
    response = client.post(reverse("login"), {"username": "a" * 300, "password": "x"})
    assert "A username has at most 150 characters." in response.content.decode()


def test_a_150_character_username_is_still_tried(client, db):
    client.post(reverse("login"), {"username": "a" * 150, "password": "x"})
    assert AccessAttempt.objects.filter(username="a" * 150).exists()


def public_urls(site):
    token_ = site.season.application_token
    return [
        reverse("login"),
        reverse("factories:set-language"),
        reverse("enrollment:apply", args=[token_]),
        reverse("logout"),
    ]


@pytest.mark.parametrize("charset", ["utf-7", "utf-16", "latin-1", "GB2312"])
def test_a_foreign_charset_gets_our_400_page_anonymous(csrf_client, site, charset):
    for url in public_urls(site):
        response = post(csrf_client, url, "username=a&password=b", f"{FORM}; charset={charset}")
        assert response.status_code == 400, url
        assert "无法读取请求" in response.content.decode(), url


def test_a_foreign_charset_gets_our_400_page_signed_in(csrf_client, site):
    csrf_client.force_login(site.coordinator)
    csrf_client.get(reverse("factories:home"))
    urls = [
        reverse("notifications:account"),
        reverse("factories:password-change"),
        reverse("spaces:season-status", args=[site.season.pk]),
        reverse("enrollment:applications", args=[site.season.pk]),
    ]
    for url in urls:
        response = post(csrf_client, url, "language=en", f"{FORM}; charset=utf-7")
        assert response.status_code == 400, url
        assert "无法读取请求" in response.content.decode(), url
    # Nothing was changed, and the person is still signed in.
    site.coordinator.refresh_from_db()
    assert site.coordinator.language == "zh-hans"
    assert csrf_client.get(reverse("factories:home")).status_code == 200


def test_any_spelling_of_utf8_is_read(csrf_client, site):
    url, body = reverse("factories:set-language"), "language=en&next=/login/"
    for charset in ("utf-8", "UTF-8", "utf8"):
        response = post(csrf_client, url, body, f"{FORM}; charset={charset}")
        assert response.status_code == 302, charset


def test_too_many_fields_get_our_400_page(csrf_client, site):
    body = "&".join(f"f{i}=1" for i in range(1500))
    response = post(csrf_client, reverse("login"), body, FORM)
    assert response.status_code == 400
    assert "无法读取请求" in response.content.decode()


def test_broken_multipart_gets_our_400_page(csrf_client, site):
    url = reverse("enrollment:apply", args=[site.season.application_token])
    response = post(csrf_client, url, "garbage", "multipart/form-data")  # no boundary
    assert response.status_code == 400
    assert "无法读取请求" in response.content.decode()
