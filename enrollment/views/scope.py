"""The one way HR's views fetch a season, factory or child: within the
factories where the user is HR or coordinator, else 404."""

from factories.models import Factory
from factories.scoping import CHILDREN_STAFF, factory_for
from spaces.models import Season
from spaces.scope import season_for

from ..models import Child
from ..scope import child_for


def season_for_hr(user, season_id: int) -> Season:
    return season_for(user, season_id, CHILDREN_STAFF)


def factory_for_hr(user, factory_id: int) -> Factory:
    return factory_for(user, factory_id, CHILDREN_STAFF)


def child_for_hr(user, child_id: int) -> Child:
    return child_for(user, child_id)
