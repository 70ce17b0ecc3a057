"""Demo data, part one: the factories, their people and the logins; and the
pipeline every app's `demo.py` plugs its own rows into.

`manage.py seed_demo` creates the logins, then builds each demo factory
through the steps the apps register here with `@step(order)`: spaces (season,
rooms, teachers, groups), enrollment (families, applications), attendance
(weeks of roll calls, incidents). Each step reads and adds to one `DemoSite`.
Apps are discovered as Django's admin discovers `admin.py` (autodiscover), so
this lowest floor imports none of them. The order numbers keep the random
draws in one fixed sequence: the same `--seed` gives the same programme.
"""

from __future__ import annotations

import datetime
import random
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from .models import Factory, Membership, Role, User

PASSWORD = "demo-password-2026"


DEFAULT_SEED = 2026


EMAIL_DOMAIN = "demo.example"


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


# --- the pipeline ---------------------------------------------------------------


@dataclass
class DemoSite:
    """One demo factory while the steps build it. The steps of the apps above
    set the rest (season, rooms, groups, children...) as they go."""

    spec: DemoFactory
    index: int
    factory: Factory
    rng: random.Random
    users: dict[str, User | None]
    password_hash: str
    today: datetime.date
    now: datetime.datetime
    stdout: Any
    style: Any
    counts: dict[str, int] = field(default_factory=dict)
    # Set by the steps of the apps above (spaces, enrollment, attendance).
    season: Any = None
    spaces: list = field(default_factory=list)
    teachers: list = field(default_factory=list)
    groups: list = field(default_factory=list)
    plans: list = field(default_factory=list)
    enrolled: list = field(default_factory=list)
    present: Any = None

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.factory.time_zone)

    @property
    def hr(self) -> User | None:
        return self.users["hr"] if self.index == 0 else self.users[f"hr_{self.index + 1}"]

    @property
    def inspector(self) -> User | None:
        """Who walked the rooms' safety checks: the coordinator, or HR where none."""
        return self.users["coordinator"] if self.index < 3 else self.hr


STEPS: list[tuple[int, Callable[[DemoSite], None]]] = []
# Run once after every factory is built, as `fn(today) -> {total: n}` (the daily counts).
FINISHERS: list[Callable[[datetime.date], dict[str, int]]] = []


def step(order: int):
    """Register `fn(site)` as a step of building each demo factory."""

    def register(fn):
        STEPS.append((order, fn))
        return fn

    return register


def seed_factory(site_args: dict, *, spec: DemoFactory, index: int) -> DemoSite:
    factory = Factory.objects.create(
        code=spec.code,
        name_zh=spec.name_zh,
        name_en=spec.name_en,
        province=spec.province,
        city=spec.city,
        address=spec.address,
        headcount=spec.headcount,
    )
    site = DemoSite(spec=spec, index=index, factory=factory, **site_args)
    for _order, fn in sorted(STEPS, key=lambda s: s[0]):
        fn(site)
    Membership.objects.bulk_create(
        Membership(user=users_login, factory=factory, role=login.role)
        for login in staff_logins()
        if (users_login := site.users[login.username]) and spec.code in login.factory_codes
    )
    return site
