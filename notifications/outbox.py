"""Emails the system sends: rendered in the recipient's language, logged once.

Each message is first a row in the notification log, created in the same
transaction as whatever causes it, under a unique idempotency key (kind,
recipient, subject, occasion): running a job twice, retrying it, or two
workers racing create it once. Nothing here talks to the broker: the relay
(notifications.relay, a loop outside any user's request) hands committed rows
over within seconds, and while the broker is down or hung they simply wait.
So a broker outage never breaks or slows down a user's action.
"""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from factories.models import User

from .models import Notification

# kind: who can switch it off and what it is, shown on the preferences page.
KINDS = {
    "roll_call_missing": _("Today's roll call is not taken yet"),
    "roll_call_escalated": _("A group's roll call is still missing an hour later"),
    "applications_waiting": _("Applications waiting for review"),
    "consents_missing": _("Enrolled children missing a consent"),
    "ratio_broken": _("Too few teachers for the children present"),
    "season_starts_soon": _("A season starts soon"),
    "weekly_digest": _("Weekly digest of a running season"),
    "season_summary": _("End-of-season summary"),
    "waitlist_promoted": _("A child was promoted from the waitlist"),
    "report_card": _("The season's report card, when its final survey round is over"),
    "late_pickup": _("A child is still here past the expected pickup"),
    "still_here_at_closing": _("A child is still here at closing time"),
}


def wants(user: User, kind: str) -> bool:
    return bool(user.is_active and user.email) and kind not in (user.notifications_off or [])


def notify(
    *, kind: str, user: User, key: str, factory_id: int | None, context: dict, object_ref: str = ""
) -> Notification | None:
    """Log one message for `user` (once per `key`); the relay sends it once committed.

    Returns None when the user switched this kind off, has no email, or the
    message was logged before.
    """
    if not wants(user, kind):
        return None
    with translation.override(user.language):
        context = {**context, "user": user, "site_url": settings.SITE_URL}
        subject = render_to_string(f"emails/{kind}_subject.txt", context).strip()
        body = render_to_string(f"emails/{kind}_body.txt", context)
        html = render_to_string(f"emails/{kind}_body.html", context)
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                factory_id=factory_id,
                recipient=user,
                email=user.email,
                kind=kind,
                object_ref=object_ref,
                idempotency_key=f"{kind}:{user.pk}:{key}",
                language=user.language,
                subject=" ".join(subject.split())[:300],
                body=body,
                html_body=html,
            )
    except IntegrityError:
        return None  # logged already: this is the second run, a retry, or a race
    return notification


def schedule() -> list[tuple[str, str]]:
    """When each email goes out, in words, from the settings (shown to coordinators)."""
    return [
        (KINDS["roll_call_missing"], _("%(m)d minutes after opening, to the group's teachers")
         % {"m": settings.ROLL_CALL_REMINDER_MINUTES}),
        (KINDS["roll_call_escalated"], _("an hour later, to the coordinator")),
        (KINDS["applications_waiting"], _("daily from %(h)d:00, after %(d)d days of waiting")
         % {"h": settings.DAILY_REMINDER_HOUR, "d": settings.APPLICATIONS_WAITING_DAYS}),
        (KINDS["consents_missing"], _("daily from %(h)d:00") % {"h": settings.DAILY_REMINDER_HOUR}),
        (KINDS["ratio_broken"], _("as soon as it happens, once a day per group")),
        (KINDS["season_starts_soon"], _("14 and 3 days before the start")),
        (KINDS["weekly_digest"], _("weekly, on weekday %(d)d (1 = Monday)")
         % {"d": settings.WEEKLY_DIGEST_WEEKDAY}),
        (KINDS["season_summary"], _("the day after the season ends")),
        (KINDS["waitlist_promoted"], _("when it happens, to HR")),
        (KINDS["report_card"], _("a month after a closed season ends (when its final survey round "
                                  "is over), to its managers and coordinators")),
        (KINDS["late_pickup"], _("%(s)d minutes past the expected pickup to coordinators and HR, "
                                 "%(m)d to the factory's manager")
         % {"s": settings.PICKUP_STAFF_AFTER_MINUTES, "m": settings.PICKUP_MANAGER_AFTER_MINUTES}),
        (KINDS["still_here_at_closing"], _("at closing time, to the coordinator")),
    ]  # fmt: skip
