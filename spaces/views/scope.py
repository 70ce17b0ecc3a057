"""How the set-up pages fetch what they change. Writes go through
`for_roles(user, Role.COORDINATOR)`, so HR, managers and teachers get 404 on
a set-up page exactly as a stranger does. HR reads the season page, the rooms
and the teacher directory, and may move a child between groups (placing
children is HR's work). Teachers fill in safety checks and their groups'
weekly plans."""

from django.urls import reverse

from factories.models import Role, user_roles
from factories.scoping import STAFF, fetch_or_404

from ..models import Season
from ..scope import group_for  # noqa: F401 - the set-up views import it from here


def season_roles(user, season: Season) -> set[str]:
    """The staff roles `user` holds at the season's factory (all for a superuser)."""
    staff = STAFF
    if user.is_superuser:
        return staff
    return user_roles(user).get(season.factory_id, set()) & staff


def coordinated(model, user, pk: int, *related: str):
    """A row of a factory `user` coordinates, or 404."""
    return fetch_or_404(model, user, pk, roles=[Role.COORDINATOR], related=related)


def season_url(season: Season) -> str:
    return reverse("spaces:season-detail", args=[season.pk])
