"""The main journey in a real browser: a teacher on a 360-px phone logs in."""

import re

import pytest
from playwright.sync_api import Page, expect

from .builders import PASSWORD, enroll

pytestmark = pytest.mark.browser


def test_a_teacher_logs_in_on_a_phone_and_sees_todays_group(page: Page, site):
    enroll(site.group)
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/"))
    expect(page.get_by_role("heading", name="登录")).to_be_visible()

    page.get_by_label("用户名").fill(site.teacher_user.username)
    page.get_by_label("密码").fill("not the password")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_text("用户名和密码不匹配")).to_be_visible()

    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_text(site.group.name)).to_be_visible()
    expect(page.get_by_text("点名未完成")).to_be_visible()
    # The page fits the phone: nothing scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    # The collapsed menu opens, shows who is signed in, and switches language.
    page.get_by_role("button", name="菜单").click()
    expect(page.get_by_test_id("current-user")).to_contain_text(site.teacher_user.display_name)
    page.get_by_role("button", name="English").click()
    expect(page.get_by_text("Roll call not taken")).to_be_visible()
