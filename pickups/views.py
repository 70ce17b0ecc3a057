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
from attendance.roll_call import pickup_people, teachers_on_duty
from enrollment.models import Child, Enrollment
from factories.models import AuditEntry, Role
from spaces.models import Group, Season

from . import codes
from .expected import still_here, zone_of
from .forms import BarredForm, CallForm
from .models import BarredPerson, CallAttempt, PickupCode, PickupRules


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
    """(name, phone) of everyone on the child's pickup list that day who has a phone."""
    child_id = record.enrollment.child_id
    listed = pickup_people([child_id], record.date).get(child_id, [])
    return [(person["name"], person["phone"]) for person in listed if person["phone"]]


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


def _child_for(user, child_id: int):
    return get_object_or_404(
        Child.objects.for_roles(user, Role.HR, Role.COORDINATOR).select_related("factory"),
        pk=child_id,
        anonymised_at__isnull=True,
    )


@login_required
def child_safety(request: HttpRequest, child_id: int) -> HttpResponse:
    """HR's page of a child's pickup safety: the season's pickup codes (to hand
    out, renew or revoke) and the people not allowed to take the child."""
    child = _child_for(request.user, child_id)
    enrollment = (
        Enrollment.objects.filter(child=child)
        .exclude(season__status=Season.Status.CLOSED)
        .select_related("season")
        .order_by("-season__start_date")
        .first()
    )
    rows = codes.issue(child=child, season=enrollment.season) if enrollment else []
    form = BarredForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            barred = BarredPerson.objects.create(
                child=child, created_by=request.user, **form.cleaned_data
            )
            _audit(request.user, child, barred, AuditEntry.Action.CREATE, form.cleaned_data)
        return redirect("pickups:child-safety", child_id=child.pk)
    return render(
        request,
        "pickups/child_safety.html",
        {
            "child": child,
            "season": enrollment.season if enrollment else None,
            "codes": [(row, codes.code_of(row)) for row in rows],
            "barred": BarredPerson.objects.filter(child=child),
            "form": form,
            "rules": PickupRules.of(child.factory_id),
        },
        status=200 if request.method == "GET" or form.is_valid() else 422,
    )


@login_required
@require_POST
def renew_code(request: HttpRequest, child_id: int, code_id: int) -> HttpResponse:
    child = _child_for(request.user, child_id)
    row = get_object_or_404(PickupCode, child=child, pk=code_id, revoked_at__isnull=True)
    fresh = codes.renew(row)
    _audit(request.user, child, fresh, AuditEntry.Action.UPDATE, {"renewed": row.name})
    return redirect("pickups:child-safety", child_id=child.pk)


@login_required
@require_POST
def unbar(request: HttpRequest, child_id: int, barred_id: int) -> HttpResponse:
    child = _child_for(request.user, child_id)
    barred = get_object_or_404(BarredPerson, child=child, pk=barred_id)
    with transaction.atomic():
        _audit(request.user, child, barred, AuditEntry.Action.DELETE, {"name": barred.name})
        barred.delete()
    return redirect("pickups:child-safety", child_id=child.pk)


def _audit(user, child, instance, action, changes: dict) -> None:
    AuditEntry.objects.record(
        user=user,
        factory_id=child.factory_id,
        instance=instance,
        action=action,
        changes={field: [None, str(value)] for field, value in changes.items()},
    )
