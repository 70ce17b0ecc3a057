"""The daily roll call on a phone, check-out, teachers on duty, incidents and the
paper sign-in sheet. Every view fetches its group through the one scope
(`Group.objects.visible_to`, or `roll_call_group`, which asks the same of the
one group with the user's role), so another factory's group answers 404."""

import dataclasses
import datetime
import functools
import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ccrcsr.throttle import user_throttled
from enrollment.models import Child, Enrollment
from factories.models import AuditEntry
from spaces import vetting
from spaces.models import Teacher, join_list
from spaces.scope import group_for, season_for

from . import services
from .forms import CheckOutForm, IncidentForm, MarkForm
from .models import ATTENDED, NO_RECORD, Attendance, Incident
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
from .rows import RowWords, render_header, render_row, render_rows
from .signals import incident_recorded

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


TOO_MANY = 429


def _too_many_taps(user, *, taps: int = 0) -> bool:
    """Whether `user` is over their tap limits: a single tap counts against the
    taps of the minute and of the hour; a batch (`taps` queued taps) against
    the batches of the minute and the taps of the hour, so a phone's queue of a
    whole day offline still goes in one request."""
    if taps:
        limits = [("batches-minute", settings.ROLL_CALL_BATCHES_PER_MINUTE, 60, 1)]
    else:
        limits = [("taps-minute", settings.ROLL_CALL_TAPS_PER_MINUTE, 60, 1)]
    limits.append(("taps-hour", settings.ROLL_CALL_TAPS_PER_HOUR, 3600, max(taps, 1)))
    return any(
        user_throttled(user, scope, limit=limit, seconds=seconds, cost=cost)
        for scope, limit, seconds, cost in limits
    )


def _too_many_message() -> str:
    return _(
        "Too many taps in a short time: wait a minute. Taps waiting on this "
        "phone are sent again by themselves."
    )


def tap_rate_limited(view):
    """A user's taps beyond ROLL_CALL_TAPS_PER_MINUTE (or _PER_HOUR) are refused
    with 429 and a message, before any lock or write: a real teacher never
    gets there, and roll_call.js keeps a refused tap and sends it again later.
    Counted per user, whatever the address; the answer names no group or child."""

    @functools.wraps(view)
    def limited(request: HttpRequest, **kwargs) -> HttpResponse:
        if request.method == "POST" and _too_many_taps(request.user):
            response = HttpResponse(
                format_html(
                    '<div class="alert alert-warning small" role="alert">{}</div>',
                    _too_many_message(),
                ),
                status=TOO_MANY,
            )
            response["Retry-After"] = "60"
            return response
        return view(request, **kwargs)

    return limited


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


def _row_context(request, access: GroupAccess, day, row: RosterRow, words=None, **extra) -> dict:
    """The context of one child's row answered alone; `extra`: the row's rarer
    parts (an error, a conflict, the question, the check-out form)."""
    words = words or RowWords(access.group, day)
    return words.context(
        group=access.group,
        day=day,
        enrollment=row.enrollment,
        record=row.record,
        row=words.row(row),
        can_edit=True,
        **extra,
    )


def _row_html(request, access: GroupAccess, day, row: RosterRow, counts=None, **extra) -> str:
    """One child's row answered alone (a tap), with the header swapped in out of band."""
    context = _row_context(request, access, day, row, **extra)
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
    people = pickup_people([r.enrollment.child_id for r in roster], day) if roster else {}
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
@tap_rate_limited
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
@tap_rate_limited
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
        form = CheckOutForm(people=_pickup_list(row, day))
        return HttpResponse(_row_html(request, access, day, row, checkout_form=form))
    picked_up_by = request.POST.get("picked_up_by", "")
    with transaction.atomic(savepoint=False):
        access, row = _tap_target(
            request.user, group_id, day, enrollment_id, lock=True, pickup=picked_up_by
        )
        result = tap = None
        if row is not None:
            # The common case, checked in the roster's query: no list to fetch.
            people = [{"name": picked_up_by}] if row.pickup_listed else _pickup_list(row, day)
            tap = CheckOutForm(request.POST, people=people, day=day).tap()
            result = services.roll_call_tap(
                access=access, row=row, day=day, user=request.user, tap=tap
            )
    if result is None:
        raise Http404
    form_refused = isinstance(tap, services.BadTap) and result.reason == tap.reason
    if result.outcome == services.Outcome.REFUSED and form_refused:
        # The form again, with the child's whole list to choose from.
        form = CheckOutForm(request.POST, people=_pickup_list(row, day), day=day)
        html = _row_html(request, access, day, row, checkout_form=form, error=tap.reason or None)
        return HttpResponse(html, status=REFUSED)
    return _tap_answer(request, access, day, row, result)


