import io
import secrets

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from ccrcsr.throttle import throttled
from factories.models import Factory, Role
from factories.scoping import CHILDREN_STAFF, STAFF
from spaces.models import Season
from spaces.scope import season_for

from . import report_card, services
from .forms import QuestionForm, SurveyForm
from .indicators import publish, season_results
from .models import Question, Response, Round, Survey
from .suppression import min_cell

# Every post per address counts, whatever its outcome: the page answers the
# same for every number, so nothing is learnt by trying, and the limit only
# bounds how many answers one address can send (a factory's Wi-Fi is shared
# by its workers, hence generous).
SURVEY_LIMIT, SURVEY_WINDOW = 30, 600
# The phone that answered keeps a random key: only it may replace its answers.
DEVICE_COOKIE, DEVICE_COOKIE_AGE = "survey_device", 400 * 86400
CARD_ROLES = STAFF


def _public_survey(token: str) -> Survey:
    season = get_object_or_404(Season.objects.select_related("factory"), application_token=token)
    return Survey.for_season(season)


@never_cache
def survey(request: HttpRequest, token: str) -> HttpResponse:
    """The public questionnaire a worker opens from the poster or the application form."""
    survey = _public_survey(token)
    season, round_ = survey.season, survey.open_round()
    if round_ is None:
        # 200, not 410: the same link opens again next round.
        return render(request, "impact/survey_closed.html", {"season": season})
    if request.method == "POST" and throttled(
        request, "survey", limit=SURVEY_LIMIT, seconds=SURVEY_WINDOW
    ):
        return render(request, "impact/survey_closed.html",
                      {"season": season, "throttled": True}, status=429)  # fmt: skip
    form = SurveyForm(request.POST or None, survey=survey, questions=survey.questions())
    if request.method == "POST" and form.is_valid():
        device_key = request.COOKIES.get(DEVICE_COOKIE) or secrets.token_urlsafe(32)
        services.response_save(
            survey=survey, round=round_, employee_number=form.cleaned_data["employee_number"],
            answers=form.answers(), language=get_language(), device_key=device_key,
        )  # fmt: skip
        response = redirect("impact:survey-thanks", token=token)
        response.set_cookie(
            DEVICE_COOKIE, device_key, max_age=DEVICE_COOKIE_AGE, httponly=True, samesite="Lax",
            secure=request.is_secure(), path=reverse("impact:survey", args=[token]),
        )  # fmt: skip
        return response
    return render(
        request,
        "impact/survey.html",
        {"season": season, "form": form, "round": Round(round_).label, "min_cell": min_cell()},
    )


@never_cache
def survey_thanks(request: HttpRequest, token: str) -> HttpResponse:
    # The same words for everyone: whether the answers were kept, replaced or
    # dropped (a number not on the roster) is not said.
    survey = _public_survey(token)
    return render(request, "impact/survey_thanks.html", {"season": survey.season})


def _survey_link(request: HttpRequest, season: Season) -> str:
    return request.build_absolute_uri(reverse("impact:survey", args=[season.application_token]))


@login_required
def season_survey(request: HttpRequest, season_id: int) -> HttpResponse:
    """The season's survey for its staff: link, poster, questions, answers per round."""
    season = season_for(request.user, season_id, CARD_ROLES)
    survey = Survey.for_season(season)
    open_round = survey.open_round()
    counts = dict(
        survey.responses.values_list("round").annotate(n=Count("pk")).values_list("round", "n")
    )
    # The published answers per group, as the report card has them: a round's
    # figures once it is over (never live, see indicators.season_results).
    rates = publish(season_results(season))["rates"]
    roles = set(season.factory.memberships.filter(user=request.user).values_list("role", flat=True))
    is_coordinator = request.user.is_superuser or Role.COORDINATOR in roles
    # The poster is HR's and the coordinators' (a manager's link to it would 404).
    can_print_poster = request.user.is_superuser or bool(roles & CHILDREN_STAFF)
    return render(request, "impact/season_survey.html", {
        "season": season, "survey": survey, "link": _survey_link(request, season),
        "open_round": open_round and Round(open_round).label, "rates": rates,
        "has_answers": bool(counts),
        "questions": survey.questions(), "can_add": is_coordinator,
        "can_print_poster": can_print_poster,
        "retired": season.survey_questions.filter(retired_at__isnull=False),
        "min_cell": min_cell(),
    })  # fmt: skip


