"""The daily roll call on a phone, check-out, teachers on duty, incidents and the
paper sign-in sheet. Every view fetches its group through the one scope
(`Group.objects.visible_to`, or `roll_call_group`, which asks the same of the
one group with the user's role), so another factory's group answers 404."""

import datetime
import functools
import json
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from enrollment.models import Child, Enrollment
from factories.models import AuditEntry
from spaces import vetting
from spaces.models import Group, Season, Teacher, join_list

from . import services
from .forms import CheckOutForm, IncidentForm, MarkForm
from .models import Attendance, Incident, RollCallOp
from .roll_call import (
    day_summary,
    pickup_people,
    roll_call_group,
    roll_call_refusal,
    roll_call_roster,
    teachers_on_duty,
)
from .rows import RowWords, render_row, render_rows

# A refusal (closed day, out of the teacher's window, bad value) re-renders the
# row with its message; htmx is configured in base.html to swap 422 answers.
REFUSED = 422
# A colleague changed the record since the phone saw it: both values are shown.
CONFLICT = 409


def post_or_back_to_roll_call(view):
    """A roll-call action that only posts, opened with GET, goes back to the roll
    call of its day rather than to an empty 405 page: when a session has ended,
    a button's post goes to the login page, which then sends the user back to
    the action's URL."""

    @functools.wraps(view)
    def post_only(request: HttpRequest, **kwargs) -> HttpResponse:
        if request.method != "POST":
            return redirect("attendance:roll-call", group_id=kwargs["group_id"], day=kwargs["day"])
        return view(request, **kwargs)

    return post_only


def _group_for(user, group_id: int) -> Group:
    return get_object_or_404(
        Group.objects.visible_to(user).select_related("season__factory"), pk=group_id
    )


def _roll_call_state(group: Group, day: datetime.date, counts=None, roster=None) -> dict:
    """What the roll-call header shows: the daily counts, teachers on duty, the ratio.
    `group` comes from `roll_call_group` (role, teacher row and counts on it);
    `roster`: the group's whole roster of the day, if the page has read it."""
    summary = day_summary(group, day, counts, roster)
    on_duty = teachers_on_duty(group, day)
    children_here = summary["here"] if day == timezone.localdate() else summary["present"]
    limit = group.children_per_teacher  # the strictest ratio rule for the group's ages
    return {
        "group": group,
        "day": day,
        "summary": summary,
        "on_duty": on_duty,
        "children_here": children_here,
        "ratio_limit": limit,
        "ratio_broken": children_here > len(on_duty) * limit,
        "my_teacher": group.my_teacher_id,
        "i_am_on_duty": any(s.teacher_id == group.my_teacher_id for s in on_duty),
    }


def _row_context(request, group, day, enrollment, **extra) -> dict:
    """The context of one row answered alone (a tap): the row, and the models
    its rarer parts (a conflict, the check-out form) read."""
    words = RowWords(group, day)
    return words.context(
        group=group,
        day=day,
        enrollment=enrollment,
        record=enrollment.day_record,
        row=words.row(enrollment),
        can_edit=True,
        **extra,
    )


def _render_row(request, group, day, enrollment, status=200, counts=None, **extra):
    """One child's row, with the header counts swapped in out of band: the answer
    to a tap, rendered when called, once the tap's transaction has released the
    group's lock (see `_answer_after_commit`)."""

    def answer() -> HttpResponse:
        context = _row_context(request, group, day, enrollment, **extra)
        context.update(_roll_call_state(group, day, counts), oob=True)
        return HttpResponse(render_row(request, context), status=status)

    return answer


def _answer_after_commit(tap, request, group_id, day, enrollment_id, *, lock, **fetch):
    """Run `tap(request, group, day, enrollment)` in one transaction with the
    group locked (no savepoint: the lock is taken by the fetch itself, so the
    record read next is the one the change applies to), then render its answer
    after the commit: the lock is held for the change alone, and a colleague's
    tap on the same group waits for no template or header query. 404 if the
    group or the child is out of scope."""
    with transaction.atomic(savepoint=False):
        group, enrollment = _tap_target(request, group_id, day, enrollment_id, lock=lock, **fetch)
        answer = None if enrollment is None else tap(request, group, day, enrollment)
    if answer is None:
        raise Http404
    return answer()


