"""Demo data, enrollment's part: the families of each demo factory (workers,
children, guardians, pickups) and their applications, decided as HR would:
enrolled into the groups, waitlisted, declined, withdrawn. A step of the
pipeline in `factories.demo`."""

from __future__ import annotations

import datetime
import random
import zoneinfo
from dataclasses import dataclass

from ccrcsr.fields import years_before
from factories.demo import (
    GRANDFATHERS,
    GRANDMOTHERS,
    MEN,
    WOMEN,
    DemoFactory,
    DemoSite,
    at,
    person_name,
    phone_number,
    step,
)
from factories.models import Factory, Shift, User, Worker
from spaces.demo import band_index
from spaces.models import Group, Season

from .models import (
    AuthorisedPickup,
    Child,
    Consent,
    EmergencyContact,
    Enrollment,
    Guardianship,
    LivesWith,
    Relationship,
    SchoolGrade,
    Sex,
)

COUNTIES = {
    "sichuan": ["巴中市平昌县", "南充市仪陇县", "广安市岳池县", "达州市渠县"],
    "henan": ["周口市郸城县", "驻马店市平舆县", "信阳市固始县", "商丘市虞城县"],
    "anhui": ["阜阳市临泉县", "六安市霍邱县", "亳州市利辛县", "安庆市宿松县"],
    "hunan": ["邵阳市隆回县", "衡阳市衡南县", "永州市道县", "怀化市溆浦县"],
    "guizhou": ["毕节市威宁县", "遵义市桐梓县", "铜仁市思南县", "黔南州三都县"],
    "jiangxi": ["赣州市于都县", "上饶市鄱阳县", "吉安市永丰县", "抚州市广昌县"],
    "hubei": ["黄冈市蕲春县", "孝感市大悟县", "恩施州利川市", "荆州市公安县"],
    "guangxi": ["玉林市博白县", "贵港市桂平市", "河池市都安县", "钦州市浦北县"],
    "chongqing": ["开州区", "云阳县", "奉节县", "巫溪县"],
    "yunnan": ["昭通市镇雄县", "曲靖市宣威市", "文山州丘北县", "红河州泸西县"],
}


BOYS = (
    "浩然 子轩 宇轩 浩宇 俊熙 博文 天佑 沐阳 宇航 梓豪 一鸣 嘉乐 "
    "思远 明轩 家豪 子墨 睿 辰 航 鑫 俊杰 文博 志豪"
).split()


GIRLS = (
    "子涵 梓萱 欣怡 思琪 雨桐 诗涵 可馨 佳怡 语汐 一诺 紫涵 晨曦 "
    "梦瑶 雨欣 馨月 佳琪 若曦 婷 悦 蕊 心怡 安琪 静怡"
).split()


ALLERGIES = [
    "花生过敏",
    "芒果过敏，吃了嘴边起疹子",
    "海鲜（虾、蟹）过敏",
    "牛奶蛋白过敏，不能喝牛奶",
    "青霉素过敏",
    "对尘螨过敏，容易打喷嚏",
]


MEDICAL_NOTES = [
    "哮喘，书包里有沙丁胺醇气雾剂，发作时协助使用",
    "蚕豆病（G6PD缺乏症），禁食蚕豆及蚕豆制品",
    "先天性心脏病术后，避免剧烈运动",
    "容易中暑，户外活动多喝水",
    "癫痫，每天早晚服药（在家服），发作时侧卧并立即联系家长",
]


SPECIAL_NEEDS = [
    "轻度听力障碍，请安排坐在前排",
    "注意力不集中，需要老师多提醒",
    "口吃，请耐心等他说完",
]


DECLINE_REASON = "监护人不是本厂员工，已建议联系所在工厂"


WITHDRAWAL_REASONS = [
    "爷爷奶奶舍不得，暑假留在老家",
    "家里老人生病，孩子留在老家",
    "在老家报了暑期补习班",
    "买不到火车票，今年暑假不来了",
    "跟外婆去舅舅家过暑假",
]


WAITLIST_REASON = "幼儿组名额已满，按申请先后候补"


