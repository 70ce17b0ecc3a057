"""Logins: throttled per account and address, sessions that end."""

import datetime
import time

from axes.models import AccessAttempt
from django.core.management import call_command
from django.urls import reverse

from ..builders import PASSWORD


def attempt(client, user, password):
    return client.post(reverse("login"), {"username": user.username, "password": password})


def test_five_failures_lock_the_account_with_a_clear_message(client, site):
    for _ in range(4):
        assert attempt(client, site.hr, "wrong").status_code == 200
    locked = attempt(client, site.hr, "wrong")
    assert locked.status_code == 429
    assert "锁定" in locked.content.decode() and "30 分钟" in locked.content.decode()
    # Even the right password is refused while locked.
    assert attempt(client, site.hr, PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lockout_page_says_how_long_the_lock_really_lasts(client, site, settings):
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=45)
    for _ in range(4):
        attempt(client, site.hr, "wrong")
    locked = attempt(client, site.hr, "wrong").content.decode()
    assert "45 分钟" in locked and "30 分钟" not in locked


def test_another_account_at_the_same_address_is_not_locked(client, site):
    for _ in range(5):
        attempt(client, site.hr, "wrong")
    assert attempt(client, site.manager, PASSWORD).status_code == 302


def test_an_admin_can_lift_the_lock(client, site):
    for _ in range(5):
        attempt(client, site.hr, "wrong")
    call_command("axes_reset_username", site.hr.username)
    assert attempt(client, site.hr, PASSWORD).status_code == 302


def test_the_lock_lifts_by_itself_after_30_minutes(client, site):
    for _ in range(5):
        attempt(client, site.hr, "wrong")
    AccessAttempt.objects.update(
        attempt_time=datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=31)
    )
    assert attempt(client, site.hr, PASSWORD).status_code == 302


def test_a_success_clears_earlier_failures(client, site):
    for _ in range(4):
        attempt(client, site.hr, "wrong")
    attempt(client, site.hr, PASSWORD)
    client.post(reverse("logout"))
    for _ in range(4):
        assert attempt(client, site.hr, "wrong").status_code == 200


def test_sessions_expire_after_30_idle_minutes(client_of, site):
    client = client_of(site.hr)
    client.get(reverse("factories:home"))
    assert client.session.get_expiry_age() == 30 * 60


def test_sessions_end_12_hours_after_login_however_active(client_of, site):
    client = client_of(site.hr)
    client.get(reverse("factories:home"))
    session = client.session
    session["signed_in_at"] = int(time.time()) - 12 * 3600 - 1
    session.save()
    response = client.get(reverse("factories:home"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert "_auth_user_id" not in client.session


def test_short_passwords_are_refused(db):
    import pytest
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        validate_password("Short1!xyz")
    validate_password("a-long-passphrase-2026")


def post_after_the_session_ended(client, url, data, referer):
    session = client.session
    session["last_seen"] = int(time.time()) - 31 * 60
    session.save()
    return client.post(url, data, HTTP_REFERER=referer)


def test_a_form_posted_after_the_session_ended_leads_back_to_its_page(client_of, site):
    # The coordinator left the season's page open over lunch, then changed its status.
    client = client_of(site.coordinator)
    page = reverse("spaces:season-detail", args=[site.season.pk])
    posted = reverse("spaces:season-status", args=[site.season.pk])
    response = post_after_the_session_ended(
        client, posted, {"status": "closed"}, f"http://testserver{page}?tab=groups"
    )
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={page}%3Ftab%3Dgroups"
    site.season.refresh_from_db()
    assert site.season.status == "running"  # nothing was changed by the lost post
    # Logged in again, the coordinator is on the page the form was on, not on a
    # 405 page at the address that only takes posts.
    again = client.post(response.url, {"username": site.coordinator.username, "password": PASSWORD})
    assert again.url == f"{page}?tab=groups"
    assert client.get(again.url).status_code == 200


def test_a_post_from_another_site_or_without_its_page_leads_to_the_home_page(client, site):
    posted = reverse("spaces:season-status", args=[site.season.pk])
    for referer in ("https://evil.example/seasons/1/", ""):
        response = client.post(posted, {"status": "closed"}, HTTP_REFERER=referer)
        assert response.url == reverse("login"), referer  # no `next`: home after logging in


def test_logging_out_still_leads_to_the_login_page_alone(client_of, site):
    client = client_of(site.hr)
    page = reverse("factories:home")
    response = client.post(reverse("logout"), HTTP_REFERER=f"http://testserver{page}")
    assert response.url == reverse("login")  # the next person does not land on HR's page
