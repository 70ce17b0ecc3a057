"""How the set-up pages fetch what they change. Writes go through
`for_roles(user, Role.COORDINATOR)`, so HR, managers and teachers get 404 on
a set-up page exactly as a stranger does. HR reads the season page, the rooms
and the teacher directory, and may move a child between groups (placing
children is HR's work). Teachers fill in safety checks and their groups'
weekly plans."""

from django.shortcuts import get_object_or_404
from django.urls import reverse

from factories.models import Role, user_roles

from ..models import (
    Group,
    Season,
)


def season_roles(user, season: Season) -> set[str]:
    """The staff roles `user` holds at the season's factory (all for a superuser)."""
    staff = {Role.HR, Role.COORDINATOR, Role.MANAGER}
    if user.is_superuser:
        return staff
    return user_roles(user).get(season.factory_id, set()) & staff


def group_for(user, group_id: int) -> Group:
    return get_object_or_404(
        Group.objects.visible_to(user).select_related("season__factory"), pk=group_id
    )


def coordinated(model, user, pk: int, *related: str):
    """A row of a factory `user` coordinates, or 404."""
    return get_object_or_404(
        model.objects.for_roles(user, Role.COORDINATOR).select_related(*related), pk=pk
    )


def season_url(season: Season) -> str:
    return reverse("spaces:season-detail", args=[season.pk])
