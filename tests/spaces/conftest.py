"""Season set-up fixtures: a published code of conduct and a season ready to open."""

import datetime

import pytest
from django.utils import timezone

from factories.models import Role
from safeguarding.models import ConductSignature
from spaces.models import (
    ConductPolicy,
    RatioRule,
    SafetyCheck,
    Season,
    Space,
    Teacher,
    TeacherPolicyAcceptance,
)

from ..builders import GroupBuilder, SeasonBuilder, SpaceBuilder, TeacherBuilder, assign, member


def today() -> datetime.date:
    return timezone.localdate()


def days(n: int) -> datetime.date:
    return today() + datetime.timedelta(days=n)


@pytest.fixture
def policy(db) -> ConductPolicy:
    """The current code of conduct (newer than any other in the database)."""
    latest = ConductPolicy.objects.order_by("-version").first()
    return ConductPolicy.objects.create(
        version=latest.version + 1 if latest else 1,
        text_zh="一、孩子的安全和尊严永远放在第一位。",
        text_en="1. A child's safety and dignity come first.",
        published_at=timezone.now() - datetime.timedelta(days=1),
    )


def vet(teacher: Teacher, policy: ConductPolicy) -> Teacher:
    """Trained, background-checked and signed: ready to work with children."""
    teacher.training_completed_on = days(-10)
    teacher.background_check_on = days(-100)
    teacher.save()
    TeacherPolicyAcceptance.objects.get_or_create(teacher=teacher, policy=policy)
    ConductSignature.objects.get_or_create(
        teacher=teacher, policy=policy, defaults={"typed_name": teacher.name, "language": "zh-hans"}
    )
    return teacher


def passed_check(space: Space, *, on=None, kind=SafetyCheck.Kind.PRE_OPENING) -> SafetyCheck:
    return SafetyCheck.objects.create(
        space=space,
        kind=kind,
        checked_on=on or today(),
        **{item: True for item in SafetyCheck.ITEMS},
    )


@pytest.fixture
def ready(site, policy) -> Season:
    """A season in planning at the site's factory with nothing blocking it: one
    room of 60 m² checked before opening, one group of 12 children aged 7 to 12
    (1:12 by the default rules) with a vetted lead teacher."""
    season = SeasonBuilder(
        factory=site.factory,
        name="2027年暑期儿童之家",
        status=Season.Status.PLANNING,
        start_date=days(14),
        end_date=days(60),
        capacity=12,
    )
    RatioRule.add_defaults(season)
    room = SpaceBuilder(factory=site.factory, name="一楼活动室", area_m2=60, capacity=30)
    passed_check(room)
    lead = vet(
        TeacherBuilder(factory=site.factory, user=member(site.factory, Role.TEACHER)), policy
    )
    group = GroupBuilder(
        season=season,
        name="小学组",
        space=room,
        min_age=7,
        max_age=12,
        capacity=12,
        lead_teacher=lead,
    )
    assign(lead, group)
    return season
