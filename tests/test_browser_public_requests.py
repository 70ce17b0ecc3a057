"""HR's side of "a public form is a request, not a change" on a 360 x 740 phone,
in Chinese and in English: the applications list with a burst from one address
and the changes waiting, and the page that shows what is held against what is
proposed; no axe violation, nothing wider than the phone, and accepting a pickup
person puts them on the child's page."""

import pytest
from django.core.cache import cache
from django.test import Client
from playwright.sync_api import expect

from enrollment.models import AuthorisedPickup

from .builders import ChildBuilder, WorkerBuilder, enroll
from .enrollment.test_apply import url, valid, worker
from .test_accessibility import assert_accessible, language, signed_in  # noqa: F401

pytestmark = pytest.mark.browser


def test_hr_reads_a_burst_and_decides_proposed_changes_on_a_phone(
    browser,
    live_server,
    site,
    language,  # noqa: F811
):
    cache.clear()
    parent = WorkerBuilder(factory=site.factory, employee_number="A100", name="王秀英",
                           phone="13812345678", on_roster=True)  # fmt: skip
    start = site.season.start_date
    child = ChildBuilder(factory=site.factory, name="王小明", guardian=parent, sex="M",
                         date_of_birth=start.replace(year=start.year - 8))  # fmt: skip
    enrollment = enroll(site.group, child=child)
    for n in range(10):
        Client(REMOTE_ADDR="203.0.113.50").post(url(site.season), valid(site.season, **worker(n)))
    Client(REMOTE_ADDR="203.0.113.50").post(
        url(site.season),
        valid(site.season, employee_number="A100", worker_name="张三", phone="13900009999",
              pickup_name="陌生人", pickup_relationship="other",
              allergies="花生过敏，误食会呼吸困难，需要立即送医并通知家长"),
    )  # fmt: skip
    page = signed_in(browser, live_server, site.hr, language)

    page.goto(f"/seasons/{site.season.pk}/applications/")
    expect(page.get_by_test_id("burst-banner")).to_be_visible()
    assert_accessible(page, "applications with a burst and changes waiting")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.get_by_test_id("changes-waiting").first.click()
    expect(page.get_by_test_id("waiting")).to_be_visible()
    assert_accessible(page, "proposed changes")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    pickup = page.locator(".list-group-item", has_text="陌生人")
    pickup.locator("button[value=accept]").click()
    expect(page.locator(".alert-success")).to_be_visible()
    assert_accessible(page, "proposed changes after one decision")
    assert AuthorisedPickup.objects.get(child=enrollment.child).name == "陌生人"
