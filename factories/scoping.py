"""Who may see what, named once: the role sets every app scopes by, and the
one way a view fetches a row of a user's factories or answers 404.

Each model's `objects.visible_to(user)` / `for_roles(user, *ROLES)`
(`factories.models.ScopedQuerySet`) narrows to the user's factories; the
fetch-or-404 helpers of each kind of object (`spaces.scope`,
`enrollment.scope`) are built on `fetch_or_404` with these sets, so another
factory's id answers 404 and ids reveal nothing."""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, QuerySet
from django.shortcuts import get_object_or_404

from .models import Role

# A factory's office staff: read its seasons, groups, teachers, reports.
STAFF = (Role.HR, Role.COORDINATOR, Role.MANAGER)
# See and change its children, guardians, applications and enrollments
# (with the group's own teachers, who read their children).
CHILDREN_STAFF = (Role.HR, Role.COORDINATOR)
# Set up seasons, rooms, groups and teachers; any day's roll call.
SETS_UP = (Role.COORDINATOR,)
# Fill in a room's safety checks.
ROOM_STAFF = (Role.COORDINATOR, Role.TEACHER)
# Read the season reports and the programme dashboard.
REPORT_READERS = (Role.MANAGER, Role.COORDINATOR, Role.HR)


M = TypeVar("M", bound=Model)


def fetch_or_404(rows: QuerySet[M], pk: int, *related: str) -> M:
    """The row `pk` of an already scoped QuerySet (with `related` joined), or 404."""
    return get_object_or_404(rows.select_related(*related) if related else rows, pk=pk)
