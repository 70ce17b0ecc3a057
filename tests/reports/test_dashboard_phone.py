"""The programme dashboard on a 360-px phone, in Chinese."""

import pytest
from playwright.sync_api import Page, expect

from ..builders import enroll, mark
from ..test_browser import log_in

pytestmark = pytest.mark.browser

# Lines of text in each header cell shown: its height less padding, over its line height.
HEADER_LINES = """() => [...document.querySelectorAll("thead th")]
  .filter(th => th.offsetParent).map(th => {
  const style = getComputedStyle(th);
  const text = th.getBoundingClientRect().height
    - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
  return Math.round(text / parseFloat(style.lineHeight));
})"""


def test_the_dashboard_headers_stay_on_one_line_on_a_phone(page: Page, site):
    for _ in range(3):
        enroll(site.group)
    log_in(page, site.coordinator)
    page.goto("/reports/")
    expect(page.get_by_test_id("totals")).to_contain_text("1 家中 0 家已点名")
    lines = page.evaluate(HEADER_LINES)
    assert len(lines) >= 5 + 4  # the seasons' table and the years'
    assert set(lines) == {1}, lines


# Tables whose content is wider than their box (they would scroll sideways).
WIDER_THAN_BOX = """() => [...document.querySelectorAll(".table-responsive")]
  .filter(box => box.scrollWidth > box.clientWidth).map(box => box.scrollWidth)"""


def test_every_column_of_the_dashboard_fits_a_phone_in_chinese(page: Page, site):
    mark(enroll(site.group), site.season.start_date)
    site.factory.name_zh = "深圳鹏程精密制造有限公司"
    site.factory.save()
    log_in(page, site.coordinator)
    page.goto("/reports/")
    expect(page.get_by_test_id("totals")).to_contain_text("1 家中 0 家已点名")
    # Every figure is in view: the rate and the incidents are not cut off on the right.
    assert page.evaluate(WIDER_THAN_BOX) == []
    for header in ("已录取", "名额", "今天", "出勤率", "事件记录"):
        expect(
            page.locator("thead").first.get_by_text(header, exact=False).first
        ).to_be_in_viewport()
    expect(page.locator("tbody .badge").first).to_be_in_viewport()


def test_the_dashboard_does_not_widen_the_page_on_a_phone_in_english(page: Page, site):
    site.coordinator.language = "en"
    site.coordinator.save()
    mark(enroll(site.group), site.season.start_date)
    log_in(page, site.coordinator)
    page.goto("/reports/")
    expect(page.get_by_text("Seasons compared across years")).to_be_visible()
    # Wide tables scroll inside their box; the page itself stays 360 px wide.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
