"""Emails for events the floors below announce with signals (they cannot import
this app). Each receiver runs inside the sender's transaction, so the message
is logged with the change and leaves only after it commits."""

from django.dispatch import receiver

from enrollment.signals import waitlist_promoted
from factories.models import Role, staff_of

from .outbox import notify


@receiver(waitlist_promoted)
def _tell_hr_of_promotion(sender, *, enrollment, **kwargs) -> None:
    """HR calls the family of a child promoted from the waitlist. The key names
    the occasion (when the place was given), so a child promoted again after
    being moved back is announced again, and each promotion only once."""
    season = enrollment.season
    occasion = enrollment.decided_at.isoformat() if enrollment.decided_at else ""
    key = f"{enrollment.pk}:{occasion}"
    for hr in staff_of(season.factory_id, Role.HR):
        notify(kind="waitlist_promoted", user=hr, key=key,
               factory_id=season.factory_id, context={"enrollment": enrollment})  # fmt: skip
