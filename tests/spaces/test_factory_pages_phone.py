"""A factory's pages on a 360-px phone, in Chinese: their tables stay readable."""

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, Page

from ..builders import SeasonBuilder
from ..reports.test_dashboard_phone import HEADER_LINES
from ..test_accessibility import axe_violations, signed_in
from ..test_browser import log_in

pytestmark = pytest.mark.browser

OVERFLOW = """() => { const box = document.querySelector(".table-responsive");
  return box.scrollWidth - box.clientWidth; }"""

# Lines the first teacher's name takes (the cell's first text, before the note).
NAME_LINES = """() => { const range = document.createRange();
  range.selectNodeContents(document.querySelector("tbody td").firstChild);
  return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size; }"""


def test_the_seasons_table_fits_a_phone_with_its_headers_on_one_line(page: Page, site):
    SeasonBuilder(factory=site.factory, name="2025年暑期儿童之家（上一期）", status="closed")
    log_in(page, site.manager)
    page.goto(reverse("spaces:factory-detail", args=[site.factory.pk]))
    assert page.get_by_role("link", name="2025年暑期儿童之家（上一期）").is_visible()
    assert set(page.evaluate(HEADER_LINES)) == {1}
    assert page.evaluate(OVERFLOW) <= 0  # "名额" is not pushed out of sight


def test_the_teacher_directory_keeps_room_for_a_name_on_a_phone(page: Page, site):
    site.teacher.name, site.teacher.qualification = "欧阳晓彤", "本厂员工家属，曾任乡村小学代课老师"
    site.teacher.save()
    log_in(page, site.manager)
    page.goto(reverse("spaces:teacher-list", args=[site.factory.pk]))
    assert set(page.evaluate(HEADER_LINES)) == {1}
    assert page.evaluate(NAME_LINES) == 1  # not a character a line


def test_a_manager_can_scroll_the_teacher_directory_from_the_keyboard(
    browser: Browser, live_server, site
):
    page = signed_in(browser, live_server, site.manager, "zh-hans")  # no edit links for them
    page.goto(reverse("spaces:teacher-list", args=[site.factory.pk]))
    assert axe_violations(page) == []
