"""HR's desk: the review list with its bulk decisions, the roster check of
one application, search, and a paper application typed in by HR."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from factories.models import Worker
from factories.scoping import CHILDREN_STAFF
from spaces.models import Season

from .. import services
from ..applications import (
    ChangeRefused,
    application_submit,
    change_difference,
    enrollment_confirm_roster,
    proposed_change_decide,
    season_bursts,
)
from ..forms import (
    ApplicationForm,
    ChangeDecisionForm,
    ReviewActionForm,
    ReviewFilterForm,
    RosterCheckForm,
    SearchForm,
)
from ..models import Child, Enrollment, Guardianship, ProposedChange, RosterCheck
from .scope import season_for_hr

REVIEW_PAGE_SIZE = 25


@login_required
def applications(request: HttpRequest, season_id: int) -> HttpResponse:
    """HR's review list: search, filters, pages, and one action on the ticked children.

    Ticks survive paging: the page buttons post the ticked rows, which are kept in
    the session (`review-selected-<season>`) until an action is applied.
    """
    season = season_for_hr(request.user, season_id)
    enrollments = (
        Enrollment.objects.visible_to(request.user)
        .filter(season=season)
        .order_by("status", "applied_at", "pk")
    )
    selected_key = f"review-selected-{season.pk}"
    bursts = season_bursts(season)
    filters = ReviewFilterForm(request.GET or None, season=season, bursts=bursts)
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
        _apply_action(request, season, form)
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
            "bursts": bursts,
            "in_burst": {pk for burst in bursts for pk in burst.enrollment_ids},
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
    season = season_for_hr(request.user, season_id)
    enrollment = get_object_or_404(
        season.enrollments.select_related("child", "applicant_worker"), pk=enrollment_id
    )
    back = reverse("enrollment:applications", args=[season.pk])
    if not enrollment.roster_check:
        messages.info(request, _("This application's worker is on the roster."))
        return redirect(back)
    form = RosterCheckForm(request.POST or None, factory=season.factory)
    if request.method == "POST" and form.is_valid():
        enrollment_confirm_roster(
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
def application_changes(request: HttpRequest, season_id: int, enrollment_id: int) -> HttpResponse:
    """What public submissions ask to change in the records this application names:
    what is held against what is proposed, each accepted (written, audited) or
    refused by HR. Until then the child, guardian and pickup list stay as they are."""
    season = season_for_hr(request.user, season_id)
    enrollment = get_object_or_404(
        season.enrollments.select_related("child", "applicant_worker").prefetch_related(
            "child__pickups", "child__guardianships", "consents"
        ),
        pk=enrollment_id,
    )
    changes = ProposedChange.objects.filter(submission__enrollment=enrollment).select_related(
        "submission__worker", "decided_by"
    )
    if request.method == "POST":
        form = ChangeDecisionForm(
            request.POST, changes=changes.filter(status=ProposedChange.Status.PENDING)
        )
        if not form.is_valid():
            messages.info(request, _("This change was decided already."))
            return redirect(request.path)
        change, accept = form.cleaned_data["change"], form.cleaned_data["decision"] == form.ACCEPT
        try:
            decided = proposed_change_decide(change=change, accept=accept, user=request.user)
        except ChangeRefused as refused:
            messages.error(request, str(refused))
        else:
            if not decided:
                messages.info(request, _("This change was decided already."))
            elif accept:
                messages.success(
                    request, _("Accepted: %(field)s") % {"field": change.get_field_display()}
                )
            else:
                messages.success(
                    request, _("Refused: %(field)s") % {"field": change.get_field_display()}
                )
        return redirect(request.path)
    rows = [(change, *change_difference(change, enrollment)) for change in changes]
    return render(
        request,
        "enrollment/application_changes.html",
        {
            "season": season,
            "enrollment": enrollment,
            "waiting": [r for r in rows if r[0].status == ProposedChange.Status.PENDING],
            "decided": [r for r in rows if r[0].status != ProposedChange.Status.PENDING],
        },
    )


@login_required
def search(request: HttpRequest) -> HttpResponse:
    """The search box at the top of every HR page: applications of the user's factories."""
    if not (
        request.user.is_superuser
        or request.user.memberships.filter(role__in=CHILDREN_STAFF).exists()
    ):
        raise Http404
    form = SearchForm(request.GET or None)
    results, registered, query = [], [], ""
    if form.is_valid() and form.cleaned_data["q"].strip():
        query = form.cleaned_data["q"].strip()
        results = list(
            Enrollment.objects.for_roles(request.user, *CHILDREN_STAFF)
            .search(query)
            .for_review()
            .select_related("season__factory")
            .order_by("-season__start_date", "child__name", "pk")[:SEARCH_LIMIT]
        )
        # Children imported from a roster who have not applied to any season yet.
        registered = list(
            Child.objects.for_roles(request.user, *CHILDREN_STAFF)
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


def _apply_action(request: HttpRequest, season: Season, form: ReviewActionForm) -> None:
    action, group, reason = (form.cleaned_data[k] for k in ("action", "group", "reason"))
    status = {
        form.WAITLIST: Enrollment.Status.WAITLISTED,
        form.DECLINE: Enrollment.Status.DECLINED,
        form.WITHDRAW: Enrollment.Status.WITHDRAWN,
    }.get(action)
    # All the ticked children change, or none of them (one failure rolls back all).
    decisions = services.enrollments_decide(
        season=season,
        enrollments=form.cleaned_data["selected"],
        user=request.user,
        status=status,
        group=group,
        reason=reason,
    )
    for decision in decisions:
        if decision.status == "refused":
            messages.error(
                request,
                _("%(child)s: %(problem)s")
                % {"child": decision.enrollment.child.name, "problem": decision.message},
            )
        elif decision.status == Enrollment.Status.WAITLISTED and action == form.ENROLL:
            messages.warning(request, decision.message)
        else:
            messages.success(request, decision.message)


@login_required
def application_new(request: HttpRequest, season_id: int) -> HttpResponse:
    """HR enters a paper application on the same form the workers use."""
    season = season_for_hr(request.user, season_id)
    form = ApplicationForm(request.POST or None, season=season, hr=True)
    if request.method == "POST" and form.is_valid():
        enrollment = application_submit(season=season, data=form.application(), user=request.user)
        messages.success(
            request,
            _("Application saved for %(child)s (reference %(ref)s).")
            % {"child": enrollment.child.name, "ref": enrollment.reference},
        )
        return redirect("enrollment:applications", season_id=season.pk)
    return render(request, "enrollment/application_form.html", {"season": season, "form": form})
