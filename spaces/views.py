import datetime

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

from enrollment.models import Child, Enrollment
from factories.models import AuditEntry, Factory, Role, user_roles

from . import services
from .forms import (
    AssignmentForm,
    CheckOutForm,
    GroupForm,
    IncidentForm,
    MarkForm,
    MoveForm,
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
    Attendance,
    ConductPolicy,
    Group,
    Incident,
    SafetyCheck,
    Season,
    Space,
    StaffShift,
    Teacher,
    TeacherAssignment,
    TeacherPolicyAcceptance,
    join_list,
)
from .readiness import season_readiness

# A refusal (closed day, out of the teacher's window, bad value) re-renders the
# row with its message; htmx is configured in base.html to swap 422 answers.
REFUSED = 422


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


def _roll_call_state(request: HttpRequest, group: Group, day: datetime.date) -> dict:
    """What the roll-call header shows: counts, teachers on duty, the ratio."""
    summary = group.roll_call_summary(day)
    on_duty = list(
        StaffShift.objects.filter(group=group, date=day, check_out_at__isnull=True)
        .select_related("teacher")
        .order_by("check_in_at")
    )
    children_here = summary["here"] if day == timezone.localdate() else summary["present"]
    limit = group.children_per_teacher  # the strictest ratio rule for the group's ages
    my_teacher = Teacher.objects.filter(user=request.user, factory=group.season.factory_id).first()
    return {
        "group": group,
        "day": day,
        "summary": summary,
        "on_duty": on_duty,
        "children_here": children_here,
        "ratio_limit": limit,
        "ratio_broken": children_here > len(on_duty) * limit,
        "my_teacher": my_teacher,
        "i_am_on_duty": my_teacher is not None
        and any(s.teacher_id == my_teacher.pk for s in on_duty),
    }


def _row_context(request, group, day, enrollment, **extra) -> dict:
    today = timezone.localdate()
    now = timezone.localtime()
    return {
        "group": group,
        "day": day,
        "enrollment": enrollment,
        "record": enrollment.day_record,
        "age": enrollment.child.age_on(day),
        "is_today": day == today,
        "after_closing": day == today and now.time() >= group.season.closes_at,
        "can_edit": True,
        "absence_reasons": Attendance.AbsenceReason.choices,
        **extra,
    }


def _render_row(request, group, day, enrollment, status=200, **extra) -> HttpResponse:
    """One child's row, with the header counts swapped in out of band."""
    context = _row_context(request, group, day, enrollment, **extra)
    context.update(_roll_call_state(request, group, day), oob=True)
    return render(request, "spaces/_roll_call_row.html", context, status=status)


@login_required
def roll_call(request: HttpRequest, group_id: int, day: datetime.date | None = None):
    group = _group_for(request.user, group_id)
    today = timezone.localdate()
    day = day or today
    refusal = group.roll_call_refusal(request.user, day, today=today)
    # Managers read the figures; the list of children is for staff who may see them.
    enrollments = Enrollment.objects.visible_to(request.user).for_roll_call(group, day)
    rows = [_row_context(request, group, day, e, can_edit=refusal is None) for e in enrollments]
    return render(
        request,
        "spaces/roll_call.html",
        {
            **_roll_call_state(request, group, day),
            "rows": rows,
            "absence_reasons": Attendance.AbsenceReason.choices,
            "refusal": refusal,
            "is_today": day == today,
            "previous_day": day - datetime.timedelta(days=1),
            "next_day": day + datetime.timedelta(days=1) if day < today else None,
        },
    )


def _editable_enrollment(request, group_id, day, enrollment_id):
    """The group, and the child's enrollment on its roster that day, or 404."""
    group = _group_for(request.user, group_id)
    enrollment = get_object_or_404(
        Enrollment.objects.visible_to(request.user).for_roll_call(group, day), pk=enrollment_id
    )
    return group, enrollment


def _refresh(group, day, enrollment_id):
    return Enrollment.objects.for_roll_call(group, day).get(pk=enrollment_id)


