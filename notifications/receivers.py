"""Emails for events the floors below announce with signals (they cannot import
this app). Each receiver runs inside the sender's transaction, so the message
is logged with the change and leaves only after it commits."""

from django.db.models import Q
from django.dispatch import receiver

from enrollment.privacy import ANONYMISED
from enrollment.signals import child_anonymising, waitlist_promoted
from factories.models import Role, User, staff_of
from safeguarding.models import SafeguardingLead, leads_of
from safeguarding.signals import concern_escalated, concern_raised

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


@receiver(concern_raised)
def _tell_the_leads(sender, *, concern, **kwargs) -> None:
    """The factory's safeguarding leads are told at once. The email names no
    child and no detail: only the reference and a link to the scoped page."""
    for lead in leads_of(concern.factory_id):
        notify(kind="safeguarding_concern", user=lead, key=str(concern.pk),
               factory_id=concern.factory_id, context={"concern": concern})  # fmt: skip


@receiver(concern_escalated)
def _tell_the_other_leads(sender, *, concern, **kwargs) -> None:
    """Unacknowledged in time: every other lead of the programme for this
    factory (its coordinators and designated leads, whoever was not told
    first) and the programme's administrators."""
    first = set(leads_of(concern.factory_id).values_list("pk", flat=True))
    designated = SafeguardingLead.objects.filter(factory_id=concern.factory_id).values("user")
    others = (
        User.objects.filter(
            Q(pk__in=staff_of(concern.factory_id, Role.COORDINATOR))
            | Q(pk__in=designated)
            | Q(is_superuser=True),
            is_active=True,
        )
        .exclude(pk__in=first)
        .distinct()
    )
    for user in others:
        notify(kind="safeguarding_escalated", user=user, key=str(concern.pk),
               factory_id=concern.factory_id, context={"concern": concern})  # fmt: skip
