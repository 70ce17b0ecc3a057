"""What the parent channel does when the floors below announce something."""

from django.dispatch import receiver
from django.utils import timezone

from enrollment.signals import application_received
from factories.models import AuditEntry

from .models import ParentContact


@receiver(application_received)
def _record_consent(sender, *, enrollment, parent_messages=False, given_by="", user=None, **kw):
    """The application's "tell me by SMS": the guardian's consent, with who gave it,
    when and on which form. A public form is a request, not a change: for a
    worker HR has on the roster it only records that it asked (HR confirms);
    it consents only for a worker it registered itself, and never changes what
    HR or the parent recorded before (a parent who stopped stays stopped)."""
    worker = enrollment.applicant_worker
    if not parent_messages or worker is None:
        return
    contact, created = ParentContact.objects.get_or_create(worker=worker)
    if user is None and worker.on_roster:
        if not contact.consented and not contact.stopped_at:
            ParentContact.objects.filter(pk=contact.pk).update(
                requested_at=timezone.now(), requested_by_name=given_by[:100]
            )
        return
    if not created and (user is None or contact.consented or contact.stopped_at):
        return
    contact.consented = True
    contact.consent_given_by = given_by[:100]
    contact.consent_at = timezone.now()
    contact.consent_source = (
        ParentContact.Source.PUBLIC_FORM if user is None else ParentContact.Source.PAPER
    )
    contact.consent_recorded_by = user if user is not None and user.is_authenticated else None
    contact.save()
    AuditEntry.objects.record(
        user=user,
        factory_id=worker.factory_id,
        instance=contact,
        action=AuditEntry.Action.CREATE if created else AuditEntry.Action.UPDATE,
        changes={"consented": [None, True], "consent_source": [None, contact.consent_source]},
    )
