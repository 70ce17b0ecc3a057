"""Demo data, spaces' part: each factory's running season with its rooms, safety
checks, teachers and groups; staffing to the ratio rules once the children are
placed; and, at the first factory, next summer rolled over and not ready yet.
Steps of the pipeline in `factories.demo`."""

from __future__ import annotations

import datetime
import random
import zoneinfo

from django.utils import timezone

from factories.demo import (
    EMAIL_DOMAIN,
    MEN,
    SURNAME_WEIGHTS,
    SURNAMES,
    WOMEN,
    DemoFactory,
    DemoSite,
    at,
    person_name,
    phone_number,
    step,
    teacher_username,
)
from factories.models import Factory, Membership, Role, User

from .models import (
    ClosedDay,
    ConductPolicy,
    Group,
    RatioRule,
    SafetyCheck,
    Season,
    Space,
    Teacher,
    TeacherAssignment,
    TeacherPolicyAcceptance,
)
from .services import season_rollover

GROUP_BANDS = [("幼儿组", 3, 6), ("低年级组", 7, 9), ("高年级组", 10, 14)]


PROFESSIONAL_QUALIFICATIONS = [
    "学前教育专业，幼儿园教师资格证",
    "小学教育专业，小学教师资格证",
    "社会工作专业，助理社会工作师",
    "应用心理学专业，心理健康教育C证",
]


VOLUNTEER_QUALIFICATIONS = [
    "师范大学大三学生，暑期志愿者",
    "本厂员工家属，曾任乡村小学代课老师",
    "大学生志愿者（英语专业）",
]


POLICY_ZH = """儿童之家老师行为守则与儿童保护政策

1. 孩子的安全和尊严永远放在第一位。不打骂、不体罚、不羞辱、不恐吓任何孩子。
2. 不与孩子单独待在别人看不到的封闭房间；需要单独谈话时开着门，或在其他老师看得到的地方。
3. 不私下加孩子的微信、QQ，不私下送孩子礼物，不私下带孩子离开儿童之家。
4. 家长同意后才能给孩子拍照、录像，照片只用于儿童之家的工作，不发到个人朋友圈。
5. 孩子的姓名、住址、健康情况等信息只用于照顾孩子，不告诉无关的人。
6. 只把孩子交给监护人或家长授权的接送人。
7. 发现孩子受伤、生病、被欺负，或怀疑孩子在任何地方受到伤害，当天报告项目协调员；
   紧急情况先拨打120或110。
8. 不在儿童之家吸烟、喝酒，不带危险物品。

违反本守则的老师将停止工作；涉嫌违法的，交公安机关处理。"""


POLICY_EN = """Code of conduct and child protection policy for teachers

1. A child's safety and dignity come first. Never hit, punish physically, humiliate or
   frighten a child.
2. Never be alone with a child in a closed room out of sight; talk with a child alone with
   the door open or where another teacher can see.
3. No private WeChat or QQ contact with a child, no private gifts, never take a child out
   of the space privately.
4. Photos and videos only with the parents' consent, only for the programme's work, never
   on a personal Moments feed.
5. A child's name, address and health are used only to look after the child.
6. Hand a child over only to a guardian or a pickup person the parents authorised.
7. Report an injury, illness, bullying, or any suspicion that a child is harmed anywhere to
   the coordinator the same day; in an emergency call 120 or 110 first.
8. No smoking, alcohol or dangerous objects in the space.

A teacher who breaks this code stops working in the programme; suspected crimes are
reported to the police."""


def demo_policy(*, today: datetime.date) -> ConductPolicy:
    """The current code of conduct, or version 1 published before the demo seasons."""
    policy = ConductPolicy.objects.current()
    if policy is not None:
        return policy
    start, _end = season_dates(today=today)
    published = timezone.make_aware(
        datetime.datetime.combine(start - datetime.timedelta(days=30), datetime.time(9))
    )
    return ConductPolicy.objects.create(
        version=1, text_zh=POLICY_ZH, text_en=POLICY_EN, published_at=published
    )


def band_index(age: int) -> int:
    for index, (_name, low, high) in enumerate(GROUP_BANDS):
        if low <= age <= high:
            return index
    raise ValueError(age)