@login_required
def roll_call(request: HttpRequest, group_id: int, day: datetime.date | None = None):
    # Queries: session, user, the group (scope, role, closed day, my teacher row
    # and the day's counts in one), its ratio rules, the nav's memberships, the
    # roster with each record, the pickup lists, the teachers on duty.
    today = timezone.localdate()
    day = day or today
    group = roll_call_group(request.user, group_id, day)
    if group is None:
        raise Http404
    refusal = roll_call_refusal(group, day, today=today)
    # Managers read the figures; the list of children is for staff who may see them.
    enrollments = roll_call_roster(group, day)
    # By the roster's child ids: cheaper to build than the scoped roster as a subquery.
    people = pickup_people([e.child_id for e in enrollments]) if enrollments else {}
    words = RowWords(group, day)
    # Who sees the children sees every child of the group (HR, coordinators, its
    # teachers): the header is counted from their roster, without a query.
    whole_roster = enrollments if group.sees_children else None
    return render(
        request,
        "attendance/roll_call.html",
        {
            **_roll_call_state(group, day, roster=whole_roster),
            "rows_html": render_rows(request, words, enrollments, can_edit=refusal is None),
            # Kept on the phone with the page: check-out offline still needs the list.
            # A data attribute, not a <script> block: the page has no inline script.
            "pickups": json.dumps({str(e.pk): people.get(e.child_id, []) for e in enrollments}),
            "absence_reasons": Attendance.AbsenceReason.choices,
            "refusal": refusal,
            "is_today": words.is_today,
            # None on the calendar's first day (0001-01-01, typed in the URL): no day before.
            "previous_day": day - datetime.timedelta(days=1) if day > datetime.date.min else None,
            "next_day": day + datetime.timedelta(days=1) if day < today else None,
        },
    )


def _tap_target(request, group_id, day, enrollment_id, *, lock, pickup=None):
    """The group (locked for a tap) and the child on its roster that day, each
    fetched once; None when either is outside the user's scope."""
    group = roll_call_group(request.user, group_id, day, lock=lock)
    if group is None:
        return None, None
    # With the check-out's person: whether they are on the child's list, in the same query.
    found = roll_call_roster(group, day, enrollment_id=enrollment_id, pickup=pickup)
    return group, (found[0] if found else None)


@login_required
@post_or_back_to_roll_call
def roll_call_mark(request, group_id: int, day: datetime.date, enrollment_id: int):
    form = MarkForm(request.POST)
    tap = functools.partial(_mark, form=form)
    return _answer_after_commit(tap, request, group_id, day, enrollment_id, lock=True)


def _mark(request, group, day, enrollment, *, form):
    refusal = roll_call_refusal(group, day, today=timezone.localdate())
    if refusal or not form.is_valid():
        error = refusal or " ".join(e for errors in form.errors.values() for e in errors)
        return _render_row(request, group, day, enrollment, status=REFUSED, error=error)
    if form.needs_reason:
        return _render_row(request, group, day, enrollment, asking_reason=True)
    wanted = {
        "status": form.cleaned_data["status"],
        "absence_reason": form.cleaned_data["absence_reason"],
    }
    outcome = services.roll_call_tap(
        enrollment=enrollment, group=group, day=day, user=request.user, wanted=wanted, **form.tap
    )
    return _tap_answer(request, group, day, enrollment, outcome)


def _tap_answer(request, group, day, enrollment, outcome):
    if not request.htmx:
        return functools.partial(redirect, "attendance:roll-call", group_id=group.pk, day=day)
    if outcome.conflict:
        mine = outcome.mine
        if "picked_up_by" in mine:
            label = _("Checked out by %(name)s") % {"name": mine["picked_up_by"]}
        else:
            label = str(Attendance.Status(mine["status"]).label)
            if mine.get("absence_reason"):
                label += " · " + str(Attendance.AbsenceReason(mine["absence_reason"]).label)
        tapped_ms = int(outcome.tapped_at.timestamp() * 1000) if outcome.tapped_at else None
        return _render_row(
            request,
            group,
            day,
            enrollment,
            status=CONFLICT,
            conflict=outcome,
            conflict_mine=label,
            conflict_tapped_ms=tapped_ms,
        )
    if outcome.record is not None:
        enrollment.day_records = [outcome.record]
    return _render_row(
        request, group, day, enrollment, counts=outcome.counts, saved=True, kept=outcome.kept
    )


@login_required
def roll_call_check_out(request, group_id: int, day: datetime.date, enrollment_id: int):
    form_data = request.POST if request.method == "POST" else None
    return _answer_after_commit(
        functools.partial(_check_out, form_data=form_data),
        request,
        group_id,
        day,
        enrollment_id,
        lock=form_data is not None,
        pickup=(form_data or {}).get("picked_up_by", None),
    )


def _known_op(form_data) -> bool:
    try:
        op_id = uuid.UUID(form_data.get("op_id", ""))
    except ValueError:
        return False
    return RollCallOp.objects.filter(op_id=op_id).exists()


def _seen(form_data) -> bool:
    return bool(form_data and form_data.get("seen"))


