"""Who gets which reminder on which day. Every function takes `now`, so tests
can set the clock; times follow each factory's own time zone."""

from __future__ import annotations

import datetime
import zoneinfo

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from attendance.figures import season_figures
from attendance.models import Attendance
from attendance.roll_call import roll_call_summary
from enrollment.models import Consent, Enrollment
from factories.models import Role, User, staff_of
from factories.scoping import OVERSEERS, STAFF
from parents.models import ParentContact, ParentNotice
from parents.names import given_name
from pickups.expected import still_here
from pickups.ladder import due_steps, take_step
from pickups.models import LadderStep, PickupRules
from safeguarding.services import (
    escalate_unacknowledged,
    record_check_claim_reminder,
    record_checks_expiring,
)
from spaces.models import Group, Season, TeacherAssignment

from .models import figures_for
from .outbox import notify
from .parent_messages import (
    contacts_by_child,
    contacts_of,
    logged_keys,
    message_key,
    notify_parent,
)
from .report_cards import report_cards_due

REQUIRED_CONSENTS = (Consent.Kind.DATA_PROCESSING, Consent.Kind.MEDICAL)


def teachers_of(group: Group):
    assigned = TeacherAssignment.objects.filter(
        Q(group=group) | Q(season=group.season_id, group__isnull=True)
    ).values("teacher__user")
    return User.objects.filter(
        Q(pk__in=assigned) | Q(teacher_profiles__led_groups=group), is_active=True
    ).distinct()


def local(now: datetime.datetime, season: Season) -> datetime.datetime:
    return now.astimezone(zoneinfo.ZoneInfo(season.factory.time_zone))


def run_all(*, now: datetime.datetime) -> None:
    safeguarding_reminders(now=now)
    seasons = list(Season.objects.exclude(status=Season.Status.CLOSED).select_related("factory"))
    for season in seasons:
        here = local(now, season)
        if season.status == Season.Status.RUNNING and season.is_opening_day(here.date()):
            roll_call_reminders(season=season, now=here)
            ratio_alerts(season=season, now=here)
            late_pickups(season=season, now=here)
        parent_jobs(season=season, now=here)
        if here.hour >= settings.DAILY_REMINDER_HOUR:
            applications_waiting(season=season, now=here)
            consents_missing(season=season, now=here)
            season_starts_soon(season=season, now=here)
            weekly_digest(season=season, now=here)
    for season in Season.objects.filter(
        end_date__lt=now.date(), end_date__gte=now.date() - datetime.timedelta(days=30)
    ).select_related("factory"):
        season_summary(season=season, now=local(now, season))
    report_cards_due(today=timezone.localdate(now))


def roll_call_reminders(*, season: Season, now: datetime.datetime) -> None:
    day = now.date()
    opens = datetime.datetime.combine(day, season.opens_at, tzinfo=now.tzinfo)
    due = opens + datetime.timedelta(minutes=settings.ROLL_CALL_REMINDER_MINUTES)
    if now < due:
        return
    missing = [
        g
        for g in season.groups.with_roll_call_status(day)
        if g.n_expected and not g.roll_call_taken
    ]
    for group in missing:
        context = {"season": season, "group": group, "day": day}
        for user in teachers_of(group):
            notify(kind="roll_call_missing", user=user, key=f"{group.pk}:{day}",
                   factory_id=season.factory_id, context=context)  # fmt: skip
        if now >= due + datetime.timedelta(hours=1):
            for user in staff_of(season.factory_id, Role.COORDINATOR):
                notify(kind="roll_call_escalated", user=user, key=f"{group.pk}:{day}",
                       factory_id=season.factory_id, context=context)  # fmt: skip


