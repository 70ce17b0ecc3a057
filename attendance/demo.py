"""Demo data, attendance's part: weeks of roll calls up to today (half of one
factory's today still to take), teachers on duty, a few incidents; then the
daily counts rebuilt as the roll-call pages would have kept them. A step of
the pipeline in `factories.demo`."""

from __future__ import annotations

import datetime
import random
import zoneinfo
from dataclasses import dataclass

from enrollment.demo import ChildPlan
from enrollment.models import Child, Enrollment
from factories.demo import FACTORIES, FINISHERS, DemoSite, at, minutes_after, step
from spaces.models import Group, Season, TeacherAssignment

from .counts import rebuild_season
from .models import Attendance, Incident, StaffShift

# Today's roll call is taken at these factories and left open at the others,
# so dashboards show both states. Not the first factory: the `teacher` login
# should find today's roll call still to do.
# How far today's roll call is at each factory: done at two, half done where
# the `teacher` login works (so the demo shows every state), not started elsewhere.
ROLL_CALL_TODAY = {"demo-dongguan": 0.5, "demo-shenzhen": 1.0, "demo-suzhou": 1.0}


@dataclass(frozen=True)
class IncidentTemplate:
    kind: str
    severity: str
    n_children: int
    description: str  # {names}: the children involved
    action_taken: str


INCIDENTS = [
    IncidentTemplate(
        Incident.Kind.INJURY,
        Incident.Severity.MINOR,
        1,
        "{names}在户外活动时跑步摔倒，右膝擦伤。",
        "用碘伏清洗消毒，贴创可贴，休息十分钟后继续参加活动。",
    ),
    IncidentTemplate(
        Incident.Kind.ILLNESS,
        Incident.Severity.MINOR,
        1,
        "{names}午睡后说头疼，测体温38.2℃。",
        "在休息区单独休息，物理降温，电话通知妈妈提前下班接回。",
    ),
    IncidentTemplate(
        Incident.Kind.BEHAVIOUR,
        Incident.Severity.MINOR,
        2,
        "{names}搭积木时争抢，发生推搡，一人手背被抓伤。",
        "老师把两人分开，分别谈话，引导轮流玩；伤口已消毒。",
    ),
    IncidentTemplate(
        Incident.Kind.ILLNESS,
        Incident.Severity.MODERATE,
        1,
        "{names}午饭后呕吐两次，精神较差。",
        "通知家长，由爸爸带去厂医务室，医生诊断为肠胃炎，建议在家休息两天。",
    ),
    IncidentTemplate(
        Incident.Kind.INJURY,
        Incident.Severity.MODERATE,
        1,
        "{names}从滑梯上滑下时撞到下巴，咬破嘴唇，有少量出血。",
        "冰敷止血，老师陪同到厂医务室检查，无需缝合。",
    ),
    IncidentTemplate(
        Incident.Kind.ILLNESS,
        Incident.Severity.MINOR,
        1,
        "{names}下午户外活动后头晕、出汗多，有轻微中暑症状。",
        "移到阴凉处，补充淡盐水；此后户外活动改在上午十点前。",
    ),
    IncidentTemplate(
        Incident.Kind.SAFETY,
        Incident.Severity.MODERATE,
        0,
        "晨检时发现活动室后门被车间堆放的纸箱堵住。",
        "立即清理通道，通知车间主任；晨检清单加上后门检查。",
    ),
]


