"""The parent page on a 360 x 740 phone in Chinese: a parent answers in a few
taps, the answer is shown, axe finds nothing, and the phone keeps nothing."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from parents import links
from parents.models import ParentContact, ParentNotice
from tests.builders import ChildBuilder, WorkerBuilder, enroll
from tests.test_accessibility import assert_accessible, phone

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# What each step expects, in English, beside the Chinese text it looks for.
SHOWS_CHILD = "the page names the parent's own child"
ANSWER_THANKED = "after an answer the page thanks the parent (谢谢)"
NOTICE_LISTED = "the answer is listed on the child's card (今天由别人来接)"


def test_a_parent_says_someone_else_picks_up_on_a_phone(browser, live_server, site):
    parent = WorkerBuilder(factory=site.factory, name="王芳", phone="13711112222")
    child = ChildBuilder(factory=site.factory, name="王小雨", guardian=parent)
    enrollment = enroll(site.group, child=child)
    contact = ParentContact.objects.create(worker=parent, consented=True, consent_at=timezone.now())
    page = phone(browser, live_server, "zh-hans")
    page.goto(f"/p/{links.token_for(contact)}/")
    expect(page.get_by_role("heading", name="王小雨"), SHOWS_CHILD).to_be_visible()
    assert_accessible(page, "the parent page")

    page.get_by_text("今天由别人来接").click()
    page.get_by_label("姓名").fill("王舅舅")
    page.get_by_label("与孩子的关系").select_option("aunt_uncle")
    page.get_by_label("手机号").fill("13711113333")
    page.get_by_role("button", name="发送").last.click()
    expect(page.get_by_test_id("done"), ANSWER_THANKED).to_contain_text("谢谢")
    expect(page.get_by_test_id("notice"), NOTICE_LISTED).to_contain_text("王舅舅")
    assert_accessible(page, "the parent page after an answer")
    notice = ParentNotice.objects.get()
    assert notice.enrollment == enrollment and notice.pickup_phone == "13711113333"
    # Nothing kept on the shared phone: no cookie of ours.
    assert page.context.cookies() == []