def ratio_alerts(*, season: Season, now: datetime.datetime) -> None:
    day = now.date()
    for group in season.groups.select_related("season").prefetch_related("season__ratio_rules"):
        summary = roll_call_summary(group, day)
        on_duty = group.staff_shifts.filter(date=day, check_out_at__isnull=True).count()
        limit = group.children_per_teacher  # the ratio rule for the group's ages
        if group.too_few_teachers(children=summary.here, teachers=on_duty):
            context = {"season": season, "group": group, "day": day, "limit": limit,
                       "children": summary.here, "teachers": on_duty}  # fmt: skip
            for user in staff_of(season.factory_id, *OVERSEERS):
                notify(kind="ratio_broken", user=user, key=f"{group.pk}:{day}",
                       factory_id=season.factory_id, context=context)  # fmt: skip


def applications_waiting(*, season: Season, now: datetime.datetime) -> None:
    cutoff = now - datetime.timedelta(days=settings.APPLICATIONS_WAITING_DAYS)
    waiting = season.enrollments.filter(status=Enrollment.Status.APPLIED, applied_at__lt=cutoff)
    n = waiting.count()
    if n:
        context = {"season": season, "n": n, "days": settings.APPLICATIONS_WAITING_DAYS}
        for user in staff_of(season.factory_id, Role.HR):
            notify(kind="applications_waiting", user=user, key=f"{season.pk}:{now.date()}",
                   factory_id=season.factory_id, context=context)  # fmt: skip


def consents_missing(*, season: Season, now: datetime.datetime) -> None:
    lacking = (
        season.enrollments.filter(status=Enrollment.Status.ENROLLED)
        .annotate(
            n=Count(
                "consents",
                filter=Q(consents__kind__in=REQUIRED_CONSENTS, consents__withdrawn_at__isnull=True),
            )
        )  # fmt: skip
        .filter(n__lt=len(REQUIRED_CONSENTS))
        .select_related("child")
    )
    names = [e.child.name for e in lacking]
    if names:
        context = {"season": season, "names": names}
        for user in staff_of(season.factory_id, Role.HR):
            notify(kind="consents_missing", user=user, key=f"{season.pk}:{now.date()}",
                   factory_id=season.factory_id, context=context)  # fmt: skip


def season_starts_soon(*, season: Season, now: datetime.datetime) -> None:
    days_left = (season.start_date - now.date()).days
    if days_left in (14, 3):
        context = {"season": season, "days": days_left}
        for user in staff_of(season.factory_id, *STAFF):
            notify(kind="season_starts_soon", user=user, key=f"{season.pk}:{days_left}",
                   factory_id=season.factory_id, context=context)  # fmt: skip


def weekly_digest(*, season: Season, now: datetime.datetime) -> None:
    day = now.date()
    if season.status != Season.Status.RUNNING or day.isoweekday() != settings.WEEKLY_DIGEST_WEEKDAY:
        return
    if not season.start_date < day <= season.end_date + datetime.timedelta(days=1):
        return
    year, week, _weekday = day.isocalendar()
    figures = season_figures(season, until=day - datetime.timedelta(days=1))
    for user in staff_of(season.factory_id, Role.MANAGER):
        notify(kind="weekly_digest", user=user, key=f"{season.pk}:{year}-{week}",
               factory_id=season.factory_id,
               context={"season": season,
                        "f": figures_for(user, season, figures, final=False)})  # fmt: skip


def season_summary(*, season: Season, now: datetime.datetime) -> None:
    """The day after the season ends: managers, with a copy to coordinators."""
    if now.date() <= season.end_date:
        return
    figures = season_figures(season, until=season.end_date)
    for user in staff_of(season.factory_id, *OVERSEERS):
        notify(kind="season_summary", user=user, key=f"{season.pk}",
               factory_id=season.factory_id, object_ref=f"spaces.season:{season.pk}",
               context={"season": season, "f": figures_for(user, season, figures)})  # fmt: skip


# --- parents ---------------------------------------------------------------------


