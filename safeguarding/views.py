"""Safeguarding pages: the checks before rostering, and concerns.

A concern's pages answer 404 to everyone but the factory's safeguarding
leads, its coordinators and (the status only) the teacher who raised it.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ccrcsr.throttle import client_address
from enrollment.models import Enrollment
from factories.models import Factory, Role
from spaces.models import ConductPolicy, Teacher

from . import services
from .checks import missing_for, with_checks
from .forms import (
    CloseForm,
    ConcernForm,
    FollowUpForm,
    RecordCheckForm,
    ReferralForm,
    SignForm,
    TrainingForm,
)
from .models import Concern, is_lead

EMERGENCY_NUMBER = "110"


@login_required
def conduct(request: HttpRequest) -> HttpResponse:
    """The teacher reads the current code of conduct and signs it on their phone."""
    policy = ConductPolicy.objects.current()
    teachers = list(Teacher.objects.filter(user=request.user).select_related("factory"))
    unsigned = [
        t for t in teachers if policy and not t.conduct_signatures.filter(policy=policy).exists()
    ]
    form = None
    if unsigned:
        form = SignForm(request.POST or None, teacher=unsigned[0])
        if request.method == "POST" and form.is_valid():
            for teacher in unsigned:
                services.conduct_sign(
                    teacher=teacher,
                    policy=policy,
                    typed_name=form.cleaned_data["typed_name"],
                    ip=client_address(request) or None,
                    language=translation.get_language(),
                )
            messages.success(request, _("Thank you: you signed the code of conduct."))
            return redirect("safeguarding:conduct")
    return render(
        request,
        "safeguarding/conduct.html",
        {
            "policy": policy,
            "teachers": teachers,
            "unsigned": unsigned,
            "form": form,
            "is_lead": request.user.is_superuser or is_lead(request.user),
        },
    )


@login_required
def compliance(request: HttpRequest) -> HttpResponse:
    """The coordinator's table: every teacher of their factories and what is missing."""
    today = timezone.localdate()
    factories = Factory.objects.for_roles(request.user, Role.COORDINATOR)
    if not request.user.is_superuser and not factories.exists():
        raise Http404
    teachers = with_checks(
        Teacher.objects.filter(factory__in=factories).select_related("factory"), today
    ).order_by("factory__name_zh", "name")
    rows = [(t, missing_for(t, today)) for t in teachers]
    return render(request, "safeguarding/compliance.html", {"rows": rows, "today": today})


def _checked_teacher(user, teacher_id: int) -> tuple[Teacher, bool]:
    """The teacher (their own page, or a coordinator's) and whether `user` may record."""
    may_record = Teacher.objects.for_roles(user, Role.COORDINATOR)
    teacher = get_object_or_404(
        (may_record | Teacher.objects.filter(user=user)).select_related("factory"), pk=teacher_id
    )
    return teacher, may_record.filter(pk=teacher.pk).exists()


@login_required
def teacher_checks(request: HttpRequest, teacher_id: int) -> HttpResponse:
    teacher, may_record = _checked_teacher(request.user, teacher_id)
    which = request.POST.get("which") if request.method == "POST" else None
    training = TrainingForm(request.POST if which == "training" else None, prefix="training")
    check = RecordCheckForm(request.POST if which == "check" else None, prefix="check")
    if which and not may_record:
        raise Http404
    form = {"training": training, "check": check}.get(which)
    if form is not None and form.is_valid():
        record = form.save(commit=False)
        record.teacher, record.recorded_by = teacher, request.user
        record.save()
        messages.success(request, _("Saved."))
        return redirect("safeguarding:teacher-checks", teacher_id=teacher.pk)
    today = timezone.localdate()
    annotated = with_checks(Teacher.objects.filter(pk=teacher.pk), today).get()
    return render(
        request,
        "safeguarding/teacher_checks.html",
        {
            "teacher": teacher,
            "missing": missing_for(annotated, today),
            "signatures": teacher.conduct_signatures.select_related("policy"),
            "trainings": teacher.safeguarding_trainings.all(),
            "record_checks": teacher.record_checks.all(),
            "may_record": may_record,
            "training_form": training,
            "check_form": check,
        },
    )


