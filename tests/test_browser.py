"""The main journey in a real browser: a teacher on a 360-px phone logs in."""

import re

import pytest
from playwright.sync_api import Page, expect

from .builders import PASSWORD, enroll

pytestmark = pytest.mark.browser


def log_in(page: Page, user) -> None:
    page.goto("/login/")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def phone(browser, live_server) -> Page:
    """Another person's phone: a fresh browser context at 360 x 740."""
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 360, "height": 740}, locale="zh-CN"
    )
    return context.new_page()


def test_a_teacher_logs_in_on_a_phone_and_sees_todays_group(page: Page, site):
    enroll(site.group)
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/"))
    expect(page.get_by_role("heading", name="登录"), "shows “Log in”").to_be_visible()

    page.get_by_label("用户名").fill(site.teacher_user.username)
    page.get_by_label("密码").fill("not the password")
    page.get_by_role("button", name="登录").click()
    expect(
        page.get_by_text("用户名和密码不匹配"),
        "the login refuses: “That username and password do not match”",
    ).to_be_visible()

    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_text(site.group.name)).to_be_visible()
    expect(page.get_by_text("点名未完成"), "shows “Roll call not taken”").to_be_visible()
    # The page fits the phone: nothing scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    # The collapsed menu opens, shows who is signed in, and switches language.
    page.get_by_role("button", name="菜单").click()
    # Wait for the menu to finish opening: a click during the slide can miss.
    expect(page.locator("#main-nav.show:not(.collapsing)")).to_be_visible()
    expect(page.get_by_test_id("current-user")).to_contain_text(site.teacher_user.display_name)
    page.get_by_role("button", name="English").click()
    expect(page.get_by_text("Roll call not taken")).to_be_visible()


def test_a_teacher_takes_the_roll_call_of_twenty_children_on_a_phone(page: Page, site):
    from attendance.models import Attendance
    from enrollment.models import AuthorisedPickup

    children = [enroll(site.group) for _ in range(20)]
    for enrollment in children[1:3]:
        AuthorisedPickup.objects.create(
            child=enrollment.child,
            name=f"{enrollment.child.name}的奶奶",
            relationship="grandparent",
        )
    log_in(page, site.teacher_user)
    page.get_by_role("link", name=site.group.name).click()
    expect(
        page.get_by_role("heading", name=re.compile("点名")),
        "the roll call page opens: heading “Roll call”",
    ).to_be_visible()

    def row(enrollment):
        return page.locator(f"#row-{enrollment.pk}")

    # One absent with a reason: the row asks why, then saves.
    row(children[0]).get_by_role("button", name="缺勤").click()
    row(children[0]).get_by_role("button", name="生病").click()
    expect(row(children[0]), "says “Saved”").to_contain_text("已保存")
    # A few single taps, each saved without reloading the page.
    for enrollment in children[1:4]:
        row(enrollment).get_by_role("button", name="出勤").click()
        expect(row(enrollment), "says “Saved”").to_contain_text("已保存")
    expect(page.locator("#roll-call-header")).to_contain_text("4/20")
    page.get_by_role("button", name="其余孩子全部标记为出勤").click()
    expect(page.locator("#roll-call-header")).to_contain_text("20/20")

    # Two check-outs by authorised people, one refused.
    for enrollment in children[1:3]:
        row(enrollment).get_by_role("link", name="签退").click()
        row(enrollment).get_by_label("谁来接孩子？").select_option(f"{enrollment.child.name}的奶奶")
        row(enrollment).get_by_role("button", name="确认签退").click()
        expect(
            row(enrollment), "the row names who picked the child up: “(…’s grandma)”"
        ).to_contain_text(f"({enrollment.child.name}的奶奶)")
    stranger_pickup = row(children[3])
    stranger_pickup.get_by_role("link", name="签退").click()
    stranger_pickup.get_by_label("谁来接孩子？").select_option("other")
    stranger_pickup.get_by_role("button", name="确认签退").click()
    expect(
        stranger_pickup.get_by_role("alert"),
        "the check-out refuses: “Only the child's guardians and authorised pickup people…”",
    ).to_contain_text("只有孩子的监护人和授权接送人")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    records = Attendance.objects.filter(group=site.group)
    assert records.count() == 20
    assert list(records.filter(status="absent").values_list("absence_reason", flat=True)) == [
        "sick"
    ]
    assert records.filter(check_out_at__isnull=False).count() == 2


def test_a_failed_save_shows_and_a_second_tap_retries(page: Page, site):
    from attendance.models import Attendance

    enrollment = enroll(site.group)
    log_in(page, site.teacher_user)
    page.goto(f"/groups/{site.group.pk}/roll-call/")
    row = page.locator(f"#row-{enrollment.pk}")
    # The factory Wi-Fi drops: the tap's request never reaches the server.
    page.route("**/children/**", lambda route: route.abort("internetdisconnected"))
    row.get_by_role("button", name="出勤").click()
    expect(row, "says “Not saved”").to_contain_text("未保存")
    assert not Attendance.objects.exists()
    page.unroute("**/children/**")
    row.get_by_role("button", name="出勤").click()
    expect(row, "says “Saved”").to_contain_text("已保存")
    assert Attendance.objects.get().status == "present"


def test_a_worker_applies_on_a_phone_and_hr_enrolls_the_child(
    page: Page, site, browser, live_server
):
    from enrollment.models import Enrollment

    start = site.season.start_date
    page.goto(f"/apply/{site.season.application_token}/")
    page.get_by_label("您的工号").fill("DG0815")
    page.get_by_label("您的姓名").fill("王秀英")
    page.get_by_label("您是孩子的").select_option("mother")
    page.get_by_label("您的手机号").fill("13812345678")
    page.get_by_label("孩子姓名").fill("王小明")
    page.get_by_label("男", exact=True).check()
    page.get_by_role("textbox", name="出生日期").fill(
        start.replace(year=start.year - 8).isoformat()
    )
    page.get_by_label("老家省份").select_option("sichuan")
    page.get_by_label("孩子平时和谁一起生活？").select_option("grandparents")
    page.get_by_label("来厂日期").fill(start.isoformat())
    page.get_by_label("离开日期").fill(site.season.end_date.isoformat())
    page.get_by_role("button", name="提交申请").click()
    expect(
        page.get_by_text("没有这项同意，我们无法接收您的孩子。"),
        "shows “Without this agreement we cannot take your child.”",
    ).to_be_visible()
    page.get_by_label("我同意儿童之家保存孩子的信息").check()
    page.get_by_role("button", name="提交申请").click()
    expect(
        page.get_by_role("heading", name="谢谢！我们已收到您的申请"),
        "shows “Thank you: your application is received”",
    ).to_be_visible()
    reference = Enrollment.objects.get().reference
    expect(page.get_by_test_id("reference")).to_have_text(reference)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    office = phone(browser, live_server)
    log_in(office, site.hr)
    office.get_by_role("link", name=site.season.name).click()
    office.get_by_label("王小明").check()
    office.get_by_label("操作").select_option("enroll")
    office.get_by_role("button", name="对勾选的孩子执行").click()
    expect(
        office.get_by_text("王小明 已录取。"), "HR is told “Wang Xiaoming is enrolled.”"
    ).to_be_visible()

    classroom = phone(browser, live_server)
    log_in(classroom, site.teacher_user)
    classroom.get_by_role("link", name=site.group.name).click()
    expect(
        classroom.locator(".roll-row"), "the enrolled child Wang Xiaoming is on the roll call"
    ).to_contain_text("王小明")
