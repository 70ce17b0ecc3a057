"""HR's desk on a 360-px phone in Chinese (issue 13): a real roster in, a child found."""

import io
import re

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from enrollment.models import Child

from .test_browser import log_in

pytestmark = pytest.mark.browser


def hr_roster() -> bytes:
    """A roster as an HR office keeps it: a merged title row, its own header names,
    and a column (宿舍号) the app does not import."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    header = ["工号", "姓名", "手机号", "子女姓名", "性别", "出生年月", "籍贯", "平时和谁生活",
              "宿舍号"]  # fmt: skip
    sheet.append(["2026年暑期儿童之家报名表"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    sheet.append(header)
    sheet.append(["A100", "王秀英", "13812345678", "王小明", "男", "2018年5月3日", "四川南充",
                  "爷爷奶奶", "3-201"])  # fmt: skip
    sheet.append(["A200", "李四", "13900004321", "李小红", "女", "2017/9/1", "河南", "爷爷奶奶",
                  "5-102"])  # fmt: skip
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_hr_imports_a_real_roster_and_finds_a_child_by_the_phone(page: Page, site):
    log_in(page, site.hr)
    page.goto(f"/factories/{site.factory.pk}/")
    page.get_by_role("link", name="从 Excel 导入").click()
    page.get_by_label("Excel（.xlsx）或 CSV 文件").set_input_files(
        files=[{"name": "花名册.xlsx", "mimeType": "application/octet-stream",
                "buffer": hr_roster()}]
    )  # fmt: skip
    page.get_by_role("button", name="检查文件").click()

    expect(
        page.get_by_test_id("header-row"), "the preview says “Row 2 is read as the header”"
    ).to_contain_text("第 2 行被当作表头")
    expect(
        page.get_by_test_id("not-imported"),
        "the column “dormitory number” is listed as not imported",
    ).to_contain_text("宿舍号")
    expect(
        page.get_by_test_id("preview"), "the preview lists the child Wang Xiaoming"
    ).to_contain_text("王小明")
    expect(page.get_by_test_id("preview"), "the preview says “new child”").to_contain_text(
        "新增孩子"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_role("button", name="确认并全部保存").click()
    expect(
        page.get_by_text("已导入 2 名新员工和 2 个孩子"),
        "HR is told “2 new workers and 2 children imported”",
    ).to_be_visible()
    assert Child.objects.count() == 2

    # The search at the top of the page, behind the phone's menu button.
    page.get_by_role("button", name="菜单").click()
    search = page.get_by_role("searchbox", name="搜索申请")
    search.fill("4321")
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"/search/\?q=4321"))
    expect(
        page.get_by_test_id("registered"), "the search finds Li Xiaohong by her phone"
    ).to_contain_text("李小红")
    expect(
        page.get_by_test_id("registered"), "the search does not find Wang Xiaoming"
    ).not_to_contain_text("王小明")
    expect(page.get_by_role("link", name="13900004321")).to_have_attribute(
        "href", "tel:13900004321"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_the_poster_fits_a_phone(page: Page, site):
    log_in(page, site.hr)
    page.goto(f"/seasons/{site.season.pk}/poster/")
    expect(page.locator(".poster-qr svg")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_hr_imports_a_two_level_roster_with_hidden_and_totals_rows_on_a_phone(
    browser, live_server, site
):
    """Issue 24: 家长信息 / 子女信息 over 姓名 twice, a hidden row HR lets in, a
    totals row, no province column; then a child's missing details completed. Every
    page fits 360 px and has no axe violation."""
    from .enrollment.test_import_habits import FAMILIES, hr_roster
    from .test_accessibility import assert_accessible, signed_in

    page = signed_in(browser, live_server, site.hr, "zh-hans")
    page.goto(f"/factories/{site.factory.pk}/import/")
    roster = hr_roster(hidden=[6])
    page.get_by_label("Excel（.xlsx）或 CSV 文件").set_input_files(
        files=[{"name": roster.name, "mimeType": "application/octet-stream",
                "buffer": roster.read()}]
    )  # fmt: skip
    page.get_by_role("button", name="检查文件").click()
    expect(page.get_by_test_id("grouped")).to_contain_text("子女信息 / 姓名 → 孩子姓名")
    expect(page.get_by_test_id("totals")).to_contain_text("第 7 行（合计）")
    expect(page.get_by_test_id("hidden")).to_contain_text("李小军")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(page, "import preview with group headings and a hidden row")
    page.get_by_role("button", name="隐藏的行也导入").click()
    expect(page.get_by_test_id("hidden")).to_contain_text("这些行会导入")
    page.get_by_role("button", name="确认并全部保存").click()
    expect(page.get_by_text(f"已导入 2 名新员工和 {len(FAMILIES)} 个孩子")).to_be_visible()

    child = Child.objects.get(name="李小军")
    page.goto(f"/children/{child.pk}/")
    expect(page.get_by_test_id("details-missing")).to_contain_text("老家省份")
    assert_accessible(page, "child with details missing")
    page.get_by_role("link", name="补全信息").click()
    page.get_by_label("老家省份").select_option("sichuan")
    page.get_by_label("平时与谁同住").select_option("grandparents")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(page, "details form")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_test_id("details-missing")).to_have_count(0)
    child.refresh_from_db()
    assert (child.home_province, child.lives_with) == ("sichuan", "grandparents")
    page.context.close()
