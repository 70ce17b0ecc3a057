"""The public side: the application form workers open from the poster's QR
code, its thanks page, and the poster and QR code HR prints."""

import hashlib
import io
import secrets
import time

import segno
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from ccrcsr.throttle import throttled
from spaces.models import Season

from .. import applications
from ..forms import (
    WORKER_FIELDS,
    ApplicationForm,
)
from .scope import season_for_hr

# The public form: enough for a family applying for several children, far too
# few to flood the office or to probe for other applicants. Counted per phone
# (its CSRF cookie) at an address: a factory's Wi-Fi or a carrier puts hundreds
# of workers' phones behind one address, which has its own, higher limit.
APPLY_LIMIT, APPLY_WINDOW = 20, 600
APPLY_ADDRESS_LIMIT = 300


def _open_season(token: str) -> Season:
    return get_object_or_404(Season.objects.select_related("factory"), application_token=token)


# A family applying for several children on one phone keeps its details for this
# long, and only through the "apply for another child" link (see _family).
FAMILY_MINUTES = 15


@never_cache
def apply(request: HttpRequest, token: str) -> HttpResponse:
    """The public application form a worker opens from the poster's QR code.

    Phones are shared: nothing of one family is shown to whoever opens the form
    next. Only the thanks page's "apply for another child" link (a one-time key)
    fills in the parent's details again, and "this is not me" forgets them.
    """
    season = _open_season(token)
    if not season.accepts_applications:
        return render(request, "enrollment/apply_closed.html", {"season": season}, status=410)
    if request.method == "POST" and "not_me" in request.POST:
        request.session.pop(_family_key(season), None)
        return redirect("enrollment:apply", token=token)
    if request.method == "POST" and _apply_throttled(request):
        return render(request, "enrollment/apply_throttled.html", {"season": season}, status=429)
    key = request.GET.get("another") if request.method == "GET" else request.POST.get("family")
    family = _family(request, season, key)
    if family and request.method == "GET":
        family["key"] = secrets.token_urlsafe(16)  # the link works once
        request.session.modified = True
    form = ApplicationForm(
        request.POST or None, season=season, initial=family["worker"] if family else None
    )
    if request.method == "POST" and form.is_valid():
        enrollment = applications.application_submit(season=season, data=form.application())
        family = family or {"done": []}
        family.update(
            worker={name: form.cleaned_data[name] for name in WORKER_FIELDS},
            key=secrets.token_urlsafe(16),
            at=time.time(),
            shown=False,
        )
        family["done"].append([enrollment.child.name, enrollment.reference])
        request.session[_family_key(season)] = family
        return redirect("enrollment:apply-thanks", token=token)
    return render(
        request, "enrollment/apply.html", {"season": season, "form": form, "family": family}
    )


def _apply_throttled(request: HttpRequest) -> bool:
    # A client without the cookie (it cannot post the form anyway) counts as one phone.
    cookie = request.COOKIES.get(settings.CSRF_COOKIE_NAME, "")
    phone = hashlib.sha256(cookie.encode()).hexdigest()[:16]
    by_phone = throttled(request, f"apply:{phone}", limit=APPLY_LIMIT, seconds=APPLY_WINDOW)
    by_address = throttled(
        request, "apply-address", limit=APPLY_ADDRESS_LIMIT, seconds=APPLY_WINDOW
    )
    return by_phone or by_address


def _family_key(season: Season) -> str:
    return f"apply-family-{season.pk}"


def _family(request: HttpRequest, season: Season, key: str | None) -> dict | None:
    """This phone's last family, if `key` is its current one-time key and it is recent."""
    family = request.session.get(_family_key(season))
    if not family or not key or not secrets.compare_digest(str(key), family["key"]):
        return None
    if time.time() - family["at"] > FAMILY_MINUTES * 60:
        request.session.pop(_family_key(season), None)
        return None
    return family


@never_cache
def apply_thanks(request: HttpRequest, token: str) -> HttpResponse:
    """The references of what this family just submitted, shown once: opening the
    page again (the next person on a shared phone) shows none of them."""
    season = _open_season(token)
    family = request.session.get(_family_key(season))
    if family and not family["shown"] and time.time() - family["at"] < FAMILY_MINUTES * 60:
        family["shown"] = True
        request.session.modified = True
    else:
        family = None
    return render(request, "enrollment/apply_thanks.html", {"season": season, "family": family})


@login_required
def poster(request: HttpRequest, season_id: int) -> HttpResponse:
    """An A4 poster with the QR code, to print and pin up in the factory."""
    season = season_for_hr(request.user, season_id)
    link = request.build_absolute_uri(reverse("enrollment:apply", args=[season.application_token]))
    qr_svg = segno.make(link, error="m").svg_inline(scale=8, dark="#000", light="#fff")
    return render(
        request, "enrollment/poster.html", {"season": season, "link": link, "qr_svg": qr_svg}
    )


@login_required
def qr_code(request: HttpRequest, season_id: int, fmt: str) -> HttpResponse:
    season = season_for_hr(request.user, season_id)
    link = request.build_absolute_uri(reverse("enrollment:apply", args=[season.application_token]))
    buffer = io.BytesIO()
    segno.make(link, error="m").save(buffer, kind=fmt, scale=10, border=2)
    content_type = "image/svg+xml" if fmt == "svg" else "image/png"
    response = HttpResponse(buffer.getvalue(), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="apply-{season.pk}.{fmt}"'
    return response