def create_attendance(
    *,
    enrolled: list[tuple[Enrollment, ChildPlan]],
    season: Season,
    groups: list[Group],
    rng: random.Random,
    today: datetime.date,
    now: datetime.datetime,
    today_share: float,
    tz: zoneinfo.ZoneInfo,
) -> dict[tuple[int, datetime.date], list[Child]]:
    """The roll call of every opening day so far, with each group's teachers on
    duty; today's only `today_share` done. Returns who was there, for incidents."""
    lead_users = {group.pk: group.lead_teacher.user for group in groups}
    days = [day for day in season.opening_days() if day <= today]
    present: dict[tuple[int, datetime.date], list[Child]] = {}
    rows = []
    group_staff = TeacherAssignment.objects.filter(season=season, group__isnull=False)
    shifts = [
        StaffShift(
            group_id=assignment.group_id,
            teacher_id=assignment.teacher_id,
            date=day,
            check_in_at=at(day=day, hour=7, minute=30, tz=tz),
            check_out_at=at(day=day, hour=17, minute=50, tz=tz) if day < today else None,
        )
        for day in days
        if day < today or today_share
        for assignment in group_staff
    ]
    StaffShift.objects.bulk_create(shifts)
    # Today: the first `today_share` of each group's children, as if the teacher is halfway.
    by_group: dict[int, list[int]] = {}
    for enrollment, _plan in enrolled:
        if enrollment.is_in_programme_on(today):
            by_group.setdefault(enrollment.group_id, []).append(enrollment.pk)
    marked_today = {pk for pks in by_group.values() for pk in pks[: round(today_share * len(pks))]}
    for day in days:
        for enrollment, plan in enrolled:
            if not enrollment.is_in_programme_on(day):
                continue
            if day == today and enrollment.pk not in marked_today:
                continue
            guardians = [worker.name for worker, _relationship in plan.guardians]
            row = Attendance(
                enrollment=enrollment,
                group_id=enrollment.group_id,
                date=day,
                recorded_by=lead_users[enrollment.group_id],
            )
            roll = rng.random()
            if roll < 0.92:
                row.status = Attendance.Status.PRESENT if roll < 0.88 else Attendance.Status.LATE
                if row.status == Attendance.Status.PRESENT:
                    check_in = minutes_after(day=day, hour=7, minute=45, spread=45, rng=rng, tz=tz)
                else:
                    check_in = minutes_after(day=day, hour=9, minute=0, spread=90, rng=rng, tz=tz)
                check_out = minutes_after(day=day, hour=17, minute=0, spread=45, rng=rng, tz=tz)
                # Today's roll call is only as far along as the clock.
                row.check_in_at = check_in if check_in <= now else None
                row.check_out_at = check_out if check_out <= now and row.check_in_at else None
                row.dropped_off_by = rng.choice(guardians)
                if row.check_out_at:
                    # Now and then the grandmother or aunt collects the child.
                    if plan.pickup_name and rng.random() < 0.2:
                        row.picked_up_by = plan.pickup_name
                    else:
                        row.picked_up_by = rng.choice(guardians)
                present.setdefault((enrollment.group_id, day), []).append(plan.child)
            elif roll < 0.98:
                row.status = Attendance.Status.ABSENT
                row.absence_reason = rng.choices(
                    [
                        Attendance.AbsenceReason.SICK,
                        Attendance.AbsenceReason.FAMILY_TRIP,
                        Attendance.AbsenceReason.RETURNED_HOME,
                        Attendance.AbsenceReason.UNKNOWN,
                    ],
                    weights=[40, 20, 10, 30],
                )[0]
            else:
                # Excused: the parents said so the day before.
                row.status = Attendance.Status.EXCUSED
                row.absence_reason = rng.choice(
                    [Attendance.AbsenceReason.SICK, Attendance.AbsenceReason.FAMILY_TRIP]
                )
            rows.append(row)
    Attendance.objects.bulk_create(rows, batch_size=2000)
    return present


def create_incidents(
    *,
    groups: list[Group],
    present: dict[tuple[int, datetime.date], list[Child]],
    today: datetime.date,
    rng: random.Random,
    tz: zoneinfo.ZoneInfo,
) -> int:
    past = [key for key in present if key[1] < today]
    templates = rng.sample(INCIDENTS, rng.randint(2, 4))
    lead_users = {group.pk: group.lead_teacher.user for group in groups}
    for template in templates:
        group_id, day = rng.choice(past)
        children = rng.sample(present[(group_id, day)], template.n_children)
        occurred_at = at(day=day, hour=rng.randint(9, 16), minute=rng.randint(0, 59), tz=tz)
        informed = bool(children) and rng.random() < 0.85
        incident = Incident.objects.create(
            group_id=group_id,
            occurred_at=occurred_at,
            kind=template.kind,
            severity=template.severity,
            description=template.description.format(names="、".join(c.name for c in children)),
            action_taken=template.action_taken,
            guardian_informed_at=(
                occurred_at + datetime.timedelta(minutes=rng.randint(5, 45)) if informed else None
            ),
            recorded_by=lead_users[group_id],
        )
        incident.children.set(children)
    return len(templates)


@step(50)
def roll_calls(site: DemoSite) -> None:
    site.present = create_attendance(
        enrolled=site.enrolled,
        season=site.season,
        groups=site.groups,
        rng=site.rng,
        today=site.today,
        now=site.now,
        today_share=ROLL_CALL_TODAY.get(site.spec.code, 0.0),
        tz=site.tz,
    )
    site.counts["incidents"] = create_incidents(
        groups=site.groups, present=site.present, today=site.today, rng=site.rng, tz=site.tz
    )


def count_the_roll_calls(today: datetime.date) -> dict[str, int]:
    """The roll call was bulk-inserted: count it for the reports as the roll-call
    pages would have. Returns how many records the demo holds."""
    codes = [spec.code for spec in FACTORIES]
    for season in Season.objects.filter(factory__code__in=codes, status=Season.Status.RUNNING):
        rebuild_season(season, until=today)
    return {"records": Attendance.objects.filter(group__season__factory__code__in=codes).count()}


FINISHERS.append(count_the_roll_calls)
