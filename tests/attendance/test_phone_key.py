"""The phone mark the roll call's service worker keeps pages under (issue 24,
item 4): it names the user and the session, ends with the session, and moves
for a factory's staff when one of its children is erased."""

from django.test import Client
from django.urls import reverse

from attendance.middleware import COOKIE, HEADER
from enrollment.privacy import child_anonymise

from ..builders import PASSWORD, enroll


def log_in(user) -> tuple[Client, str]:
    client = Client()
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client, response.cookies[COOKIE].value


def test_the_mark_names_the_user_and_the_session_and_expires_with_it(site, settings):
    client, mark = log_in(site.teacher_user)
    assert mark.startswith(f"{site.teacher_user.pk}.")
    page = client.get(reverse("attendance:roll-call-today", args=[site.group.pk]))
    assert page[HEADER] == mark
    # The same user's next session has another mark: pages kept before are not its own.
    _, again = log_in(site.teacher_user)
    assert again.split(".")[:2] != mark.split(".")[:2]
    # Readable by the worker offline; gone when the session's idle limit is.
    cookie = client.cookies[COOKIE]
    assert not cookie["httponly"]
    assert abs(int(cookie["max-age"]) - settings.SESSION_IDLE_SECONDS) <= 1


def test_the_mark_goes_with_the_session(site):
    client, _ = log_in(site.teacher_user)
    response = client.post(reverse("logout"))
    assert response.cookies[COOKIE]["max-age"] == 0
    assert HEADER not in response
    # A phone still holding a mark after its session ended server-side loses it.
    anonymous = Client()
    anonymous.cookies[COOKIE] = "1.abc.0"
    response = anonymous.get(reverse("login"))
    assert response.cookies[COOKIE]["max-age"] == 0


def test_erasing_a_child_moves_the_mark_of_its_factorys_staff_only(site, other_site):
    child = enroll(site.group).child
    teacher, teacher_mark = log_in(site.teacher_user)
    stranger, stranger_mark = log_in(other_site.hr)
    child_anonymise(child=child, user=site.hr, reason="the family asked")
    home = "/"
    moved = teacher.get(home)
    assert moved[HEADER] != teacher_mark
    assert moved[HEADER].split(".")[:2] == teacher_mark.split(".")[:2]  # same session
    assert moved.cookies[COOKIE].value == moved[HEADER]
    assert stranger.get(home)[HEADER] == stranger_mark