def parent_jobs(*, season: Season, now: datetime.datetime) -> None:
    """The parent channel's messages that follow the clock (factory time)."""
    day = now.date()
    if season.status == Season.Status.RUNNING and season.is_opening_day(day):
        morning_missing(season=season, now=now)
        evening_digest(season=season, now=now)
    survey_open(season=season, now=now)


def _enrolled_today(season: Season, day: datetime.date):
    return Enrollment.objects.filter(
        season=season,
        status=Enrollment.Status.ENROLLED,
        arrival_date__lte=day,
        departure_date__gte=day,
        child__anonymised_at__isnull=True,
    ).select_related("child", "season")


def morning_missing(*, season: Season, now: datetime.datetime) -> None:
    """An hour after opening: a child expected today, not checked in, with no
    absence reported by the parent and no record from the teachers, gets
    "Is 小雨 coming today?" with the parent page's one-tap answers."""
    day = now.date()
    opens = datetime.datetime.combine(day, season.opens_at, tzinfo=now.tzinfo)
    if now < opens + datetime.timedelta(minutes=settings.PARENT_MORNING_MINUTES):
        return
    told = ParentNotice.objects.on(day).filter(kind__in=["absent", "late"]).values("enrollment")
    expected = list(
        _enrolled_today(season, day).exclude(attendances__date=day).exclude(pk__in=told)
    )
    logged = logged_keys("morning_missing", now - datetime.timedelta(days=1))
    contacts = contacts_by_child([e.child_id for e in expected]) if expected else {}
    for enrollment in expected:
        for contact in contacts.get(enrollment.child_id, []):
            notify_parent(
                event="morning_missing",
                contact=contact,
                key=f"{enrollment.pk}:{day}",
                params={"child": given_name(enrollment.child.name)},
                child=enrollment.child,
                logged=logged,
            )


def evening_digest(*, season: Season, now: datetime.datetime) -> None:
    """After the day ends: one message to each parent who chose the digest, with
    arrival, departure and who, or the absence and its reason."""
    day = now.date()
    closes = datetime.datetime.combine(day, season.closes_at, tzinfo=now.tzinfo)
    if now < closes + datetime.timedelta(minutes=settings.PARENT_DIGEST_MINUTES_AFTER_CLOSING):
        return
    contacts = ParentContact.objects.reachable().filter(
        evening_digest=True, worker__guardianships__child__enrollments__season=season
    )
    logged = logged_keys("evening_digest", now - datetime.timedelta(days=1))
    waiting = [
        (contact, enrollment)
        for contact in contacts.distinct().select_related("worker")
        for enrollment in _enrolled_today(season, day).filter(child__guardians=contact.worker)
        if not {
            message_key("evening_digest", contact.worker_id, c, f"{enrollment.pk}:{day}")
            for c in contact.channels
        }
        <= logged
    ]
    if not waiting:
        return
    records = {
        record.enrollment_id: record
        for record in Attendance.objects.filter(enrollment__season=season, date=day)
    }
    for contact, enrollment in waiting:
        with translation.override(contact.language):
            summary = day_summary(records.get(enrollment.pk))
        notify_parent(
            event="evening_digest",
            contact=contact,
            key=f"{enrollment.pk}:{day}",
            params={
                "child": given_name(enrollment.child.name),
                "summary": summary,
            },
            logged=logged,
        )


def day_summary(record) -> str:
    if record is None:
        return str(_("no roll call"))
    if record.status == record.Status.ABSENT:
        return str(_("absent (%(reason)s)")) % {"reason": record.get_absence_reason_display()}
    parts = []
    if record.check_in_at:
        parts.append(
            str(_("arrived %(time)s")) % {"time": f"{localtime(record.check_in_at):%H:%M}"}
        )
    if record.check_out_at:
        parts.append(
            str(_("went home %(time)s with %(who)s"))
            % {"time": f"{localtime(record.check_out_at):%H:%M}", "who": record.picked_up_by}
        )
    return ", ".join(parts) or record.get_status_display()


