"""Project-wide request and response rules that no single app owns."""

import codecs

from django.core.exceptions import BadRequest, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.datastructures import MultiValueDict


def _signed_in(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    try:
        return user is not None and user.is_authenticated
    except Exception:  # the user cannot be loaded (database down): this is the 500 page
        return True


class NoStoreMiddleware:
    """Tell browsers and proxies to keep no copy of any signed-in page.

    Nearly every signed-in page shows children's data, and factory PCs and
    phones are shared: the back button or a proxy must not show it to the
    next person. Static files never reach this (WhiteNoise answers them
    first, with their long cache); the public form marks itself with
    `never_cache`.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if _signed_in(request):
            add_never_cache_headers(response)
        return response


def _check_charset(request: HttpRequest) -> None:
    """Refuse a body declared in an encoding other than UTF-8, the only one our
    forms send; accept every spelling of UTF-8 (Django itself takes only
    "utf-8"). An unknown name Django ignores and reads as UTF-8: so do we."""
    charset = request.content_params.get("charset")
    if not charset:
        return
    try:
        name = codecs.lookup(charset).name
    except LookupError:
        return
    if name != "utf-8":
        raise BadRequest("form data must be UTF-8")
    request.encoding = "utf-8"


class UnreadableRequestMiddleware:
    """Answer 400 with our page for a request whose form data cannot be read.

    Django refuses such a body (a non-UTF-8 charset, too many fields, too
    large, broken multipart) with an exception each time `request.POST` is
    read, and its own 400 handler reads it again through the CSRF check: a
    500 instead of a 400. Reading it once here, before the CSRF check and any
    view, and answering ourselves keeps that second read from ever happening.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            _check_charset(request)
            if request.method == "POST":
                request.POST  # noqa: B018 (parse now, so a failure is ours to answer)
        except (BadRequest, SuspiciousOperation, MultiPartParserError):
            # Nothing after this may trip over the body again.
            request._post, request._files = QueryDict(), MultiValueDict()
            return render(request, "400.html", status=400)
        return self.get_response(request)
