"""The mark by which the roll call's service worker knows whose pages it kept.

A phone keeps the roll calls its user opened so they open offline (static/js/sw.js).
A shared phone must not show them to the next person, nor after the session
ended, nor keep an erased child's name: the worker serves a kept page only
while the phone's current mark is the one the page was kept with.

The mark is `<user id>.<session tag>.<kept-pages version>`: the session tag is an
HMAC of the session key (it changes at each login and reveals nothing of the
key), and the version moves when a child of the user's factories is erased. It
comes with every signed-in answer (the `X-Phone-Key` header, kept with the
page) and in a cookie the worker can read offline (not HttpOnly: it is no
credential), which expires with the session's idle limit and is deleted when
the session ends."""

import time

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import salted_hmac

COOKIE = "rc_phone"
HEADER = "X-Phone-Key"


def phone_key(request: HttpRequest) -> str | None:
    """The mark of this request's user and session, or None when signed out."""
    user = getattr(request, "user", None)
    session = getattr(request, "session", None)
    if user is None or session is None or not user.is_authenticated or not session.session_key:
        return None
    tag = salted_hmac("roll-call-phone", session.session_key).hexdigest()[:20]
    return f"{user.pk}.{tag}.{user.kept_pages_version}"


def _seconds_left(request: HttpRequest) -> int:
    """Until the session's idle (or absolute) limit, as SessionLimitsMiddleware counts."""
    now = int(time.time())
    session = request.session
    idle = settings.SESSION_IDLE_SECONDS - (now - session.get("last_seen", now))
    whole = settings.SESSION_MAX_SECONDS - (now - session.get("signed_in_at", now))
    return max(0, min(idle, whole))


class PhoneKeyMiddleware:
    """Put the mark on every signed-in answer; delete it once signed out.
    Placed outside the session middleware, so it sees the session as saved."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        key = phone_key(request)
        if key is None:
            if COOKIE in request.COOKIES:
                response.delete_cookie(COOKIE, samesite="Lax")
            return response
        response[HEADER] = key
        renewed = settings.SESSION_COOKIE_NAME in response.cookies
        if renewed or request.COOKIES.get(COOKIE) != key:
            response.set_cookie(
                COOKIE,
                key,
                max_age=_seconds_left(request),
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=False,
                samesite="Lax",
            )
        return response
