"""The public survey: a worker answers each round once, identified against the
roster, kept under a pseudonym; the survey is offered after an application."""

import datetime
import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from factories.models import Worker
from impact.indicators import season_answers
from impact.models import Question, Response, Survey
from impact.views import SURVEY_LIMIT
from spaces.models import Season

from ..builders import WorkerBuilder
from .conftest import TYPICAL, answer, parent


@pytest.fixture(autouse=True)
def fresh_throttle():
    cache.clear()


def in_baseline(season):
    season.start_date = timezone.localdate() + datetime.timedelta(days=3)
    season.status = Season.Status.OPEN
    season.save()


def in_final(season):
    season.end_date = timezone.localdate() + datetime.timedelta(days=2)
    season.save()


def url(season):
    return reverse("impact:survey", args=[season.application_token])


def form_data(worker, **overrides):
    return {"employee_number": worker.employee_number.lower(), **TYPICAL, **overrides}


def test_a_worker_answers_the_baseline_under_a_pseudonym(client, site):
    in_baseline(site.season)
    worker = parent(site.season, participant=True)
    page = client.get(url(site.season))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-testid="confidential"' in body and "暑假期间" in body

    response = client.post(url(site.season), form_data(worker, hours_alone="28"), follow=True)
    assert response.redirect_chain[-1][0].endswith("/thanks/")
    saved = Response.objects.get()
    assert (saved.round, saved.answers["hours_alone"]) == ("baseline", 28)
    survey = Survey.objects.get()
    assert saved.pseudonym == survey.pseudonym(worker.employee_number)
    # Nothing in the row names the worker.
    stored = f"{saved.pseudonym} {saved.answers}"
    assert worker.employee_number not in stored and worker.name not in stored


def test_a_second_answer_replaces_the_first_only_from_the_same_phone(client, site):
    in_final(site.season)
    worker = parent(site.season, participant=False)
    first = client.post(url(site.season), form_data(worker, trust_management="little"),
                        follow=True)  # fmt: skip
    thanks = client.post(
        url(site.season), form_data(worker, trust_management="absolutely"), follow=True
    )
    saved = Response.objects.get()
    assert (saved.round, saved.answers["trust_management"]) == ("final", "absolutely")
    # The thanks page does not say whether they had answered before.
    assert _main(first) == _main(thanks)

    # Someone else's phone, with the worker's number: nothing is replaced, and
    # the number's answers are left out of the figures (one of the two is not
    # the worker); the other phone is told exactly what the worker was told.
    other_phone = Client()
    other = other_phone.post(url(site.season), form_data(worker, trust_management="not_at_all"),
                             follow=True)  # fmt: skip
    assert _main(other) == _main(thanks)
    saved.refresh_from_db()
    assert saved.answers["trust_management"] == "absolutely" and saved.contested
    answers, _roster = season_answers(site.season)
    assert answers == []


def _main(response) -> str:
    """What the page says, without the per-request tokens."""
    body = response.content.decode()
    body = body[body.index("<main") :]
    return re.sub(r'(csrfmiddlewaretoken" value=|nonce=)"[^"]*"', "", body)


def test_the_rounds_of_a_worker_share_one_pseudonym_and_seasons_do_not(site, other_site):
    worker = parent(site.season, participant=True)
    first = answer(site.season, "baseline", worker)
    second = answer(site.season, "final", worker)
    assert first.pk != second.pk and first.pseudonym == second.pseudonym
    other = Survey.for_season(other_site.season)
    assert other.pseudonym(worker.employee_number) != first.pseudonym


def test_the_page_does_not_say_whether_a_number_is_on_the_roster(client, site):
    """An outsider trying numbers learns nothing: a worker on HR's roster, a
    number nobody has, and a number the public application form registered
    (not on HR's roster) all get the same thanks page; only the rostered
    worker's answers are kept."""
    in_baseline(site.season)
    rostered = parent(site.season, participant=True)
    invented = WorkerBuilder(factory=site.factory, employee_number="E99999", on_roster=False)
    pages = [
        _main(Client().post(url(site.season), {**TYPICAL, "employee_number": number},
                            follow=True))
        for number in (rostered.employee_number, "NOBODY-1", invented.employee_number)
    ]  # fmt: skip
    assert pages[0] == pages[1] == pages[2]
    assert (
        "thanks"
        in Client().post(url(site.season), {**TYPICAL, "employee_number": "X1"})["Location"]
    )
    survey = Survey.for_season(site.season)
    assert [r.pseudonym for r in Response.objects.all()] == [
        survey.pseudonym(rostered.employee_number)
    ]


def test_answers_under_a_number_off_the_roster_never_count(site):
    """Numbers the public form registered are anyone's invention: an answer kept
    under one (before this rule, or before HR took the worker off the roster)
    counts neither as an answer nor as a parent on the list."""
    rostered = parent(site.season, participant=True)
    invented = parent(site.season, participant=True)
    answer(site.season, "baseline", rostered)
    answer(site.season, "baseline", invented)
    assert len(season_answers(site.season)[0]) == 2
    Worker.objects.filter(pk=invented.pk).update(on_roster=False)
    answers, roster = season_answers(site.season)
    assert len(answers) == 1 and (roster.participants, roster.others) == (1, 0)