def survey_open(*, season: Season, now: datetime.datetime) -> None:
    """When a survey round opens, its link to each parent of the season, once per round."""
    survey = getattr(season, "impact_survey", None)
    round_ = survey.open_round(now.date()) if survey else None
    if round_ is None:
        return
    link = settings.SITE_URL.rstrip("/") + reverse("impact:survey", args=[season.application_token])
    contacts = ParentContact.objects.reachable().filter(
        worker__guardianships__child__enrollments__season=season,
        worker__guardianships__child__enrollments__status=Enrollment.Status.ENROLLED,
    )
    logged = logged_keys("survey_open", now - datetime.timedelta(days=120))
    for contact in contacts.distinct().select_related("worker"):
        notify_parent(
            event="survey_open",
            contact=contact,
            key=f"{season.pk}:{round_}",
            params={"survey": link},
            logged=logged,
        )


# --- late pickups ------------------------------------------------------------------


def late_pickups(*, season: Season, now: datetime.datetime) -> None:
    """Each step of the late-pickup ladder once, at its time (pickups.ladder)."""
    day = now.date()
    closes = datetime.datetime.combine(day, season.closes_at, tzinfo=now.tzinfo)
    rules = PickupRules.of(season.factory_id)
    waiting = still_here(season.groups.all(), day, now)
    if not waiting:
        return
    # The steps taken before, in one query: each minute's run writes only new ones.
    taken = set(
        LadderStep.objects.filter(
            date=day, enrollment__in=[row.enrollment.pk for row in waiting]
        ).values_list("enrollment_id", "step")
    )
    for row in waiting:
        for step in due_steps(row, closes):
            if (row.enrollment.pk, step) in taken:
                continue
            with transaction.atomic():
                if take_step(row, step):
                    _tell_of_step(season, row, step, rules)


def _tell_of_step(season: Season, row, step: str, rules) -> None:
    enrollment = row.enrollment
    key = f"{enrollment.pk}:{row.record.date}"
    context = {"season": season, "row": row, "child": enrollment.child, "group": row.record.group}
    if step == LadderStep.Step.PARENTS:
        for contact in contacts_of(enrollment.child):
            notify_parent(
                event="late_pickup",
                contact=contact,
                key=key,
                params={
                    "child": given_name(enrollment.child.name),
                    "time": f"{row.expected_at.astimezone(row.now.tzinfo):%H:%M}",
                },
                child=enrollment.child,
            )
    elif step == LadderStep.Step.STAFF:
        for user in staff_of(season.factory_id, Role.COORDINATOR, Role.HR):
            notify(kind="late_pickup", user=user, key=key,
                   factory_id=season.factory_id, context=context)  # fmt: skip
    elif step == LadderStep.Step.MANAGER and rules.manager_id:
        notify(kind="late_pickup", user=rules.manager, key=f"manager:{key}",
               factory_id=season.factory_id, context=context)  # fmt: skip
    elif step == LadderStep.Step.CLOSING:
        for user in staff_of(season.factory_id, Role.COORDINATOR):
            notify(kind="still_here_at_closing", user=user, key=key,
                   factory_id=season.factory_id, context=context)  # fmt: skip


def safeguarding_reminders(*, now: datetime.datetime) -> None:
    """Concerns nobody acknowledged go to the other leads (once); a police
    record check expiring within a month is announced once, to the teacher
    and the factory's coordinators."""
    escalate_unacknowledged(now=now)
    for check in record_checks_expiring(today=now.date()):
        with transaction.atomic():
            if not record_check_claim_reminder(check=check, now=now):
                continue  # another run took it
            factory_id = check.teacher.factory_id
            people = list(staff_of(factory_id, Role.COORDINATOR))
            if check.teacher.user is not None:
                people.append(check.teacher.user)
            for user in people:
                notify(kind="record_check_expiring", user=user, key=str(check.pk),
                       factory_id=factory_id, context={"check": check})  # fmt: skip
