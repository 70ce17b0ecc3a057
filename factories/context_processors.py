from .models import Membership

NAV_MEMBERSHIPS = 3


def memberships(request) -> dict:
    """The signed-in user's factories and roles, for the navigation bar (lazy: one query).

    At most NAV_MEMBERSHIPS + 1 are read: a coordinator of a thousand factories
    gets three badges and an ellipsis, not a thousand badges on every page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "my_memberships": lambda: list(
            Membership.objects.filter(user=user).select_related("factory")[: NAV_MEMBERSHIPS + 1]
        ),
        "nav_memberships_shown": NAV_MEMBERSHIPS,
    }
