"""Password rules (Django's validators, 12 characters) and everyone's own password page."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from factories.models import Role

from ..builders import PASSWORD, UserBuilder, member

URL = reverse("factories:password-change")


def change(client, old, new, confirm=None):
    return client.post(
        URL, {"old_password": old, "new_password1": new, "new_password2": confirm or new}
    )


@pytest.mark.parametrize(
    ("username", "password"),
    [
        ("admin", "admin12345678"),  # found accepted for the admin account
        ("wangfang", "Wangfang-2026!"),
        ("li.ming", "ming-summer-kids"),  # a part of the username
    ],
)
def test_a_password_containing_the_username_is_refused(db, username, password):
    with pytest.raises(ValidationError) as refused:
        validate_password(password, user=UserBuilder.build(username=username))
    assert refused.value.error_list[0].code == "password_too_similar"


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("Short1!xyz", "password_too_short"),
        ("password1234", "password_too_common"),
        ("482910573618", "password_entirely_numeric"),
    ],
)
def test_short_common_and_numeric_passwords_are_refused(db, password, code):
    with pytest.raises(ValidationError) as refused:
        validate_password(password, user=UserBuilder.build(username="hr7"))
    assert code in {error.code for error in refused.value.error_list}


def test_a_good_passphrase_passes(db):
    validate_password("river-lantern-orchard-42", user=UserBuilder.build(username="admin"))


def test_my_account_links_to_the_password_page(client_of, site):
    html = client_of(site.teacher_user).get(reverse("notifications:account")).content.decode()
    assert f'href="{URL}"' in html


@pytest.mark.parametrize("role", list(Role))
def test_every_role_changes_their_password_and_stays_signed_in(client, site, role):
    user = member(site.factory, role)
    client.force_login(user)
    response = change(client, PASSWORD, "river-lantern-orchard-42")
    assert response.status_code == 302 and response.url == reverse("notifications:account")
    user.refresh_from_db()
    assert user.check_password("river-lantern-orchard-42")
    # The session survives the new password hash.
    assert "密码已修改" in client.get(response.url).content.decode()
    assert client.get(reverse("factories:home")).status_code == 200


def test_the_admin_cannot_take_admin12345678(client, db):
    admin = UserBuilder(username="admin", is_superuser=True, is_staff=True)
    client.force_login(admin)
    response = change(client, PASSWORD, "admin12345678")
    assert response.status_code == 200
    assert "密码跟 用户名 太相似了" in response.content.decode()
    admin.refresh_from_db()
    assert admin.check_password(PASSWORD)


def test_a_wrong_old_password_changes_nothing(client_of, site):
    client = client_of(site.hr)
    response = change(client, "not-my-password", "river-lantern-orchard-42")
    assert response.status_code == 200
    site.hr.refresh_from_db()
    assert site.hr.check_password(PASSWORD)


def test_the_page_speaks_english_too(client, site):
    site.hr.language = "en"
    site.hr.save()
    client.force_login(site.hr)
    html = client.get(URL).content.decode()
    assert "Change my password" in html and "修改密码" not in html
    html = change(client, PASSWORD, "482910573618").content.decode()
    assert "entirely numeric" in html


def test_visitors_are_sent_to_log_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
