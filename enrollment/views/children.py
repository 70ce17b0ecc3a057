"""One child's page, its edit form, JSON export and erasure; a group's
children and moving a child to another group."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from ccrcsr.throttle import client_address
from factories.models import AuditEntry
from factories.scoping import CHILDREN_STAFF
from spaces.scope import group_for

from .. import privacy, services
from ..forms import (
    ChildDetailsForm,
    ChildForm,
    EnrollmentDatesForm,
    EraseForm,
    MoveForm,
)
from ..models import ERASED_REFUSAL, Child, Consent, Enrollment, ProposedChange
from ..scope import child_for
from .scope import child_for_hr


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
            "show_medical": request.user.is_superuser or bool(roles & CHILDREN_STAFF),
            "can_edit": request.user.is_superuser or bool(roles & CHILDREN_STAFF),
            "consent_kinds": Consent.Kind.choices,
            # What public submissions propose for this child, until HR decides.
            "changes_waiting": dict(
                ProposedChange.objects.filter(
                    submission__enrollment__child=child, status=ProposedChange.Status.PENDING
                )
                .order_by()
                .values_list("submission__enrollment")
                .annotate(n=Count("pk"))
            ),
            "history": AuditEntry.objects.visible_to(request.user)
            .filter(model="enrollment.child", object_id=str(child.pk))
            .select_related("user")[:50],
        },
    )


@login_required
def child_edit(request: HttpRequest, child_id: int, enrollment_id: int) -> HttpResponse:
    child = child_for(request.user, child_id)
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


@login_required
def child_details(request: HttpRequest, child_id: int) -> HttpResponse:
    """HR completes what an imported roster did not say (home province, lives with),
    with or without an enrollment to edit."""
    child = get_object_or_404(Child.objects.for_roles(request.user, *CHILDREN_STAFF), pk=child_id)
    if child.is_erased:
        messages.error(request, ERASED_REFUSAL)
        return redirect("enrollment:child-detail", child_id=child.pk)
    form = ChildDetailsForm(request.POST or None, instance=child)
    if request.method == "POST" and form.is_valid():
        changes = {
            name: [form.initial.get(name), form.cleaned_data[name]] for name in form.changed_data
        }
        form.save()
        AuditEntry.objects.record(
            user=request.user,
            factory_id=child.factory_id,
            instance=child,
            action=AuditEntry.Action.UPDATE,
            changes=changes,
        )
        messages.success(request, _("Saved."))
        return redirect("enrollment:child-detail", child_id=child.pk)
    return render(request, "enrollment/child_edit.html", {"child": child, "forms": [form]})


@login_required
def child_export(request: HttpRequest, child_id: int) -> HttpResponse:
    """Everything held about a child, as JSON, for a guardian's request (logged)."""
    child = child_for_hr(request.user, child_id)
    data = privacy.child_export(child)
    AuditEntry.objects.record(
        user=request.user,
        factory_id=child.factory_id,
        instance=child,
        action=AuditEntry.Action.EXPORT,
        changes={"address": [None, client_address(request)]},
    )
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'attachment; filename="child-{child.pk}.json"'
    return response


@login_required
def child_erase(request: HttpRequest, child_id: int) -> HttpResponse:
    """Erase a child on a guardian's request: anonymised now, report figures kept."""
    child = child_for_hr(request.user, child_id)
    if child.anonymised_at:
        messages.info(request, _("This child's data has already been erased."))
        return redirect("enrollment:child-detail", child_id=child.pk)
    form = EraseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        privacy.child_anonymise(child=child, user=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, _("The child's personal data is erased."))
        return redirect("spaces:factory-detail", factory_id=child.factory_id)
    return render(request, "enrollment/child_erase.html", {"child": child, "form": form})


@login_required
def group_detail(request: HttpRequest, group_id: int) -> HttpResponse:
    """A group at a glance: its room, teachers, plan, and children (for staff who
    may see them, with a move button for HR and the coordinator)."""
    group = group_for(request.user, group_id)
    children = (
        Enrollment.objects.visible_to(request.user)
        .filter(group=group, status=Enrollment.Status.ENROLLED)
        .select_related("child")
        .order_by("child__name")
    )
    movable = Enrollment.objects.for_roles(request.user, *CHILDREN_STAFF).filter(group=group)
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
        Enrollment.objects.for_roles(request.user, *CHILDREN_STAFF).select_related(
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