@login_required
def concern_new(request: HttpRequest, enrollment_id: int) -> HttpResponse:
    """Raise a concern about a child on the user's roster (from the roll call)."""
    enrollment = get_object_or_404(
        Enrollment.objects.visible_to(request.user)
        .filter(status=Enrollment.Status.ENROLLED)
        .select_related("child", "season"),
        pk=enrollment_id,
    )
    # The phone's own key for this concern: a resend (double tap, offline
    # queue) is applied once.
    form = ConcernForm(request.POST or None, initial={"client_key": uuid.uuid4()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if data["immediate_danger"] and not data["shown_emergency"]:
            # The page showed the number as soon as the box was ticked; without
            # script it shows now, and the teacher sends again having seen it.
            return render(
                request,
                "safeguarding/concern_form.html",
                {"enrollment": enrollment, "form": form, "emergency": EMERGENCY_NUMBER,
                 "must_confirm": True},
                status=422,
            )  # fmt: skip
        concern, _new = services.concern_raise(
            enrollment=enrollment,
            user=request.user,
            category=data["category"],
            what=data["what"],
            when=data["when"],
            immediate_danger=data["immediate_danger"],
            shown_emergency=data["immediate_danger"] and data["shown_emergency"],
            client_key=data["client_key"],
        )
        messages.success(request, _("Thank you. The safeguarding lead has been told."))
        return redirect("safeguarding:concern", concern_id=concern.pk)
    return render(
        request,
        "safeguarding/concern_form.html",
        {"enrollment": enrollment, "form": form, "emergency": EMERGENCY_NUMBER},
        status=422 if request.method == "POST" else 200,
    )  # fmt: skip


@login_required
def concern_list(request: HttpRequest) -> HttpResponse:
    if not (request.user.is_superuser or is_lead(request.user)):
        raise Http404
    concerns = Concern.objects.handled_by(request.user).select_related("factory", "child")
    return render(request, "safeguarding/concern_list.html", {"concerns": concerns})


ACTIONS = {"referral": ReferralForm, "follow_up": FollowUpForm, "close": CloseForm}


@login_required
def concern_detail(request: HttpRequest, concern_id: int) -> HttpResponse:
    concern = get_object_or_404(
        Concern.objects.visible_to(request.user).select_related("factory", "child", "group"),
        pk=concern_id,
    )
    handles = Concern.objects.handled_by(request.user).filter(pk=concern.pk).exists()
    services.concern_read(concern=concern, user=request.user)
    if not handles:
        # The teacher who raised it sees where it stands, not the rest.
        return render(request, "safeguarding/concern_status.html", {"concern": concern})
    action = request.POST.get("action") if request.method == "POST" else None
    forms = {name: cls(prefix=name) for name, cls in ACTIONS.items()}
    status = 200
    if action == "acknowledge":
        if services.concern_acknowledge(concern=concern, user=request.user):
            messages.success(request, _("Acknowledged."))
        return redirect("safeguarding:concern", concern_id=concern.pk)
    if action in ACTIONS and concern.status != Concern.Status.CLOSED:
        form = forms[action] = ACTIONS[action](request.POST, prefix=action)
        if form.is_valid():
            _act(concern, request.user, action, form)
            messages.success(request, _("Saved."))
            return redirect("safeguarding:concern", concern_id=concern.pk)
        status = 422
    elif action is not None:
        raise Http404
    return render(
        request,
        "safeguarding/concern_detail.html",
        {
            "concern": concern,
            "referrals": concern.referrals.all(),
            "follow_ups": concern.follow_ups.all(),
            "forms": forms,
        },
        status=status,
    )


def _act(concern: Concern, user, action: str, form) -> None:
    if action == "close":
        services.concern_close(concern=concern, user=user, outcome=form.cleaned_data["outcome"])
        return
    record = form.save(commit=False)
    record.concern, record.recorded_by = concern, user
    record.save()
    services.concern_acknowledge(concern=concern, user=user)  # acting on it acknowledges it
