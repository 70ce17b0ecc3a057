import io

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from ccrcsr.throttle import throttled
from factories.models import AuditEntry, Factory, Role
from spaces.models import Group, Season

from . import imports, services
from .forms import (
    WORKER_FIELDS,
    ApplicationForm,
    ChildForm,
    EnrollmentDatesForm,
    EraseForm,
    ImportForm,
    MoveForm,
    ReviewActionForm,
    ReviewFilterForm,
)
from .models import Child, Consent, Enrollment

# The public form: enough for a family applying for several children, far too
# few to flood the office or to probe for other applicants.
APPLY_LIMIT, APPLY_WINDOW = 20, 600


def _open_season(token: str) -> Season:
    return get_object_or_404(Season.objects.select_related("factory"), application_token=token)


@never_cache
def apply(request: HttpRequest, token: str) -> HttpResponse:
    """The public application form a worker opens from the poster's QR code."""
    season = _open_season(token)
    if not season.accepts_applications:
        return render(request, "enrollment/apply_closed.html", {"season": season}, status=410)
    if request.method == "POST" and throttled(
        request, "apply", limit=APPLY_LIMIT, seconds=APPLY_WINDOW
    ):
        return render(request, "enrollment/apply_throttled.html", {"season": season}, status=429)
    remembered = request.session.get(f"apply-worker-{season.pk}", {})
    form = ApplicationForm(request.POST or None, season=season, initial=remembered)
    if request.method == "POST" and form.is_valid():
        enrollment = services.application_submit(season=season, data=form.application())
        request.session[f"apply-worker-{season.pk}"] = {
            name: form.cleaned_data[name] for name in WORKER_FIELDS
        }
        done = request.session.get(f"apply-done-{season.pk}", [])
        done.append([enrollment.child.name, enrollment.reference])
        request.session[f"apply-done-{season.pk}"] = done
        return redirect("enrollment:apply-thanks", token=token)
    return render(request, "enrollment/apply.html", {"season": season, "form": form})


@never_cache
def apply_thanks(request: HttpRequest, token: str) -> HttpResponse:
    """Shows only what this phone submitted: the references come from its session."""
    season = _open_season(token)
    done = request.session.get(f"apply-done-{season.pk}", [])
    return render(request, "enrollment/apply_thanks.html", {"season": season, "done": done})


def _season_for_hr(user, season_id: int) -> Season:
    return get_object_or_404(
        Season.objects.for_roles(user, Role.HR, Role.COORDINATOR).select_related("factory"),
        pk=season_id,
    )


@login_required
def poster(request: HttpRequest, season_id: int) -> HttpResponse:
    """An A4 poster with the QR code, to print and pin up in the factory."""
    season = _season_for_hr(request.user, season_id)
    link = request.build_absolute_uri(reverse("enrollment:apply", args=[season.application_token]))
    qr_svg = segno.make(link, error="m").svg_inline(scale=8, dark="#000", light="#fff")
    return render(
        request, "enrollment/poster.html", {"season": season, "link": link, "qr_svg": qr_svg}
    )


