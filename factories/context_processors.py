from .models import Membership, Role


def memberships(request) -> dict:
    """The signed-in user's factories and roles, for the navigation bar (lazy: one query)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    fetched = []

    def mine() -> list[Membership]:
        if not fetched:
            fetched.append(list(Membership.objects.filter(user=user).select_related("factory")))
        return fetched[0]

    return {
        "my_memberships": mine,
        # HR's search box: for those who may see applications (same query as above).
        "can_search": lambda: (
            user.is_superuser or any(m.role in (Role.HR, Role.COORDINATOR) for m in mine())
        ),
    }
