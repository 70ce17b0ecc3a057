from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import dashboard, lockouts
from .forms import LanguageForm, WorkerForm
from .models import Factory, Membership, Role, User, Worker, user_roles
from .scoping import CHILDREN_STAFF, factory_for


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role's first need: HR the waiting applications, teachers today's groups,
    coordinators today's roll-call status, managers their season at a glance.

    What each role sees comes from the apps that hold it (seasons, the roll
    call), registered in `dashboard.PANELS`: this floor imports none of them."""
    user = request.user
    today = timezone.localdate()
    roles = {role for factory_roles in user_roles(user).values() for role in factory_roles}
    if user.is_superuser:
        roles.add(Role.COORDINATOR)
    ctx = {"today": today, "roles": roles}
    for panel in dashboard.PANELS:
        ctx.update(panel(user, roles, today))
    return render(request, "factories/home.html", ctx)


@login_required
def factory_list(request: HttpRequest) -> HttpResponse:
    factories = Factory.objects.visible_to(request.user).annotate(n_seasons=Count("seasons"))
    roles = user_roles(request.user)
    rows = [(factory, sorted(roles.get(factory.pk, ()))) for factory in factories]
    return render(request, "factories/factory_list.html", {"rows": rows})


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch language: kept on the account when signed in, in a cookie otherwise."""
    form = LanguageForm(request.POST)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = "/"
    # HttpResponseRedirect, not redirect(): "next" is user input, never a view name.
    response = HttpResponseRedirect(target)
    if form.is_valid():
        language = form.cleaned_data["language"]
        if request.user.is_authenticated:
            request.user.language = language
            request.user.save(update_fields=["language"])
        translation.activate(language)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600, samesite="Lax"
        )
    return response


@login_required
def workers(request: HttpRequest, factory_id: int) -> HttpResponse:
    """HR's list of the factory's registered parents, and a form to add one."""
    factory = factory_for(request.user, factory_id, CHILDREN_STAFF)
    form = WorkerForm(request.POST or None, factory=factory)
    if request.method == "POST" and form.is_valid():
        worker = form.save(commit=False)
        worker.factory = factory
        worker.save()
        messages.success(request, _("%(name)s is registered.") % {"name": worker.name})
        return redirect("factories:workers", factory_id=factory.pk)
    rows = (
        Worker.objects.visible_to(request.user)
        .filter(factory=factory)
        .annotate(n_children=Count("children"))
        .order_by("employee_number")
    )
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    return render(
        request, "factories/workers.html", {"factory": factory, "page": page, "form": form}
    )


@login_required
@require_POST
def staff_unlock(request: HttpRequest, factory_id: int, user_id: int) -> HttpResponse:
    """A coordinator lifts the login lock of one of their factory's people."""
    factory = factory_for(request.user, factory_id, [Role.COORDINATOR])
    person = get_object_or_404(
        User.objects.filter(pk__in=Membership.objects.filter(factory=factory).values("user")),
        pk=user_id,
    )
    if lockouts.unlock(user=person, factory=factory, by=request.user):
        messages.success(request, _("%(name)s can log in again.") % {"name": person})
    else:
        messages.info(request, _("%(name)s was not locked.") % {"name": person})
    return redirect("spaces:factory-detail", factory_id=factory.pk)


@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    """Any signed-in user changes their own password; this session stays signed in."""
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        update_session_auth_hash(request, form.user)
        messages.success(request, _("Your password is changed."))
        return redirect("notifications:account")
    return render(request, "factories/password_change.html", {"form": form})