def school_grade(age: int) -> str:
    """The grade just finished in the summer: children start primary school at 6."""
    if age <= 3:
        return SchoolGrade.NONE
    if age <= 6:
        return SchoolGrade.KINDERGARTEN
    if age <= 12:
        return f"p{age - 6}"
    return SchoolGrade.J1 if age == 13 else SchoolGrade.J2


@dataclass
class ChildPlan:
    """A child with what the later steps need that the Child row does not hold."""

    child: Child
    age: int
    guardians: list[tuple[Worker, str]]  # (worker, relationship)
    pickup_name: str | None


def create_families(
    *,
    spec: DemoFactory,
    factory: Factory,
    season: Season,
    rng: random.Random,
) -> list[ChildPlan]:
    """40 to 80 children, in families whose parents (one or both) work here."""
    target = rng.randint(40, 80)
    provinces = list(spec.home_provinces)
    weights = list(spec.home_provinces.values())
    workers: list[Worker] = []
    children: list[Child] = []
    # (child index, worker index, relationship)
    guardianships: list[tuple[int, int, str]] = []
    pickups: list[tuple[int, str, str, str]] = []  # (child index, name, relationship, phone)
    contacts: list[tuple[int, str, str, str]] = []
    ages: list[int] = []

    def add_worker(*, name: str, province: str) -> int:
        workers.append(
            Worker(
                factory=factory,
                # Unique per factory: the running sequence number at the end.
                employee_number=f"{spec.employee_prefix}{rng.randint(2012, 2025)}"
                f"{len(workers) + 1:04d}",
                name=name,
                department=rng.choice(spec.departments),
                shift=rng.choices([Shift.DAY, Shift.NIGHT, Shift.ROTATING], weights=[60, 15, 25])[
                    0
                ],
                phone=phone_number(rng=rng),
                home_province=province,
            )
        )
        return len(workers) - 1

    while len(children) < target:
        province = rng.choices(provinces, weights=weights)[0]
        county = rng.choice(COUNTIES[province])
        father = person_name(rng=rng, given=MEN)
        mother = person_name(rng=rng, given=WOMEN)
        # Now and then the mother comes from a neighbouring province.
        mother_province = province if rng.random() < 0.9 else rng.choice(provinces)
        at_factory = rng.choices(["both", "mother", "father"], weights=[55, 25, 20])[0]
        parents = []
        if at_factory in ("both", "mother"):
            parents.append((add_worker(name=mother, province=mother_province), "mother"))
        if at_factory in ("both", "father"):
            parents.append((add_worker(name=father, province=province), "father"))

        n_kids = rng.choices([1, 2, 3], weights=[60, 33, 7])[0]
        family_ages = sorted(rng.sample(range(3, 15), n_kids), reverse=True)
        lives_with = rng.choices(
            [
                LivesWith.GRANDPARENTS,
                LivesWith.ONE_PARENT,
                LivesWith.RELATIVES,
                LivesWith.PARENTS,
                LivesWith.BOARDING,
            ],
            weights=[68, 10, 8, 10, 4],
        )[0]
        if lives_with == LivesWith.BOARDING and family_ages[0] < 10:
            lives_with = LivesWith.GRANDPARENTS

        # A grandparent or an aunt often comes along for the summer and may collect them.
        pickup = None
        if rng.random() < 0.35:
            if rng.random() < 0.7:
                pickup = (
                    person_name(rng=rng, given=GRANDMOTHERS, surname=father[0]),
                    Relationship.GRANDPARENT,
                )
            else:
                pickup = (
                    person_name(rng=rng, given=WOMEN, surname=mother[0]),
                    Relationship.AUNT_UNCLE,
                )
            pickup = (*pickup, phone_number(rng=rng))
        # The emergency contact is the parent not at this factory, or a grandparent at home.
        if at_factory == "mother":
            contact = (father, Relationship.FATHER)
        elif at_factory == "father":
            contact = (mother, Relationship.MOTHER)
        else:
            contact = (
                person_name(rng=rng, given=GRANDFATHERS, surname=father[0]),
                Relationship.GRANDPARENT,
            )
        contact = (*contact, phone_number(rng=rng))

        for age in family_ages:
            sex = Sex.MALE if rng.random() < 0.52 else Sex.FEMALE
            born = years_before(season.start_date, age) - datetime.timedelta(
                days=rng.randint(0, 364)
            )
            children.append(
                Child(
                    factory=factory,
                    name=person_name(
                        rng=rng, given=BOYS if sex == Sex.MALE else GIRLS, surname=father[0]
                    ),
                    sex=sex,
                    date_of_birth=born,
                    home_province=province,
                    home_county=county,
                    lives_with=lives_with,
                    school_grade=school_grade(age),
                    allergies=rng.choice(ALLERGIES) if rng.random() < 0.08 else "",
                    medical_notes=rng.choice(MEDICAL_NOTES) if rng.random() < 0.05 else "",
                    special_needs=rng.choice(SPECIAL_NEEDS) if rng.random() < 0.03 else "",
                )
            )
            ages.append(age)
            child_index = len(children) - 1
            for worker_index, relationship in parents:
                guardianships.append((child_index, worker_index, relationship))
            if pickup:
                pickups.append((child_index, *pickup))
            contacts.append((child_index, *contact))

    Worker.objects.bulk_create(workers)
    Child.objects.bulk_create(children)
    Guardianship.objects.bulk_create(
        Guardianship(child=children[c], worker=workers[w], relationship=relationship)
        for c, w, relationship in guardianships
    )
    AuthorisedPickup.objects.bulk_create(
        AuthorisedPickup(child=children[c], name=name, relationship=relationship, phone=phone)
        for c, name, relationship, phone in pickups
    )
    EmergencyContact.objects.bulk_create(
        EmergencyContact(child=children[c], name=name, relationship=relationship, phone=phone)
        for c, name, relationship, phone in contacts
    )

    plans = [
        ChildPlan(child=child, age=age, guardians=[], pickup_name=None)
        for child, age in zip(children, ages, strict=True)
    ]
    for c, w, relationship in guardianships:
        plans[c].guardians.append((workers[w], relationship))
    for c, name, _relationship, _phone in pickups:
        plans[c].pickup_name = name
    return plans


