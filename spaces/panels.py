"""The seasons HR and managers follow, on the home page (see factories.dashboard)."""

from factories.dashboard import panel
from factories.models import Role

from .models import Season


@panel
def seasons(user, roles: set[str], today) -> dict:
    ctx = {}
    if Role.HR in roles:
        ctx["hr_seasons"] = (
            Season.objects.for_roles(user, Role.HR)
            .current()
            .with_counts()
            .select_related("factory")
        )
    if Role.MANAGER in roles:
        ctx["manager_seasons"] = (
            Season.objects.for_roles(user, Role.MANAGER)
            .current()
            .with_counts()
            .select_related("factory")
        )
    return ctx
