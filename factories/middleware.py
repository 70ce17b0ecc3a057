import time
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, logout
from django.contrib.auth.views import redirect_to_login
from django.http import QueryDict
from django.shortcuts import resolve_url
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _


class UserLanguageMiddleware:
    """Show a signed-in user their chosen language on every device.

    LocaleMiddleware has already picked a language from the cookie or the
    browser; a signed-in user's saved choice wins over both.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)


class SessionLimitsMiddleware:
    """End a session after 30 minutes idle and 12 hours after login, however active.

    The idle limit is the session's expiry (SESSION_COOKIE_AGE), pushed back
    whenever the session is saved. Saving on every request would cost a write
    per page, so the last-seen time is written only when it has moved by
    SESSION_TOUCH_SECONDS: a session may end up to that much before 30 idle
    minutes, never after.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            session = request.session
            started = session.setdefault("signed_in_at", now)
            last_seen = session.get("last_seen", now)
            if (
                now - started > settings.SESSION_MAX_SECONDS
                or now - last_seen > settings.SESSION_IDLE_SECONDS
            ):
                logout(request)
                messages.info(request, _("Your session has ended. Please log in again."))
                return redirect_to_login(request.get_full_path())
            if "last_seen" not in session or now - last_seen >= settings.SESSION_TOUCH_SECONDS:
                session["last_seen"] = now  # marks the session modified: saved, expiry pushed
        return self.get_response(request)


class BackToTheFormMiddleware:
    """A form posted after the session ended leads back to its page after login.

    `login_required` and the session limits send the user to log in with `next`
    set to the address the form posted to; logged in again, the browser opens
    that address with GET, and one that only takes posts answers 405: an empty
    error page on a phone, the post lost without a word. The page the form was
    on (the Referer, when it is this site's) is where it can be posted again;
    without one, the user lands on the home page. A redirect to the login page
    without `next` (logging out) is left as it is.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method in ("GET", "HEAD") or response.status_code != 302:
            return response
        location = urlsplit(response["Location"])
        query = QueryDict(location.query, mutable=True)
        if location.path != resolve_url(settings.LOGIN_URL) or REDIRECT_FIELD_NAME not in query:
            return response
        referer = request.headers.get("Referer", "")
        if url_has_allowed_host_and_scheme(
            referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            page = urlsplit(referer)
            query[REDIRECT_FIELD_NAME] = page.path + (f"?{page.query}" if page.query else "")
        else:
            del query[REDIRECT_FIELD_NAME]
        response["Location"] = location._replace(query=query.urlencode(safe="/")).geturl()
        return response
