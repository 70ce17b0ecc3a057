"""The notification log (coordinators resend failures) and each user's own
settings: language and which emails they receive."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from factories.models import Factory, Role

from .forms import AccountForm
from .models import Notification
from .outbox import schedule


@login_required
def notification_log(request: HttpRequest) -> HttpResponse:
    """What was sent, to whom, when, and its state; coordinators resend failures."""
    rows = (
        Notification.objects.visible_to(request.user)
        .select_related("factory", "recipient", "parent")
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
        "notifications/notification_log.html",
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
    # Due at once, with all its tries again; the relay hands it to the broker.
    Notification.objects.filter(pk=notification.pk, status=Notification.Status.FAILED).update(
        status=Notification.Status.PENDING,
        last_error="",
        attempts=0,
        next_attempt_at=timezone.now(),
        queued_at=None,
    )
    messages.success(request, _("The email is queued again."))
    return redirect("notifications:notification-log")


@login_required
def account(request: HttpRequest) -> HttpResponse:
    """A user's own settings: language, and which emails they receive."""
    form = AccountForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        translation.activate(form.cleaned_data["language"])
        messages.success(request, _("Saved."))
        return redirect("notifications:account")
    return render(request, "notifications/account.html", {"form": form})
