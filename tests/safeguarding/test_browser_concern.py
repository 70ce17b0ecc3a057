"""Issue 27 in a real browser, on a 360 x 740 phone in Chinese: a teacher
raises a concern from the roll call, the lead acknowledges it and records a
referral; axe finds nothing on any of the pages."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from safeguarding.models import Concern

from ..builders import enroll
from ..test_accessibility import assert_accessible, signed_in

pytestmark = pytest.mark.browser


def fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_a_concern_raised_on_a_phone_is_acknowledged_and_referred(browser, live_server, site):
    child = enroll(site.group)
    teacher = signed_in(browser, live_server, site.teacher_user, "zh-hans")
    teacher.goto(f"/groups/{site.group.pk}/roll-call/{timezone.localdate().isoformat()}/")
    teacher.locator(f"#row-{child.pk}").get_by_role("link", name="报告担忧").click()
    expect(teacher.get_by_role("heading", name="报告担忧 · " + child.child.name)).to_be_visible()
    assert_accessible(teacher, "the concern form")
    fits(teacher)
    teacher.get_by_label("不明原因的伤痕").check()
    teacher.get_by_label("看到或听到了什么").fill("手臂上有淤青")
    teacher.get_by_role("button", name="发送给儿童保护负责人").click()
    expect(teacher.get_by_text("已通知儿童保护负责人")).to_be_visible()
    assert_accessible(teacher, "the teacher's status page")
    concern = Concern.objects.get()

    lead = signed_in(browser, live_server, site.coordinator, "zh-hans")
    lead.goto(f"/safeguarding/concerns/{concern.pk}/")
    expect(lead.get_by_text("手臂上有淤青")).to_be_visible()
    assert_accessible(lead, "the lead's concern page")
    fits(lead)
    lead.get_by_role("button", name="确认收到").click()
    expect(lead.get_by_text("负责人已确认")).to_be_visible()
    lead.get_by_text("记录转介").click()
    lead.locator("#id_referral-to").select_option("police")
    lead.locator("#id_referral-on").fill(timezone.localdate().isoformat())
    lead.locator("#id_referral-consent").select_option("given")
    lead.locator("form:has(input[value=referral]) button").click()
    expect(lead.get_by_text("公安机关 · 监护人同意")).to_be_visible()
    assert_accessible(lead, "the concern with its referral")
    assert concern.referrals.get().to == "police"
