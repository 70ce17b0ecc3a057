"""Fill the database with a believable demo programme.

Why this exists: a newcomer running `make run`, and anyone showing the app to
a factory, needs to see it as it looks in the middle of a summer: six
factories, a few hundred children with their parents, weeks of roll calls, a
waitlist, a few incidents, and a login for every role. Typing that in by hand
takes a day; this takes seconds.

The data is deterministic for a given `--seed` (names, ages, attendance), and
the command never creates anything twice: if the demo factories are already
there it only prints the logins.
"""

from __future__ import annotations

import datetime
import math
import random
import time
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from ccrcsr.fields import years_before
from enrollment.models import (
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
from factories.models import Factory, Membership, Role, Shift, User, Worker
from impact import demo as impact_demo
from reports.models import rebuild_season
from spaces.models import (
    Attendance,
    ClosedDay,
    ConductPolicy,
    Group,
    Incident,
    RatioRule,
    SafetyCheck,
    Season,
    Space,
    StaffShift,
    Teacher,
    TeacherAssignment,
    TeacherPolicyAcceptance,
)
from spaces.services import season_rollover

PASSWORD = "demo-password-2026"
DEFAULT_SEED = 2026
EMAIL_DOMAIN = "demo.example"

# --- the six factories -------------------------------------------------------

ELECTRONICS = ["装配车间", "注塑车间", "SMT车间", "质检部", "包装部", "仓储物流部"]
GARMENTS = ["裁剪车间", "缝纫车间", "整烫车间", "质检部", "包装部"]
FOOTWEAR = ["裁断车间", "针车车间", "成型车间", "质检部", "包装部"]
APPLIANCES = ["总装车间", "注塑车间", "钣金车间", "质检部", "包装部"]


@dataclass(frozen=True)
class DemoFactory:
    code: str
    name_zh: str
    name_en: str
    province: str
    city: str
    address: str
    headcount: int
    employee_prefix: str
    departments: list[str]
    # Where this factory's workers come from, with weights: Guangdong draws
    # from Hunan and Guangxi, the Yangtze delta from Anhui and Henan, and so on.
    home_provinces: dict[str, int]
    spaces: list[tuple[str, str]]  # (name, location)


FACTORIES = [
    DemoFactory(
        code="demo-dongguan",
        name_zh="东莞华达电子厂",
        name_en="Dongguan Huada Electronics",
        province="guangdong",
        city="东莞",
        address="广东省东莞市长安镇振安中路188号",
        headcount=3200,
        employee_prefix="HD",
        departments=ELECTRONICS,
        home_provinces={"hunan": 5, "guangxi": 4, "sichuan": 3, "guizhou": 3, "jiangxi": 2},
        spaces=[("一楼活动室", "员工宿舍A栋一楼"), ("阅读室", "员工宿舍A栋二楼")],
    ),
    DemoFactory(
        code="demo-shenzhen",
        name_zh="深圳鹏程精密制造有限公司",
        name_en="Shenzhen Pengcheng Precision Manufacturing",
        province="guangdong",
        city="深圳",
        address="广东省深圳市宝安区福永街道凤凰大道66号",
        headcount=4500,
        employee_prefix="PC",
        departments=ELECTRONICS,
        home_provinces={"hunan": 4, "hubei": 3, "guangxi": 3, "jiangxi": 2, "henan": 2},
        spaces=[("儿童之家活动室", "行政楼一楼东侧")],
    ),
    DemoFactory(
        code="demo-suzhou",
        name_zh="苏州明光制衣厂",
        name_en="Suzhou Mingguang Garments",
        province="jiangsu",
        city="苏州",
        address="江苏省苏州市吴中区木渎镇金山路25号",
        headcount=1800,
        employee_prefix="MG",
        departments=GARMENTS,
        home_provinces={"anhui": 5, "henan": 4, "sichuan": 2, "guizhou": 2, "hubei": 1},
        spaces=[("儿童之家", "食堂二楼")],
    ),
    DemoFactory(
        code="demo-ningbo",
        name_zh="宁波甬丰家电有限公司",
        name_en="Ningbo Yongfeng Home Appliances",
        province="zhejiang",
        city="宁波",
        address="浙江省宁波市北仑区新碶街道长江路1120号",
        headcount=2600,
        employee_prefix="YF",
        departments=APPLIANCES,
        home_provinces={"anhui": 4, "guizhou": 3, "jiangxi": 3, "sichuan": 2, "yunnan": 2},
        spaces=[("一号活动室", "职工之家一楼"), ("二号活动室", "职工之家二楼")],
    ),
    DemoFactory(
        code="demo-xiamen",
        name_zh="厦门鹭岛鞋业有限公司",
        name_en="Xiamen Ludao Footwear",
        province="fujian",
        city="厦门",
        address="福建省厦门市集美区杏林湾路300号",
        headcount=2100,
        employee_prefix="LD",
        departments=FOOTWEAR,
        home_provinces={"jiangxi": 4, "sichuan": 3, "guizhou": 3, "chongqing": 2, "yunnan": 2},
        spaces=[("儿童活动中心", "生活区综合楼一楼")],
    ),
    DemoFactory(
        code="demo-qingdao",
        name_zh="青岛海润纺织厂",
        name_en="Qingdao Hairun Textiles",
        province="shandong",
        city="青岛",
        address="山东省青岛市城阳区流亭街道双元路9号",
        headcount=1500,
        employee_prefix="HR",
        departments=GARMENTS,
        home_provinces={"henan": 5, "anhui": 3, "sichuan": 2, "hubei": 2, "chongqing": 1},
        spaces=[("亲子活动室", "二号宿舍楼一楼"), ("手工室", "二号宿舍楼一楼")],
    ),
]

# Today's roll call is taken at these factories and left open at the others,
# so dashboards show both states. Not the first factory: the `teacher` login
# should find today's roll call still to do.
# How far today's roll call is at each factory: done at two, half done where
# the `teacher` login works (so the demo shows every state), not started elsewhere.
ROLL_CALL_TODAY = {"demo-dongguan": 0.5, "demo-shenzhen": 1.0, "demo-suzhou": 1.0}

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

# --- names ---------------------------------------------------------------------

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
    "蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方邹熊秦邱江尹雷龙"
)
# The commonest surnames first: weight them so 王, 李 and 张 turn up most.
SURNAME_WEIGHTS = [max(1, 30 - i) for i in range(len(SURNAMES))]

