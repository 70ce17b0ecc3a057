"""A manager reads the report card and the survey page on a 360-px phone, in Chinese."""

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect

from ..test_accessibility import axe_violations, signed_in
from ..test_browser import log_in

pytestmark = pytest.mark.browser


def test_the_report_card_does_not_widen_the_page_on_a_phone(page: Page, site):
    log_in(page, site.manager)
    page.goto(reverse("impact:report-card", args=[site.season.pk]))
    expect(page.get_by_test_id("indicators")).to_be_visible()
    # The indicators table scrolls in its own box; the page stays 360 px wide.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_the_report_cards_indicators_fit_a_phone_without_scrolling_sideways(page: Page, site):
    log_in(page, site.manager)
    page.goto(reverse("impact:report-card", args=[site.season.pk]))
    expect(page.get_by_test_id("indicators")).to_contain_text("暑期独自在家的孩子")
    # Each indicator's name sits above its figures, which keep their three columns.
    boxes = page.evaluate("""() => [...document.querySelectorAll(".report-card .table-responsive")]
        .map(box => box.scrollWidth - box.clientWidth)""")
    assert boxes and max(boxes) <= 0, boxes
    row = page.locator("tr[data-indicator='child_alone']")
    cells = [row.locator(f"[data-group='{g}']") for g in ("participants", "others", "paired")]
    boxes = [cell.bounding_box() for cell in cells]
    assert all(0 <= box["x"] and box["x"] + box["width"] <= 360 for box in boxes), boxes
    assert len({round(box["y"]) for box in boxes}) == 1  # one line of figures under the name


def test_the_survey_page_does_not_widen_the_page_on_a_phone(page: Page, site):
    # As long as a real site's link: https://<host>/survey/<16 characters>/.
    site.season.application_token = "N96XccSn7Q_iO2H3xxxxxxxxxxxxxxxx"
    site.season.save()
    log_in(page, site.manager)
    page.goto(reverse("impact:season-survey", args=[site.season.pk]))
    expect(page.get_by_test_id("rates")).to_be_visible()
    # The workers' link, one long word, breaks instead of pushing the page out.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_cards_scrolling_tables_can_be_reached_from_the_keyboard(
    browser: Browser, live_server, site, language
):
    page = signed_in(browser, live_server, site.coordinator, language)
    for url in (reverse("impact:report-card", args=[site.season.pk]), reverse("impact:programme")):
        page.goto(url)
        # Only this rule: the cards' empty corner headers are axe's other (minor) finding.
        assert not [v for v in axe_violations(page) if "scrollable-region-focusable" in v], url
