import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from factories import lockouts
from factories.invitations import invitation_path
from factories.models import AuditEntry, Factory, Role, user_roles

from . import services
from .forms import (
    AssignmentForm,
    GroupForm,
    RolloverForm,
    SafetyCheckForm,
    SeasonSetupForms,
    SpaceForm,
    StatusForm,
    TeacherForm,
    WeeklyPlanForm,
)
from .models import (
    ISO_WEEKDAYS,
    ActivitySlot,
    ConductPolicy,
    Group,
    SafetyCheck,
    Season,
    Space,
    Teacher,
    TeacherAssignment,
    TeacherPolicyAcceptance,
    join_list,
)
from .readiness import season_readiness


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
            "can_manage_people": superuser or bool(roles & {Role.HR, Role.COORDINATOR}),
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
    roles = _season_roles(request.user, season)
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
            "can_manage_enrollment": bool(roles & {Role.HR, Role.COORDINATOR}),
            "can_set_up": Role.COORDINATOR in roles,
            "readiness": readiness,
            "next_statuses": [Season.Status(s) for s in season.next_statuses()],
        },
    )


def _season_roles(user, season: Season) -> set[str]:
    """The staff roles `user` holds at the season's factory (all for a superuser)."""
    staff = {Role.HR, Role.COORDINATOR, Role.MANAGER}
    if user.is_superuser:
        return staff
    return user_roles(user).get(season.factory_id, set()) & staff


def _group_for(user, group_id: int) -> Group:
    return get_object_or_404(
        Group.objects.visible_to(user).select_related("season__factory"), pk=group_id
    )


# --- season set-up: coordinators write; HR helps move children --------------------
#
# Writes go through `for_roles(user, Role.COORDINATOR)`, so HR, managers and
# teachers get 404 on a set-up page exactly as a stranger does. HR reads the
# season page, the rooms and the teacher directory, and may move a child
# between groups (placing children is HR's work). Teachers fill in safety
# checks and their groups' weekly plans.


def _coordinated(model, user, pk: int, *related: str):
    """A row of a factory `user` coordinates, or 404."""
    return get_object_or_404(
        model.objects.for_roles(user, Role.COORDINATOR).select_related(*related), pk=pk
    )


@login_required
def season_new(request: HttpRequest, factory_id: int) -> HttpResponse:
    factory = _coordinated(Factory, request.user, factory_id)
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
    season = _coordinated(Season, request.user, season_id, "factory")
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
    source = _coordinated(Season, request.user, season_id, "factory")
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
    season = _coordinated(Season, request.user, season_id)
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
    season = _coordinated(Season, request.user, season_id, "factory")
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
    assignment = _coordinated(TeacherAssignment, request.user, assignment_id, "teacher", "season")
    services.teacher_unassign(assignment=assignment, user=request.user)
    messages.success(request, _("%(name)s is off the roster.") % {"name": assignment.teacher.name})
    return redirect("spaces:season-roster", season_id=assignment.season_id)


# --- groups -----------------------------------------------------------------------


@login_required
def group_new(request: HttpRequest, season_id: int) -> HttpResponse:
    season = _coordinated(Season, request.user, season_id, "factory")
    return _group_form(request, season, Group(season=season))


@login_required
def group_edit(request: HttpRequest, group_id: int) -> HttpResponse:
    group = _coordinated(Group, request.user, group_id, "season__factory")
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
        {"form": form, "title": title, "season": season, "back": _season_url(season)},
    )


def _season_url(season: Season) -> str:
    return reverse("spaces:season-detail", args=[season.pk])


@login_required
def group_plan(request: HttpRequest, group_id: int) -> HttpResponse:
    """The weekly plan: its teachers and the coordinator edit it, other staff read it."""
    group = _group_for(request.user, group_id)
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
    group = _group_for(request.user, group_id)
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


# --- rooms and their safety checks ----------------------------------------------------


@login_required
def space_list(request: HttpRequest, factory_id: int) -> HttpResponse:
    factory = get_object_or_404(Factory.objects.visible_to(request.user), pk=factory_id)
    spaces = (
        Space.objects.visible_to(request.user)
        .filter(factory=factory)
        .prefetch_related(
            Prefetch(
                "safety_checks",
                queryset=SafetyCheck.objects.select_related("checked_by")[:3],
                to_attr="recent_checks",
            )
        )
    )
    can_set_up = Factory.objects.for_roles(request.user, Role.COORDINATOR).filter(pk=factory.pk)
    can_check = Factory.objects.for_roles(request.user, Role.COORDINATOR, Role.TEACHER).filter(
        pk=factory.pk
    )
    return render(
        request,
        "spaces/space_list.html",
        {
            "factory": factory,
            "spaces": spaces,
            "can_set_up": can_set_up.exists(),
            "can_check": can_check.exists(),
        },
    )


