"""The notification log (coordinators resend failures) and each user's own
settings: language and which emails they receive."""

import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from factories.models import Factory, Role
from parents.channels import reason_text

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
         "resendable": resendable, "schedule": schedule(),
         "can_see_parents": Factory.objects.for_roles(request.user, Role.HR).exists()},
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


@login_required
def parent_messages(request: HttpRequest) -> HttpResponse:
    """Costs and health of the parent channel on one screen: messages this
    month per factory and channel, the SMS cost at the configured price, the
    failures and their reasons, and a warning when a provider refused for
    balance or quota. HR and coordinators of the factory only."""
    factories = Factory.objects.for_roles(request.user, Role.HR, Role.COORDINATOR)
    if not factories.exists():
        raise Http404
    month = timezone.localdate().replace(day=1)
    rows = Notification.objects.filter(factory__in=factories, created_at__date__gte=month).exclude(
        channel=Notification.Channel.EMAIL
    )
    counts = (
        rows.values("factory__name_zh", "factory__name_en", "factory_id", "channel")
        .annotate(
            sent=Count("pk", filter=Q(status=Notification.Status.SENT)),
            failed=Count("pk", filter=Q(status=Notification.Status.FAILED)),
            waiting=Count(
                "pk",
                filter=Q(status__in=[Notification.Status.PENDING, Notification.Status.SENDING]),
            ),
        )
        .order_by("factory_id", "channel")
    )
    price = settings.PARENT_SMS_PRICE
    table = [
        {**row, "cost": row["sent"] * price if row["channel"] == "sms" else None} for row in counts
    ]
    failures = (
        rows.filter(status=Notification.Status.FAILED)
        .values("last_error")
        .annotate(n=Count("pk"))
        .order_by("-n")
    )
    quota = rows.filter(
        quota_refused=True, created_at__gte=timezone.now() - datetime.timedelta(days=1)
    ).exists()
    return render(
        request,
        "notifications/parent_messages.html",
        {
            "table": table,
            "failures": [(reason_text(f["last_error"]), f["n"]) for f in failures],
            "quota": quota,
            "month": month,
            "price": price,
            "total_cost": sum(row["cost"] or 0 for row in table),
        },
    )
