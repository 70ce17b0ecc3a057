"""Impact demo rows, built on the demo factories `seed_demo` has just created.

Why: a report card needs a *closed* season with both survey rounds answered,
and the demo's seasons are all running. So last year's season is added at
two of the coordinator's factories, from the same families:

- the first factory: a full season, most parents answering both rounds, so
  every indicator has figures, and the change shows what the programme does;
- the third factory: a small pilot with four children and a handful of
  answers, so every survey cell of its card is suppressed ("<5"), and the
  programme card hides its row and the cells that would reveal it.

Past enrollments stay "enrolled" with consents and a full roll call, like the
running seasons, so every rule the demo's tests check holds for them too.
Deterministic: one seeded random generator.
"""

from __future__ import annotations

import datetime
import random
import zoneinfo

from django.db.models import Count

from attendance.counts import rebuild_season
from attendance.models import Attendance, Incident
from enrollment.models import Consent, Enrollment
from factories.demo import FACTORIES, FINISHERS
from factories.models import Factory, Worker
from spaces.models import Group, Season

from .models import Round, Survey
from .services import response_save

SEED = 16


def build(*, factory_codes: list[str], today: datetime.date) -> list[Season]:
    """Last year's closed seasons at the first and third demo factories, answered;
    returns them so `demo_seasons` recounts their daily figures."""
    rng = random.Random(SEED)
    factories = {f.code: f for f in Factory.objects.filter(code__in=factory_codes)}
    big, small = factories[factory_codes[0]], factories[factory_codes[2]]
    return [
        _closed_season(factory=big, n_children=36, answer_share=0.9, rng=rng),
        _closed_season(factory=small, n_children=4, answer_share=0.5, rng=rng),
    ]


def _closed_season(
    *, factory: Factory, n_children: int, answer_share: float, rng: random.Random
) -> Season:
    running = Season.objects.filter(factory=factory, status=Season.Status.RUNNING).first()
    start = running.start_date - datetime.timedelta(weeks=52)
    end = start + datetime.timedelta(weeks=6, days=-1)
    season = Season.objects.create(
        factory=factory, name=f"{start.year}年暑期儿童之家（上一期）", start_date=start,
        end_date=end, opening_weekdays="12345", capacity=n_children + 5,
        enrollment_deadline=start - datetime.timedelta(days=7), status=Season.Status.CLOSED,
    )  # fmt: skip
    groups = [
        Group.objects.create(season=season, name=g.name, min_age=g.min_age, max_age=g.max_age,
                             capacity=n_children, lead_teacher=g.lead_teacher)
        for g in running.groups.order_by("min_age")
    ]  # fmt: skip
    enrollments = _enroll(season=season, groups=groups, n=n_children, rng=rng)
    _roll_call(season=season, enrollments=enrollments, rng=rng)
    if n_children > 10:
        Incident.objects.create(
            group=groups[0], occurred_at=_at(start + datetime.timedelta(days=9), 10),
            kind=Incident.Kind.INJURY, severity=Incident.Severity.MINOR,
            description="跑步时摔倒，膝盖擦伤。", action_taken="清洗伤口，贴创可贴，通知家长。",
            guardian_informed_at=_at(start + datetime.timedelta(days=9), 11),
        )  # fmt: skip
    _answers(season=season, share=answer_share, rng=rng)
    return season


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(
        day, datetime.time(hour, minute), tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai")
    )


def _enroll(*, season: Season, groups: list[Group], n: int, rng: random.Random):
    """Children of the factory who were of an age for a group last year."""
    children = list(
        season.factory.children.annotate(g=Count("guardianships"))
        .filter(g__gt=0)
        .prefetch_related("guardianships__worker")
        .order_by("pk")
    )
    rng.shuffle(children)
    applied = _at(season.start_date - datetime.timedelta(days=20), 20)
    enrollments, consents = [], []
    for child in children:
        age = season.age_on_start(child.date_of_birth)
        group = next((g for g in groups if g.min_age <= age <= g.max_age), None)
        if group is None:
            continue
        enrollment = Enrollment(
            child=child, season=season, group=group, status=Enrollment.Status.ENROLLED,
            applied_at=applied, decided_at=applied + datetime.timedelta(days=2),
            arrival_date=season.start_date, departure_date=season.end_date,
        )  # fmt: skip
        guardian = child.guardianships.all()[0].worker
        enrollments.append((enrollment, guardian))
        consents += [
            Consent(enrollment=enrollment, kind=kind, given_by=guardian.name, given_at=applied)
            for kind in Consent.Kind.values
        ]
        if len(enrollments) == n:
            break
    Enrollment.objects.bulk_create([e for e, _g in enrollments])
    Consent.objects.bulk_create(consents)
    return enrollments