@login_required
def space_new(request: HttpRequest, factory_id: int) -> HttpResponse:
    factory = _coordinated(Factory, request.user, factory_id)
    return _space_form(request, factory, Space(factory=factory))


@login_required
def space_edit(request: HttpRequest, space_id: int) -> HttpResponse:
    space = _coordinated(Space, request.user, space_id, "factory")
    return _space_form(request, space.factory, space)


def _space_form(request: HttpRequest, factory: Factory, space: Space) -> HttpResponse:
    form = SpaceForm(request.POST or None, factory=factory, instance=space)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The room is saved."))
        return redirect("spaces:space-list", factory_id=factory.pk)
    return render(
        request,
        "spaces/form_page.html",
        {
            "form": form,
            "title": _("Edit the room") if space.pk else _("New room"),
            "back": reverse("spaces:space-list", args=[factory.pk]),
        },
    )


@login_required
def safety_check_new(request: HttpRequest, space_id: int) -> HttpResponse:
    """A teacher or the coordinator walks the room's checklist. A failed item
    shows on the coordinator's season page (readiness) and the rooms page."""
    space = get_object_or_404(
        Space.objects.for_roles(request.user, Role.COORDINATOR, Role.TEACHER), pk=space_id
    )
    form = SafetyCheckForm(request.POST or None, initial={"checked_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        check = form.save(commit=False)
        check.space, check.checked_by = space, request.user
        check.save()
        if check.passed:
            messages.success(request, _("The safety check is recorded: all passed."))
        else:
            messages.warning(
                request,
                _("The safety check is recorded. Failed: %(items)s. The coordinator sees it.")
                % {"items": join_list(check.failed_items)},
            )
        return redirect("spaces:space-list", factory_id=space.factory_id)
    return render(
        request,
        "spaces/form_page.html",
        {
            "form": form,
            "title": _("Safety check · %(room)s") % {"room": space.name},
            "back": reverse("spaces:space-list", args=[space.factory_id]),
        },
    )


# --- the teacher directory ----------------------------------------------------------


@login_required
def teacher_list(request: HttpRequest, factory_id: int) -> HttpResponse:
    factory = get_object_or_404(
        Factory.objects.for_roles(request.user, Role.HR, Role.COORDINATOR, Role.MANAGER),
        pk=factory_id,
    )
    policy = ConductPolicy.objects.current()
    accepted = TeacherPolicyAcceptance.objects.filter(teacher=OuterRef("pk"), policy=policy)
    teachers = (
        Teacher.objects.visible_to(request.user)
        .filter(factory=factory)
        .select_related("user")
        .annotate(accepted_policy=Exists(accepted))
        .order_by("name")
    )
    can_set_up = Factory.objects.for_roles(request.user, Role.COORDINATOR).filter(pk=factory.pk)
    return render(
        request,
        "spaces/teacher_list.html",
        {
            "factory": factory,
            "teachers": teachers,
            "policy": policy,
            "can_set_up": can_set_up.exists(),
        },
    )


@login_required
def teacher_new(request: HttpRequest, factory_id: int) -> HttpResponse:
    factory = _coordinated(Factory, request.user, factory_id)
    return _teacher_form(request, factory, Teacher(factory=factory))


@login_required
def teacher_edit(request: HttpRequest, teacher_id: int) -> HttpResponse:
    teacher = _coordinated(Teacher, request.user, teacher_id, "factory", "user")
    return _teacher_form(request, teacher.factory, teacher)


def _teacher_form(request: HttpRequest, factory: Factory, teacher: Teacher) -> HttpResponse:
    policy = ConductPolicy.objects.current()
    form = TeacherForm(request.POST or None, factory=factory, policy=policy, instance=teacher)
    if request.method == "POST" and form.is_valid():
        had_login = form.instance.user_id is not None
        teacher = services.teacher_save(
            teacher=form.save(commit=False),
            accepts=form.accepted_policy,
            user=request.user,
            new_login=form.wants_new_login,
        )
        messages.success(request, _("%(name)s is saved.") % {"name": teacher.name})
        if teacher.user_id and not had_login and not teacher.user.has_usable_password():
            messages.info(
                request,
                _(
                    "%(name)s signs in as %(username)s. Give them this link to set a "
                    "password (it works once, for %(days)d days): %(link)s"
                )
                % {
                    "name": teacher.name,
                    "username": teacher.user.username,
                    "days": settings.PASSWORD_RESET_TIMEOUT // 86400,
                    "link": request.build_absolute_uri(invitation_path(teacher.user)),
                },
            )
        return redirect("spaces:teacher-list", factory_id=factory.pk)
    return render(
        request,
        "spaces/teacher_form.html",
        {"form": form, "factory": factory, "teacher": teacher, "policy": policy},
    )
