"""The one way every app fetches a child of the user's factories, or answers
404 (`factories.scoping`)."""

from __future__ import annotations

from factories.scoping import CHILDREN_STAFF, fetch_or_404

from .models import Child


def child_for(user, child_id: int, roles=CHILDREN_STAFF) -> Child:
    """The child; by default only where the user is HR or coordinator (who
    change children's records)."""
    return fetch_or_404(Child, user, child_id, roles=roles)