def _pickup_list(row: RosterRow, day) -> list[dict]:
    child_id = row.enrollment.child_id
    return pickup_people([child_id], day).get(child_id, [])


def _tap_answer(request, access: GroupAccess, day, row: RosterRow, result) -> HttpResponse:
    """The answer to one tap, rendered after its commit: the child's row as it is
    now (with the refusal, the conflict to settle, or the question), the header
    out of band; a plain form post goes back to the roll call."""
    Outcome = services.Outcome
    if not request.htmx and result.outcome in (Outcome.SAVED, Outcome.APPLIED, Outcome.CONFLICT):
        return redirect("attendance:roll-call", group_id=access.group.pk, day=day)
    row = dataclasses.replace(row, record=result.record)
    parts = _answer_parts(access, day, row, result)
    html = _row_html(request, access, day, row, counts=result.counts, **parts)
    return HttpResponse(html, status=ANSWER_STATUS[result.outcome])


ANSWER_STATUS = {
    services.Outcome.SAVED: 200,
    services.Outcome.APPLIED: 200,
    services.Outcome.ASK_REASON: 200,
    services.Outcome.REFUSED: REFUSED,
    services.Outcome.CONFLICT: CONFLICT,
}


def _answer_parts(access: GroupAccess, day, row: RosterRow, result) -> dict:
    """What a row shows of what became of a tap on it."""
    Outcome = services.Outcome
    if result.outcome == Outcome.REFUSED:
        return {"error": result.reason}
    if result.outcome == Outcome.ASK_REASON:
        return {"asking_reason": True}
    if result.outcome == Outcome.CONFLICT:
        tap = result.tap
        return {
            "conflict": tap,
            "conflict_url": _tap_url(access, day, row, tap),
            "conflict_mine": tap.label(),
            "conflict_tapped_ms": int(tap.tapped_at.timestamp() * 1000) if tap.tapped_at else None,
        }
    return {"saved": True, "applied": result.applied}


def _tap_url(access: GroupAccess, day, row: RosterRow, tap) -> str:
    name = "roll-call-check-out" if tap.kind == services.CheckOut.kind else "roll-call-mark"
    return reverse(f"attendance:{name}", args=[access.group.pk, day, row.enrollment.pk])


# At most this many taps in one batch: an 80-child group tapped twice over, and
# more; a longer queue is sent in several batches, in order.
MAX_BATCH_TAPS = 200


@login_required
@require_POST
def roll_call_taps(request, group_id: int, day: datetime.date) -> JsonResponse:
    """A phone's queue of taps for one group's roll call of one day, sent in one
    request when the network is back: applied in order, each once, within one
    lock of the group, each with its own answer.

    Request: POST, JSON body, the CSRF token in `X-CSRFToken`::

        {"taps": [
          {"enrollment": 12, "kind": "mark", "status": "absent", "absence_reason": "sick",
           "op_id": "<uuid>", "seen": "<data-version of the row>", "tapped_at": <ms>},
          {"enrollment": 13, "kind": "check_out", "picked_up_by": "王芳",
           "op_id": "<uuid>", "seen": "…", "tapped_at": <ms>, "resolution": ""}
        ]}

    The fields are the single taps' form fields (`MarkForm`, `CheckOutForm`);
    `seen` is the version the phone saw before its first queued tap on the
    child: a later tap of the same batch that saw the same version sees the
    version the earlier one wrote (no conflict with oneself).

    Answer 200, JSON::

        {"answers": [{"enrollment": 12, "op_id": "<uuid>", "outcome": "saved",
                      "message": "", "version": "<new data-version>"}, …],
         "rows": {"12": "<li id=\"row-12\" …>", …},
         "header": "<div id=\"roll-call-header\" …>"}

    One answer per tap, in order; `outcome`: "saved" (the record says what the
    tap wanted), "applied" (this op id was applied before: nothing done
    again), "conflict" (a colleague changed the record since `seen`: nothing
    written; the row shows both values to choose from), "refused" (`message`
    says why: the day, the user's window, the form, not on this roll call),
    "ask_reason" (absent without a reason). `rows`: each child's row as it is
    now, rendered by the server as for a single tap (with its last answer's
    error, conflict or question); `header`: the counts. 400 with {"error": …}
    for a body that is not JSON (``Content-Type: application/json``) with a
    list of at most `MAX_BATCH_TAPS` taps; 404 for a
    group outside the user's scope; a child not on this roll call is refused
    in its own answer; 403 for a user who may not take this roll call at all
    (HR, a manager: they read it)."""
    # A form post (its body already read into request.POST) is not a batch either.
    is_json = request.content_type == "application/json"
    taps = _read_batch(request.body if is_json else b"")
    if isinstance(taps, str):
        return JsonResponse({"error": taps}, status=400)
    if _too_many_taps(request.user, taps=len(taps)):
        response = JsonResponse({"error": _too_many_message()}, status=TOO_MANY)
        response["Retry-After"] = "60"
        return response
    ids = {enrollment_id for enrollment_id, _data in taps if enrollment_id is not None}
    with transaction.atomic(savepoint=False):
        access = roll_call_group(request.user, group_id, day, lock=True)
        results = None
        if access is not None and access.role is not None:
            roster = roll_call_roster(access, day, enrollment_ids=ids) if ids else []
            rows = {r.enrollment.pk: r for r in roster}
            typed = _batch_taps(taps, rows, day)
            results, counts = services.roll_call_taps(
                access=access, day=day, user=request.user, taps=typed, rows=rows
            )
    if access is None:
        raise Http404
    if results is None:
        raise PermissionDenied  # HR and managers read the roll call; they have no buttons
    return JsonResponse(_batch_answer(request, access, day, results, rows, counts))


