"""The roll call without a network, in a real browser on a 360-px phone: taps
kept in IndexedDB, the page reopened from the service worker, the queue sent
when the network comes back, a tap applied once, a colleague's change shown as
a conflict the teacher settles."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page, expect

from .builders import PASSWORD, enroll
from .test_browser import log_in

pytestmark = pytest.mark.browser


def open_roll_call_kept_offline(page: Page, group) -> None:
    """Open the roll call online and wait until the service worker keeps it."""
    page.goto(f"/groups/{group.pk}/roll-call/")
    expect(
        page.get_by_role("heading", name=re.compile("点名")),
        "the roll call page opens: heading “Roll call”",
    ).to_be_visible()
    # The worker says when the page and its files are kept.
    expect(page.locator("#roll[data-kept='1']")).to_be_attached(timeout=15000)


def row(page: Page, enrollment):
    return page.locator(f"#row-{enrollment.pk}")


def waiting(page: Page):
    return page.locator("#roll-queue")


def checked_in_with_a_pickup(group):
    """A child of `group` checked in now, whom 外婆 may pick up."""
    from attendance.models import Attendance
    from enrollment.models import AuthorisedPickup

    enrollment = enroll(group)
    Attendance.objects.create(
        enrollment=enrollment,
        group=group,
        date=timezone.localdate(),
        status="present",
        check_in_at=timezone.now(),
    )
    AuthorisedPickup.objects.create(
        child=enrollment.child, name="外婆", relationship="grandparent", phone="13900001111"
    )
    return enrollment


def until_recorded(page: Page, **record):
    """Wait (10 s at most) for the queue to deliver a record like `record`: on a
    page just opened the banner is hidden until the queue is read, so its being
    hidden does not say the taps went."""
    from attendance.models import Attendance

    for _ in range(50):
        if Attendance.objects.filter(**record).exists():
            return
        page.wait_for_timeout(200)


def test_a_roll_call_of_twenty_taken_offline_reaches_the_server_with_its_tap_times(
    page: Page, context: BrowserContext, site
):
    from attendance.models import Attendance
    from enrollment.models import AuthorisedPickup

    children = [enroll(site.group) for _ in range(20)]
    for enrollment in children[1:3]:
        AuthorisedPickup.objects.create(
            child=enrollment.child,
            name=f"{enrollment.child.name}的奶奶",
            relationship="grandparent",
            phone="13900001111",
        )
    log_in(page, site.teacher_user)
    open_roll_call_kept_offline(page, site.group)

    context.set_offline(True)  # airplane mode
    before_taps = timezone.now()
    # One absent with a reason: the reason is asked on the phone itself.
    row(page, children[0]).get_by_role("button", name="缺勤").click()
    row(page, children[0]).get_by_role("button", name="生病").click()
    expect(row(page, children[0]), "says “Saved offline”").to_contain_text("已离线保存")
    for enrollment in children[1:]:
        row(page, enrollment).get_by_role("button", name="出勤").click()
        expect(row(page, enrollment), "says “Saved offline”").to_contain_text("已离线保存")
    # Focus stays on the child's row, and the live region says what happened.
    assert page.evaluate("document.activeElement.closest('.roll-row').id") == (
        f"row-{children[-1].pk}"
    )
    expect(page.locator("#roll-live"), "says “Saved offline”").to_contain_text("已离线保存")
    # Two check-outs offline, from the list kept with the page; a stranger is refused.
    for enrollment in children[1:3]:
        row(page, enrollment).get_by_role("link", name="签退").click()
        expect(row(page, enrollment)).to_contain_text("13900001111")
        row(page, enrollment).get_by_label("谁来接孩子？").select_option(
            f"{enrollment.child.name}的奶奶"
        )
        row(page, enrollment).get_by_role("button", name="确认签退").click()
        expect(
            row(page, enrollment), "the row names who picked the child up: “(…’s grandma)”"
        ).to_contain_text(f"({enrollment.child.name}的奶奶)")
    stranger = row(page, children[3])
    stranger.get_by_role("link", name="签退").click()
    stranger.get_by_label("谁来接孩子？").select_option("other")
    stranger.get_by_role("button", name="确认签退").click()
    expect(
        stranger.get_by_role("alert"),
        "the check-out refuses: “Only the child's guardians and authorised pickup people…”",
    ).to_contain_text("只有孩子的监护人和授权接送人")
    expect(waiting(page), "says “taps waiting to send”").to_contain_text("22 条待发送")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert not Attendance.objects.exists()

    # The phone is put away and the page opened again, still offline.
    page.close()
    page = context.new_page()
    page.goto(f"/groups/{site.group.pk}/roll-call/")
    expect(waiting(page), "says “taps waiting to send”").to_contain_text("22 条待发送")
    expect(row(page, children[0]), "the row says “Sick”").to_contain_text("生病")
    expect(
        row(page, children[1]), "the row still names who picked the child up: “(…’s grandma)”"
    ).to_contain_text(f"({children[1].child.name}的奶奶)")
    after_taps = timezone.now()

    context.set_offline(False)  # airplane mode off: the queue goes by itself
    expect(waiting(page)).to_be_hidden(timeout=15000)
    expect(page.locator("#roll-call-header")).to_contain_text("20/20")
    records = Attendance.objects.filter(group=site.group)
    assert records.count() == 20
    absent = records.get(status="absent")
    assert (absent.enrollment_id, absent.absence_reason) == (children[0].pk, "sick")
    present = records.filter(status="present")
    assert present.count() == 19
    # The times of the taps, not of the sending.
    for record in present:
        assert before_taps <= record.check_in_at <= after_taps
    out = records.filter(check_out_at__isnull=False)
    assert {r.enrollment_id for r in out} == {children[1].pk, children[2].pk}
    for record in out:
        assert record.check_in_at <= record.check_out_at <= after_taps
        assert record.picked_up_by == f"{record.enrollment.child.name}的奶奶"


def test_a_tap_whose_answer_is_lost_is_sent_again_and_applied_once(page: Page, site):
    from attendance.models import Attendance
    from factories.models import AuditEntry

    enrollment = enroll(site.group)
    log_in(page, site.teacher_user)
    open_roll_call_kept_offline(page, site.group)

    # The tap reaches the server, but its answer is lost on the factory Wi-Fi,
    # and so are the answers to the phone's next tries, until the Wi-Fi is back.
    wifi = {"back": False, "sent": 0}

    def lose_the_answer(route):
        wifi["sent"] += 1
        if wifi["back"]:
            route.continue_()
        else:
            route.fetch()
            route.abort("internetdisconnected")

    page.route("**/children/**", lose_the_answer)
    row(page, enrollment).get_by_role("button", name="迟到").click()
    expect(row(page, enrollment), "says “Not saved”").to_contain_text("未保存")
    expect(waiting(page), "says “taps waiting to send”").to_contain_text("1 条待发送")
    wifi["back"] = True
    page.get_by_role("button", name="立即发送").click()
    expect(waiting(page)).to_be_hidden()
    expect(row(page, enrollment), "says “Saved”").to_contain_text("已保存")
    assert wifi["sent"] >= 2  # the same tap went to the server at least twice
    record = Attendance.objects.get()
    assert record.status == "late"
    assert AuditEntry.objects.filter(model="attendance.attendance").count() == 1

    # Logging out leaves nothing of the roll call on the phone.
    assert page.evaluate("async () => (await caches.keys()).length") > 0
    page.get_by_role("button", name="菜单").click()
    # Wait for the menu to finish opening: a click during the slide can miss.
    expect(page.locator("#main-nav.show:not(.collapsing)")).to_be_visible()
    # If a copy of the tap still waits (the phone sent it twice), the page asks
    # before forgetting it: the teacher says yes, the record is saved already.
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="退出登录").click()
    expect(page).to_have_url(re.compile(r"/login/"), timeout=15000)
    assert page.evaluate("async () => (await caches.keys()).length") == 0
    assert page.evaluate("async () => (await indexedDB.databases()).length") == 0


def test_a_colleagues_change_while_offline_is_a_conflict_the_teacher_resolves(
    page: Page, context: BrowserContext, browser, live_server, site
):
    from attendance.models import Attendance
    from factories.models import AuditEntry

    enrollment = enroll(site.group)
    log_in(page, site.teacher_user)
    open_roll_call_kept_offline(page, site.group)
    context.set_offline(True)
    row(page, enrollment).get_by_role("button", name="出勤").click()
    expect(row(page, enrollment), "says “Saved offline”").to_contain_text("已离线保存")

    # Meanwhile the coordinator, online on another phone, marks the child absent.
    other = browser.new_context(
        base_url=live_server.url, viewport={"width": 360, "height": 740}, locale="zh-CN"
    )
    colleague = other.new_page()
    log_in(colleague, site.coordinator)
    colleague.goto(f"/groups/{site.group.pk}/roll-call/")
    row(colleague, enrollment).get_by_role("button", name="缺勤").click()
    row(colleague, enrollment).get_by_role("button", name="生病").click()
    expect(row(colleague, enrollment), "says “Saved”").to_contain_text("已保存")
    other.close()

    context.set_offline(False)
    conflict = row(page, enrollment).get_by_role("alert")
    expect(conflict, "says “Changed by a colleague while your tap was waiting.”").to_contain_text(
        "同事修改了这条记录"
    )
    expect(conflict, "the conflict shows the saved value “Absent · Sick”").to_contain_text(
        "缺勤 · 生病"
    )
    expect(conflict, "the conflict shows the tap “Present”").to_contain_text("出勤")
    assert Attendance.objects.get().status == "absent"  # nothing overwritten silently
    conflict.get_by_role("button", name="用我的点名").click()
    expect(row(page, enrollment).get_by_role("alert")).to_have_count(0)
    expect(row(page, enrollment).locator(".saved-note"), "the row says “Saved”").to_contain_text(
        "已保存"
    )
    expect(
        row(page, enrollment).get_by_role("button", name="出勤"),
        "the “Present” button keeps the focus",
    ).to_be_focused()
    record = Attendance.objects.get()
    assert record.status == "present" and record.check_in_at is not None
    assert record.check_in_at <= timezone.now()
    notes = AuditEntry.objects.filter(object_id=str(record.pk)).values_list("changes", flat=True)
    assert any("conflict" in n for n in notes)
    assert any(n.get("conflict_resolved", [None, None])[1] == "mine" for n in notes)


def test_a_child_checked_in_online_and_checked_out_offline_keeps_its_status_on_the_row(
    page: Page, context: BrowserContext, site
):

    enrollment = checked_in_with_a_pickup(site.group)
    log_in(page, site.teacher_user)
    open_roll_call_kept_offline(page, site.group)
    checked_in = row(page, enrollment).locator(".row-state").inner_text().split(" ✓")[0].strip()
    assert checked_in.startswith("出勤 · 签到")

    context.set_offline(True)
    row(page, enrollment).get_by_role("link", name="签退").click()
    row(page, enrollment).get_by_label("谁来接孩子？").select_option("外婆")
    row(page, enrollment).get_by_role("button", name="确认签退").click()
    # The row still says present and when the child came, then the waiting check-out.
    state = row(page, enrollment).locator(".row-state")
    expect(state, "says “Saved offline”").to_contain_text("已离线保存")
    assert state.inner_text().startswith(f"{checked_in} · 签退 ")
    assert "(外婆)" in state.inner_text()


def test_a_tap_after_the_session_ended_is_kept_and_sent_after_logging_in_again(
    page: Page, context: BrowserContext, site
):
    from attendance.models import Attendance

    enrollment = enroll(site.group)
    log_in(page, site.teacher_user)
    page.goto(f"/groups/{site.group.pk}/roll-call/")
    # 30 idle minutes: the browser drops the session cookie (the CSRF cookie stays).
    kept = [c for c in context.cookies() if c["name"] != "sessionid"]
    context.clear_cookies()
    context.add_cookies(kept)

    row(page, enrollment).get_by_role("button", name="迟到").click()
    # The answer is the login page: never swapped into the list, the tap is kept.
    expect(waiting(page), "says “taps waiting to send”").to_contain_text("1 条待发送")
    expect(row(page, enrollment), "says “Late”").to_contain_text("迟到")
    expect(page.locator("#roll input[name=password]")).to_have_count(0)
    assert not Attendance.objects.exists()

    waiting(page).get_by_role("link", name="请重新登录").click()
    page.get_by_label("用户名").fill(site.teacher_user.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(
        page.get_by_role("heading", name=re.compile("点名")),
        "the roll call page opens: heading “Roll call”",
    ).to_be_visible()
    until_recorded(page, status="late")
    assert Attendance.objects.get().status == "late"
    expect(waiting(page)).to_be_hidden()


def test_taps_queued_on_yesterdays_page_and_sent_from_todays_change_only_yesterday(
    page: Page, context: BrowserContext, site
):
    import datetime

    from attendance.models import Attendance

    enrollment = enroll(site.group)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    log_in(page, site.teacher_user)
    page.goto(f"/groups/{site.group.pk}/roll-call/{yesterday.isoformat()}/")
    expect(page.locator("#roll[data-kept='1']")).to_be_attached(timeout=15000)

    # The Wi-Fi went at the end of the day: a tap, then the teacher's correction.
    context.set_offline(True)
    row(page, enrollment).get_by_role("button", name="出勤").click()
    row(page, enrollment).get_by_role("button", name="迟到").click()
    expect(waiting(page), "says “taps waiting to send”").to_contain_text("2 条待发送")
    page.goto("about:blank")  # the phone is put away

    # The next morning, online, the teacher opens today's roll call: the queue goes.
    context.set_offline(False)
    page.goto(f"/groups/{site.group.pk}/roll-call/")
    until_recorded(page, date=yesterday, status="late")
    assert Attendance.objects.get(date=yesterday).status == "late"
    expect(waiting(page)).to_be_hidden()
    # Today's row and header still show today: nothing is marked yet.
    expect(row(page, enrollment), "says “Not marked yet”").to_contain_text("尚未点名")
    expect(page.locator("#roll-call-header"), "the header says “Marked 0/1”").to_contain_text(
        "已点名 0/1"
    )


def test_absent_on_a_wi_fi_without_internet_asks_the_reason_on_the_phone(page: Page, site):
    from attendance.models import Attendance

    enrollment = enroll(site.group)
    log_in(page, site.teacher_user)
    open_roll_call_kept_offline(page, site.group)
    # The phone says it is online (Wi-Fi), but nothing gets through.
    page.route("**/children/**", lambda route: route.abort("internetdisconnected"))
    row(page, enrollment).get_by_role("button", name="缺勤").click()
    row(page, enrollment).get_by_role("button", name="生病").click()
    expect(row(page, enrollment), "the row says “Absent · Sick”").to_contain_text("缺勤 · 生病")
    expect(waiting(page), "says “taps waiting to send”").to_contain_text("1 条待发送")

    page.unroute("**/children/**")
    # "Send now" (the queue may be on its way already: no waiting for the button).
    page.evaluate("document.getElementById('roll-send-now').click()")
    expect(waiting(page)).to_be_hidden()
    record = Attendance.objects.get()
    assert (record.status, record.absence_reason) == ("absent", "sick")


def test_check_out_on_a_wi_fi_without_internet_uses_the_list_kept_with_the_page(page: Page, site):
    from attendance.models import Attendance

    enrollment = checked_in_with_a_pickup(site.group)
    log_in(page, site.teacher_user)
    open_roll_call_kept_offline(page, site.group)
    page.route("**/children/**", lambda route: route.abort("internetdisconnected"))
    row(page, enrollment).get_by_role("link", name="签退").click()
    row(page, enrollment).get_by_label("谁来接孩子？").select_option("外婆")
    row(page, enrollment).get_by_role("button", name="确认签退").click()
    expect(waiting(page), "says “taps waiting to send”").to_contain_text("1 条待发送")

    page.unroute("**/children/**")
    # "Send now" (the queue may be on its way already: no waiting for the button).
    page.evaluate("document.getElementById('roll-send-now').click()")
    expect(waiting(page)).to_be_hidden()
    assert Attendance.objects.get().picked_up_by == "外婆"
