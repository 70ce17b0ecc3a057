"""A worker answers both rounds on a 360-px phone, in Chinese, without a login."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from impact.models import Response
from spaces.models import Season

from .conftest import parent

pytestmark = pytest.mark.browser


def answer_on_the_phone(page: Page, token: str, worker, *, carer: str, hours: str, **choices):
    page.goto(f"/survey/{token}/")
    expect(page.get_by_test_id("confidential")).to_contain_text("工厂里没有人能看到您的回答")
    page.get_by_label("您的工号").fill(worker.employee_number.lower())
    page.get_by_label(carer).check()
    page.get_by_label("暑假期间，孩子每周大约有多少小时身边没有大人？").fill(hours)
    for question, value in choices.items():
        page.locator(f'input[name="{question}"][value="{value}"]').check()
    # Nothing sticks out sideways on a cheap phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_role("button", name="提交我的回答").click()
    expect(page.get_by_role("heading", name="谢谢：已收到您的回答")).to_be_visible()


def test_a_worker_answers_the_baseline_and_the_final_on_a_phone(page: Page, site):
    season = site.season
    worker = parent(season, participant=True)
    today = timezone.localdate()
    season.start_date, season.status = today + datetime.timedelta(days=3), Season.Status.OPEN
    season.save()

    answer_on_the_phone(
        page, season.application_token, worker, carer="没有人，孩子自己在家", hours="30",
        satisfied_space="not_used", space_safe="not_used", teachers_professional="not_used",
        trust_management="mostly", stay_two_years="not_sure", satisfied_factory="neutral",
    )  # fmt: skip
    # The first try forgot nothing: one answer, the baseline, under a pseudonym.
    first = Response.objects.get()
    assert first.round == "baseline" and first.answers["hours_alone"] == 30

    season.start_date, season.end_date = today - datetime.timedelta(days=40), today
    season.status = Season.Status.RUNNING
    season.save()
    answer_on_the_phone(
        page, season.application_token, worker, carer="儿童之家或托管班", hours="12",
        satisfied_space="very_satisfied", space_safe="yes", teachers_professional="yes",
        trust_management="absolutely", stay_two_years="yes", satisfied_factory="satisfied",
    )  # fmt: skip
    final = Response.objects.get(round="final")
    assert final.pseudonym == first.pseudonym
    assert (final.answers["carer_summer"], final.answers["trust_management"]) == (
        "space", "absolutely",
    )  # fmt: skip
