"""The one way HR's views fetch a season, factory or child: within the
factories where the user is HR or coordinator, else 404."""

from django.shortcuts import get_object_or_404

from factories.models import Factory, Role
from spaces.models import Season

from ..models import Child


def season_for_hr(user, season_id: int) -> Season:
    return get_object_or_404(
        Season.objects.for_roles(user, Role.HR, Role.COORDINATOR).select_related("factory"),
        pk=season_id,
    )


def factory_for_hr(user, factory_id: int) -> Factory:
    return get_object_or_404(
        Factory.objects.for_roles(user, Role.HR, Role.COORDINATOR), pk=factory_id
    )


def child_for_hr(user, child_id: int) -> Child:
    return get_object_or_404(Child.objects.for_roles(user, Role.HR, Role.COORDINATOR), pk=child_id)
