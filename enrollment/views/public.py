"""The public side: the application form workers open from the poster's QR
code, its thanks page, and the poster and QR code HR prints."""

import io
import secrets
import time

import segno
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.views.decorators.cache import never_cache

from ccrcsr.fields import normalise_employee_number, normalise_phone
from ccrcsr.throttle import client_network, hit
from spaces.models import Season

from .. import applications
from ..forms import (
    WORKER_FIELDS,
    ApplicationForm,
)
from ..models import Submission
from .scope import season_for_hr

# The public form: enough for a family applying for several children, far too
# few to flood the office or to probe for other applicants. Every post counts,
# valid or not, in three buckets the client cannot change cheaply: the network it
# posts from (a fresh cookie or a fresh IPv6 address in the same /64 is the same
# client), the phone number and the employee number typed. A factory's Wi-Fi puts
# many workers' phones behind one address, hence its higher limit; HR sees bursts
# below it on the applications list.
APPLY_WINDOW = 600
APPLY_LIMITS = {"address": 30, "phone": 10, "number": 10}


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
    network = client_network(request)
    if request.method == "POST" and _apply_throttled(request, network):
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
        submission = applications.application_request(
            season=season,
            data=form.application(),
            origin=salted_hmac("enrollment.submission.origin", network).hexdigest()[:16],
        )
        family = family or {"done": []}
        family.update(
            worker={name: form.cleaned_data[name] for name in WORKER_FIELDS},
            key=secrets.token_urlsafe(16),
            at=time.time(),
            shown=False,
        )
        # Ids only, never a child's name: the page reads the names from the
        # database, so a session copy (in a shared cache) names no erased child.
        family["done"].append(submission.pk)
        request.session[_family_key(season)] = family
        return redirect("enrollment:apply-thanks", token=token)
    return render(
        request, "enrollment/apply.html", {"season": season, "form": form, "family": family}
    )


def _apply_throttled(request: HttpRequest, network: str) -> bool:
    posted = {
        "address": network,
        "phone": normalise_phone(request.POST.get("phone", ""))[:40],
        "number": normalise_employee_number(request.POST.get("employee_number", ""))[:40],
    }
    over = False
    for bucket, value in posted.items():
        if value:  # every bucket counts this post, even when another is over
            over |= hit(f"apply:{bucket}:{value}", limit=APPLY_LIMITS[bucket], seconds=APPLY_WINDOW)
    return over


def _family_key(season: Season) -> str:
    return f"apply-family-{season.pk}"


def _family(request: HttpRequest, season: Season, key: str | None) -> dict | None:
    """This phone's last family, if `key` is its current one-time key and it is recent."""
    family = _kept_family(request, season)
    if not family or not key or not secrets.compare_digest(str(key), str(family.get("key"))):
        return None
    return family


def _kept_family(request: HttpRequest, season: Season) -> dict | None:
    """The family this session keeps, while it is recent and every child it applied
    for is still held (an erased child's family is forgotten, whatever kept it)."""
    family = request.session.get(_family_key(season))
    if not family:
        return None
    done = family.get("done") if isinstance(family, dict) else None
    if (
        not isinstance(done, list)
        or not isinstance(family.get("at"), int | float)
        or time.time() - family["at"] > FAMILY_MINUTES * 60
        or not isinstance(done, list)
        or not all(type(pk) is int for pk in done)
        or Submission.objects.filter(
            pk__in=done, enrollment__season=season, enrollment__child__anonymised_at__isnull=True
        ).count()
        != len(set(done))
    ):
        request.session.pop(_family_key(season), None)
        return None
    return family


@never_cache
def apply_thanks(request: HttpRequest, token: str) -> HttpResponse:
    """The references of what this family just submitted, shown once: opening the
    page again (the next person on a shared phone) shows none of them."""
    season = _open_season(token)
    family = _kept_family(request, season)
    applied = []
    if family and not family.get("shown"):
        family["shown"] = True
        request.session.modified = True
        submissions = Submission.objects.filter(pk__in=family["done"]).select_related(
            "enrollment__child"
        )
        by_pk = {s.pk: s for s in submissions}
        applied = [(by_pk[pk].enrollment.child.name, by_pk[pk].reference) for pk in family["done"]]
    else:
        family = None
    return render(
        request,
        "enrollment/apply_thanks.html",
        {"season": season, "family": family, "applied": applied},
    )


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