def season_dates(*, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    # Demo dates are relative to today so the roll call is live: whenever the
    # demo is seeded, the season is three to four weeks in, with history
    # behind it and weeks still to come.
    earliest = today - datetime.timedelta(days=21)
    start = earliest - datetime.timedelta(days=earliest.weekday())
    return start, start + datetime.timedelta(weeks=8) - datetime.timedelta(days=1)


def create_season(*, factory: Factory, today: datetime.date, index: int) -> Season:
    start, end = season_dates(today=today)
    season = Season.objects.create(
        factory=factory,
        name=f"{start.year}年暑期儿童之家",
        start_date=start,
        end_date=end,
        # Seven days a week, as in peak season at many factories; it also
        # keeps the demo's roll call live whatever day it is shown.
        opening_weekdays="1234567",
        capacity=0,  # set once the children are placed
        enrollment_deadline=start - datetime.timedelta(days=7),
        status=Season.Status.RUNNING,
    )
    # Both closed days are in the past, so they show as gaps in the history.
    closed = [ClosedDay(season=season, date=start + datetime.timedelta(days=10), reason="公共假日")]
    if index % 2:
        closed.append(
            ClosedDay(
                season=season,
                date=start + datetime.timedelta(days=19),
                reason="全厂停电检修，放假一天",
            )
        )
    ClosedDay.objects.bulk_create(closed)
    RatioRule.add_defaults(season)
    return season


def create_spaces(
    *, spec: DemoFactory, factory: Factory, season: Season, inspector: User | None, today
) -> list[Space]:
    spaces = [
        Space.objects.create(factory=factory, name=name, capacity=0, location=location)
        for name, location in spec.spaces
    ]
    # Checked before opening and then every Monday, and always passed.
    check_days = [season.start_date - datetime.timedelta(days=3)]
    monday = season.start_date + datetime.timedelta(weeks=1)
    while monday < today:
        check_days.append(monday)
        monday += datetime.timedelta(weeks=1)
    SafetyCheck.objects.bulk_create(
        SafetyCheck(
            space=space,
            checked_on=day,
            checked_by=inspector,
            kind=(
                SafetyCheck.Kind.PRE_OPENING if day < season.start_date else SafetyCheck.Kind.WEEKLY
            ),
            notes="开班前检查，全部合格" if day < season.start_date else "每周检查，全部合格",
            **{item: True for item in SafetyCheck.ITEMS},
        )
        for space in spaces
        for day in check_days
    )
    return spaces


def create_teacher(
    *,
    spec: DemoFactory,
    factory: Factory,
    season: Season,
    n: int,
    professional: bool,
    vetted: bool,
    rng: random.Random,
    password_hash: str,
    stdout,
    style,
    name: str | None = None,
) -> Teacher:
    """A teacher with a login; `vetted` ones are trained and background-checked."""
    surname = rng.choices(SURNAMES, weights=SURNAME_WEIGHTS)[0]
    # Most of the teachers are women, as in the programme.
    given = WOMEN if rng.random() < 0.8 else MEN
    username = teacher_username(spec=spec, n=n)
    user = None
    if User.objects.filter(username=username).exists():
        stdout.write(style.WARNING(f"User {username!r} already exists: left unchanged."))
    else:
        user = User.objects.create(
            username=username,
            email=f"{username}@{EMAIL_DOMAIN}",
            display_name=f"{name or surname}老师",
            password=password_hash,
        )
    return Teacher.objects.create(
        factory=factory,
        user=user,
        name=name or person_name(rng=rng, given=given, surname=surname),
        phone=phone_number(rng=rng),
        kind=Teacher.Kind.PROFESSIONAL if professional else Teacher.Kind.VOLUNTEER,
        qualification=rng.choice(
            PROFESSIONAL_QUALIFICATIONS if professional else VOLUNTEER_QUALIFICATIONS
        ),
        training_completed_on=(
            season.start_date - datetime.timedelta(days=rng.randint(3, 10)) if vetted else None
        ),
        background_check_on=(
            season.start_date - datetime.timedelta(days=rng.randint(14, 60)) if vetted else None
        ),
    )


def create_teachers(
    *,
    spec: DemoFactory,
    factory: Factory,
    season: Season,
    rng: random.Random,
    password_hash: str,
    stdout,
    style,
) -> list[Teacher]:
    """Three professional leads (one per age band) and up to two volunteers."""
    n_volunteers = rng.randint(0, 2)
    return [
        create_teacher(
            spec=spec,
            factory=factory,
            season=season,
            n=n,
            professional=n <= 3,
            vetted=True,
            rng=rng,
            password_hash=password_hash,
            stdout=stdout,
            style=style,
        )
        for n in range(1, 4 + n_volunteers)
    ]


def staff_groups(
    *, spec: DemoFactory, factory: Factory, season: Season, groups: list[Group], n_teachers: int,
    rng: random.Random, password_hash: str, stdout, style,
) -> list[Teacher]:  # fmt: skip
    """Volunteer assistants, so every group meets its ratio rule when full: the
    running seasons pass their readiness checklist, as a season that opened must."""
    on_group: dict[int, set[int]] = {}
    for group_id, teacher_id in TeacherAssignment.objects.filter(season=season).values_list(
        "group_id", "teacher_id"
    ):
        on_group.setdefault(group_id, set()).add(teacher_id)
    assistants = []
    for group in groups:
        missing = group.teachers_needed(group.capacity) - len(on_group.get(group.pk, ()))
        for _ in range(missing):
            n_teachers += 1
            teacher = create_teacher(
                spec=spec,
                factory=factory,
                season=season,
                n=n_teachers,
                professional=False,
                vetted=True,
                rng=rng,
                password_hash=password_hash,
                stdout=stdout,
                style=style,
            )
            TeacherAssignment.objects.create(teacher=teacher, season=season, group=group)
            assistants.append(teacher)
    return assistants


def accept_policy(*, teachers: list[Teacher], policy: ConductPolicy, tz: zoneinfo.ZoneInfo) -> None:
    """Each trained teacher signed the code of conduct at their training."""
    TeacherPolicyAcceptance.objects.bulk_create(
        TeacherPolicyAcceptance(
            teacher=teacher,
            policy=policy,
            accepted_at=at(day=teacher.training_completed_on, hour=16, minute=0, tz=tz),
        )
        for teacher in teachers
        if teacher.training_completed_on
    )


NEWCOMER = "欧阳晓彤"


def create_next_season(
    *, spec: DemoFactory, factory: Factory, season: Season, groups: list[Group], n_teachers: int,
    coordinator: User | None, rng: random.Random, password_hash: str, stdout, style,
) -> list[Teacher]:  # fmt: skip
    """Next summer at the first factory, rolled over from this one and NOT ready,
    so the demo shows the checklist at work: the middle group's lead is not coming
    back, a new volunteer has no training, signed code of conduct or background
    check yet, and no room has had its pre-opening safety check."""
    year = season.end_date.year
    if datetime.date(year, 7, 1) <= season.end_date:
        year += 1
    july = datetime.date(year, 7, 1)
    start = july + datetime.timedelta(days=-july.weekday() % 7)  # the first Monday
    name = f"{year}年暑期儿童之家"
    if name == season.name:  # a winter demo: this season already bears the year
        name = f"{year}年暑期儿童之家（下一期）"
    leaving = groups[1].lead_teacher_id
    returning = list(
        Teacher.objects.filter(assignments__season=season).exclude(pk=leaving).distinct()
    )
    next_season = season_rollover(
        source=season,
        name=name,
        start_date=start,
        end_date=start + datetime.timedelta(weeks=8, days=-1),
        enrollment_deadline=start - datetime.timedelta(days=14),
        returning=returning,
        user=coordinator,
    )
    newcomer = create_teacher(
        spec=spec,
        factory=factory,
        season=next_season,
        n=n_teachers + 1,
        professional=False,
        vetted=False,
        rng=rng,
        password_hash=password_hash,
        stdout=stdout,
        style=style,
        name=NEWCOMER,  # a compound surname: no other demo teacher has it
    )
    TeacherAssignment.objects.create(
        teacher=newcomer, season=next_season, group=next_season.groups.order_by("min_age").first()
    )
    return [newcomer]


def create_groups(
    *, season: Season, spaces: list[Space], teachers: list[Teacher], rng: random.Random
) -> list[Group]:
    groups = []
    for index, (name, low, high) in enumerate(GROUP_BANDS):
        # With two rooms the little ones have one to themselves.
        space = spaces[0] if index == 0 or len(spaces) == 1 else spaces[1]
        groups.append(
            Group.objects.create(
                season=season,
                name=name,
                space=space,
                min_age=low,
                max_age=high,
                capacity=0,  # set once the children are placed
                lead_teacher=teachers[index],
            )
        )
    assignments = [
        TeacherAssignment(teacher=teacher, season=season, group=group)
        for teacher, group in zip(teachers, groups, strict=False)
    ]
    for volunteer in teachers[3:]:
        # A volunteer helps one group, or floats across the whole season.
        group = rng.choice([*groups, None])
        assignments.append(TeacherAssignment(teacher=volunteer, season=season, group=group))
    TeacherAssignment.objects.bulk_create(assignments)
    return groups


def size_spaces(*, spaces: list[Space], groups: list[Group]) -> None:
    """Rooms big enough for the groups they hold, at about 3 m² a child."""
    for space in spaces:
        needed = sum(g.capacity for g in groups if g.space_id == space.pk)
        space.capacity = (needed // 5 + 2) * 5
        space.area_m2 = space.capacity * 3
        space.save(update_fields=["capacity", "area_m2"])


@step(20)
def season_and_rooms(site: DemoSite) -> None:
    site.season = create_season(factory=site.factory, today=site.today, index=site.index)
    site.spaces = create_spaces(
        spec=site.spec,
        factory=site.factory,
        season=site.season,
        inspector=site.inspector,
        today=site.today,
    )
    site.teachers = create_teachers(
        spec=site.spec,
        factory=site.factory,
        season=site.season,
        rng=site.rng,
        password_hash=site.password_hash,
        stdout=site.stdout,
        style=site.style,
    )
    site.groups = create_groups(
        season=site.season, spaces=site.spaces, teachers=site.teachers, rng=site.rng
    )


@step(40)
def staffing(site: DemoSite) -> None:
    """Once the children are placed: rooms sized, every group staffed to its rule."""
    size_spaces(spaces=site.spaces, groups=site.groups)
    site.teachers += staff_groups(
        spec=site.spec,
        factory=site.factory,
        season=site.season,
        groups=site.groups,
        n_teachers=len(site.teachers),
        rng=site.rng,
        password_hash=site.password_hash,
        stdout=site.stdout,
        style=site.style,
    )
    accept_policy(teachers=site.teachers, policy=demo_policy(today=site.today), tz=site.tz)


@step(60)
def next_summer(site: DemoSite) -> None:
    """At the first factory only: next summer, rolled over and not ready."""
    if site.index == 0:
        site.teachers += create_next_season(
            spec=site.spec,
            factory=site.factory,
            season=site.season,
            groups=site.groups,
            n_teachers=len(site.teachers),
            coordinator=site.users["coordinator"],
            rng=site.rng,
            password_hash=site.password_hash,
            stdout=site.stdout,
            style=site.style,
        )


def create_next_session(*, season: Season, coordinator: User | None) -> Season:
    """The season after the running one, open for applications, with its baseline
    survey round open (the baseline takes answers until a week after the start).

    Whatever day the demo is seeded, the running season is three to four weeks
    in, so this one starts five to six weeks ahead and its enrollment deadline
    is four to five weeks ahead: a new user can try the public form and the
    survey at once. Its teachers and groups are the running season's."""
    start = season.end_date + datetime.timedelta(days=8)  # a Monday, a week after the end
    next_season = season_rollover(
        source=season,
        name=f"{start.year}年儿童之家（第二期）",
        start_date=start,
        end_date=start + datetime.timedelta(weeks=6, days=-1),
        enrollment_deadline=start - datetime.timedelta(days=7),
        returning=list(Teacher.objects.filter(assignments__season=season).distinct()),
        user=coordinator,
    )
    next_season.status = Season.Status.OPEN
    next_season.save(update_fields=["status"])
    return next_season


@step(65)
def next_session(site: DemoSite) -> None:
    """At the second factory: the next session, taking applications now."""
    if site.index == 1:
        create_next_session(season=site.season, coordinator=site.users["coordinator"])


@step(70)
def teacher_logins(site: DemoSite) -> None:
    Membership.objects.bulk_create(
        Membership(user=teacher.user, factory=site.factory, role=Role.TEACHER)
        for teacher in site.teachers
        if teacher.user
    )
