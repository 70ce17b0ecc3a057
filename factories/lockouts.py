"""Logins that django-axes has locked after too many failed passwords, and lifting a lock.

The lockout page tells a locked-out person to ask their coordinator: a
coordinator sees their factories' locked staff on the factory page and
unlocks them there (an admin still can in the admin or with axes_reset).
"""

from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from .models import AuditEntry, Factory, User


def locked_usernames() -> QuerySet:
    """A subquery of the usernames locked right now (at any address)."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    return AccessAttempt.objects.filter(
        failures_since_start__gte=settings.AXES_FAILURE_LIMIT, attempt_time__gte=since
    ).values("username")


def locked_out_staff(factory: Factory) -> QuerySet[User]:
    """People of `factory`, in any role, whose login is locked now (one query)."""
    return (
        User.objects.filter(memberships__factory=factory, username__in=locked_usernames())
        .distinct()
        .order_by("username")
    )


def unlock(*, user: User, factory: Factory, by: User) -> bool:
    """Lift `user`'s lock at every address; False if there was none. Audited on `factory`."""
    if not locked_usernames().filter(username=user.username).exists():
        return False
    reset(username=user.username)
    AuditEntry.objects.record(
        user=by,
        factory_id=factory.pk,
        instance=user,
        action=AuditEntry.Action.UPDATE,
        changes={"login": ["locked", "unlocked"]},
    )
    return True
