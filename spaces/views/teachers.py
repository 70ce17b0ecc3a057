"""A factory's teacher directory and each teacher's record, with the login
they use (one of this factory's people, or a new one invited by link)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from factories.invitations import invitation_path
from factories.models import Factory, Role
from factories.scoping import STAFF

from .. import services
from ..forms import (
    TeacherForm,
)
from ..models import (
    ConductPolicy,
    Teacher,
    TeacherPolicyAcceptance,
)
from .scope import coordinated


@login_required
def teacher_list(request: HttpRequest, factory_id: int) -> HttpResponse:
    factory = get_object_or_404(
        Factory.objects.for_roles(request.user, *STAFF),
        pk=factory_id,
    )
    policy = ConductPolicy.objects.current()
    accepted = TeacherPolicyAcceptance.objects.filter(teacher=OuterRef("pk"), policy=policy)
    teachers = (
        Teacher.objects.visible_to(request.user)
        .filter(factory=factory)
        .select_related("user")
        .annotate(accepted_policy=Exists(accepted))
        .order_by("name")
    )
    can_set_up = Factory.objects.for_roles(request.user, Role.COORDINATOR).filter(pk=factory.pk)
    return render(
        request,
        "spaces/teacher_list.html",
        {
            "factory": factory,
            "teachers": teachers,
            "policy": policy,
            "can_set_up": can_set_up.exists(),
        },
    )


@login_required
def teacher_new(request: HttpRequest, factory_id: int) -> HttpResponse:
    factory = coordinated(Factory, request.user, factory_id)
    return _teacher_form(request, factory, Teacher(factory=factory))


@login_required
def teacher_edit(request: HttpRequest, teacher_id: int) -> HttpResponse:
    teacher = coordinated(Teacher, request.user, teacher_id, "factory", "user")
    return _teacher_form(request, teacher.factory, teacher)


def _teacher_form(request: HttpRequest, factory: Factory, teacher: Teacher) -> HttpResponse:
    policy = ConductPolicy.objects.current()
    form = TeacherForm(request.POST or None, factory=factory, policy=policy, instance=teacher)
    if request.method == "POST" and form.is_valid():
        had_login = form.instance.user_id is not None
        teacher = services.teacher_save(
            teacher=form.save(commit=False),
            accepts=form.accepted_policy,
            user=request.user,
            new_login=form.wants_new_login,
        )
        messages.success(request, _("%(name)s is saved.") % {"name": teacher.name})
        if had_login and teacher.user_id is None:
            messages.info(
                request,
                _(
                    "%(name)s's login no longer opens this factory, and an invitation "
                    "link given for it no longer works."
                )
                % {"name": teacher.name},
            )
        if teacher.user_id and not had_login and not teacher.user.has_usable_password():
            messages.info(
                request,
                _(
                    "%(name)s signs in as %(username)s. Give them this link to set a "
                    "password (it works once, for %(days)d days): %(link)s"
                )
                % {
                    "name": teacher.name,
                    "username": teacher.user.username,
                    "days": settings.PASSWORD_RESET_TIMEOUT // 86400,
                    "link": request.build_absolute_uri(invitation_path(teacher.user)),
                },
            )
        return redirect("spaces:teacher-list", factory_id=factory.pk)
    return render(
        request,
        "spaces/teacher_form.html",
        {"form": form, "factory": factory, "teacher": teacher, "policy": policy},
    )