@login_required
@require_POST
def roll_call_mark(request, group_id: int, day: datetime.date, enrollment_id: int):
    group, enrollment = _editable_enrollment(request, group_id, day, enrollment_id)
    refusal = group.roll_call_refusal(request.user, day, today=timezone.localdate())
    form = MarkForm(request.POST)
    if refusal or not form.is_valid():
        error = refusal or " ".join(e for errors in form.errors.values() for e in errors)
        return _render_row(request, group, day, enrollment, status=REFUSED, error=error)
    if form.needs_reason:
        return _render_row(request, group, day, enrollment, asking_reason=True)
    services.roll_call_mark(
        enrollment=enrollment,
        group=group,
        day=day,
        status=form.cleaned_data["status"],
        absence_reason=form.cleaned_data["absence_reason"],
        user=request.user,
    )
    if not request.htmx:
        return redirect("spaces:roll-call", group_id=group.pk, day=day)
    enrollment = _refresh(group, day, enrollment.pk)
    return _render_row(request, group, day, enrollment, saved=True)


@login_required
def roll_call_check_out(request, group_id: int, day: datetime.date, enrollment_id: int):
    group, enrollment = _editable_enrollment(request, group_id, day, enrollment_id)
    record = enrollment.day_record
    refusal = group.roll_call_refusal(request.user, day, today=timezone.localdate())
    if refusal is None and (record is None or not record.is_here):
        refusal = _("This child has not been checked in, so cannot be checked out.")
    if refusal is None and day != timezone.localdate():
        refusal = _("Children can only be checked out on the day itself.")
    form = CheckOutForm(request.POST or None, child=enrollment.child)
    if refusal:
        return _render_row(request, group, day, enrollment, status=REFUSED, error=refusal)
    if request.method != "POST":
        return _render_row(request, group, day, enrollment, checkout_form=form)
    if not form.is_valid():
        return _render_row(request, group, day, enrollment, status=REFUSED, checkout_form=form)
    services.roll_call_check_out(
        record=record, picked_up_by=form.cleaned_data["picked_up_by"], user=request.user
    )
    if not request.htmx:
        return redirect("spaces:roll-call", group_id=group.pk, day=day)
    return _render_row(request, group, day, _refresh(group, day, enrollment.pk), saved=True)


@login_required
@require_POST
def roll_call_mark_all(request, group_id: int, day: datetime.date):
    group = _group_for(request.user, group_id)
    if group.roll_call_role(request.user) is None:
        raise PermissionDenied  # the button is not shown to them: a forged request
    refusal = group.roll_call_refusal(request.user, day, today=timezone.localdate())
    if refusal:
        messages.error(request, refusal)
    else:
        n = services.roll_call_mark_all_present(group=group, day=day, user=request.user)
        messages.success(request, _("%(n)d children marked present.") % {"n": n})
    return redirect("spaces:roll-call", group_id=group.pk, day=day)


@login_required
@require_POST
def roll_call_duty(request, group_id: int, day: datetime.date):
    """A teacher checks themselves in or out with this group (today only)."""
    group = _group_for(request.user, group_id)
    teacher = Teacher.objects.filter(user=request.user, factory=group.season.factory_id).first()
    if teacher is None:
        raise PermissionDenied  # only teachers have the button
    if day != timezone.localdate() or not group.season.is_opening_day(day):
        messages.error(request, _("Only a teacher of this factory can go on duty, on the day."))
    else:
        services.staff_toggle_duty(teacher=teacher, group=group, day=day)
    return redirect("spaces:roll-call", group_id=group.pk, day=day)


@login_required
def sign_in_sheet(request, group_id: int, day: datetime.date):
    """A printable paper sign-in sheet, in Chinese, for the day the Wi-Fi is down."""
    group = _group_for(request.user, group_id)
    enrollments = Enrollment.objects.visible_to(request.user).for_roll_call(group, day)
    rows = [(e, e.child.age_on(day)) for e in enrollments]
    # A sheet of children's names leaves the system on paper: log it as an export.
    AuditEntry.objects.record(
        user=request.user,
        factory_id=group.season.factory_id,
        instance=group,
        action=AuditEntry.Action.EXPORT,
        changes={"sign_in_sheet": [None, day.isoformat()], "children": [None, len(rows)]},
    )
    with translation.override("zh-hans"):
        return render(
            request, "spaces/sign_in_sheet.html", {"group": group, "day": day, "rows": rows}
        )


