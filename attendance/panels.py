"""Today's groups and their roll call, on the home page (see factories.dashboard)."""

from factories.dashboard import panel
from factories.models import Role
from spaces.models import Group, Season


@panel
def todays_groups(user, roles: set[str], today) -> dict:
    ctx = {}
    if Role.TEACHER in roles:
        ctx["teacher_groups"] = (
            Group.objects.taught_by(user)
            .filter(season__in=Season.objects.running_on(today))
            .with_roll_call_status(today)
            .select_related("season__factory", "space")
        )
    if Role.COORDINATOR in roles:
        ctx["coordinator_groups"] = (
            Group.objects.for_roles(user, Role.COORDINATOR)
            .filter(season__in=Season.objects.running_on(today))
            .with_roll_call_status(today)
            .select_related("season__factory", "lead_teacher")
            .order_by("season__factory__name_zh", "min_age")
        )
    return ctx
