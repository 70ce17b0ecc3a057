"""Erasure of a child keeps its concerns, naming the child only by reference."""

from django.db.models import Value
from django.db.models.functions import Replace
from django.dispatch import receiver

from enrollment.signals import child_anonymising

from .models import Concern, FollowUp, Referral


@receiver(child_anonymising)
def _keep_concerns_by_reference(sender, *, child, former_name: str, **kwargs) -> None:
    """The concern stays (the law's duty to report outlives the children's
    retention period); the child's former name in its free text becomes the
    concern's reference, which the lead still uses to find the case."""
    if not former_name:
        return
    for concern in Concern.objects.filter(child=child):
        mark = Value(f"[{concern.reference}]")
        Concern.objects.filter(pk=concern.pk).update(
            what=Replace("what", Value(former_name), mark),
            outcome=Replace("outcome", Value(former_name), mark),
        )
        Referral.objects.filter(concern=concern).update(
            notes=Replace("notes", Value(former_name), mark)
        )
        FollowUp.objects.filter(concern=concern).update(
            note=Replace("note", Value(former_name), mark)
        )
