"""What the surveys do when a lower floor changes: a worker's answers go with
the worker."""

from __future__ import annotations

from django.db.models.signals import post_delete
from django.dispatch import receiver

from factories.models import Worker

from .models import Survey


@receiver(post_delete, sender=Worker)
def erase_answers_with_worker(sender, instance: Worker, **kwargs) -> None:
    """A worker's answers go with the worker (retention, or an erasure request)."""
    for survey in Survey.objects.filter(season__factory_id=instance.factory_id):
        survey.responses.filter(pseudonym=survey.pseudonym(instance.employee_number)).delete()
