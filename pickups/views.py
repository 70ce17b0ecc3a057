"""The "still here" view: children checked in and not yet checked out, with
their expected pickup, overdue first; calls to the family in two taps.
Teachers see their groups; coordinators and HR the whole season."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from attendance.models import Attendance
from attendance.roll_call import teachers_on_duty
from enrollment.models import AuthorisedPickup
from factories.models import AuditEntry, Role
from spaces.models import Group, Season

from .expected import still_here, zone_of
from .forms import CallForm
from .models import CallAttempt


def _groups(user, season_id: int):
    season = get_object_or_404(
        Season.objects.visible_to(user).select_related("factory"), pk=season_id
    )
    staff = Season.objects.for_roles(user, Role.COORDINATOR, Role.HR).filter(pk=season.pk).exists()
    groups = season.groups.all() if staff else Group.objects.taught_by(user).filter(season=season)
    if not groups.exists():
        raise Http404
    return season, groups


def _people(record: Attendance) -> list[tuple[str, str]]:
    child = record.enrollment.child
    people = [(w.name, w.phone) for w in child.guardians.all() if w.phone]
    people += [(p.name, p.phone) for p in AuthorisedPickup.objects.filter(child=child) if p.phone]
    return people


@login_required
def still_here_view(request: HttpRequest, season_id: int) -> HttpResponse:
    season, groups = _groups(request.user, season_id)
    now = timezone.now().astimezone(zone_of(season.factory))
    rows = still_here(groups, now.date(), now)
    on_duty = sum(len(teachers_on_duty(group, now.date())) for group in groups)
    return render(
        request,
        "pickups/still_here.html",
        {
            "season": season,
            "rows": rows,
            "now": now,
            "on_duty": on_duty,
        },
    )


@login_required
@require_POST
def call(request: HttpRequest, season_id: int, record_id: int) -> HttpResponse:
    season, groups = _groups(request.user, season_id)
    record = get_object_or_404(
        Attendance.objects.filter(group__in=groups, check_out_at__isnull=True).select_related(
            "enrollment__child"
        ),
        pk=record_id,
    )
    form = CallForm(request.POST, people=_people(record))
    if form.is_valid():
        with transaction.atomic():
            attempt = CallAttempt.objects.create(
                enrollment=record.enrollment,
                date=record.date,
                called=form.called(),
                number=form.cleaned_data["number"],
                answered=form.cleaned_data["answered"],
                by=request.user,
            )
            AuditEntry.objects.record(
                user=request.user,
                factory_id=season.factory_id,
                instance=attempt,
                action=AuditEntry.Action.CREATE,
                changes={
                    "called": [None, attempt.called],
                    "answered": [None, attempt.answered],
                    "enrollment": [None, record.enrollment_id],
                },
            )
    return redirect("pickups:still-here", season_id=season.pk)