@pytest.mark.parametrize(
    "bad", [{"hours_alone": "-3"}, {"hours_alone": "500"}, {"trust_management": "<script>"},
            {"hours_alone": "9" * 30}, {"employee_number": "<b>1</b>"}],
)  # fmt: skip
def test_bad_answers_get_a_message_and_change_nothing(client, site, bad):
    in_baseline(site.season)
    worker = parent(site.season, participant=True)
    response = client.post(url(site.season), form_data(worker, **bad))
    assert response.status_code == 200
    assert "alert-danger" in response.content.decode()
    assert not Response.objects.exists()


def test_the_survey_says_when_no_round_is_open(client, site):
    # The site's season is in its third week: after the baseline, before the final.
    response = client.get(url(site.season))
    assert "没有开放" in response.content.decode() or "not open" in response.content.decode()
    assert "employee_number" not in response.content.decode()
    assert client.get(reverse("impact:survey", args=["no-such-code"])).status_code == 404


def test_the_application_thanks_page_offers_the_survey_when_a_round_is_open(client, site):
    thanks = reverse("enrollment:apply-thanks", args=[site.season.application_token])
    assert 'data-testid="survey-offer"' not in client.get(thanks).content.decode()
    in_baseline(site.season)
    body = client.get(thanks).content.decode()
    assert 'data-testid="survey-offer"' in body and url(site.season) in body


def test_hr_prints_one_poster_for_all_workers(client_of, site, stranger):
    poster = reverse("impact:poster", args=[site.season.pk])
    page = client_of(site.hr).get(poster)
    assert page.status_code == 200 and "<svg" in page.content.decode()
    assert url(site.season) in page.content.decode()
    png = client_of(site.hr).get(reverse("impact:qr-code", args=[site.season.pk, "png"]))
    assert png["Content-Type"] == "image/png"
    assert client_of(stranger).get(poster).status_code == 404


def test_the_survey_page_offers_the_poster_only_to_those_who_may_print_it(client_of, site):
    survey, poster = (reverse(name, args=[site.season.pk])
                      for name in ("impact:season-survey", "impact:poster"))  # fmt: skip
    for user in (site.hr, site.coordinator):
        assert poster in client_of(user).get(survey).content.decode()
        assert client_of(user).get(poster).status_code == 200
    assert client_of(site.manager).get(poster).status_code == 404
    assert poster not in client_of(site.manager).get(survey).content.decode()


def test_a_coordinator_adds_a_question_and_rewords_it_as_a_new_version(client_of, site):
    client = client_of(site.coordinator)
    new = reverse("impact:question-new", args=[site.season.pk])
    refused = client.post(new, {"text_zh": "问", "text_en": "Q", "options": "只有一个"})
    assert refused.status_code == 200 and not Question.objects.filter(season=site.season)
    client.post(new, {"text_zh": "您听说过儿童之家吗？", "text_en": "Had you heard of the space?",
                      "options": "听说过 | Yes\n没有 | No"})  # fmt: skip
    question = Question.objects.get(season=site.season)
    assert question.options == [["o1", "听说过", "Yes"], ["o2", "没有", "No"]]
    client.post(reverse("impact:question-revise", args=[question.pk]),
                {"text_zh": "您以前听说过儿童之家吗？", "text_en": "Had you heard of it before?",
                 "options": "听说过 | Yes\n没有 | No"})  # fmt: skip
    question.refresh_from_db()
    assert question.retired_at is not None and question.text_zh == "您听说过儿童之家吗？"
    current = Survey.for_season(site.season).questions()[-1]
    assert (current.version, current.answer_key) == (2, f"{question.key}.v2")


def test_hr_and_managers_cannot_add_questions(client_of, site):
    new = reverse("impact:question-new", args=[site.season.pk])
    for user in (site.hr, site.manager):
        assert client_of(user).get(new).status_code == 404


def test_a_workers_answers_are_erased_with_the_worker(site):
    worker = WorkerBuilder(factory=site.factory)
    keep = parent(site.season, participant=False)
    answer(site.season, "baseline", worker)
    answer(site.season, "baseline", keep)
    worker.delete()
    assert Response.objects.count() == 1


def test_every_post_counts_towards_the_limit_whatever_its_outcome(client, site):
    """A factory's workers share its Wi-Fi, so the limit is generous; but valid
    answers count as much as anything else (the page being no oracle, the limit
    bounds how many answers one address can send)."""
    in_baseline(site.season)
    codes = [
        client.post(url(site.season), form_data(parent(site.season, participant=True))).status_code
        for _ in range(SURVEY_LIMIT)
    ]
    assert codes == [302] * SURVEY_LIMIT and Response.objects.count() == SURVEY_LIMIT
    for data in (
        form_data(parent(site.season, participant=True)),
        {**TYPICAL, "employee_number": "GUESS-1"},
        {"employee_number": "<b>"},
    ):
        assert client.post(url(site.season), data).status_code == 429
    assert Response.objects.count() == SURVEY_LIMIT


def test_the_survey_works_even_if_the_shipped_questionnaire_rows_are_gone(client, site):
    from impact.models import Instrument

    Instrument.objects.all().delete()
    in_baseline(site.season)
    assert "暑假期间" in client.get(url(site.season)).content.decode()


def test_the_staff_survey_page_names_the_open_round_in_chinese(client_of, site):
    in_baseline(site.season)
    page = client_of(site.hr).get(reverse("impact:season-survey", args=[site.season.pk]))
    body = page.content.decode()
    assert "当前开放：基线轮。" in body and "baseline轮" not in body
