"""The offline queue under faults, in a real browser (issue 24): a conflict
holds the child's later queued taps until the teacher chooses (item 22), the
queue goes as soon as an answer comes back after an outage (item 25), and the
header counts the children whose taps wait (item 21)."""

import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from .builders import enroll
from .test_browser import log_in
from .test_browser_offline import (
    checked_in_with_a_pickup,
    open_roll_call_kept_offline,
    row,
    until_recorded,
    waiting,
)

pytestmark = pytest.mark.browser

# The page resends its queue every 15 s by itself; these tests take that timer
# away, so that only what they are about can send it.
NO_TIMER = """
(() => {
  const every = window.setInterval;
  window.setInterval = (f, ms, ...rest) => (ms === 15000 ? 0 : every(f, ms, ...rest));
})();
"""


def colleague_marks(browser, live_server, site, enrollment, status: str) -> None:
    """The coordinator, online on another phone, marks the child."""
    other = browser.new_context(
        base_url=live_server.url, viewport={"width": 360, "height": 740}, locale="zh-CN"
    )
    colleague = other.new_page()
    log_in(colleague, site.coordinator)
    colleague.goto(f"/groups/{site.group.pk}/roll-call/")
    row(colleague, enrollment).get_by_role("button", name=status).click()
    expect(row(colleague, enrollment)).to_contain_text("已保存")
    other.close()


def test_after_a_conflict_the_childs_later_queued_taps_wait_for_the_teachers_choice(
    page: Page, context: BrowserContext, browser, live_server, site
):
    from attendance.models import Attendance

    chosen_mine, kept_theirs = enroll(site.group), enroll(site.group)
    log_in(page, site.teacher_user)
    open_roll_call_kept_offline(page, site.group)
    # Teacher B, offline, marks each child absent (sick), then corrects to late.
    context.set_offline(True)
    for enrollment in (chosen_mine, kept_theirs):
        row(page, enrollment).get_by_role("button", name="缺勤").click()
        row(page, enrollment).get_by_role("button", name="生病").click()
        row(page, enrollment).get_by_role("button", name="迟到").click()
    expect(waiting(page)).to_contain_text("4 条待发送")
    # Teacher A's "present" lands first.
    for enrollment in (chosen_mine, kept_theirs):
        colleague_marks(browser, live_server, site, enrollment, "出勤")

    context.set_offline(False)
    for enrollment in (chosen_mine, kept_theirs):
        conflict = row(page, enrollment).get_by_role("alert")
        expect(conflict).to_contain_text("同事修改了这条记录")
        expect(conflict).to_contain_text("缺勤 · 生病")  # B's first tap, A's value
    # The queue is sent again: "late" still waits with the conflict.
    page.get_by_role("button", name="立即发送").click()
    page.wait_for_timeout(1500)
    expect(waiting(page)).to_contain_text("4 条待发送")
    assert set(Attendance.objects.values_list("status", flat=True)) == {"present"}

    # B uses their tap for the first child: absent, then the late that waited.
    row(page, chosen_mine).get_by_role("alert").get_by_role("button", name="用我的点名").click()
    until_recorded(page, enrollment=chosen_mine, status="late")
    assert Attendance.objects.get(enrollment=chosen_mine).status == "late"
    expect(row(page, chosen_mine).get_by_role("alert")).to_have_count(0)
    # B keeps A's value for the second: the late that waited is a new choice,
    # shown against A's value, never applied on its own.
    theirs = row(page, kept_theirs).get_by_role("alert")
    theirs.get_by_role("button", name="保留已保存的").click()
    expect(row(page, kept_theirs).get_by_role("alert")).to_contain_text("迟到")
    page.wait_for_timeout(1000)
    assert Attendance.objects.get(enrollment=kept_theirs).status == "present"
    row(page, kept_theirs).get_by_role("alert").get_by_role("button", name="保留已保存的").click()
    expect(waiting(page)).to_be_hidden()
    assert Attendance.objects.get(enrollment=kept_theirs).status == "present"


def test_the_queue_goes_as_soon_as_an_answer_comes_back(page: Page, context: BrowserContext, site):
    from attendance.models import Attendance

    context.add_init_script(NO_TIMER)
    enrollment = enroll(site.group)
    leaving = checked_in_with_a_pickup(site.group)
    log_in(page, site.teacher_user)
    open_roll_call_kept_offline(page, site.group)
    # Wi-Fi without internet: the phone says it is online, nothing gets through.
    page.route("**/children/**", lambda route: route.abort("internetdisconnected"))
    row(page, enrollment).get_by_role("button", name="迟到").click()
    expect(waiting(page)).to_contain_text("1 条待发送")
    page.unroute("**/children/**")
    # The internet is back; the first request that is answered (the check-out
    # form of another child) sends the queue, without waiting for a timer.
    row(page, leaving).get_by_role("link", name="签退").click()
    expect(row(page, leaving).get_by_label("谁来接孩子？")).to_be_visible()
    until_recorded(page, enrollment=enrollment, status="late")
    assert Attendance.objects.get(enrollment=enrollment).status == "late"
    expect(waiting(page)).to_be_hidden()


def test_the_header_counts_the_children_whose_taps_wait(page: Page, context: BrowserContext, site):
    children = [enroll(site.group) for _ in range(3)]
    log_in(page, site.teacher_user)
    open_roll_call_kept_offline(page, site.group)
    header = page.locator("#roll-call-header")
    expect(header).to_contain_text("已点名 0/3")
    context.set_offline(True)
    row(page, children[0]).get_by_role("button", name="出勤").click()
    row(page, children[0]).get_by_role("button", name="迟到").click()  # one child, two taps
    row(page, children[1]).get_by_role("button", name="出勤").click()
    expect(header).to_contain_text(re.compile(r"待发送人数\s*2"))
    context.set_offline(False)
    expect(waiting(page)).to_be_hidden(timeout=15000)
    expect(header).to_contain_text("已点名 2/3")
    expect(header.locator("#roll-header-waiting")).to_be_hidden()