def create_enrollments(
    *,
    plans: list[ChildPlan],
    season: Season,
    groups: list[Group],
    hr: User | None,
    rng: random.Random,
    today: datetime.date,
    now: datetime.datetime,
    tz: zoneinfo.ZoneInfo,
) -> list[tuple[Enrollment, ChildPlan]]:
    """Most children enrolled; a few applied, waitlisted (the full little ones' group), withdrawn.

    Returns the enrolled ones with their plans, for the roll call.
    """
    start, end = season.start_date, season.end_date
    little = [p for p in plans if band_index(p.age) == 0]
    older = [p for p in plans if band_index(p.age) > 0]
    # The waitlist is for the youngest group, which is full; withdrawals come
    # from the older groups, so they freed no place a waitlisted child could take.
    waitlisted = rng.sample(little, min(len(little) // 3, rng.randint(2, 4)))
    withdrawn = rng.sample(older, rng.randint(1, 3))
    undecided = [p for p in plans if p not in waitlisted and p not in withdrawn]
    applied = rng.sample(undecided, rng.randint(2, 5))
    declined = rng.sample([p for p in undecided if p not in applied], 1)
    status_of = {id(p): Enrollment.Status.ENROLLED for p in plans}
    status_of.update({id(p): Enrollment.Status.WAITLISTED for p in waitlisted})
    status_of.update({id(p): Enrollment.Status.WITHDRAWN for p in withdrawn})
    status_of.update({id(p): Enrollment.Status.APPLIED for p in applied})
    status_of.update({id(p): Enrollment.Status.DECLINED for p in declined})

    def moment(day: datetime.date, *, evening: bool = False) -> datetime.datetime:
        # Parents apply from their phones after a shift; HR decides in office hours.
        hour = rng.choice([12, 19, 20, 21]) if evening else rng.randint(9, 16)
        return at(day=day, hour=hour, minute=rng.randint(0, 59), tz=tz)

    enrollments: list[Enrollment] = []
    applied_ats: list[datetime.datetime] = []
    consents: list[Consent] = []
    for plan in plans:
        status = status_of[id(plan)]
        group = groups[band_index(plan.age)]
        arrival, departure = start, end
        decided_at = None
        reason = ""
        kinds = list(Consent.Kind.values)
        if status == Enrollment.Status.ENROLLED:
            roll = rng.random()
            if roll < 0.15:  # came after the end of school term, or waited for train tickets
                arrival = start + datetime.timedelta(days=rng.randint(3, 24))
            elif roll < 0.25:  # goes home early for the new school year
                departure = end - datetime.timedelta(days=rng.randint(5, 20))
            applied_day = arrival - datetime.timedelta(days=rng.randint(5, 30))
            applied_day = min(applied_day, today - datetime.timedelta(days=2))
            applied_at = moment(applied_day, evening=True)
            decided_at = min(
                moment(applied_day + datetime.timedelta(days=rng.randint(1, 4))),
                now - datetime.timedelta(hours=1),
            )
        elif status == Enrollment.Status.APPLIED:
            # Waiting for HR's review: applied in the last few days, wants to come soon.
            group = None
            arrival = min(end, today + datetime.timedelta(days=rng.randint(1, 7)))
            applied_at = min(
                moment(today - datetime.timedelta(days=rng.randint(0, 5)), evening=True),
                now - datetime.timedelta(minutes=rng.randint(10, 600)),
            )
            if rng.random() < 0.5:
                kinds.remove(Consent.Kind.PHOTOS)
        elif status == Enrollment.Status.WAITLISTED:
            group = None
            arrival = start + datetime.timedelta(days=rng.randint(0, 7))
            applied_at = moment(start - datetime.timedelta(days=rng.randint(0, 6)), evening=True)
            decided_at = moment(applied_at.date() + datetime.timedelta(days=1))
            reason = WAITLIST_REASON
        elif status == Enrollment.Status.DECLINED:
            group = None
            applied_at = moment(start - datetime.timedelta(days=rng.randint(10, 20)), evening=True)
            decided_at = moment(applied_at.date() + datetime.timedelta(days=2))
            reason = DECLINE_REASON
        else:  # withdrawn before the season began, so no roll-call history
            applied_at = moment(start - datetime.timedelta(days=rng.randint(15, 35)), evening=True)
            decided_at = moment(start - datetime.timedelta(days=rng.randint(1, 6)))
            reason = rng.choice(WITHDRAWAL_REASONS)

        enrollment = Enrollment(
            child=plan.child,
            season=season,
            group=group,
            status=status,
            decided_at=decided_at,
            arrival_date=arrival,
            departure_date=departure,
            status_reason=reason,
            # Half came in through HR's office, half through the public form.
            created_by=hr if rng.random() < 0.5 else None,
        )
        enrollments.append(enrollment)
        applied_ats.append(applied_at)
        # Consents are given by the first guardian when applying.
        given_by = plan.guardians[0][0].name
        consents.extend(
            Consent(enrollment=enrollment, kind=kind, given_by=given_by, given_at=applied_at)
            for kind in kinds
        )

    for enrollment, applied_at in zip(enrollments, applied_ats, strict=True):
        enrollment.applied_at = applied_at
    Enrollment.objects.bulk_create(enrollments)
    Consent.objects.bulk_create(consents)

    # Capacities: the little ones' group is exactly full when it has a
    # waitlist; the others have a few places to spare.
    for index, group in enumerate(groups):
        n_enrolled = sum(
            1
            for e in enrollments
            if e.group_id == group.pk and e.status == Enrollment.Status.ENROLLED
        )
        spare = 0 if index == 0 and waitlisted else rng.randint(2, 5)
        group.capacity = n_enrolled + spare
        group.save(update_fields=["capacity"])
    season.capacity = sum(group.capacity for group in groups)
    season.save(update_fields=["capacity"])

    return [
        (enrollment, plan)
        for enrollment, plan in zip(enrollments, plans, strict=True)
        if enrollment.status == Enrollment.Status.ENROLLED
    ]


@step(30)
def families(site: DemoSite) -> None:
    site.plans = create_families(
        spec=site.spec, factory=site.factory, season=site.season, rng=site.rng
    )
    site.enrolled = create_enrollments(
        plans=site.plans,
        season=site.season,
        groups=site.groups,
        hr=site.hr,
        rng=site.rng,
        today=site.today,
        now=site.now,
        tz=site.tz,
    )
    site.counts.update(children=len(site.plans), enrolled=len(site.enrolled))
