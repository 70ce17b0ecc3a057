"""The daily roll call on a phone, check-out, teachers on duty, incidents and the
paper sign-in sheet. Every view fetches its group through the one scope
(`Group.objects.visible_to`), so another factory's group answers 404."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from enrollment.models import Child, Enrollment
from factories.models import AuditEntry
from spaces.models import Group, Season, Teacher

from . import services
from .forms import CheckOutForm, IncidentForm, MarkForm
from .models import (
    Attendance,
    Incident,
    StaffShift,
    roll_call_refusal,
    roll_call_summary,
    with_day_record,
)

# A refusal (closed day, out of the teacher's window, bad value) re-renders the
# row with its message; htmx is configured in base.html to swap 422 answers.
REFUSED = 422


def _group_for(user, group_id: int) -> Group:
    return get_object_or_404(
        Group.objects.visible_to(user).select_related("season__factory"), pk=group_id
    )


def _roster(user, group: Group, day: datetime.date):
    """The group's children on `day` that `user` may see, each with that day's record."""
    return with_day_record(Enrollment.objects.visible_to(user).for_roll_call(group, day), day)


def _roll_call_state(request: HttpRequest, group: Group, day: datetime.date) -> dict:
    """What the roll-call header shows: counts, teachers on duty, the ratio."""
    summary = roll_call_summary(group, day)
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
    return render(request, "attendance/_roll_call_row.html", context, status=status)


@login_required
def roll_call(request: HttpRequest, group_id: int, day: datetime.date | None = None):
    group = _group_for(request.user, group_id)
    today = timezone.localdate()
    day = day or today
    refusal = roll_call_refusal(group, request.user, day, today=today)
    # Managers read the figures; the list of children is for staff who may see them.
    enrollments = _roster(request.user, group, day)
    rows = [_row_context(request, group, day, e, can_edit=refusal is None) for e in enrollments]
    return render(
        request,
        "attendance/roll_call.html",
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
    enrollment = get_object_or_404(_roster(request.user, group, day), pk=enrollment_id)
    return group, enrollment


def _refresh(group, day, enrollment_id):
    return with_day_record(Enrollment.objects.for_roll_call(group, day), day).get(pk=enrollment_id)


@login_required
@require_POST
def roll_call_mark(request, group_id: int, day: datetime.date, enrollment_id: int):
    group, enrollment = _editable_enrollment(request, group_id, day, enrollment_id)
    refusal = roll_call_refusal(group, request.user, day, today=timezone.localdate())
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
        return redirect("attendance:roll-call", group_id=group.pk, day=day)
    enrollment = _refresh(group, day, enrollment.pk)
    return _render_row(request, group, day, enrollment, saved=True)


@login_required
def roll_call_check_out(request, group_id: int, day: datetime.date, enrollment_id: int):
    group, enrollment = _editable_enrollment(request, group_id, day, enrollment_id)
    record = enrollment.day_record
    refusal = roll_call_refusal(group, request.user, day, today=timezone.localdate())
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
        return redirect("attendance:roll-call", group_id=group.pk, day=day)
    return _render_row(request, group, day, _refresh(group, day, enrollment.pk), saved=True)


@login_required
@require_POST
def roll_call_mark_all(request, group_id: int, day: datetime.date):
    group = _group_for(request.user, group_id)
    if group.roll_call_role(request.user) is None:
        raise PermissionDenied  # the button is not shown to them: a forged request
    refusal = roll_call_refusal(group, request.user, day, today=timezone.localdate())
    if refusal:
        messages.error(request, refusal)
    else:
        n = services.roll_call_mark_all_present(group=group, day=day, user=request.user)
        messages.success(request, _("%(n)d children marked present.") % {"n": n})
    return redirect("attendance:roll-call", group_id=group.pk, day=day)


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
    return redirect("attendance:roll-call", group_id=group.pk, day=day)


@login_required
def sign_in_sheet(request, group_id: int, day: datetime.date):
    """A printable paper sign-in sheet, in Chinese, for the day the Wi-Fi is down."""
    group = _group_for(request.user, group_id)
    enrollments = _roster(request.user, group, day)
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
            request, "attendance/sign_in_sheet.html", {"group": group, "day": day, "rows": rows}
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
        return redirect(reverse("attendance:roll-call-today", args=[group.pk]))
    status = REFUSED if refusal else 200
    return render(
        request,
        "attendance/incident_form.html",
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
    # Names and free texts (health, what happened) are for staff who may see the
    # children; a manager reads kind, severity, date and counts only.
    show_names = Child.objects.visible_to(request.user).filter(factory=season.factory).exists()
    if not show_names:
        incidents = incidents.defer("description", "action_taken")
    return render(
        request,
        "attendance/season_incidents.html",
        {"season": season, "incidents": incidents, "show_names": show_names},
    )
