"""The factory page, the season page, and setting a season up: creating and
editing it, rolling it over to next year, opening and closing it, and its
teacher roster."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from factories import lockouts
from factories.models import AuditEntry, Factory, Role, user_roles
from factories.scoping import CHILDREN_STAFF

from .. import services
from ..forms import (
    AssignmentForm,
    RolloverForm,
    SeasonSetupForms,
    StatusForm,
)
from ..models import (
    Group,
    Season,
    TeacherAssignment,
)
from ..readiness import season_readiness
from .scope import coordinated, season_roles


@login_required
def factory_detail(request: HttpRequest, factory_id: int) -> HttpResponse:
    factory = get_object_or_404(Factory.objects.visible_to(request.user), pk=factory_id)
    seasons = Season.objects.visible_to(request.user).filter(factory=factory).with_counts()
    roles = user_roles(request.user).get(factory.pk, set())
    superuser = request.user.is_superuser
    is_coordinator = superuser or Role.COORDINATOR in roles
    return render(
        request,
        "spaces/factory_detail.html",
        {
            "factory": factory,
            "seasons": seasons,
            "spaces": factory.spaces.all(),
            "my_roles": sorted(roles),
            "can_manage_people": superuser or bool(roles & CHILDREN_STAFF),
            "is_coordinator": is_coordinator,
            "locked_staff": lockouts.locked_out_staff(factory) if is_coordinator else (),
        },
    )


@login_required
def season_detail(request: HttpRequest, season_id: int) -> HttpResponse:
    season = get_object_or_404(
        Season.objects.visible_to(request.user)
        .with_counts()
        .select_related("factory", "rolled_over_from")
        .prefetch_related("ratio_rules"),
        pk=season_id,
    )
    today = timezone.localdate()
    groups = (
        Group.objects.visible_to(request.user)
        .filter(season=season)
        .with_roll_call_status(today)
        .select_related("space", "lead_teacher")
    )
    roster = (
        TeacherAssignment.objects.visible_to(request.user)
        .filter(season=season)
        .select_related("teacher", "group")
        .order_by("teacher__name")
    )
    roles = season_roles(request.user, season)
    # The checklist names teachers' missing checks: for the factory's staff, not teachers.
    readiness = season_readiness(season, today=today) if roles else None
    return render(
        request,
        "spaces/season_detail.html",
        {
            "season": season,
            "groups": groups,
            "roster": roster,
            "today": today,
            "opening_days": season.opening_days(),
            "can_manage_enrollment": bool(roles & CHILDREN_STAFF),
            "can_set_up": Role.COORDINATOR in roles,
            "readiness": readiness,
            "next_statuses": [Season.Status(s) for s in season.next_statuses()],
        },
    )


@login_required
def season_new(request: HttpRequest, factory_id: int) -> HttpResponse:
    factory = coordinated(Factory, request.user, factory_id)
    forms = SeasonSetupForms(request.POST or None, factory=factory)
    if request.method == "POST" and forms.is_valid():
        season = forms.save()
        AuditEntry.objects.record(
            user=request.user,
            factory_id=factory.pk,
            instance=season,
            action=AuditEntry.Action.CREATE,
            changes={"status": [None, season.status]},
        )
        messages.success(request, _("The season is created, in planning."))
        return redirect("spaces:season-detail", season_id=season.pk)
    return render(request, "spaces/season_form.html", {"factory": factory, "forms": forms})


@login_required
def season_edit(request: HttpRequest, season_id: int) -> HttpResponse:
    season = coordinated(Season, request.user, season_id, "factory")
    if season.status == Season.Status.CLOSED:
        messages.error(request, _("A closed season cannot be changed."))
        return redirect("spaces:season-detail", season_id=season.pk)
    forms = SeasonSetupForms(request.POST or None, factory=season.factory, instance=season)
    if request.method == "POST" and forms.is_valid():
        changed = forms.season.changed_data
        forms.save()
        AuditEntry.objects.record(
            user=request.user,
            factory_id=season.factory_id,
            instance=season,
            action=AuditEntry.Action.UPDATE,
            changes={
                name: [str(forms.season.initial.get(name)), str(forms.season.cleaned_data[name])]
                for name in changed
            },
        )
        messages.success(request, _("The season is saved."))
        return redirect("spaces:season-detail", season_id=season.pk)
    return render(
        request,
        "spaces/season_form.html",
        {"factory": season.factory, "season": season, "forms": forms},
    )


@login_required
def season_rollover(request: HttpRequest, season_id: int) -> HttpResponse:
    """Next year's season, copied from this one (see services.season_rollover)."""
    source = coordinated(Season, request.user, season_id, "factory")
    form = RolloverForm(request.POST or None, source=source, initial=_rollover_initial(source))
    if request.method == "POST" and form.is_valid():
        season = services.season_rollover(source=source, user=request.user, **form.cleaned_data)
        messages.success(
            request, _("%(name)s is created from %(source)s.") % {"name": season, "source": source}
        )
        return redirect("spaces:season-detail", season_id=season.pk)
    return render(request, "spaces/season_rollover.html", {"source": source, "form": form})


def _a_year_later(day: datetime.date | None) -> datetime.date | None:
    if day is None:
        return None
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def _rollover_initial(source: Season) -> dict:
    year = str(source.start_date.year)
    name = source.name.replace(year, str(source.start_date.year + 1))
    return {
        "name": name if name != source.name else "",
        "start_date": _a_year_later(source.start_date),
        "end_date": _a_year_later(source.end_date),
        "enrollment_deadline": _a_year_later(source.enrollment_deadline),
    }


@login_required
@require_POST
def season_status(request: HttpRequest, season_id: int) -> HttpResponse:
    season = coordinated(Season, request.user, season_id)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("That is not a season status."))
    else:
        status = form.cleaned_data["status"]
        refusal = services.season_set_status(season=season, status=status, user=request.user)
        if refusal:
            messages.error(request, refusal)
        else:
            messages.success(
                request,
                _("The season is now: %(status)s.") % {"status": Season.Status(status).label},
            )
    return redirect("spaces:season-detail", season_id=season.pk)


@login_required
def season_roster(request: HttpRequest, season_id: int) -> HttpResponse:
    """Who works in the season, with which group and on which days."""
    season = coordinated(Season, request.user, season_id, "factory")
    form = AssignmentForm(request.POST or None, season=season)
    if request.method == "POST" and form.is_valid():
        services.teacher_assign(season=season, user=request.user, **form.cleaned_data)
        messages.success(request, _("The teacher is on the roster."))
        return redirect("spaces:season-roster", season_id=season.pk)
    assignments = season.assignments.select_related("teacher", "group").order_by(
        "group__min_age", "teacher__name"
    )
    return render(
        request,
        "spaces/season_roster.html",
        {"season": season, "form": form, "assignments": assignments},
    )


@login_required
@require_POST
def assignment_remove(request: HttpRequest, assignment_id: int) -> HttpResponse:
    assignment = coordinated(TeacherAssignment, request.user, assignment_id, "teacher", "season")
    services.teacher_unassign(assignment=assignment, user=request.user)
    messages.success(request, _("%(name)s is off the roster.") % {"name": assignment.teacher.name})
    return redirect("spaces:season-roster", season_id=assignment.season_id)
