"""Who gets which reminder on which day. Every function takes `now`, so tests
can set the clock; times follow each factory's own time zone."""

from __future__ import annotations

import datetime
import zoneinfo

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q

from attendance.figures import season_figures
from attendance.roll_call import roll_call_summary
from enrollment.models import Consent, Enrollment
from factories.models import Role, User, staff_of
from safeguarding.services import (
    escalate_unacknowledged,
    record_check_claim_reminder,
    record_checks_expiring,
)
from spaces.models import Group, Season, TeacherAssignment

from .models import figures_for
from .outbox import notify

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
        if here.hour >= settings.DAILY_REMINDER_HOUR:
            applications_waiting(season=season, now=here)
            consents_missing(season=season, now=here)
            season_starts_soon(season=season, now=here)
            weekly_digest(season=season, now=here)
    for season in Season.objects.filter(
        end_date__lt=now.date(), end_date__gte=now.date() - datetime.timedelta(days=30)
    ).select_related("factory"):
        season_summary(season=season, now=local(now, season))


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
        if summary["here"] > on_duty * limit:
            context = {"season": season, "group": group, "day": day, "limit": limit,
                       "children": summary["here"], "teachers": on_duty}  # fmt: skip
            for user in staff_of(season.factory_id, Role.COORDINATOR, Role.MANAGER):
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
        for user in staff_of(season.factory_id, Role.MANAGER, Role.HR, Role.COORDINATOR):
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
               context={"season": season, "f": figures_for(user, season, figures)})  # fmt: skip


def season_summary(*, season: Season, now: datetime.datetime) -> None:
    """The day after the season ends: managers, with a copy to coordinators."""
    if now.date() <= season.end_date:
        return
    figures = season_figures(season, until=season.end_date)
    for user in staff_of(season.factory_id, Role.MANAGER, Role.COORDINATOR):
        notify(kind="season_summary", user=user, key=f"{season.pk}",
               factory_id=season.factory_id, object_ref=f"spaces.season:{season.pk}",
               context={"season": season, "f": figures_for(user, season, figures)})  # fmt: skip


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