def _check_out(request, group, day, enrollment, *, form_data):
    record = enrollment.day_record
    today = timezone.localdate()
    refusal = roll_call_refusal(group, day, today=today)
    if refusal is None and form_data and record and record.check_out_at and _known_op(form_data):
        # A check-out sent again after it was applied (its answer was lost).
        return _render_row(request, group, day, enrollment, saved=True, kept=True)
    if refusal is None and record is not None and record.check_out_at and not _seen(form_data):
        # A phone's tap carries the version it saw: a colleague's check-out since
        # is a conflict to settle (below); anything else may not redo a check-out.
        refusal = _("This child was already checked out at %(time)s by %(name)s.") % {
            "time": timezone.localtime(record.check_out_at).strftime("%H:%M"),
            "name": record.picked_up_by,
        }
    elif refusal is None and (record is None or record.check_in_at is None):
        refusal = _("This child has not been checked in, so cannot be checked out.")
    if refusal:
        return _render_row(request, group, day, enrollment, status=REFUSED, error=refusal)
    if getattr(enrollment, "pickup_listed", False):
        # The common case, checked in the roster's query: no list to fetch.
        people = [{"name": form_data["picked_up_by"], "relationship": "", "phone": ""}]
    else:
        people = pickup_people([enrollment.child_id]).get(enrollment.child_id, [])
    form = CheckOutForm(form_data, people=people)
    if form_data is None:
        return _render_row(request, group, day, enrollment, checkout_form=form)
    tapped_at = form.cleaned_data.get("tapped_at") if form.is_valid() else None
    on_the_day = day == today or (tapped_at and timezone.localdate(tapped_at) == day)
    if form.is_valid() and not on_the_day:
        form.add_error(None, _("Children can only be checked out on the day itself."))
    if not form.is_valid():
        error = " ".join(form.non_field_errors()) or None
        if getattr(enrollment, "pickup_listed", False):
            # The form is shown again with the child's whole list to choose from.
            people = pickup_people([enrollment.child_id]).get(enrollment.child_id, [])
            form = CheckOutForm(form_data, people=people)
        return _render_row(
            request, group, day, enrollment, status=REFUSED, checkout_form=form, error=error
        )
    outcome = services.roll_call_tap(
        enrollment=enrollment,
        group=group,
        day=day,
        user=request.user,
        wanted={"picked_up_by": form.cleaned_data["picked_up_by"]},
        **form.tap,
    )
    return _tap_answer(request, group, day, enrollment, outcome)


@login_required
@post_or_back_to_roll_call
def roll_call_mark_all(request, group_id: int, day: datetime.date):
    group = roll_call_group(request.user, group_id, day)
    if group is None:
        raise Http404
    if group.rc_role is None:
        raise PermissionDenied  # the button is not shown to them: a forged request
    refusal = roll_call_refusal(group, day, today=timezone.localdate())
    if refusal:
        messages.error(request, refusal)
    else:
        n = services.roll_call_mark_all_present(group=group, day=day, user=request.user)
        messages.success(request, _("%(n)d children marked present.") % {"n": n})
    return redirect("attendance:roll-call", group_id=group.pk, day=day)


@login_required
@post_or_back_to_roll_call
def roll_call_duty(request, group_id: int, day: datetime.date):
    """A teacher checks themselves in or out with this group (today only)."""
    group = _group_for(request.user, group_id)
    teacher = Teacher.objects.filter(user=request.user, factory=group.season.factory_id).first()
    if teacher is None:
        raise PermissionDenied  # only teachers have the button
    if day != timezone.localdate() or not group.season.is_opening_day(day):
        messages.error(request, _("Only a teacher of this factory can go on duty, on the day."))
    elif (missing := vetting.missing(teacher.pk, day)) and not teacher.shifts.filter(
        date=day, group=group, check_out_at__isnull=True
    ).exists():  # going off duty is never refused
        messages.error(
            request,
            _("You cannot go on duty yet: missing %(missing)s.") % {"missing": join_list(missing)},
        )
    else:
        services.staff_toggle_duty(teacher=teacher, group=group, day=day)
    return redirect("attendance:roll-call", group_id=group.pk, day=day)


@login_required
def sign_in_sheet(request, group_id: int, day: datetime.date):
    """A printable paper sign-in sheet, in Chinese, for the day the Wi-Fi is down."""
    group = roll_call_group(request.user, group_id, day)
    if group is None:
        raise Http404
    rows = [(e, e.child.age_on(day)) for e in roll_call_roster(group, day)]
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
    today = timezone.localdate()
    group = roll_call_group(request.user, group_id, today)
    if group is None:
        raise Http404
    refusal = None
    if group.rc_role is None:
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


def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker script (static/js/sw.js), served from the root: a
    worker only controls pages under its own path. Public: it holds no data."""
    path = finders.find("js/sw.js")
    with open(path, encoding="utf-8") as script:
        response = HttpResponse(script.read(), content_type="text/javascript; charset=utf-8")
    # Browsers check for a new worker on each visit; never keep an old one.
    response["Cache-Control"] = "no-cache"
    return response


def clear_phone_on_logout(view):
    """Wrap the logout view: the answer tells the browser to delete what this
    site kept on the phone (the roll calls in the cache, queued taps in
    IndexedDB, the service worker), so children's data does not stay on a
    shared phone."""

    def logout(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if request.method == "POST":
            response["Clear-Site-Data"] = '"cache", "storage"'
        return response

    return logout
