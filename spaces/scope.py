"""The one way every app fetches a season or a group of the user's factories,
or answers 404 (`factories.scoping`)."""

from __future__ import annotations

from factories.scoping import fetch_or_404

from .models import Group, Season


def season_for(user, season_id: int, roles=None) -> Season:
    """The season with its factory; `roles`: only where the user holds one of them."""
    return fetch_or_404(Season, user, season_id, roles=roles, related=("factory",))


def group_for(user, group_id: int) -> Group:
    """The group with its season and factory, as `Group.objects.visible_to` shows it."""
    return fetch_or_404(Group, user, group_id, related=("season__factory",))
