"""Who may see what, named once: the role sets every app scopes by, and the
one way a view fetches a row of a user's factories or answers 404.

Each model's `objects.visible_to(user)` / `for_roles(user, *ROLES)`
(`factories.models.ScopedQuerySet`) narrows to the user's factories; the
fetch-or-404 helper of each kind of object (`factory_for` here,
`spaces.scope.season_for` and `group_for`, `enrollment.scope.child_for`) is
built on `fetch_or_404` with these sets, so another
factory's id answers 404 and ids reveal nothing."""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, TextChoices
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _


class Role(TextChoices):
    HR = "hr", _("HR staff")
    TEACHER = "teacher", _("Teacher")
    COORDINATOR = "coordinator", _("Coordinator")
    MANAGER = "manager", _("Manager")


# Sets, so that `roles & CHILDREN_STAFF` reads a user's roles and
# `for_roles(user, *STAFF)` a QuerySet.

# A factory's office staff: read its seasons, groups, teachers, reports, surveys.
STAFF = frozenset({Role.HR, Role.COORDINATOR, Role.MANAGER})
# See and change its children, guardians, applications and enrollments
# (with a group's own teachers, who read their children).
CHILDREN_STAFF = frozenset({Role.HR, Role.COORDINATOR})
# Watch a factory's figures: the programme dashboard, ratio alerts, summaries.
OVERSEERS = frozenset({Role.COORDINATOR, Role.MANAGER})
# Fill in a room's safety checks.
ROOM_STAFF = frozenset({Role.COORDINATOR, Role.TEACHER})


M = TypeVar("M", bound=Model)


def fetch_or_404(model: type[M], user, pk: int, *, roles=None, related=()) -> M:
    """The row `pk` of `model` within `user`'s reach, or 404: what the model's
    `visible_to(user)` shows, or with `roles` only the factories where the user
    holds one of them (`for_roles`); `related` joined in the same query."""
    manager = model._default_manager
    rows = manager.for_roles(user, *roles) if roles else manager.visible_to(user)
    if related:
        rows = rows.select_related(*related)
    return get_object_or_404(rows, pk=pk)


def factory_for(user, factory_id: int, roles=None):
    """The factory `factory_id` of `user`'s, or 404 (with `roles`: where they hold one)."""
    from .models import Factory

    return fetch_or_404(Factory, user, factory_id, roles=roles)
