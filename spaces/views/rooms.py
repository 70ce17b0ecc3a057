"""A factory's rooms (spaces) and their safety checks."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from factories.models import Factory, Role
from factories.scoping import ROOM_STAFF

from ..forms import (
    SafetyCheckForm,
    SpaceForm,
)
from ..models import (
    SafetyCheck,
    Space,
    join_list,
)
from .scope import coordinated


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
    can_check = Factory.objects.for_roles(request.user, *ROOM_STAFF).filter(pk=factory.pk)
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
    factory = coordinated(Factory, request.user, factory_id)
    return _space_form(request, factory, Space(factory=factory))


@login_required
def space_edit(request: HttpRequest, space_id: int) -> HttpResponse:
    space = coordinated(Space, request.user, space_id, "factory")
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
    space = get_object_or_404(Space.objects.for_roles(request.user, *ROOM_STAFF), pk=space_id)
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
