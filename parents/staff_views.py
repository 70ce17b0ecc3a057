"""HR's side of the parent channel: a parent's consent and choices, and revoking
their links. HR and coordinators of the parent's factory; others get 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.forms.models import model_to_dict
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from enrollment.models import Child
from factories.models import AuditEntry, Role, Worker

from . import services
from .forms import ContactForm
from .models import ParentContact


def _parent_for(user, worker_id: int) -> Worker:
    return get_object_or_404(
        Worker.objects.for_roles(user, Role.HR, Role.COORDINATOR).select_related("factory"),
        pk=worker_id,
    )


@login_required
def contact(request: HttpRequest, worker_id: int) -> HttpResponse:
    worker = _parent_for(request.user, worker_id)
    contact, _created = ParentContact.objects.get_or_create(worker=worker)
    children = Child.objects.filter(guardians=worker, anonymised_at__isnull=True)
    form = ContactForm(request.POST or None, instance=contact, children=children)
    if request.method == "POST" and form.is_valid():
        before = {k: str(v) for k, v in model_to_dict(contact).items()}
        with transaction.atomic():
            contact = form.save(commit=False)
            if "consented" in form.changed_data and contact.consented:
                contact.consent_at = timezone.now()
                contact.consent_source = ParentContact.Source.PAPER
                contact.consent_recorded_by = request.user
                contact.stopped_at = None
            contact.save()
            form.save_m2m()
            after = {k: str(v) for k, v in model_to_dict(contact).items()}
            AuditEntry.objects.record(
                user=request.user,
                factory_id=worker.factory_id,
                instance=contact,
                action=AuditEntry.Action.UPDATE,
                changes={k: [before.get(k), v] for k, v in after.items() if before.get(k) != v},
            )
        messages.success(request, _("Saved."))
        return redirect("parents:contact", worker_id=worker.pk)
    return render(
        request,
        "parents/contact.html",
        {"worker": worker, "contact": contact, "form": form, "children": children},
    )


@login_required
@require_POST
def revoke(request: HttpRequest, worker_id: int) -> HttpResponse:
    worker = _parent_for(request.user, worker_id)
    contact = get_object_or_404(ParentContact, worker=worker)
    services.revoke_links(contact, user=request.user)
    messages.success(request, _("Every link given to this parent before now no longer works."))
    return redirect("parents:contact", worker_id=worker.pk)
