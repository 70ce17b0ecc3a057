"""axe-core over the pages teachers, HR, coordinators, managers and parents use
on a 360 x 740 phone, in Chinese and in English: no violation, in every state
of the roll call. axe is vendored under tests/vendor (npm pack axe-core) and
injected before the page's own scripts, so no network is needed and the
page's strict CSP stays as it is."""

import json
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from .builders import PASSWORD, enroll

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
LANGUAGES = {"zh-hans": "zh-CN", "en": "en-US"}


def axe_violations(page: Page) -> list[str]:
    result = page.evaluate(
        "async () => { const r = await axe.run(document, {resultTypes: ['violations']});"
        " return r.violations.map(v => ({id: v.id, impact: v.impact,"
        " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' ' + n.failureSummary)}));"
        " }"
    )
    return [json.dumps(v, ensure_ascii=False) for v in result]


def assert_accessible(page: Page, what: str) -> None:
    # htmx settles a swap in two steps (old classes first): check the end state.
    expect(page.locator(".htmx-request, .htmx-settling, .htmx-swapping, .saving")).to_have_count(0)
    violations = axe_violations(page)
    assert not violations, f"{what}:\n" + "\n".join(violations)


def phone(browser: Browser, live_server, language: str) -> Page:
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 360, "height": 740},
        locale=LANGUAGES[language],
        # No colour transitions: axe reads the colours, not a frame between two.
        reduced_motion="reduce",
    )
    context.add_init_script(path=str(AXE))
    return context.new_page()


def signed_in(browser, live_server, user, language) -> Page:
    user.language = language
    user.save(update_fields=["language"])
    page = phone(browser, live_server, language)
    page.goto("/login/")
    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")
    expect(page).not_to_have_url(re.compile(r"/login/"))
    return page


@pytest.fixture(params=list(LANGUAGES))
def language(request):
    return request.param


def test_the_roll_call_in_every_state_has_no_violation(browser, live_server, site, language):
    from attendance.models import Attendance
    from enrollment.models import AuthorisedPickup

    children = [enroll(site.group) for _ in range(4)]
    children[0].child.allergies = "花生"
    children[0].child.save()
    AuthorisedPickup.objects.create(
        child=children[1].child, name="王奶奶", relationship="grandparent", phone="13900001111"
    )
    page = signed_in(browser, live_server, site.teacher_user, language)
    page.goto(f"/groups/{site.group.pk}/roll-call/")
    assert_accessible(page, "roll call, nothing marked")

    def row(enrollment):
        return page.locator(f"#row-{enrollment.pk}")

    row(children[0]).locator("button[value=absent]").click()
    expect(row(children[0]).locator("button[name=absence_reason]").first).to_be_visible()
    assert_accessible(page, "asking a reason")
    row(children[0]).locator("button[value=sick]").click()
    row(children[1]).locator("button[value=present]").click()
    row(children[2]).locator("button[value=late]").click()
    expect(row(children[2]).locator(".saved-note")).to_be_visible()
    assert_accessible(page, "saved: absent, present, late")
    row(children[1]).locator(".checkout-link").click()
    expect(row(children[1]).locator("select")).to_be_visible()
    assert_accessible(page, "check-out open")
    page.route("**/children/**", lambda route: route.abort("internetdisconnected"))
    row(children[3]).locator("button[value=excused]").click()
    expect(page.locator("#roll-queue")).to_be_visible()
    assert_accessible(page, "failed, waiting to send")
    page.context.set_offline(True)
    row(children[2]).locator("button[value=present]").click()
    assert_accessible(page, "offline, waiting")
    # A colleague's change meanwhile: the row shows both values to choose from.
    Attendance.objects.filter(enrollment=children[2]).update(
        status="absent", absence_reason="sick", check_in_at=None, updated_at=timezone.now()
    )
    page.unroute("**/children/**")
    page.context.set_offline(False)
    expect(row(children[2]).locator(".conflict")).to_be_visible(timeout=15000)
    assert_accessible(page, "a conflict to settle")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_the_pages_of_each_role_have_no_violation(browser, live_server, site, language):
    enroll(site.group)
    for user in (site.teacher_user, site.hr, site.coordinator, site.manager):
        page = signed_in(browser, live_server, user, language)
        assert_accessible(page, f"home of {user.username}")
        if user == site.hr:
            page.goto(f"/seasons/{site.season.pk}/applications/")
            assert_accessible(page, "HR review list")
        if user == site.coordinator:
            page.goto(f"/reports/seasons/{site.season.pk}/")
            assert_accessible(page, "season report")
        if user in (site.coordinator, site.manager):
            page.goto("/reports/")
            assert_accessible(page, f"programme dashboard of {user.username}")
        page.context.close()


def test_the_public_application_form_has_no_violation(browser, live_server, site, language):
    page = phone(browser, live_server, language)
    page.goto(f"/apply/{site.season.application_token}/")
    assert_accessible(page, "application form")
    page.locator("main form button[type=submit]").last.click()  # errors shown
    assert_accessible(page, "application form with errors")
