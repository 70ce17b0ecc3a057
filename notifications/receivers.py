"""Emails for events the floors below announce with signals (they cannot import
this app). Each receiver runs inside the sender's transaction, so the message
is logged with the change and leaves only after it commits."""

from django.db.models import Q
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _

from attendance.signals import attendance_changed, incident_recorded
from enrollment.privacy import ANONYMISED
from enrollment.signals import (
    application_received,
    child_anonymising,
    enrollment_decided,
    waitlist_promoted,
)
from factories.models import Role, User, staff_of
from parents.names import given_name
from safeguarding.models import SafeguardingLead, leads_of
from safeguarding.signals import concern_escalated, concern_raised
from spaces.models import Season
from spaces.signals import season_status_changed

from . import report_cards
from .models import Notification
from .outbox import notify
from .parent_messages import contacts_of, notify_parent


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
    # Messages to the child's parents name the child by the given name alone.
    short = given_name(former_name)
    to_parents = list(Notification.objects.filter(object_ref=f"enrollment.child:{child.pk}"))
    for notification in to_parents:
        notification.body = notification.body.replace(short, ANONYMISED)
        notification.params = {
            name: value.replace(short, ANONYMISED) if name == "child" else value
            for name, value in notification.params.items()
        }
    Notification.objects.bulk_update(to_parents, ["body", "params"])


# --- messages to parents (SMS, WeChat) ---------------------------------------------


def _child_params(enrollment) -> dict:
    return {"child": given_name(enrollment.child.name)}


def _tell_guardians(enrollment, event: str, key: str, params: dict) -> None:
    for contact in contacts_of(enrollment.child):
        notify_parent(
            event=event,
            contact=contact,
            key=key,
            params={**_child_params(enrollment), **params},
            child=enrollment.child,
        )


@receiver(application_received)
def _tell_parent_application_received(sender, *, enrollment, **kwargs) -> None:
    _tell_guardians(
        enrollment, "application_received", f"{enrollment.pk}", {"reference": enrollment.reference}
    )


@receiver(enrollment_decided)
def _tell_parent_decision(sender, *, enrollment, before, **kwargs) -> None:
    """The decision, once per decision (its time names the occasion)."""
    status = enrollment.status
    if status == before:
        return
    occasion = (
        f"{enrollment.pk}:{enrollment.decided_at.isoformat() if enrollment.decided_at else ''}"
    )
    season = enrollment.season
    if status == enrollment.Status.ENROLLED:
        first_day = max(enrollment.arrival_date, season.start_date)
        promoted = before == enrollment.Status.WAITLISTED
        params = {
            "group": enrollment.group.name if enrollment.group else season.name,
            "first_day": f"{first_day:%m-%d}",
        }
        if not promoted:
            params["hours"] = f"{season.opens_at:%H:%M}-{season.closes_at:%H:%M}"
        _tell_guardians(enrollment, "promoted" if promoted else "enrolled", occasion, params)
    elif status == enrollment.Status.WAITLISTED:
        position = (
            season.enrollments.filter(status=status, applied_at__lt=enrollment.applied_at).count()
            + 1
        )
        _tell_guardians(enrollment, "waitlisted", occasion, {"position": position})
    elif status == enrollment.Status.DECLINED:
        reason = enrollment.status_reason or str(_("no place for this child this season"))
        _tell_guardians(enrollment, "declined", occasion, {"reason": reason[:30]})


@receiver(attendance_changed)
def _tell_parent_check_in_out(sender, *, changes, **kwargs) -> None:
    """Check-in and check-out, to the parents who chose them for this child."""
    for record, before in changes:
        # Read with the roll call's roster (parents.roll_call): no query when no
        # parent of the child asked, which is most taps.
        if getattr(record.enrollment, "parents_told_check_in_out", None) is False:
            continue
        for field, event in (("check_in_at", "checked_in"), ("check_out_at", "checked_out")):
            moment = getattr(record, field)
            if moment is None or before.get(field):
                continue
            who = record.picked_up_by if field == "check_out_at" else str(record.recorded_by or "")
            params = {"time": f"{timezone.localtime(moment):%H:%M}", "who": who}
            _tell_guardians(record.enrollment, event, f"{record.pk}:{record.date}", params)


@receiver(incident_recorded)
def _tell_parent_of_incident(sender, *, incident, **kwargs) -> None:
    """That something happened and whom to call: never what (the free text stays
    with the staff)."""
    lead = incident.group.lead_teacher
    phone = (lead.phone if lead else "") or getattr(incident.recorded_by, "phone", "")
    for child in incident.children.all():
        enrollment = child.enrollments.filter(season=incident.group.season).first()
        if enrollment is not None:
            _tell_guardians(enrollment, "incident", f"{incident.pk}", {"phone": phone or "-"})


@receiver(season_status_changed)
def report_card_at_close(sender, *, season: Season, old: str, new: str, user, **kwargs) -> None:
    """The report card at the close, when the final survey round is over by then
    (else the daily job sends it when it is: `report_cards.report_cards_due`)."""
    if new == Season.Status.CLOSED and report_cards.final_round_over(season, timezone.localdate()):
        report_cards.send_report_card(season=season)


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
