"""A shared phone and the roll calls its service worker keeps (issue 24, item 4),
in a real browser: a kept page is served offline only to the user and session
it was kept for, what was kept goes when the session is found ended or another
user logs in (their queued taps too), and an erased child's name leaves it."""

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from .test_browser import log_in
from .test_browser_offline import checked_in_with_a_pickup, open_roll_call_kept_offline, row

pytestmark = pytest.mark.browser

NOT_KEPT = "这一页没有保存在手机上"
TAPS_ON_PHONE = """async () => {
  const db = await new Promise((ok) => { const r = indexedDB.open("roll-call", 1);
    r.onupgradeneeded = () => r.result.createObjectStore(
      "taps", { keyPath: "seq", autoIncrement: true });
    r.onsuccess = () => ok(r.result); });
  return await new Promise((ok) => { const r = db.transaction("taps").objectStore("taps").getAll();
    r.onsuccess = () => ok(r.result.map((t) => t.user)); });
}"""


def a_child_with_health_notes_and_a_pickup(group):
    enrollment = checked_in_with_a_pickup(group)  # 外婆, 13900001111
    enrollment.child.allergies = "花生过敏"
    enrollment.child.save()
    return enrollment


def assert_nothing_of(page: Page, enrollment) -> None:
    html = page.content()
    for secret in (enrollment.child.name, "花生过敏", "13900001111"):
        assert secret not in html


def test_a_kept_roll_call_is_not_served_once_the_session_has_ended(
    page: Page, context: BrowserContext, site
):
    enrollment = a_child_with_health_notes_and_a_pickup(site.group)
    log_in(page, site.teacher_user)
    open_roll_call_kept_offline(page, site.group)
    # The phone's mark ends with the session: the browser drops both cookies together.
    cookies = {c["name"]: c for c in context.cookies()}
    assert abs(cookies["rc_phone"]["expires"] - cookies["sessionid"]["expires"]) < 5
    context.clear_cookies()  # 30 idle minutes later; the phone is offline
    context.set_offline(True)
    page.goto(f"/groups/{site.group.pk}/roll-call/")
    expect(page.locator("body")).to_contain_text(NOT_KEPT)
    assert_nothing_of(page, enrollment)


def test_the_next_user_of_a_shared_phone_gets_nothing_the_last_one_kept(
    page: Page, context: BrowserContext, site
):
    enrollment = a_child_with_health_notes_and_a_pickup(site.group)
    log_in(page, site.teacher_user)
    open_roll_call_kept_offline(page, site.group)
    # A tap waits offline; the phone is handed over without logging out.
    context.set_offline(True)
    row(page, enrollment).get_by_role("button", name="迟到").click()
    expect(row(page, enrollment)).to_contain_text("已离线保存")
    assert page.evaluate(TAPS_ON_PHONE) == [str(site.teacher_user.pk)]
    context.set_offline(False)

    context.clear_cookies()  # the teacher's session ended; the phone is handed over
    log_in(page, site.hr)  # another user logs in on the same browser
    expect(page.get_by_role("button", name="菜单")).to_be_attached()
    page.wait_for_function(
        "async (url) => !(await caches.match(location.origin + url, { ignoreVary: true }))",
        arg=f"/groups/{site.group.pk}/roll-call/",
        timeout=10000,
    )
    page.wait_for_function(f"({TAPS_ON_PHONE})().then((users) => users.length === 0)")
    context.set_offline(True)
    page.goto(f"/groups/{site.group.pk}/roll-call/")
    expect(page.locator("body")).to_contain_text(NOT_KEPT)
    assert_nothing_of(page, enrollment)


def test_an_erased_childs_name_leaves_the_kept_roll_call(page: Page, context: BrowserContext, site):
    from enrollment.privacy import child_anonymise

    erased = a_child_with_health_notes_and_a_pickup(site.group)
    staying = checked_in_with_a_pickup(site.group)
    name = erased.child.name
    log_in(page, site.teacher_user)
    open_roll_call_kept_offline(page, site.group)
    before = next(c["value"] for c in context.cookies() if c["name"] == "rc_phone")
    child_anonymise(child=erased.child, user=site.hr, reason="the family asked")

    # The teacher goes on using the phone online (any page), then loses the network.
    page.goto("/")
    url = f"/groups/{site.group.pk}/roll-call/"
    # The phone fetches the kept roll call again, for the mark the erasure moved.
    page.wait_for_function(
        """async ([url, name, before]) => {
             const kept = await caches.match(location.origin + url, { ignoreVary: true });
             const mark = document.cookie.split("; ").find((c) => c.startsWith("rc_phone="));
             return kept && mark && mark !== "rc_phone=" + before
               && mark === "rc_phone=" + kept.headers.get("X-Kept-For")
               && !(await kept.text()).includes(name); }""",
        arg=[url, name, before],
        timeout=10000,
    )
    context.set_offline(True)
    page.goto(url)
    # Whatever the phone serves offline (the page fetched again, or the notice
    # that it was not kept), the erased child's name and notes are not in it.
    html = page.content()
    assert name not in html and "花生过敏" not in html
    if NOT_KEPT not in html:
        expect(row(page, staying)).to_contain_text(staying.child.name)
