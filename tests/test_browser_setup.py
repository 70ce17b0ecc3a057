"""Season set-up in a real browser: a coordinator on a 360-px phone rolls last
summer over to next summer and takes it from planning to open for applications."""

import datetime
import re

import pytest
from django.utils import timezone, translation
from playwright.sync_api import Page, expect

from factories.models import Role
from spaces.models import ConductPolicy, RatioRule, SafetyCheck, Season, TeacherPolicyAcceptance

from .builders import (
    FactoryBuilder,
    GroupBuilder,
    SeasonBuilder,
    SpaceBuilder,
    TeacherBuilder,
    assign,
    member,
)
from .test_browser import log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def last_summer(db):
    """A factory whose last summer is over: two groups in one room; 王老师 comes
    back, 李老师 does not, and volunteer 小陈 has none of her checks yet."""
    today = timezone.localdate()
    next_july = datetime.date(today.year + (today.month >= 7), 7, 1)
    factory = FactoryBuilder(name_zh="东莞华达电子厂")
    policy = ConductPolicy.objects.create(
        version=1,
        text_zh="一、孩子的安全和尊严永远放在第一位。",
        published_at=timezone.now() - datetime.timedelta(days=400),
    )
    season = SeasonBuilder(
        factory=factory,
        name=f"{next_july.year - 1}年暑期儿童之家",
        status=Season.Status.CLOSED,
        start_date=next_july.replace(year=next_july.year - 1),
        end_date=next_july.replace(year=next_july.year - 1, month=8, day=28),
        capacity=19,
    )
    RatioRule.add_defaults(season)
    room = SpaceBuilder(factory=factory, name="一楼活动室", area_m2=60, capacity=30)
    SafetyCheck.objects.create(  # last summer's: it does not count for next summer
        space=room,
        kind=SafetyCheck.Kind.PRE_OPENING,
        checked_on=season.start_date - datetime.timedelta(days=3),
        **{item: True for item in SafetyCheck.ITEMS},
    )
    wang = TeacherBuilder(
        factory=factory,
        name="王老师",
        training_completed_on=today,
        background_check_on=today - datetime.timedelta(days=200),
    )
    TeacherPolicyAcceptance.objects.create(teacher=wang, policy=policy)
    li = TeacherBuilder(factory=factory, name="李老师")
    chen = TeacherBuilder(
        factory=factory, name="志愿者小陈", kind="volunteer", background_check_on=None
    )
    little = GroupBuilder(
        season=season, name="幼儿组", space=room, min_age=3, max_age=6, capacity=7,
        lead_teacher=wang,
    )  # fmt: skip
    school = GroupBuilder(
        season=season, name="小学组", space=room, min_age=7, max_age=12, capacity=12,
        lead_teacher=li,
    )  # fmt: skip
    assign(wang, little)
    assign(li, school)
    assign(chen, school)
    season.coordinator = member(factory, Role.COORDINATOR)
    season.next_july = next_july
    return season


def test_a_coordinator_rolls_over_to_next_summer_and_opens_it(page: Page, last_summer):
    next_name = f"{last_summer.next_july.year}年暑期儿童之家"
    log_in(page, last_summer.coordinator)
    page.goto(f"/factories/{last_summer.factory_id}/")
    page.get_by_role("link", name=last_summer.name).click()

    # Rollover: next year's name and dates are proposed; two teachers come back.
    page.get_by_role("link", name="以本期为模板新建项目期").click()
    expect(page.get_by_label("项目期名称"), "the next season’s name is filled in").to_have_value(
        next_name
    )
    page.get_by_label("开始日期").fill(last_summer.next_july.isoformat())
    page.get_by_label("王老师").check()
    page.get_by_label("志愿者小陈").check()
    page.get_by_role("button", name="创建新项目期").click()
    expect(page.get_by_role("heading", name=re.compile(next_name))).to_be_visible()
    expect(
        page.get_by_role("heading", name=re.compile("筹备中")), "the new season is “Planning”"
    ).to_be_visible()
    season = Season.objects.get(name=next_name)

    # The checklist blocks opening, and says what is missing.
    readiness = page.locator("#readiness")
    expect(
        page.get_by_test_id("readiness-summary"), "the readiness says “Not ready to open”"
    ).to_contain_text("还不能开班")
    for key in ("safety", "leads", "training", "conduct", "background"):
        expect(readiness.locator(f'[data-item="{key}"]'), "says “blocks opening”").to_contain_text(
            "未完成不能开班"
        )
    page.get_by_role("button", name="开放报名").click()
    expect(
        page.get_by_role("alert"),
        "the refusal says the season cannot be “Open for applications” yet",
    ).to_contain_text("项目期还不能改为“开放报名”")
    expect(
        page.get_by_role("alert"), "the refusal names what blocks: “Every group has a lead teacher”"
    ).to_contain_text("每个小组都有带班老师")

    # 小陈 leads the school group ...
    page.get_by_role("link", name="修改 小学组").click()
    page.get_by_label("带班老师").select_option(label="志愿者小陈")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("小组已保存。"), "shows “The group is saved.”").to_be_visible()

    # ... once trained, background-checked, and signed the code of conduct.
    page.get_by_role("link", name="老师名录").click()
    page.get_by_role("link", name="志愿者小陈").click()
    today = timezone.localdate().isoformat()
    page.get_by_label("培训完成日期").fill(today)
    page.get_by_label("背景审查日期").fill(today)
    page.get_by_label("已阅读并签署《行为守则与儿童保护政策》第 1 版").check()
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("志愿者小陈 已保存。"), "shows “Saved.”").to_be_visible()

    # The room's pre-opening safety check, done today.
    page.get_by_role("link", name=last_summer.factory.name_zh).click()
    page.get_by_role("link", name=next_name).click()
    page.get_by_role("link", name="活动室和安全检查").click()
    page.get_by_role("link", name="记录安全检查").click()
    page.get_by_label("类型").select_option("pre_opening")
    with translation.override("zh-hans"):
        items = [str(SafetyCheck._meta.get_field(item).verbose_name) for item in SafetyCheck.ITEMS]
    for label in items:
        page.get_by_label(label).check()
    page.get_by_role("button", name="保存").click()
    expect(
        page.get_by_text("安全检查已记录：全部合格。"),
        "shows “The safety check is recorded: all passed.”",
    ).to_be_visible()

    # Nothing blocks any more: the season opens for applications.
    page.get_by_role("link", name=last_summer.factory.name_zh).click()
    page.get_by_role("link", name=next_name).click()
    expect(
        page.get_by_test_id("readiness-summary"), "reads “Ready to open: nothing blocks it.”"
    ).to_have_text("可以开班：没有未完成的必需项。")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_role("button", name="开放报名").click()
    expect(
        page.get_by_text("项目期现在是“开放报名”。"),
        "the coordinator is told “The season is now Open for applications.”",
    ).to_be_visible()
    expect(
        page.get_by_role("heading", name=re.compile("开放报名")),
        "the heading says “Open for applications”",
    ).to_be_visible()
    season.refresh_from_db()
    assert season.status == Season.Status.OPEN
    assert season.groups.get(name="小学组").lead_teacher.name == "志愿者小陈"