def _roll_call(*, season: Season, enrollments, rng: random.Random) -> None:
    rows = []
    for day in season.opening_days():
        for enrollment, guardian in enrollments:
            roll = rng.random()
            row = Attendance(enrollment=enrollment, group_id=enrollment.group_id, date=day,
                             recorded_by=enrollment.group.lead_teacher.user)  # fmt: skip
            if roll < 0.9:
                row.status = Attendance.Status.PRESENT
                row.check_in_at = _at(day, 7, 45) + datetime.timedelta(minutes=rng.randint(0, 44))
                row.check_out_at = _at(day, 17, rng.randint(0, 45))
                row.dropped_off_by = row.picked_up_by = guardian.name
            elif roll < 0.95:
                row.status, row.absence_reason = Attendance.Status.EXCUSED, "family_trip"
            else:
                row.status, row.absence_reason = Attendance.Status.ABSENT, "sick"
            rows.append(row)
    Attendance.objects.bulk_create(rows)


def _answers(*, season: Season, share: float, rng: random.Random) -> None:
    """Parents of the enrolled children and as many other parents of the factory
    answer, each round with the given share; the final shows the programme's
    effect for participants and a smaller one for the others."""
    survey = Survey.for_season(season)
    parents = Worker.objects.filter(factory=season.factory).order_by("pk")
    enrolled = parents.filter(guardianships__child__enrollments__season=season)
    participants = list(enrolled.distinct())
    others = list(parents.exclude(pk__in=enrolled.values("pk"))[: max(len(participants), 3)])
    for round_ in (Round.BASELINE, Round.FINAL):
        for workers, taking_part in ((participants, True), (others, False)):
            answering = [w for w in workers if rng.random() < share]
            cohort = _cohort(rng, len(answering), final=round_ == Round.FINAL,
                             participant=taking_part)  # fmt: skip
            for worker, answers in zip(answering, cohort, strict=True):
                response_save(survey=survey, round=round_, employee_number=worker.employee_number,
                              answers=answers, language="zh-hans")  # fmt: skip


def _dealt(rng: random.Random, n: int, shares: dict[str, float]) -> list[str]:
    """n answers in the given proportions exactly (as near as n allows), shuffled:
    the demo's figures then tell the same story whatever the seed."""
    values = [v for v, p in shares.items() for _ in range(round(n * p / 100))]
    values = (values + [next(iter(shares))] * n)[:n]
    rng.shuffle(values)
    return values


def _cohort(rng: random.Random, n: int, *, final: bool, participant: bool) -> list[dict]:
    """One round's answers of one group, around the programme's published
    evaluations: hours alone 30 -> 14 and trust 56% -> 75% for participants,
    smaller gains for the other workers."""
    helped, others_final = final and participant, final and not participant
    trust = 75 if helped else 62 if others_final else 56
    stay = 84 if helped else 80 if others_final else 78
    happy = 80 if helped else 66 if others_final else 60
    alone = 8 if helped else 40 if others_final else 45
    columns = {
        "carer_summer": _dealt(rng, n, {"alone": alone, "space": 85, "grandparents": 7}
                               if helped else {"alone": alone, "grandparents": 100 - alone}),
        "satisfied_space": _dealt(rng, n, {"very_satisfied": 62, "satisfied": 35, "neutral": 3})
        if helped else ["not_used"] * n,
        "space_safe": _dealt(rng, n, {"yes": 98, "dont_know": 2}) if helped else ["not_used"] * n,
        "teachers_professional": _dealt(rng, n, {"yes": 92, "dont_know": 8})
        if helped else ["not_used"] * n,
        "trust_management": _dealt(rng, n, {"absolutely": trust, "mostly": 92 - trust,
                                            "little": 8}),
        "stay_two_years": _dealt(rng, n, {"yes": stay, "no": 100 - stay}),
        "satisfied_factory": _dealt(rng, n, {"satisfied": happy, "neutral": 100 - happy}),
    }  # fmt: skip
    hours = 14 if helped else 27 if others_final else 30
    return [
        {"hours_alone": max(0, round(rng.gauss(hours, 5))),
         **{key: values[i] for key, values in columns.items()}}
        for i in range(n)
    ]  # fmt: skip


def demo_seasons(today: datetime.date) -> dict[str, int]:
    """Run after the other apps' demo data (a finisher of factories.demo): last
    year's answered seasons, with their daily counts as the roll call keeps them."""
    for season in build(factory_codes=[spec.code for spec in FACTORIES], today=today):
        rebuild_season(season, until=season.end_date)
    return {}


FINISHERS.append(demo_seasons)
