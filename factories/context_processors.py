from .models import Membership


def memberships(request) -> dict:
    """The signed-in user's factories and roles, for the navigation bar (lazy: one query)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "my_memberships": lambda: list(
            Membership.objects.filter(user=user).select_related("factory")
        )
    }
