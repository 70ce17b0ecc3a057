import io
import secrets
import time

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from ccrcsr.throttle import throttled
from factories.models import AuditEntry, Factory, Role, Worker
from spaces.models import Group, Season

from . import imports, services
from .forms import (
    WORKER_FIELDS,
    ApplicationForm,
    ChildForm,
    ColumnMappingForm,
    EnrollmentDatesForm,
    EraseForm,
    ImportForm,
    MoveForm,
    ReviewActionForm,
    ReviewFilterForm,
    RosterCheckForm,
    SearchForm,
)
from .models import ERASED_REFUSAL, Child, Consent, Enrollment, Guardianship, RosterCheck

# The public form: enough for a family applying for several children, far too
# few to flood the office or to probe for other applicants.
APPLY_LIMIT, APPLY_WINDOW = 20, 600


def _open_season(token: str) -> Season:
    return get_object_or_404(Season.objects.select_related("factory"), application_token=token)


# A family applying for several children on one phone keeps its details for this
# long, and only through the "apply for another child" link (see _family).
FAMILY_MINUTES = 15


@never_cache
def apply(request: HttpRequest, token: str) -> HttpResponse:
    """The public application form a worker opens from the poster's QR code.

    Phones are shared: nothing of one family is shown to whoever opens the form
    next. Only the thanks page's "apply for another child" link (a one-time key)
    fills in the parent's details again, and "this is not me" forgets them.
    """
    season = _open_season(token)
    if not season.accepts_applications:
        return render(request, "enrollment/apply_closed.html", {"season": season}, status=410)
    if request.method == "POST" and "not_me" in request.POST:
        request.session.pop(_family_key(season), None)
        return redirect("enrollment:apply", token=token)
    if request.method == "POST" and throttled(
        request, "apply", limit=APPLY_LIMIT, seconds=APPLY_WINDOW
    ):
        return render(request, "enrollment/apply_throttled.html", {"season": season}, status=429)
    key = request.GET.get("another") if request.method == "GET" else request.POST.get("family")
    family = _family(request, season, key)
    if family and request.method == "GET":
        family["key"] = secrets.token_urlsafe(16)  # the link works once
        request.session.modified = True
    form = ApplicationForm(
        request.POST or None, season=season, initial=family["worker"] if family else None
    )
    if request.method == "POST" and form.is_valid():
        enrollment = services.application_submit(season=season, data=form.application())
        family = family or {"done": []}
        family.update(
            worker={name: form.cleaned_data[name] for name in WORKER_FIELDS},
            key=secrets.token_urlsafe(16),
            at=time.time(),
            shown=False,
        )
        family["done"].append([enrollment.child.name, enrollment.reference])
        request.session[_family_key(season)] = family
        return redirect("enrollment:apply-thanks", token=token)
    return render(
        request, "enrollment/apply.html", {"season": season, "form": form, "family": family}
    )


def _family_key(season: Season) -> str:
    return f"apply-family-{season.pk}"


def _family(request: HttpRequest, season: Season, key: str | None) -> dict | None:
    """This phone's last family, if `key` is its current one-time key and it is recent."""
    family = request.session.get(_family_key(season))
    if not family or not key or not secrets.compare_digest(str(key), family["key"]):
        return None
    if time.time() - family["at"] > FAMILY_MINUTES * 60:
        request.session.pop(_family_key(season), None)
        return None
    return family


@never_cache
def apply_thanks(request: HttpRequest, token: str) -> HttpResponse:
    """The references of what this family just submitted, shown once: opening the
    page again (the next person on a shared phone) shows none of them."""
    season = _open_season(token)
    family = request.session.get(_family_key(season))
    if family and not family["shown"] and time.time() - family["at"] < FAMILY_MINUTES * 60:
        family["shown"] = True
        request.session.modified = True
    else:
        family = None
    return render(request, "enrollment/apply_thanks.html", {"season": season, "family": family})


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


REVIEW_PAGE_SIZE = 25


