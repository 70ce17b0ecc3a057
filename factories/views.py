from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from spaces.models import Group, Season

from . import lockouts
from .forms import AccountForm, LanguageForm, WorkerForm
from .models import Factory, Membership, Notification, Role, User, Worker, user_roles
from .notifications import enqueue, schedule


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role's first need: HR the waiting applications, teachers today's groups,
    coordinators today's roll-call status, managers their season at a glance."""
    user = request.user
    today = timezone.localdate()
    roles = {role for factory_roles in user_roles(user).values() for role in factory_roles}
    if user.is_superuser:
        roles.add(Role.COORDINATOR)
    ctx = {"today": today, "roles": roles}
    if Role.HR in roles:
        ctx["hr_seasons"] = (
            Season.objects.for_roles(user, Role.HR)
            .current()
            .with_counts()
            .select_related("factory")
        )
    if Role.TEACHER in roles:
        ctx["teacher_groups"] = (
            Group.objects.taught_by(user)
            .filter(season__in=Season.objects.running_on(today))
            .with_roll_call_status(today)
            .select_related("season__factory", "space")
        )
    if Role.COORDINATOR in roles:
        ctx["coordinator_groups"] = (
            Group.objects.for_roles(user, Role.COORDINATOR)
            .filter(season__in=Season.objects.running_on(today))
            .with_roll_call_status(today)
            .select_related("season__factory", "lead_teacher")
            .order_by("season__factory__name_zh", "min_age")
        )
    if Role.MANAGER in roles:
        ctx["manager_seasons"] = (
            Season.objects.for_roles(user, Role.MANAGER)
            .current()
            .with_counts()
            .select_related("factory")
        )
    return render(request, "factories/home.html", ctx)


@login_required
def factory_list(request: HttpRequest) -> HttpResponse:
    factories = Factory.objects.visible_to(request.user).annotate(n_seasons=Count("seasons"))
    roles = user_roles(request.user)
    rows = [(factory, sorted(roles.get(factory.pk, ()))) for factory in factories]
    return render(request, "factories/factory_list.html", {"rows": rows})


@login_required
def factory_detail(request: HttpRequest, factory_id: int) -> HttpResponse:
    factory = get_object_or_404(Factory.objects.visible_to(request.user), pk=factory_id)
    seasons = Season.objects.visible_to(request.user).filter(factory=factory).with_counts()
    roles = user_roles(request.user).get(factory.pk, set())
    superuser = request.user.is_superuser
    is_coordinator = superuser or Role.COORDINATOR in roles
    return render(
        request,
        "factories/factory_detail.html",
        {
            "factory": factory,
            "seasons": seasons,
            "spaces": factory.spaces.all(),
            "my_roles": sorted(roles),
            "can_manage_people": superuser or bool(roles & {Role.HR, Role.COORDINATOR}),
            "is_coordinator": is_coordinator,
            "locked_staff": lockouts.locked_out_staff(factory) if is_coordinator else (),
        },
    )


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
    factory = get_object_or_404(
        Factory.objects.for_roles(request.user, Role.HR, Role.COORDINATOR), pk=factory_id
    )
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
def notification_log(request: HttpRequest) -> HttpResponse:
    """What was sent, to whom, when, and its state; coordinators resend failures."""
    rows = (
        Notification.objects.visible_to(request.user)
        .select_related("factory", "recipient")
        .order_by("-created_at")
    )
    status = request.GET.get("status", "")
    if status in Notification.Status.values:
        rows = rows.filter(status=status)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    resendable = set(
        Factory.objects.for_roles(request.user, Role.COORDINATOR).values_list("pk", flat=True)
    )
    return render(
        request,
        "factories/notification_log.html",
        {"page": page, "status": status, "statuses": Notification.Status.choices,
         "resendable": resendable, "schedule": schedule()},
    )  # fmt: skip


@login_required
@require_POST
def notification_resend(request: HttpRequest, notification_id: int) -> HttpResponse:
    notification = get_object_or_404(
        Notification.objects.for_roles(request.user, Role.COORDINATOR),
        pk=notification_id,
        status=Notification.Status.FAILED,
    )
    Notification.objects.filter(pk=notification.pk, status=Notification.Status.FAILED).update(
        status=Notification.Status.PENDING, last_error=""
    )
    transaction.on_commit(lambda: enqueue(notification.pk))
    messages.success(request, _("The email is queued again."))
    return redirect("factories:notification-log")


@login_required
def account(request: HttpRequest) -> HttpResponse:
    """A user's own settings: language, and which emails they receive."""
    form = AccountForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        translation.activate(form.cleaned_data["language"])
        messages.success(request, _("Saved."))
        return redirect("factories:account")
    return render(request, "factories/account.html", {"form": form})


@login_required
@require_POST
def staff_unlock(request: HttpRequest, factory_id: int, user_id: int) -> HttpResponse:
    """A coordinator lifts the login lock of one of their factory's people."""
    factory = get_object_or_404(
        Factory.objects.for_roles(request.user, Role.COORDINATOR), pk=factory_id
    )
    person = get_object_or_404(
        User.objects.filter(pk__in=Membership.objects.filter(factory=factory).values("user")),
        pk=user_id,
    )
    if lockouts.unlock(user=person, factory=factory, by=request.user):
        messages.success(request, _("%(name)s can log in again.") % {"name": person})
    else:
        messages.info(request, _("%(name)s was not locked.") % {"name": person})
    return redirect("factories:factory-detail", factory_id=factory.pk)


@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    """Any signed-in user changes their own password; this session stays signed in."""
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        update_session_auth_hash(request, form.user)
        messages.success(request, _("Your password is changed."))
        return redirect("factories:account")
    return render(request, "factories/password_change.html", {"form": form})