@login_required
def qr_code(request: HttpRequest, season_id: int, fmt: str) -> HttpResponse:
    season = _season_for_hr(request.user, season_id)
    link = request.build_absolute_uri(reverse("enrollment:apply", args=[season.application_token]))
    buffer = io.BytesIO()
    segno.make(link, error="m").save(buffer, kind=fmt, scale=10, border=2)
    content_type = "image/svg+xml" if fmt == "svg" else "image/png"
    response = HttpResponse(buffer.getvalue(), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="apply-{season.pk}.{fmt}"'
    return response


@login_required
def applications(request: HttpRequest, season_id: int) -> HttpResponse:
    """HR's review list: filters, and one action on the ticked children."""
    season = _season_for_hr(request.user, season_id)
    enrollments = (
        Enrollment.objects.visible_to(request.user)
        .filter(season=season)
        .select_related("child", "group")
        .prefetch_related("consents")
        .order_by("status", "applied_at", "pk")
    )
    filters = ReviewFilterForm(request.GET or None, season=season)
    shown = filters.filter(enrollments)
    form = ReviewActionForm(request.POST or None, season=season, enrollments=enrollments)
    if request.method == "POST" and form.is_valid():
        _apply_action(request, form)
        return redirect(request.get_full_path())
    return render(
        request,
        "enrollment/applications.html",
        {"season": season, "filters": filters, "rows": shown, "form": form},
    )


def _apply_action(request: HttpRequest, form: ReviewActionForm) -> None:
    action, group, reason = (form.cleaned_data[k] for k in ("action", "group", "reason"))
    status = {
        form.WAITLIST: Enrollment.Status.WAITLISTED,
        form.DECLINE: Enrollment.Status.DECLINED,
        form.WITHDRAW: Enrollment.Status.WITHDRAWN,
    }.get(action)
    decisions = []
    # All the ticked children change, or none of them (one failure rolls back all).
    with transaction.atomic():
        for enrollment in form.cleaned_data["selected"].order_by("applied_at", "pk"):
            if action == form.ENROLL:
                decision = services.enrollment_enroll(
                    enrollment=enrollment, group=group, user=request.user
                )
            else:
                decision = services.enrollment_set_status(
                    enrollment=enrollment, status=status, reason=reason, user=request.user
                )
            decisions.append((enrollment, decision))
    for enrollment, decision in decisions:
        if decision.status == "refused":
            messages.error(request, f"{enrollment.child.name}: {decision.message}")
        elif decision.status == Enrollment.Status.WAITLISTED and action == form.ENROLL:
            messages.warning(request, decision.message)
        else:
            messages.success(request, decision.message)


@login_required
def application_new(request: HttpRequest, season_id: int) -> HttpResponse:
    """HR enters a paper application on the same form the workers use."""
    season = _season_for_hr(request.user, season_id)
    form = ApplicationForm(request.POST or None, season=season)
    if request.method == "POST" and form.is_valid():
        enrollment = services.application_submit(
            season=season, data=form.application(), user=request.user
        )
        messages.success(
            request,
            _("Application saved for %(child)s (reference %(ref)s).")
            % {"child": enrollment.child.name, "ref": enrollment.reference},
        )
        return redirect("enrollment:applications", season_id=season.pk)
    return render(request, "enrollment/application_form.html", {"season": season, "form": form})


@login_required
def child_detail(request: HttpRequest, child_id: int) -> HttpResponse:
    child = get_object_or_404(
        Child.objects.visible_to(request.user)
        .select_related("factory")
        .prefetch_related("guardianships__worker", "pickups", "emergency_contacts"),
        pk=child_id,
    )
    enrollments = (
        Enrollment.objects.visible_to(request.user)
        .filter(child=child)
        .select_related("season", "group")
        # The attendance rows (a floor above) come newest first, their own ordering.
        .prefetch_related("consents", "attendances")
        .order_by("-season__start_date")
    )
    roles = set(
        request.user.memberships.filter(factory=child.factory).values_list("role", flat=True)
    )
    AuditEntry.objects.record(
        user=request.user,
        factory_id=child.factory_id,
        instance=child,
        action=AuditEntry.Action.VIEW,
        changes={},
    )
    return render(
        request,
        "enrollment/child_detail.html",
        {
            "child": child,
            "enrollments": enrollments,
            # Medical notes: HR and coordinators; teachers see allergies only.
            "show_medical": request.user.is_superuser or bool(roles & {Role.HR, Role.COORDINATOR}),
            "can_edit": request.user.is_superuser or bool(roles & {Role.HR, Role.COORDINATOR}),
            "consent_kinds": Consent.Kind.choices,
            "history": AuditEntry.objects.visible_to(request.user)
            .filter(model="enrollment.child", object_id=str(child.pk))
            .select_related("user")[:50],
        },
    )


@login_required
def child_edit(request: HttpRequest, child_id: int, enrollment_id: int) -> HttpResponse:
    child = get_object_or_404(
        Child.objects.for_roles(request.user, Role.HR, Role.COORDINATOR), pk=child_id
    )
    enrollment = get_object_or_404(child.enrollments.select_related("season"), pk=enrollment_id)
    child_form = ChildForm(request.POST or None, instance=child, prefix="child")
    dates_form = EnrollmentDatesForm(request.POST or None, instance=enrollment, prefix="dates")
    if request.method == "POST" and child_form.is_valid() and dates_form.is_valid():
        changes = {
            name: [str(child_form.initial.get(name)), str(child_form.cleaned_data[name])]
            for name in child_form.changed_data
        }
        child_form.save()
        dates_form.save()
        AuditEntry.objects.record(
            user=request.user,
            factory_id=child.factory_id,
            instance=child,
            action=AuditEntry.Action.UPDATE,
            changes=changes,
        )
        messages.success(request, _("Saved."))
        return redirect("enrollment:child-detail", child_id=child.pk)
    return render(
        request,
        "enrollment/child_edit.html",
        {"child": child, "enrollment": enrollment, "forms": [child_form, dates_form]},
    )


def _factory_for_hr(user, factory_id: int) -> Factory:
    return get_object_or_404(
        Factory.objects.for_roles(user, Role.HR, Role.COORDINATOR), pk=factory_id
    )


@login_required
def import_template(request: HttpRequest, factory_id: int) -> HttpResponse:
    _factory_for_hr(request.user, factory_id)
    response = HttpResponse(
        imports.template_workbook(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="import-template.xlsx"'
    return response


@login_required
def import_people(request: HttpRequest, factory_id: int) -> HttpResponse:
    """Upload, preview every problem, then confirm: nothing is saved before that."""
    factory = _factory_for_hr(request.user, factory_id)
    session_key = f"import-{factory.pk}"
    form = ImportForm(request.POST or None, request.FILES or None, factory=factory)
    preview = None
    if request.method == "POST" and "confirm" in request.POST:
        pending = request.session.get(session_key)
        if pending is None:
            messages.error(request, _("Nothing to import: upload the file again."))
            return redirect("enrollment:import", factory_id=factory.pk)
        season = Season.objects.filter(factory=factory, pk=pending["season"]).first()
        preview = imports.validate(pending["rows"], factory=factory, season=season)
        if not preview.problems:
            n_workers, n_children = imports.save(
                preview, factory=factory, season=season, user=request.user
            )
            del request.session[session_key]
            messages.success(
                request,
                _("Imported %(w)d new workers and %(c)d children.")
                % {"w": n_workers, "c": n_children},
            )
            return redirect("spaces:factory-detail", factory_id=factory.pk)
    elif request.method == "POST" and form.is_valid():
        season = form.cleaned_data["season"]
        try:
            rows = imports.read_rows(form.cleaned_data["file"])
            preview = imports.validate(rows, factory=factory, season=season)
        except imports.ImportError_ as exc:
            form.add_error("file", str(exc))
        else:
            request.session[session_key] = {
                "rows": imports.serialise(rows),
                "season": season.pk if season else None,
            }
    return render(
        request,
        "enrollment/import.html",
        {"factory": factory, "form": form, "preview": preview},
    )


def _child_for_hr(user, child_id: int) -> Child:
    return get_object_or_404(Child.objects.for_roles(user, Role.HR, Role.COORDINATOR), pk=child_id)


@login_required
def child_export(request: HttpRequest, child_id: int) -> HttpResponse:
    """Everything held about a child, as JSON, for a guardian's request (logged)."""
    child = _child_for_hr(request.user, child_id)
    data = services.child_export(child)
    AuditEntry.objects.record(
        user=request.user,
        factory_id=child.factory_id,
        instance=child,
        action=AuditEntry.Action.EXPORT,
        changes={"address": [None, request.META.get("REMOTE_ADDR", "")]},
    )
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'attachment; filename="child-{child.pk}.json"'
    return response


@login_required
def child_erase(request: HttpRequest, child_id: int) -> HttpResponse:
    """Erase a child on a guardian's request: anonymised now, report figures kept."""
    child = _child_for_hr(request.user, child_id)
    if child.anonymised_at:
        messages.info(request, _("This child's data has already been erased."))
        return redirect("enrollment:child-detail", child_id=child.pk)
    form = EraseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.child_anonymise(child=child, user=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, _("The child's personal data is erased."))
        return redirect("spaces:factory-detail", factory_id=child.factory_id)
    return render(request, "enrollment/child_erase.html", {"child": child, "form": form})


# --- a group's children: HR and the coordinator place them ----------------------


@login_required
def group_detail(request: HttpRequest, group_id: int) -> HttpResponse:
    """A group at a glance: its room, teachers, plan, and children (for staff who
    may see them, with a move button for HR and the coordinator)."""
    group = get_object_or_404(
        Group.objects.visible_to(request.user).select_related("season__factory"), pk=group_id
    )
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
        "enrollment/group_detail.html",
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
            return redirect("enrollment:group-detail", group_id=target.pk)
        form.add_error("group", refusal)
    title = _("Move %(child)s to another group") % {"child": enrollment.child.name}
    back = reverse("enrollment:group-detail", args=[enrollment.group_id])
    return render(
        request,
        "spaces/form_page.html",
        {"form": form, "title": title, "season": enrollment.season, "back": back},
    )