@login_required
def applications(request: HttpRequest, season_id: int) -> HttpResponse:
    """HR's review list: search, filters, pages, and one action on the ticked children.

    Ticks survive paging: the page buttons post the ticked rows, which are kept in
    the session (`review-selected-<season>`) until an action is applied.
    """
    season = _season_for_hr(request.user, season_id)
    enrollments = (
        Enrollment.objects.visible_to(request.user)
        .filter(season=season)
        .order_by("status", "applied_at", "pk")
    )
    selected_key = f"review-selected-{season.pk}"
    filters = ReviewFilterForm(request.GET or None, season=season)
    form = ReviewActionForm(request.POST or None, season=season, enrollments=enrollments)
    if request.method == "POST" and "goto" in request.POST:
        ticked = _ticked_ids(request.POST.getlist("selected"))
        request.session[selected_key] = list(
            enrollments.filter(pk__in=ticked).values_list("pk", flat=True)
        )
        query = request.GET.copy()
        query["page"] = request.POST["goto"]
        return redirect(f"{request.path}?{query.urlencode()}")
    if request.method == "POST" and form.is_valid():
        _apply_action(request, form)
        request.session.pop(selected_key, None)
        return redirect(request.get_full_path())
    if request.method == "POST":  # the action was refused: keep what was ticked
        ticked = _ticked_ids(request.POST.getlist("selected"))
        selected = set(enrollments.filter(pk__in=ticked).values_list("pk", flat=True))
    elif "page" in request.GET:
        selected = set(request.session.get(selected_key, []))
    else:  # a fresh visit starts with nothing ticked
        request.session.pop(selected_key, None)
        selected = set()
    page = Paginator(filters.filter(enrollments.for_review()), REVIEW_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    on_page = {e.pk for e in page}
    return render(
        request,
        "enrollment/applications.html",
        {
            "season": season,
            "filters": filters,
            "page": page,
            "form": form,
            "selected": selected,
            "selected_elsewhere": sorted(selected - on_page),
            "roster_namesakes": _roster_namesakes(season, page),
        },
    )


def _ticked_ids(values: list[str]) -> list[int]:
    """Ticked ids as posted; the action form checks them against the user's rows."""
    return [int(v) for v in values if v.isdigit() and int(v) < 2**63]


def _roster_namesakes(season: Season, page) -> dict[str, list[str]]:
    """For applications whose number is not on the roster: the roster's workers of
    the same name (employee numbers), so HR sees the likely typo. One query."""
    names = {e.applicant_name for e in page if e.roster_check == RosterCheck.UNKNOWN_NUMBER}
    found: dict[str, list[str]] = {}
    if names:
        for name, number in Worker.objects.filter(
            factory=season.factory, on_roster=True, name__in=names
        ).values_list("name", "employee_number"):
            found.setdefault(name, []).append(number)
    return found


@login_required
def roster_check(request: HttpRequest, season_id: int, enrollment_id: int) -> HttpResponse:
    """HR confirms or corrects the worker of an application not on the roster."""
    season = _season_for_hr(request.user, season_id)
    enrollment = get_object_or_404(
        season.enrollments.select_related("child", "applicant_worker"), pk=enrollment_id
    )
    back = reverse("enrollment:applications", args=[season.pk])
    if not enrollment.roster_check:
        messages.info(request, _("This application's worker is on the roster."))
        return redirect(back)
    form = RosterCheckForm(request.POST or None, factory=season.factory)
    if request.method == "POST" and form.is_valid():
        services.enrollment_confirm_roster(
            enrollment=enrollment, worker=form.cleaned_data["worker"], user=request.user
        )
        messages.success(
            request,
            _("%(child)s's worker is settled; the child can now be enrolled.")
            % {"child": enrollment.child.name},
        )
        return redirect(back)
    return render(
        request,
        "enrollment/roster_check.html",
        {"season": season, "enrollment": enrollment, "form": form},
    )


@login_required
def search(request: HttpRequest) -> HttpResponse:
    """The search box at the top of every HR page: applications of the user's factories."""
    if not (
        request.user.is_superuser
        or request.user.memberships.filter(role__in=[Role.HR, Role.COORDINATOR]).exists()
    ):
        raise Http404
    form = SearchForm(request.GET or None)
    results, registered, query = [], [], ""
    if form.is_valid() and form.cleaned_data["q"].strip():
        query = form.cleaned_data["q"].strip()
        results = list(
            Enrollment.objects.for_roles(request.user, Role.HR, Role.COORDINATOR)
            .search(query)
            .for_review()
            .select_related("season__factory")
            .order_by("-season__start_date", "child__name", "pk")[:SEARCH_LIMIT]
        )
        # Children imported from a roster who have not applied to any season yet.
        registered = list(
            Child.objects.for_roles(request.user, Role.HR, Role.COORDINATOR)
            .search(query)
            .filter(enrollments__isnull=True)
            .prefetch_related(
                Prefetch(
                    "guardianships",
                    queryset=Guardianship.objects.select_related("worker"),
                    to_attr="guardian_rows",
                )
            )
            .order_by("name", "pk")[:SEARCH_LIMIT]
        )
    return render(
        request,
        "enrollment/search.html",
        {
            "form": form,
            "results": results,
            "registered": registered,
            "query": query,
            "limit": SEARCH_LIMIT,
        },
    )


SEARCH_LIMIT = 100


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
    if child.is_erased:
        # An old form re-posted after the erasure must not fill the child in again.
        messages.error(request, ERASED_REFUSAL)
        return redirect("enrollment:child-detail", child_id=child.pk)
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
    """Upload, preview every row (and map the columns if need be), then confirm:
    nothing is saved before that. The file waits in the session in between."""
    factory = _factory_for_hr(request.user, factory_id)
    form = ImportForm(request.POST or None, request.FILES or None, factory=factory)
    preview = None
    if request.method == "POST" and ("confirm" in request.POST or "remap" in request.POST):
        pending = request.session.get(_import_key(factory))
        if not pending or "header_index" not in pending:  # none, or an older page's
            messages.error(request, _("Nothing to import: upload the file again."))
            return redirect("enrollment:import", factory_id=factory.pk)
        form = ImportForm(factory=factory)
        season = Season.objects.filter(factory=factory, pk=pending["season"]).first()
        try:
            preview = _preview_pending(request, factory, season, pending)
        except imports.ImportError_ as exc:
            messages.error(request, str(exc))
            return redirect("enrollment:import", factory_id=factory.pk)
        if "confirm" in request.POST and preview.ready:
            created, updated, children = imports.save(
                preview, factory=factory, season=season, user=request.user
            )
            del request.session[_import_key(factory)]
            messages.success(
                request,
                _("Imported %(w)d new workers and %(c)d children; %(u)d workers updated.")
                % {"w": created, "c": children, "u": updated},
            )
            return redirect("spaces:factory-detail", factory_id=factory.pk)
    elif request.method == "POST" and form.is_valid():
        preview = _preview_upload(request, factory, form)
    return render(
        request,
        "enrollment/import.html",
        {
            "factory": factory,
            "form": form,
            "preview": preview,
            "mapping_form": ColumnMappingForm(layout=preview.layout) if preview else None,
            "rows_shown": preview.rows[:PREVIEW_ROWS] if preview else [],
        },
    )


PREVIEW_ROWS = 500


def _import_key(factory: Factory) -> str:
    return f"import-{factory.pk}"


def _preview_upload(request: HttpRequest, factory: Factory, form: ImportForm):
    """Read and check an uploaded file; keep it in the session for the next step."""
    season, update = form.cleaned_data["season"], form.cleaned_data["update_workers"]
    try:
        rows = imports.read_rows(form.cleaned_data["file"])
        preview = imports.validate(rows, factory=factory, season=season, update_workers=update)
    except imports.ImportError_ as exc:
        form.add_error("file", str(exc))
        return None
    request.session[_import_key(factory)] = {
        "rows": imports.serialise(rows),
        "season": season.pk if season else None,
        "update_workers": update,
        "header_index": preview.layout.header_index,
        "mapping": {str(i): key for i, key in preview.layout.mapping().items()},
    }
    return preview


def _preview_pending(request: HttpRequest, factory: Factory, season, pending: dict):
    """Check the file kept in the session again, with the columns HR just mapped if
    they did (remembered for the factory's next file; a new header row is read afresh)."""
    rows = pending["rows"]
    mapping = {int(i): key for i, key in pending["mapping"].items()}
    layout = imports.layout_from_mapping(rows, pending["header_index"], mapping)
    mapping_form = ColumnMappingForm(request.POST, layout=layout)
    if "remap" in request.POST and mapping_form.is_valid():
        header_index = mapping_form.cleaned_data["header_row"] - 1
        if header_index != layout.header_index:
            layout = imports.layout_at(rows, header_index, imports.remembered_mapping(factory))
        else:
            layout = imports.layout_from_mapping(rows, header_index, mapping_form.mapping())
            imports.remember_mapping(factory, layout)
    preview = imports.validate(
        rows,
        factory=factory,
        season=season,
        layout=layout,
        update_workers=pending["update_workers"],
    )
    pending["header_index"] = layout.header_index
    pending["mapping"] = {str(i): key for i, key in layout.mapping().items()}
    request.session.modified = True
    return preview


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
