"""A season's groups: creating and editing them, and each group's weekly plan
with its printable sheet."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _

from .. import services
from ..forms import (
    GroupForm,
    WeeklyPlanForm,
)
from ..models import (
    ISO_WEEKDAYS,
    ActivitySlot,
    Group,
    Season,
)
from .scope import coordinated, group_for, season_url


@login_required
def group_new(request: HttpRequest, season_id: int) -> HttpResponse:
    season = coordinated(Season, request.user, season_id, "factory")
    return _group_form(request, season, Group(season=season))


@login_required
def group_edit(request: HttpRequest, group_id: int) -> HttpResponse:
    group = coordinated(Group, request.user, group_id, "season__factory")
    return _group_form(request, group.season, group)


def _group_form(request: HttpRequest, season: Season, group: Group) -> HttpResponse:
    form = GroupForm(request.POST or None, season=season, instance=group)
    if request.method == "POST" and form.is_valid():
        services.group_save(group=form.save(commit=False), user=request.user)
        messages.success(request, _("The group is saved."))
        return redirect("spaces:season-detail", season_id=season.pk)
    title = _("Edit the group") if group.pk else _("New group")
    return render(
        request,
        "spaces/form_page.html",
        {"form": form, "title": title, "season": season, "back": season_url(season)},
    )


@login_required
def group_plan(request: HttpRequest, group_id: int) -> HttpResponse:
    """The weekly plan: its teachers and the coordinator edit it, other staff read it."""
    group = group_for(request.user, group_id)
    can_edit = group.roll_call_role(request.user) is not None
    if request.method == "POST" and not can_edit:
        raise PermissionDenied  # no form is shown to them: a forged request
    form = WeeklyPlanForm(request.POST or None, group=group)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The weekly plan is saved."))
        return redirect("spaces:group-plan", group_id=group.pk)
    return render(
        request, "spaces/group_plan.html", {"group": group, "form": form, "can_edit": can_edit}
    )


@login_required
def group_plan_sheet(request: HttpRequest, group_id: int) -> HttpResponse:
    """The weekly plan on paper for parents, once in each of the season's languages."""
    group = group_for(request.user, group_id)
    slots = {(s.weekday, s.block): s for s in group.activity_slots.all()}
    names = dict(ISO_WEEKDAYS)  # lazy: each sheet shows them in its own language
    rows = [
        (names[day], [slots.get((int(day), block)) for block in ActivitySlot.Block.values])
        for day in group.season.opening_weekdays
    ]
    languages = group.season.languages or ["zh-hans"]
    with translation.override(languages[0]):
        return render(
            request,
            "spaces/group_plan_sheet.html",
            {
                "group": group,
                "rows": rows,
                "blocks": ActivitySlot.Block.choices,
                "languages": languages,
            },
        )
