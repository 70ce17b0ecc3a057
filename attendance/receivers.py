"""What the roll call does when the floors below announce a change (signals):
a child moved between groups, a child erased, a child's data exported. Each
runs inside the sender's transaction."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import F, Q
from django.dispatch import receiver
from django.utils import timezone

from enrollment.models import Child, Enrollment
from enrollment.privacy import ANONYMISED, export_row
from enrollment.signals import child_anonymising, child_exporting, enrollment_moved
from factories.models import AuditEntry
from spaces.models import Calendar, Season, days_left_out
from spaces.signals import season_calendar_changed

from .models import Attendance, GroupDay, Incident


@receiver(enrollment_moved)
def _move_todays_record(sender, *, enrollment: Enrollment, **kwargs) -> None:
    """Today's roll-call record moves with a child who changes group, so today's
    counts are right in both groups; earlier records keep the group the child was
    in that day (history). Runs inside the move's transaction."""
    Attendance.objects.filter(enrollment=enrollment, date=timezone.localdate()).update(
        group_id=enrollment.group_id
    )


@receiver(child_anonymising)
def _scrub_child(sender, *, child: Child, **kwargs) -> None:
    """Who dropped off and picked up, the free text of incidents naming the child,
    and what the audit trail recorded of both."""
    records = Attendance.objects.filter(enrollment__child=child)
    incidents = Incident.objects.filter(children=child)
    AuditEntry.objects.scrub(
        model=Attendance._meta.label_lower,
        object_ids=list(records.values_list("pk", flat=True)),
        mark=ANONYMISED,
        keep=("status", "absence_reason", "check_in_at", "check_out_at"),
    )
    AuditEntry.objects.scrub(
        model=Incident._meta.label_lower,
        object_ids=list(incidents.values_list("pk", flat=True)),
        mark=ANONYMISED,
    )
    records.update(dropped_off_by="", picked_up_by="")
    incidents.update(description=ANONYMISED, action_taken="")


@receiver(child_exporting)
def _export_attendance(sender, *, child: Child, **kwargs) -> tuple[str, list[dict]]:
    fields = (
        "date",
        "status",
        "absence_reason",
        "check_in_at",
        "check_out_at",
        "dropped_off_by",
        "picked_up_by",
    )
    records = Attendance.objects.filter(enrollment__child=child).order_by("date")
    return "attendance", [export_row(a, *fields) for a in records]


@receiver(child_exporting)
def _export_incidents(sender, *, child: Child, **kwargs) -> tuple[str, list[dict]]:
    fields = (
        "occurred_at",
        "kind",
        "severity",
        "description",
        "action_taken",
        "guardian_informed_at",
    )
    return "incidents", [export_row(i, *fields) for i in Incident.objects.filter(children=child)]


@receiver(season_calendar_changed)
def _drop_empty_counts(sender, *, season: Season, old: Calendar, new: Calendar, **kwargs) -> None:
    """Daily counts of days the season no longer opens, with nothing recorded in
    them (a recount makes one for a day nobody marked): gone, or the season's
    totals (every day) and its report (its dates) would count different days.
    Counts with records never get here: `calendar_refusals` refused the change."""
    counts = GroupDay.objects.filter(season=season, recorded=0)
    left_out = days_left_out(old, new, counts.values_list("date", flat=True))
    if left_out:
        counts.filter(date__in=left_out).delete()


@receiver(child_anonymising)
def _forget_kept_roll_calls(sender, *, child: Child, **kwargs) -> None:
    """Phones that kept a roll call naming the child drop it, or fetch it again,
    the next time they reach the server: the staff who may have opened it
    (the factory's members and teachers, superusers) get a new phone mark
    (attendance/middleware.py), so no page kept with the old one is served."""
    User = get_user_model()
    staff = User.objects.filter(
        Q(memberships__factory=child.factory_id)
        | Q(teacher_profiles__factory=child.factory_id)
        | Q(is_superuser=True)
    )
    User.objects.filter(pk__in=staff.values("pk")).update(
        kept_pages_version=F("kept_pages_version") + 1
    )
