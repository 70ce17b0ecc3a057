"""Test data builders (factory-boy). Named builders.py: `factories` is our app."""

import datetime

import factory as factory_boy
from django.utils import timezone

from attendance.models import Attendance
from enrollment.models import (
    AuthorisedPickup,
    Child,
    Consent,
    Enrollment,
    Guardianship,
    LivesWith,
    Sex,
)
from factories.models import Factory, Membership, Role, User, Worker
from spaces.models import Group, Season, Space, Teacher, TeacherAssignment

PASSWORD = "correct-horse-battery-staple"


class FactoryBuilder(factory_boy.django.DjangoModelFactory):
    class Meta:
        model = Factory

    code = factory_boy.Sequence(lambda n: f"factory-{n}")
    name_zh = factory_boy.Sequence(lambda n: f"测试电子厂{n}号")
    name_en = factory_boy.Sequence(lambda n: f"Test Electronics {n}")
    province = "guangdong"
    city = "东莞"
    headcount = 1200


class UserBuilder(factory_boy.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory_boy.Sequence(lambda n: f"user{n}")
    display_name = factory_boy.Sequence(lambda n: f"用户{n}")
    email = factory_boy.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory_boy.django.Password(PASSWORD)


def member(factory_obj: Factory, role: str, **user_fields) -> User:
    user = UserBuilder(**user_fields)
    Membership.objects.create(user=user, factory=factory_obj, role=role)
    return user


class SeasonBuilder(factory_boy.django.DjangoModelFactory):
    """A season running today, three weeks in, Monday to Saturday."""

    class Meta:
        model = Season

    factory = factory_boy.SubFactory(FactoryBuilder)
    name = factory_boy.Sequence(lambda n: f"2026年暑期班{n}")
    start_date = factory_boy.LazyFunction(
        lambda: timezone.localdate() - datetime.timedelta(days=21)
    )
    end_date = factory_boy.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=35))
    opening_weekdays = "1234567"
    capacity = 60
    status = Season.Status.RUNNING


class SpaceBuilder(factory_boy.django.DjangoModelFactory):
    class Meta:
        model = Space

    factory = factory_boy.SubFactory(FactoryBuilder)
    name = factory_boy.Sequence(lambda n: f"活动室{n}")
    capacity = 40


class TeacherBuilder(factory_boy.django.DjangoModelFactory):
    class Meta:
        model = Teacher
        skip_postgeneration_save = True

    factory = factory_boy.SubFactory(FactoryBuilder)
    name = factory_boy.Sequence(lambda n: f"老师{n}")
    kind = Teacher.Kind.PROFESSIONAL
    background_check_on = datetime.date(2026, 5, 1)

    @factory_boy.post_generation
    def cleared(teacher, create, extracted, **kwargs):
        """Safeguarding checks on file unless `cleared=False`: trained, a clean
        record check, and the current code of conduct (if any) signed."""
        if create and extracted is not False:
            clear(teacher)


class GroupBuilder(factory_boy.django.DjangoModelFactory):
    class Meta:
        model = Group

    season = factory_boy.SubFactory(SeasonBuilder)
    name = factory_boy.Sequence(lambda n: f"第{n}组")
    min_age = 6
    max_age = 12
    capacity = 30


class WorkerBuilder(factory_boy.django.DjangoModelFactory):
    class Meta:
        model = Worker

    factory = factory_boy.SubFactory(FactoryBuilder)
    employee_number = factory_boy.Sequence(lambda n: f"E{n:05d}")
    name = factory_boy.Sequence(lambda n: f"工人{n}")
    home_province = "sichuan"


class ChildBuilder(factory_boy.django.DjangoModelFactory):
    class Meta:
        model = Child
        skip_postgeneration_save = True

    factory = factory_boy.SubFactory(FactoryBuilder)
    name = factory_boy.Sequence(lambda n: f"孩子{n}")
    sex = Sex.FEMALE
    date_of_birth = datetime.date(2017, 3, 15)
    home_province = "sichuan"
    lives_with = LivesWith.GRANDPARENTS

    @factory_boy.post_generation
    def guardian(child, create, extracted, **kwargs):
        if create:
            worker = extracted or WorkerBuilder(factory=child.factory)
            Guardianship.objects.create(child=child, worker=worker, relationship="mother")


class AuthorisedPickupBuilder(factory_boy.django.DjangoModelFactory):
    class Meta:
        model = AuthorisedPickup

    child = factory_boy.SubFactory(ChildBuilder)
    name = factory_boy.Sequence(lambda n: f"奶奶{n}")
    relationship = "grandparent"


class EnrollmentBuilder(factory_boy.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    season = factory_boy.SubFactory(SeasonBuilder)
    child = factory_boy.LazyAttribute(lambda e: ChildBuilder(factory=e.season.factory))
    status = Enrollment.Status.ENROLLED
    arrival_date = factory_boy.LazyAttribute(lambda e: e.season.start_date)
    departure_date = factory_boy.LazyAttribute(lambda e: e.season.end_date)


def clear(teacher: Teacher, *, on=datetime.date(2025, 6, 1)) -> Teacher:
    """Give `teacher` every safeguarding check, valid from `on` for three years."""
    from safeguarding.models import ConductSignature, RecordCheck, TrainingRecord
    from spaces.models import ConductPolicy

    TrainingRecord.objects.create(
        teacher=teacher, course="儿童保护基础", completed_on=on, trainer="李培训"
    )
    RecordCheck.objects.create(
        teacher=teacher, checked_on=on, checked_by="派出所", result="clear", reference="R-1"
    )
    policy = ConductPolicy.objects.current()
    if policy is not None:
        ConductSignature.objects.get_or_create(
            teacher=teacher,
            policy=policy,
            defaults={"typed_name": teacher.name, "language": "zh-hans"},
        )
    return teacher


def enroll(group: Group, **fields) -> Enrollment:
    return EnrollmentBuilder(season=group.season, group=group, **fields)


def consent_all(enrollment: Enrollment) -> None:
    for kind in Consent.Kind.values:
        Consent.objects.create(
            enrollment=enrollment, kind=kind, given_by="家长", given_at=timezone.now()
        )


def mark(enrollment: Enrollment, day: datetime.date, status: str = "present") -> Attendance:
    return Attendance.objects.create(
        enrollment=enrollment, group=enrollment.group, date=day, status=status
    )


def assign(teacher: Teacher, group: Group) -> TeacherAssignment:
    return TeacherAssignment.objects.create(teacher=teacher, season=group.season, group=group)


__all__ = [
    "PASSWORD",
    "AuthorisedPickupBuilder",
    "ChildBuilder",
    "EnrollmentBuilder",
    "FactoryBuilder",
    "GroupBuilder",
    "SeasonBuilder",
    "SpaceBuilder",
    "TeacherBuilder",
    "UserBuilder",
    "WorkerBuilder",
    "Role",
    "assign",
    "consent_all",
    "enroll",
    "mark",
    "member",
]


def child_edit_data(enrollment: Enrollment, **changes) -> dict:
    """What HR's child edit form posts for `enrollment`'s child as it is, with `changes`
    (field names with their prefix: "child-name", "dates-arrival_date")."""
    child = enrollment.child
    return {
        "child-name": child.name,
        "child-sex": child.sex,
        "child-date_of_birth": child.date_of_birth.isoformat(),
        "child-home_province": child.home_province,
        "child-lives_with": child.lives_with,
        "dates-arrival_date": enrollment.arrival_date.isoformat(),
        "dates-departure_date": enrollment.departure_date.isoformat(),
        **changes,
    }