@login_required
def incident_new(request, group_id: int):
    group = _group_for(request.user, group_id)
    today = timezone.localdate()
    refusal = None
    if group.roll_call_role(request.user) is None:
        refusal = _("Only this group's teachers and the coordinator can record incidents.")
    children = Child.objects.filter(
        pk__in=Enrollment.objects.for_roll_call(group, today).values("child_id")
    )
    form = IncidentForm(
        request.POST or None,
        children=children,
        season=group.season,
        initial={"occurred_at": timezone.localtime().replace(second=0, microsecond=0)},
    )
    if request.method == "POST" and refusal is None and form.is_valid():
        incident = form.save(commit=False)
        incident.group = group
        incident.recorded_by = request.user
        incident.save()
        form.save_m2m()
        AuditEntry.objects.record(
            user=request.user,
            factory_id=group.season.factory_id,
            instance=incident,
            action=AuditEntry.Action.CREATE,
            changes={"children": [None, [c.pk for c in form.cleaned_data["children"]]]},
        )
        messages.success(request, _("The incident is recorded."))
        return redirect(reverse("spaces:roll-call-today", args=[group.pk]))
    status = REFUSED if refusal else 200
    return render(
        request,
        "spaces/incident_form.html",
        {"group": group, "form": form, "refusal": refusal},
        status=status,
    )


@login_required
def season_incidents(request, season_id: int):
    season = get_object_or_404(
        Season.objects.visible_to(request.user).select_related("factory"), pk=season_id
    )
    incidents = (
        Incident.objects.visible_to(request.user)
        .filter(group__season=season)
        .select_related("group", "recorded_by")
        .prefetch_related("children")
    )
    show_names = Child.objects.visible_to(request.user).filter(factory=season.factory).exists()
    return render(
        request,
        "spaces/season_incidents.html",
        {"season": season, "incidents": incidents, "show_names": show_names},
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
def group_detail(request: HttpRequest, group_id: int) -> HttpResponse:
    """A group at a glance: its room, teachers, plan, and children (for staff who
    may see them, with a move button for HR and the coordinator)."""
    group = _group_for(request.user, group_id)
    children = (
        Enrollment.objects.visible_to(request.user)
        .filter(group=group, status=Enrollment.Status.ENROLLED)
        .select_related("child")
        .order_by("child__name")
    )
    movable = Enrollment.objects.for_roles(request.user, Role.HR, Role.COORDINATOR).filter(
        group=group
    )
    return render(
        request,
        "spaces/group_detail.html",
        {
            "group": group,
            "children": children,
            "can_move": movable.exists(),
            "assignments": group.assignments.select_related("teacher").order_by("teacher__name"),
            "n_enrolled": group.enrollments.filter(status=Enrollment.Status.ENROLLED).count(),
        },
    )


@login_required
def enrollment_move(request: HttpRequest, enrollment_id: int) -> HttpResponse:
    """Move a child to another group of the season (HR or the coordinator)."""
    enrollment = get_object_or_404(
        Enrollment.objects.for_roles(request.user, Role.HR, Role.COORDINATOR).select_related(
            "child", "group", "season__factory"
        ),
        pk=enrollment_id,
        status=Enrollment.Status.ENROLLED,
    )
    form = MoveForm(request.POST or None, enrollment=enrollment)
    if request.method == "POST" and form.is_valid():
        target = form.cleaned_data["group"]
        refusal = services.enrollment_move(enrollment=enrollment, group=target, user=request.user)
        if not refusal:
            messages.success(
                request,
                _("%(child)s moved to %(group)s.")
                % {"child": enrollment.child.name, "group": target.name},
            )
            return redirect("spaces:group-detail", group_id=target.pk)
        form.add_error("group", refusal)
    title = _("Move %(child)s to another group") % {"child": enrollment.child.name}
    back = reverse("spaces:group-detail", args=[enrollment.group_id])
    return render(
        request,
        "spaces/form_page.html",
        {"form": form, "title": title, "season": enrollment.season, "back": back},
    )


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
        services.teacher_save(
            teacher=form.save(commit=False), accepts=form.accepted_policy, user=request.user
        )
        messages.success(request, _("%(name)s is saved.") % {"name": form.instance.name})
        return redirect("spaces:teacher-list", factory_id=factory.pk)
    return render(
        request,
        "spaces/teacher_form.html",
        {"form": form, "factory": factory, "teacher": teacher, "policy": policy},
    )