# Given names, by generation: parents born in the 1980s and 90s, children since 2010.
MEN = (
    "伟 强 磊 军 勇 杰 涛 斌 超 鹏 建国 志强 海涛 小龙 春生 "
    "国庆 建华 永红 明亮 新民 德福 俊峰 文斌 红兵"
).split()
WOMEN = (
    "丽 娟 敏 静 燕 艳 芳 霞 红梅 小燕 春梅 海燕 秀英 玉兰 桂芳 "
    "翠花 美玲 晓丽 金凤 雪梅 彩霞 丽萍 小琴 英"
).split()
GRANDMOTHERS = ("秀兰 桂英 玉珍 凤英 淑珍 兰英 秀珍 素芬").split()
GRANDFATHERS = ("德明 福生 长贵 有才 保国 振华 仁和 永福").split()
BOYS = (
    "浩然 子轩 宇轩 浩宇 俊熙 博文 天佑 沐阳 宇航 梓豪 一鸣 嘉乐 "
    "思远 明轩 家豪 子墨 睿 辰 航 鑫 俊杰 文博 志豪"
).split()
GIRLS = (
    "子涵 梓萱 欣怡 思琪 雨桐 诗涵 可馨 佳怡 语汐 一诺 紫涵 晨曦 "
    "梦瑶 雨欣 馨月 佳琪 若曦 婷 悦 蕊 心怡 安琪 静怡"
).split()

# --- what happens to children -----------------------------------------------

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


# --- the code of conduct -------------------------------------------------------

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


# --- the logins ---------------------------------------------------------------


@dataclass(frozen=True)
class DemoLogin:
    username: str
    display_name: str
    role: str  # a Role value, or "admin"
    factory_codes: tuple[str, ...]


def staff_logins() -> list[DemoLogin]:
    """Every login except the teachers' (those follow the teacher rows)."""
    first = FACTORIES[0].code
    logins = [
        DemoLogin("admin", "系统管理员", "admin", ()),
        DemoLogin("hr", "张主任", Role.HR, (first,)),
        DemoLogin("manager", "黄厂长", Role.MANAGER, (first,)),
        DemoLogin(
            "coordinator", "周协调员", Role.COORDINATOR, tuple(f.code for f in FACTORIES[:3])
        ),
    ]
    hr_surnames = "刘陈杨吴郑"
    for n, spec in enumerate(FACTORIES[1:], start=2):
        logins.append(DemoLogin(f"hr_{n}", f"{hr_surnames[n - 2]}主任", Role.HR, (spec.code,)))
    return logins


def teacher_username(*, spec: DemoFactory, n: int) -> str:
    # The first group's lead teacher at the first factory is the `teacher` login.
    if spec is FACTORIES[0] and n == 1:
        return "teacher"
    return f"teacher_{spec.code.removeprefix('demo-')}_{n}"


# --- small helpers ------------------------------------------------------------


def person_name(*, rng: random.Random, given: list[str], surname: str | None = None) -> str:
    surname = surname or rng.choices(SURNAMES, weights=SURNAME_WEIGHTS)[0]
    return surname + rng.choice(given)