def _read_batch(body: bytes) -> list[tuple[int | None, dict]] | str:
    """The batch's taps as (enrollment id, form data), or what is wrong with it."""
    try:
        taps = json.loads(body)["taps"]
    except (ValueError, TypeError, KeyError):
        return _("This is not a batch of roll-call taps.")
    if not isinstance(taps, list) or len(taps) > MAX_BATCH_TAPS:
        return _("Send a list of at most %(n)d taps.") % {"n": MAX_BATCH_TAPS}
    read = []
    for tap in taps:
        enrollment_id = tap.get("enrollment") if isinstance(tap, dict) else None
        if not isinstance(enrollment_id, int) or isinstance(enrollment_id, bool):
            enrollment_id = None
        read.append((enrollment_id, tap if isinstance(tap, dict) else {}))
    return read


def _batch_taps(taps, rows: dict[int, RosterRow], day) -> list[tuple[int | None, object]]:
    """Each (enrollment id, form data) of a batch as a typed tap, through the
    single taps' forms; a check-out's form gets the child's pickup list."""
    check_outs = {i for i, data in taps if data.get("kind") == services.CheckOut.kind}
    children = [rows[i].enrollment.child_id for i in check_outs if i in rows]
    people = pickup_people(children, day) if children else {}
    typed = []
    for enrollment_id, data in taps:
        data = {k: "" if v is None else str(v) for k, v in data.items() if k != "enrollment"}
        kind = data.get("kind")
        if kind == services.Mark.kind:
            tap = MarkForm(data).tap()
        elif kind == services.CheckOut.kind and enrollment_id in rows:
            child_id = rows[enrollment_id].enrollment.child_id
            form = CheckOutForm(data, people=people.get(child_id, []), day=day)
            tap = form.tap()
            if isinstance(tap, services.BadTap):
                # No form to show the field's own error beside: all of them in the answer.
                tap = services.BadTap(tap.kind, form.error_text())
        else:
            tap = services.BadTap(str(kind), _("This is not a roll-call tap."))
        typed.append((enrollment_id, tap))
    return typed


def _batch_answer(request, access: GroupAccess, day, results, rows, counts) -> dict:
    """The batch's answers, each touched child's row as it is now (with its last
    answer), and the header: rendered after the commit, out of the lock."""
    words = RowWords(access.group, day)
    answers, last = [], {}
    for enrollment_id, result in results:
        record = result.record
        answers.append(
            {
                "enrollment": enrollment_id,
                "op_id": str(getattr(result.tap, "op_id", None) or ""),
                "outcome": str(result.outcome),
                "applied": result.applied,
                "message": result.reason,
                "version": record.version if record is not None else NO_RECORD,
            }
        )
        if enrollment_id in rows:
            last[enrollment_id] = result
    html = {}
    for enrollment_id, result in last.items():
        row = rows[enrollment_id]
        parts = _answer_parts(access, day, row, result)
        context = _row_context(request, access, day, row, words=words, **parts)
        html[str(enrollment_id)] = render_row(request, context, header=False)
    state = _roll_call_state(access, day, counts)
    header = render_header(request, {**words.context(), **state, "oob": True})
    return {"answers": answers, "rows": html, "header": header}


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
    group = group_for(request.user, group_id)
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
        with transaction.atomic():
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
            incident_recorded.send(sender=Incident, incident=incident)
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
    season = season_for(request.user, season_id)
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