@login_required
def poster(request: HttpRequest, season_id: int) -> HttpResponse:
    """One A4 poster for every worker of the factory, participants and not."""
    season = season_for(request.user, season_id, CHILDREN_STAFF)
    link = _survey_link(request, season)
    qr_svg = segno.make(link, error="m").svg_inline(scale=8, dark="#000", light="#fff")
    return render(request, "impact/poster.html", {"season": season, "link": link, "qr_svg": qr_svg})


@login_required
def qr_code(request: HttpRequest, season_id: int, fmt: str) -> HttpResponse:
    season = season_for(request.user, season_id, CHILDREN_STAFF)
    buffer = io.BytesIO()
    segno.make(_survey_link(request, season), error="m").save(buffer, kind=fmt, scale=10, border=2)
    response = HttpResponse(
        buffer.getvalue(), content_type="image/svg+xml" if fmt == "svg" else "image/png"
    )
    response["Content-Disposition"] = f'attachment; filename="survey-{season.pk}.{fmt}"'
    return response


@login_required
def question_new(request: HttpRequest, season_id: int) -> HttpResponse:
    """A coordinator adds a question for this season only."""
    season = season_for(request.user, season_id, [Role.COORDINATOR])
    form = QuestionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        n = season.survey_questions.values("key").distinct().count() + 1
        Question.objects.create(
            season=season, key=f"s{season.pk}q{n}", kind=Question.Kind.CHOICE,
            text_zh=form.cleaned_data["text_zh"], text_en=form.cleaned_data["text_en"],
            options=form.cleaned_data["options"], order=100 + n,
        )  # fmt: skip
        messages.success(request, _("The question is added to this season's survey."))
        return redirect("impact:season-survey", season_id=season.pk)
    return render(request, "impact/question_form.html", {"season": season, "form": form})


@login_required
def question_revise(request: HttpRequest, question_id: int) -> HttpResponse:
    """New wording is a new version: answers to the old one stay apart."""
    question = get_object_or_404(
        Question.objects.filter(
            season__in=Season.objects.for_roles(request.user, Role.COORDINATOR),
            retired_at__isnull=True,
        ).select_related("season__factory"),
        pk=question_id,
    )
    initial = {"text_zh": question.text_zh, "text_en": question.text_en,
               "options": "\n".join(f"{zh} | {en}" for _v, zh, en in question.options)}  # fmt: skip
    form = QuestionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        question.revise(**form.cleaned_data)
        messages.success(request, _("The new version is asked from now on."))
        return redirect("impact:season-survey", season_id=question.season_id)
    return render(
        request,
        "impact/question_form.html",
        {"season": question.season, "form": form, "question": question},
    )


@login_required
def response_detail(request: HttpRequest, response_id: int) -> HttpResponse:
    """One worker's answers: for the superuser alone, who handles a worker's
    request to see or erase them. Everyone else gets 404, as for any id."""
    response = get_object_or_404(
        Response.objects.visible_to(request.user).select_related("survey__season__factory"),
        pk=response_id,
    )
    return render(request, "impact/response_detail.html", {"response": response})


def _card_context(request: HttpRequest, season_id: int) -> dict:
    season = season_for(request.user, season_id, CARD_ROLES)
    return {"card": report_card.season_card(season), "season": season}


@login_required
def card(request: HttpRequest, season_id: int) -> HttpResponse:
    return render(request, "impact/report_card.html", _card_context(request, season_id))


@login_required
def card_print(request: HttpRequest, season_id: int) -> HttpResponse:
    return render(request, "impact/report_card_print.html", _card_context(request, season_id))


@login_required
def card_export(request: HttpRequest, season_id: int) -> HttpResponse:
    context = _card_context(request, season_id)
    response = HttpResponse(
        report_card.card_workbook(context["card"]),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="report-card-{season_id}.xlsx"'
    return response


@login_required
def programme(request: HttpRequest) -> HttpResponse:
    """The programme report card: every factory the coordinator covers, one year."""
    factories = Factory.objects.for_roles(request.user, Role.COORDINATOR)
    years = report_card.years_of(factories)
    if not request.user.is_superuser and not factories.exists():
        raise Http404
    default = report_card.last_closed_year(factories) or timezone.localdate().year
    try:
        year = min(max(int(request.GET.get("year") or default), 2000), 2100)
    except ValueError:
        year = default
    return render(request, "impact/programme.html", {
        "card": report_card.programme_card(factories, year), "years": years, "year": year,
    })  # fmt: skip