def phone_number(*, rng: random.Random) -> str:
    return f"1{rng.choice('3358')}{rng.randint(0, 9)}{rng.randint(0, 99_999_999):08d}"


def at(*, day: datetime.date, hour: int, minute: int, tz: zoneinfo.ZoneInfo) -> datetime.datetime:
    """An aware datetime on `day` at a local wall-clock time of the factory."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)), tz)


def minutes_after(
    *, day: datetime.date, hour: int, minute: int, spread: int, rng: random.Random, tz
) -> datetime.datetime:
    return at(day=day, hour=hour, minute=minute, tz=tz) + datetime.timedelta(
        minutes=rng.randint(0, spread)
    )


def school_grade(age: int) -> str:
    """The grade just finished in the summer: children start primary school at 6."""
    if age <= 3:
        return SchoolGrade.NONE
    if age <= 6:
        return SchoolGrade.KINDERGARTEN
    if age <= 12:
        return f"p{age - 6}"
    return SchoolGrade.J1 if age == 13 else SchoolGrade.J2


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


# --- building the data ----------------------------------------------------------


@dataclass
class ChildPlan:
    """A child with what the later steps need that the Child row does not hold."""

    child: Child
    age: int
    guardians: list[tuple[Worker, str]]  # (worker, relationship)
    pickup_name: str | None


def create_users(*, password_hash: str, stdout, style) -> dict[str, User | None]:
    """The staff logins; an existing username is left alone, never overwritten."""
    existing = set(
        User.objects.filter(username__in=[login.username for login in staff_logins()]).values_list(
            "username", flat=True
        )
    )
    users: dict[str, User | None] = {}
    for login in staff_logins():
        if login.username in existing:
            stdout.write(style.WARNING(f"User {login.username!r} already exists: left unchanged."))
            users[login.username] = None
            continue
        users[login.username] = User.objects.create(
            username=login.username,
            email=f"{login.username}@{EMAIL_DOMAIN}",
            display_name=login.display_name,
            password=password_hash,
            is_superuser=login.role == "admin",
            is_staff=login.role == "admin",
        )
    return users


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
        missing = math.ceil(group.capacity / group.children_per_teacher) - len(
            on_group.get(group.pk, ())
        )
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


def size_spaces(*, spaces: list[Space], groups: list[Group]) -> None:
    """Rooms big enough for the groups they hold, at about 3 m² a child."""
    for space in spaces:
        needed = sum(g.capacity for g in groups if g.space_id == space.pk)
        space.capacity = (needed // 5 + 2) * 5
        space.area_m2 = space.capacity * 3
        space.save(update_fields=["capacity", "area_m2"])


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


def seed_factory(
    *,
    spec: DemoFactory,
    index: int,
    rng: random.Random,
    users: dict[str, User | None],
    password_hash: str,
    policy: ConductPolicy,
    today: datetime.date,
    now: datetime.datetime,
    stdout,
    style,
) -> dict[str, int]:
    factory = Factory.objects.create(
        code=spec.code,
        name_zh=spec.name_zh,
        name_en=spec.name_en,
        province=spec.province,
        city=spec.city,
        address=spec.address,
        headcount=spec.headcount,
    )
    tz = zoneinfo.ZoneInfo(factory.time_zone)
    hr = users["hr"] if index == 0 else users[f"hr_{index + 1}"]
    inspector = users["coordinator"] if index < 3 else hr

    season = create_season(factory=factory, today=today, index=index)
    spaces = create_spaces(
        spec=spec, factory=factory, season=season, inspector=inspector, today=today
    )
    teachers = create_teachers(
        spec=spec,
        factory=factory,
        season=season,
        rng=rng,
        password_hash=password_hash,
        stdout=stdout,
        style=style,
    )
    groups = create_groups(season=season, spaces=spaces, teachers=teachers, rng=rng)
    plans = create_families(spec=spec, factory=factory, season=season, rng=rng)
    enrolled = create_enrollments(
        plans=plans, season=season, groups=groups, hr=hr, rng=rng, today=today, now=now, tz=tz
    )
    size_spaces(spaces=spaces, groups=groups)
    teachers += staff_groups(
        spec=spec,
        factory=factory,
        season=season,
        groups=groups,
        n_teachers=len(teachers),
        rng=rng,
        password_hash=password_hash,
        stdout=stdout,
        style=style,
    )
    accept_policy(teachers=teachers, policy=policy, tz=tz)
    present = create_attendance(
        enrolled=enrolled,
        season=season,
        groups=groups,
        rng=rng,
        today=today,
        now=now,
        today_share=ROLL_CALL_TODAY.get(spec.code, 0.0),
        tz=tz,
    )
    n_incidents = create_incidents(groups=groups, present=present, today=today, rng=rng, tz=tz)
    if index == 0:
        teachers += create_next_season(
            spec=spec,
            factory=factory,
            season=season,
            groups=groups,
            n_teachers=len(teachers),
            coordinator=users["coordinator"],
            rng=rng,
            password_hash=password_hash,
            stdout=stdout,
            style=style,
        )

    memberships = [
        Membership(user=teacher.user, factory=factory, role=Role.TEACHER)
        for teacher in teachers
        if teacher.user
    ]
    for login in staff_logins():
        user = users[login.username]
        if user and spec.code in login.factory_codes:
            memberships.append(Membership(user=user, factory=factory, role=login.role))
    Membership.objects.bulk_create(memberships)
    return {"children": len(plans), "enrolled": len(enrolled), "incidents": n_incidents}


# --- the command ------------------------------------------------------------------


class Command(BaseCommand):
    help = (
        "Create a demo programme: six factories with a running summer season, children, "
        "guardians, enrollments, weeks of roll calls, incidents, and a login for every role "
        f"(password {PASSWORD!r}). Does nothing if the demo data is already there."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing if the database already has any factory (for `make run`).",
        )
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Seed even with DEBUG off (the demo logins share a published password).",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=f"Random seed; the same seed gives the same data (default {DEFAULT_SEED}).",
        )

    def handle(self, *args, if_empty: bool, seed: int, allow_production: bool, **options):
        if not settings.DEBUG and not allow_production:
            raise CommandError(
                "DEBUG is off: this looks like production, and the demo logins share a "
                "published password. Pass --allow-production if you really mean it."
            )
        if Factory.objects.filter(code=FACTORIES[0].code).exists():
            self.stdout.write("Demo data already present: nothing created.")
            self.print_logins()
            return
        if if_empty and Factory.objects.exists():
            # Real or test data we must not mix with: no demo logins exist either.
            self.stdout.write("The database already has factories: demo data not created.")
            return

        started = time.monotonic()
        rng = random.Random(seed)
        today = timezone.localdate()
        now = timezone.now()
        # Hashing is slow on purpose; every demo login shares the one hash.
        password_hash = make_password(PASSWORD)
        totals = {"children": 0, "enrolled": 0, "incidents": 0}
        with transaction.atomic():
            users = create_users(password_hash=password_hash, stdout=self.stdout, style=self.style)
            policy = demo_policy(today=today)
            for index, spec in enumerate(FACTORIES):
                counts = seed_factory(
                    spec=spec,
                    index=index,
                    rng=rng,
                    users=users,
                    password_hash=password_hash,
                    policy=policy,
                    today=today,
                    now=now,
                    stdout=self.stdout,
                    style=self.style,
                )
                for key, value in counts.items():
                    totals[key] += value
            # The roll call was bulk-inserted: count it for the reports as the
            # roll-call pages would have.
            for season in Season.objects.filter(
                factory__code__in=[spec.code for spec in FACTORIES],
                status=Season.Status.RUNNING,
            ):
                rebuild_season(season, until=today)
            for season in impact_demo.build(factory_codes=[s.code for s in FACTORIES], today=today):
                rebuild_season(season, until=season.end_date)
        n_attendance = Attendance.objects.filter(
            group__season__factory__code__in=[spec.code for spec in FACTORIES]
        ).count()
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {len(FACTORIES)} factories, {totals['children']} children "
                f"({totals['enrolled']} enrolled), {n_attendance} roll-call records and "
                f"{totals['incidents']} incidents in {time.monotonic() - started:.1f}s."
            )
        )
        self.print_logins()

    def print_logins(self) -> None:
        names = {spec.code: spec.name_zh for spec in FACTORIES}
        rows = [("username", "role", "factory")]
        for login in staff_logins():
            if login.role == "admin":
                role, factories = "superuser", "all"
            else:
                role = Role(login.role).label
                factories = ", ".join(names[code] for code in login.factory_codes)
            rows.append((login.username, str(role), factories))
            if login.username == "manager":
                # The first factory's teacher, listed with the rest of its staff.
                rows.append(("teacher", str(Role.TEACHER.label), names[FACTORIES[0].code]))
        n_teachers = User.objects.filter(username__startswith="teacher_").count()
        rows.append(
            (
                "teacher_<city>_<n>",
                str(Role.TEACHER.label),
                f"each factory's teachers ({n_teachers} logins, e.g. teacher_shenzhen_1)",
            )
        )
        width = max(len(row[0]) for row in rows) + 2
        role_width = max(len(row[1]) for row in rows) + 2
        self.stdout.write("")
        self.stdout.write("Demo logins:")
        for username, role, factories in rows:
            self.stdout.write(f"  {username:<{width}}{role:<{role_width}}{factories}")
        self.stdout.write(f"Password for all of them: {PASSWORD}")
