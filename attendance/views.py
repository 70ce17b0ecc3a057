"""The daily roll call on a phone, check-out, teachers on duty, incidents and the
paper sign-in sheet. Every view fetches its group through the one scope
(`Group.objects.visible_to`, or `roll_call_group`, which asks the same of the
one group with the user's role), so another factory's group answers 404."""

import dataclasses
import datetime
import functools
import json

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
from spaces.models import Group, Season, Teacher

from . import services
from .forms import CheckOutForm, IncidentForm, MarkForm
from .models import ATTENDED, Attendance, Incident
from .roll_call import (
    GroupAccess,
    RosterRow,
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


def _roll_call_state(access: GroupAccess, day: datetime.date, counts=None, roster=None) -> dict:
    """What the roll-call header shows: the daily counts, teachers on duty, the ratio.
    `counts`: the daily counts a tap just wrote; `roster`: the group's whole
    roster of the day, if the page has read it."""
    group = access.group
    summary = day_summary(access, day, counts, roster)
    on_duty = teachers_on_duty(group, day)
    children_here = summary.here if day == timezone.localdate() else summary.present
    return {
        "group": group,
        "access": access,
        "day": day,
        "summary": summary,
        "on_duty": on_duty,
        "children_here": children_here,
        # The strictest ratio rule for the group's ages.
        "ratio_limit": group.children_per_teacher,
        "ratio_broken": group.too_few_teachers(children=children_here, teachers=len(on_duty)),
        "my_teacher": access.my_teacher_id,
        "i_am_on_duty": any(s.teacher_id == access.my_teacher_id for s in on_duty),
    }


def _row_html(request, access: GroupAccess, day, row: RosterRow, counts=None, **extra) -> str:
    """One child's row answered alone (a tap), with the header swapped in out of
    band; `extra`: the row's rarer parts (an error, a conflict, the check-out form)."""
    words = RowWords(access.group, day)
    context = words.context(
        group=access.group,
        day=day,
        enrollment=row.enrollment,
        record=row.record,
        row=words.row(row),
        can_edit=True,
        **extra,
    )
    context.update(_roll_call_state(access, day, counts), oob=True)
    return render_row(request, context)


@login_required
def roll_call(request: HttpRequest, group_id: int, day: datetime.date | None = None):
    # Queries: session, user, the group (scope, role, closed day, my teacher row
    # and the day's counts in one), its ratio rules, the nav's memberships, the
    # roster with each record, the pickup lists, the teachers on duty.
    today = timezone.localdate()
    day = day or today
    access = roll_call_group(request.user, group_id, day)
    if access is None:
        raise Http404
    refusal = roll_call_refusal(access, day, today=today)
    # Managers read the figures; the list of children is for staff who may see them.
    roster = roll_call_roster(access, day)
    # By the roster's child ids: cheaper to build than the scoped roster as a subquery.
    people = pickup_people([r.enrollment.child_id for r in roster]) if roster else {}
    words = RowWords(access.group, day)
    # Who sees the children sees every child of the group (HR, coordinators, its
    # teachers): the header is counted from their roster, without a query.
    whole_roster = roster if access.sees_children else None
    return render(
        request,
        "attendance/roll_call.html",
        {
            **_roll_call_state(access, day, roster=whole_roster),
            "rows_html": render_rows(request, words, roster, can_edit=refusal is None),
            # Kept on the phone with the page: check-out offline still needs the list.
            # A data attribute, not a <script> block: the page has no inline script.
            "pickups": json.dumps(
                {str(r.enrollment.pk): people.get(r.enrollment.child_id, []) for r in roster}
            ),
            "attended": json.dumps(ATTENDED),
            "absence_reasons": Attendance.AbsenceReason.choices,
            "refusal": refusal,
            "is_today": words.is_today,
            # None on the calendar's first day (0001-01-01, typed in the URL): no day before.
            "previous_day": day - datetime.timedelta(days=1) if day > datetime.date.min else None,
            "next_day": day + datetime.timedelta(days=1) if day < today else None,
        },
    )


def _tap_target(user, group_id: int, day, enrollment_id: int, *, lock: bool, pickup=None):
    """The group (with the user's access; locked for a tap) and the child's row
    on its roster that day, each fetched once; (None, None) when either is
    outside the user's scope (the caller answers 404 once out of its
    transaction). `pickup`: whether that person is on the child's list, in the
    roster's query."""
    access = roll_call_group(user, group_id, day, lock=lock)
    found = access and roll_call_roster(access, day, enrollment_id=enrollment_id, pickup=pickup)
    return (access, found[0]) if found else (None, None)


# A tap: the form reads it into a typed tap (`Mark`, `CheckOut`); in one
# transaction the group is fetched with its row lock, the child's record read
# under it and the tap applied (`services.roll_call_tap`, which says what became
# of it); after the commit, with the lock released, the answer is rendered, so a
# colleague's tap on the same group waits for no template or header query.


@login_required
@post_or_back_to_roll_call
def roll_call_mark(request, group_id: int, day: datetime.date, enrollment_id: int):
    tap = MarkForm(request.POST).tap()
    with transaction.atomic(savepoint=False):
        access, row = _tap_target(request.user, group_id, day, enrollment_id, lock=True)
        result = row and services.roll_call_tap(
            access=access, row=row, day=day, user=request.user, tap=tap
        )
    if result is None:
        raise Http404  # raised out of the transaction, which it would mark as broken
    return _tap_answer(request, access, day, row, result)


@login_required
def roll_call_check_out(request, group_id: int, day: datetime.date, enrollment_id: int):
    if request.method != "POST":
        # The check-out form, with the child's pickup list.
        access, row = _tap_target(request.user, group_id, day, enrollment_id, lock=False)
        if row is None:
            raise Http404
        refusal = roll_call_refusal(access, day, today=timezone.localdate())
        refusal = refusal or services.check_out_refusal(row.record)
        if refusal:
            return HttpResponse(_row_html(request, access, day, row, error=refusal), status=REFUSED)
        form = CheckOutForm(people=_pickup_list(row))
        return HttpResponse(_row_html(request, access, day, row, checkout_form=form))
    picked_up_by = request.POST.get("picked_up_by", "")
    with transaction.atomic(savepoint=False):
        access, row = _tap_target(
            request.user, group_id, day, enrollment_id, lock=True, pickup=picked_up_by
        )
        result = tap = None
        if row is not None:
            # The common case, checked in the roster's query: no list to fetch.
            people = [{"name": picked_up_by}] if row.pickup_listed else _pickup_list(row)
            tap = CheckOutForm(request.POST, people=people, day=day).tap()
            result = services.roll_call_tap(
                access=access, row=row, day=day, user=request.user, tap=tap
            )
    if result is None:
        raise Http404
    if isinstance(tap, services.BadTap) and result.reason == tap.reason:
        # The form again, with the child's whole list to choose from.
        form = CheckOutForm(request.POST, people=_pickup_list(row), day=day)
        html = _row_html(request, access, day, row, checkout_form=form, error=tap.reason or None)
        return HttpResponse(html, status=REFUSED)
    return _tap_answer(request, access, day, row, result)


def _pickup_list(row: RosterRow) -> list[dict]:
    child_id = row.enrollment.child_id
    return pickup_people([child_id]).get(child_id, [])


def _tap_answer(request, access: GroupAccess, day, row: RosterRow, result) -> HttpResponse:
    """The answer to one tap, rendered after its commit: the child's row as it is
    now (with the refusal, the conflict to settle, or the question), the header
    out of band; a plain form post goes back to the roll call."""
    Outcome = services.Outcome
    if not request.htmx and result.outcome in (Outcome.SAVED, Outcome.APPLIED, Outcome.CONFLICT):
        return redirect("attendance:roll-call", group_id=access.group.pk, day=day)
    row = dataclasses.replace(row, record=result.record)
    if result.outcome == Outcome.REFUSED:
        return HttpResponse(
            _row_html(request, access, day, row, error=result.reason), status=REFUSED
        )
    if result.outcome == Outcome.ASK_REASON:
        return HttpResponse(_row_html(request, access, day, row, asking_reason=True))
    if result.outcome == Outcome.CONFLICT:
        tap = result.tap
        html = _row_html(
            request,
            access,
            day,
            row,
            conflict=tap,
            conflict_url=_tap_url(access, day, row, tap),
            conflict_mine=tap.label(),
            conflict_tapped_ms=int(tap.tapped_at.timestamp() * 1000) if tap.tapped_at else None,
        )
        return HttpResponse(html, status=CONFLICT)
    return HttpResponse(_row_html(request, access, day, row, counts=result.counts, saved=True))


def _tap_url(access: GroupAccess, day, row: RosterRow, tap) -> str:
    name = "roll-call-check-out" if tap.kind == services.CheckOut.kind else "roll-call-mark"
    return reverse(f"attendance:{name}", args=[access.group.pk, day, row.enrollment.pk])


@login_required
@post_or_back_to_roll_call
def roll_call_mark_all(request, group_id: int, day: datetime.date):
    access = roll_call_group(request.user, group_id, day)
    if access is None:
        raise Http404
    if access.role is None:
        raise PermissionDenied  # the button is not shown to them: a forged request
    group = access.group
    refusal = roll_call_refusal(access, day, today=timezone.localdate())
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
    else:
        services.staff_toggle_duty(teacher=teacher, group=group, day=day)
    return redirect("attendance:roll-call", group_id=group.pk, day=day)


@login_required
def sign_in_sheet(request, group_id: int, day: datetime.date):
    """A printable paper sign-in sheet, in Chinese, for the day the Wi-Fi is down."""
    access = roll_call_group(request.user, group_id, day)
    if access is None:
        raise Http404
    group = access.group
    rows = [(r.enrollment, r.enrollment.child.age_on(day)) for r in roll_call_roster(access, day)]
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
    access = roll_call_group(request.user, group_id, today)
    if access is None:
        raise Http404
    group = access.group
    refusal = None
    if access.role is None:
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
