"""What a parent's answer shows on the roll call (registered in
attendance.roll_call when the app loads): read in the roster's own query."""

from __future__ import annotations

from django.db.models import Exists, F, OuterRef, Subquery, Value
from django.utils.translation import gettext as _

from attendance.roll_call import DAY_ONLY

from .models import ParentContact, ParentNotice


def _notices(day):
    return ParentNotice.objects.on(day).filter(enrollment=OuterRef("pk")).order_by("-created_at")


def annotations(day) -> dict:
    Kind = ParentNotice.Kind

    def first(kind: str, field: str) -> Subquery:
        return Subquery(_notices(day).filter(kind=kind).values(field)[:1])

    # Whether a parent of the child asked to hear of check-in and check-out: read
    # here, in the roster's query, so a tap whose parents did not ask costs no
    # query to find out (notifications.receivers).
    told = ParentContact.objects.reachable().filter(
        evening_digest=False, check_in_out_children=OuterRef("child")
    )
    return {
        "parents_told_check_in_out": Exists(told),
        "parent_absent": first(Kind.ABSENT, "reason"),
        "parent_late": first(Kind.LATE, "until"),
        "parent_pickup": first(Kind.PICKUP, "pickup_name"),
    }


def notes(enrollment) -> list[str]:
    lines = []
    reason = getattr(enrollment, "parent_absent", None)
    if reason:
        label = dict(ParentNotice.Reason.choices).get(reason, reason)
        lines.append(_("Parent: absent today (%(reason)s)") % {"reason": label})
    until = getattr(enrollment, "parent_late", None)
    if until:
        text = until.strftime("%H:%M") if hasattr(until, "strftime") else str(until)[:5]
        lines.append(_("Parent: late today, by %(time)s") % {"time": text})
    name = getattr(enrollment, "parent_pickup", None)
    if name:
        lines.append(_("Parent: %(name)s picks up today") % {"name": name})
    return lines


def day_pickup_rows(children, day):
    """The people a parent said pick up today, as rows of the pickup list."""
    return (
        ParentNotice.objects.on(day)
        .filter(kind=ParentNotice.Kind.PICKUP, enrollment__child_id__in=children)
        .order_by()  # a part of a UNION
        .values_list(
            F("enrollment__child_id"),
            Value(DAY_ONLY),
            F("pickup_name"),
            F("pickup_relationship"),
            F("pickup_phone"),
        )
    )


def day_pickup_listed(name: str, day):
    return Exists(_notices(day).filter(kind=ParentNotice.Kind.PICKUP, pickup_name=name))
