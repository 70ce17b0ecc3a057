"""The parent page: opened from a signed link, no login, nothing kept on the phone."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ccrcsr.throttle import throttled
from enrollment.models import Relationship

from . import services
from .forms import NoticeForm
from .links import LinkError, contact_for

# Answers from one link: far above a family's day, far below a script's.
ANSWER_LIMIT, ANSWER_WINDOW = 30, 3600


def _private(response: HttpResponse) -> HttpResponse:
    # The link is the key: it must not leave in a Referer, and the page must not
    # stay in a cache on a shared phone.
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store, private"
    return response


def _link_refused(request: HttpRequest, error: LinkError) -> HttpResponse:
    status = 404 if error.why == "invalid" else 410
    response = render(request, "parents/link_refused.html", {"why": error.why}, status=status)
    return _private(response)


def _page(request, contact, *, form=None, enrollment_id=None, status=200):
    family = services.family_today(contact)
    now = services.factory_now(contact.worker.factory)
    context = {
        "contact": contact,
        "family": family,
        "now": now,
        "form": form,
        "form_for": enrollment_id,
        "done": request.GET.get("done", ""),
        "token": request.resolver_match.kwargs["parent_token"],
        "relationships": Relationship.choices,
    }
    with translation.override(contact.language):
        return _private(render(request, "parents/page.html", context, status=status))


@never_cache
def page(request: HttpRequest, parent_token: str) -> HttpResponse:
    try:
        contact = contact_for(parent_token)
    except LinkError as error:
        return _link_refused(request, error)
    return _page(request, contact)


# No CSRF cookie: the token in the address is the credential, and a site that
# does not know it cannot post here; a cookie would stay on a shared phone.
@csrf_exempt
@require_POST
def notice(request: HttpRequest, parent_token: str, enrollment_id: int) -> HttpResponse:
    try:
        contact = contact_for(parent_token)
    except LinkError as error:
        return _link_refused(request, error)
    if throttled(request, f"parent:{contact.worker_id}", limit=ANSWER_LIMIT, seconds=ANSWER_WINDOW):
        return _private(render(request, "429.html", status=429))
    child = next(
        (c for c in services.family_today(contact) if c.enrollment.pk == enrollment_id), None
    )
    if child is None or not child.expected_today:
        # Another family's child, a season that ended, or not an opening day of
        # this child's stay: said plainly, nothing recorded.
        return _page(request, contact, status=422, enrollment_id=-1)
    checked_in = bool(child.record and child.record.check_in_at)
    form = NoticeForm(
        request.POST, now=services.factory_now(contact.worker.factory), checked_in=checked_in
    )
    if not form.is_valid():
        return _page(request, contact, form=form, enrollment_id=enrollment_id, status=422)
    services.give_notice(
        contact=contact,
        enrollment=child.enrollment,
        kind=form.cleaned_data["kind"],
        **form.details(),
    )
    page_url = reverse("parents:page", args=[parent_token])
    return redirect(f"{page_url}?done={form.cleaned_data['kind']}")


@csrf_exempt
@never_cache
def stop(request: HttpRequest, parent_token: str) -> HttpResponse:
    """'Stop messages': the link in every message; one tap on the button stops
    them (a GET only asks, so a link preview cannot stop anyone's messages)."""
    try:
        contact = contact_for(parent_token)
    except LinkError as error:
        return _link_refused(request, error)
    if request.method == "POST":
        services.stop_messages(contact)
        contact.refresh_from_db()
    with translation.override(contact.language):
        response = render(request, "parents/stop.html", {"contact": contact, "token": parent_token})
    return _private(response)
