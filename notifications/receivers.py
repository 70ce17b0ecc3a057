"""Emails for events the floors below announce with signals (they cannot import
this app). Each receiver runs inside the sender's transaction, so the message
is logged with the change and leaves only after it commits."""

from django.db.models import Q
from django.dispatch import receiver

from enrollment.privacy import ANONYMISED
from enrollment.signals import child_anonymising, waitlist_promoted
from factories.models import Role, staff_of
from spaces.models import Season
from spaces.signals import season_status_changed

from . import report_cards
from .models import Notification
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


@receiver(child_anonymising)
def _scrub_emails(sender, *, child, former_name: str, **kwargs) -> None:
    """The log keeps each email sent (who, when, what kind) but no longer the
    erased child's name in its subject and text."""
    mentions = list(
        Notification.objects.filter(factory_id=child.factory_id).filter(
            Q(subject__contains=former_name)
            | Q(body__contains=former_name)
            | Q(html_body__contains=former_name)
        )
    )
    for notification in mentions:
        for field in ("subject", "body", "html_body"):
            text = getattr(notification, field).replace(former_name, ANONYMISED)
            setattr(notification, field, text)
    Notification.objects.bulk_update(mentions, ["subject", "body", "html_body"])


@receiver(season_status_changed)
def report_card_at_close(sender, *, season: Season, old: str, new: str, user, **kwargs) -> None:
    if new == Season.Status.CLOSED:
        report_cards.send_report_card(season=season)
