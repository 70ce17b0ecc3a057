from .models import Membership
from .scoping import CHILDREN_STAFF

NAV_MEMBERSHIPS = 3


def memberships(request) -> dict:
    """The signed-in user's factories and roles, for the navigation bar (lazy: one query).

    At most NAV_MEMBERSHIPS + 1 are read: a coordinator of a thousand factories
    gets three badges and an ellipsis, not a thousand badges on every page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    fetched = []

    def mine() -> list[Membership]:
        if not fetched:
            rows = Membership.objects.filter(user=user).select_related("factory")
            fetched.append(list(rows[: NAV_MEMBERSHIPS + 1]))
        return fetched[0]

    def searcher() -> bool:
        staff = CHILDREN_STAFF
        if any(m.role in staff for m in mine()):
            return True
        # Only the first few memberships were read: ask about the rest.
        return len(mine()) > NAV_MEMBERSHIPS and (
            Membership.objects.filter(user=user, role__in=staff).exists()
        )

    return {
        "my_memberships": mine,
        "nav_memberships_shown": NAV_MEMBERSHIPS,
        # HR's search box: for those who may see applications.
        "can_search": lambda: user.is_superuser or searcher(),
    }
