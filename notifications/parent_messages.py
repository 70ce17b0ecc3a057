"""Messages to parents by SMS or WeChat, through the outbox that emails use.

One row per (event, parent, channel) under an idempotency key, written in the
transaction of what causes it, handed over by the relay and sent once by a
worker (notifications.tasks), with the same claim and back-off as emails. What
is sent: a short text in the parent's language (templates/parents/messages/),
and for the providers the values of their approved template, in order.

A message names the child by the given name only and never carries health
details or an incident's free text (parents.names). Without the parent's
consent, or after they stopped messages, nothing is written: HR sees why
(`ParentContact.why_silent`).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from parents import links
from parents.models import ParentContact

from .models import Notification

# event: what it is, shown to HR in the notification log and the costs screen.
EVENTS = {
    "application_received": _("Application received"),
    "enrolled": _("Enrolled"),
    "waitlisted": _("On the waitlist"),
    "declined": _("Application declined"),
    "promoted": _("Promoted from the waitlist"),
    "checked_in": _("Checked in"),
    "checked_out": _("Checked out"),
    "incident": _("Something happened to the child"),
    "morning_missing": _("Is the child coming today?"),
    "survey_open": _("The survey is open"),
    "evening_digest": _("The day's summary"),
    "late_pickup": _("The child is waiting to be picked up"),
}
# Events a parent chooses per child (off by default); with the evening digest
# they come once, after the day, instead.
CHOSEN_PER_CHILD = {"checked_in", "checked_out"}


def kind_of(event: str) -> str:
    return f"parent_{event}"


def event_of(kind: str) -> str:
    return kind.removeprefix("parent_")


def wants(contact: ParentContact, event: str, child=None) -> bool:
    if event in CHOSEN_PER_CHILD:
        if contact.evening_digest or child is None:
            return False
        return contact.check_in_out_children.filter(pk=child.pk).exists()
    return True


def message_key(event: str, worker_id: int, channel: str, key: str) -> str:
    return f"parent:{event}:{worker_id}:{channel}:{key}"[:200]


def logged_keys(event: str, since) -> set[str]:
    """The keys of `event`'s messages logged since `since`: a job that runs every
    minute skips them in one query instead of trying to log each again."""
    return set(
        Notification.objects.filter(kind=kind_of(event), created_at__gte=since).values_list(
            "idempotency_key", flat=True
        )
    )


def notify_parent(
    *,
    event: str,
    contact: ParentContact,
    key: str,
    params: dict,
    child=None,
    logged: set[str] = frozenset(),
) -> list[Notification]:
    """Log the message for each channel the parent agreed to (once per `key`).
    Call it inside the transaction of what causes it. `logged`: keys known to
    be logged already (`logged_keys`), skipped without a write."""
    channels = [
        c for c in contact.channels if message_key(event, contact.worker_id, c, key) not in logged
    ]
    if not channels or not wants(contact, event, child):
        return []
    params = {name: str(value) for name, value in params.items()}
    params["link"] = links.url_for(contact)
    with translation.override(contact.language):
        text = render_to_string(f"parents/messages/{event}.txt", params).strip()
        summary = str(EVENTS[event])
    worker = contact.worker
    rows = []
    for channel in channels:
        address = worker.phone if channel == Notification.Channel.SMS else contact.wechat_openid
        try:
            with transaction.atomic():
                rows.append(
                    Notification.objects.create(
                        factory_id=worker.factory_id,
                        channel=channel,
                        parent=worker,
                        address=address,
                        kind=kind_of(event),
                        object_ref=f"enrollment.child:{child.pk}" if child else "",
                        idempotency_key=message_key(event, worker.pk, channel, key),
                        language=contact.language,
                        subject=summary,
                        body=text,
                        params=params,
                    )
                )
        except IntegrityError:
            continue  # logged already: a rerun, a retry or a race
    return rows


def contacts_of(child) -> list[ParentContact]:
    """The child's guardians who have a contact record (consenting or not)."""
    return contacts_by_child([child.pk]).get(child.pk, [])


def contacts_by_child(child_ids) -> dict[int, list[ParentContact]]:
    """The guardians with a contact record of each of `child_ids`, in one query."""
    found: dict[int, list[ParentContact]] = {}
    rows = ParentContact.objects.filter(worker__guardianships__child__in=child_ids).annotate(
        child_id=F("worker__guardianships__child")
    )
    for contact in rows.select_related("worker"):
        found.setdefault(contact.child_id, []).append(contact)
    return found
