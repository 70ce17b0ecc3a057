from django.urls import path, re_path

from . import views

app_name = "impact"

urlpatterns = [
    # Public: the season's link code, the same one as on the application poster.
    path("survey/<str:token>/", views.survey, name="survey"),
    path("survey/<str:token>/thanks/", views.survey_thanks, name="survey-thanks"),
    path("seasons/<int:season_id>/survey/", views.season_survey, name="season-survey"),
    path("seasons/<int:season_id>/survey/poster/", views.poster, name="poster"),
    re_path(
        r"^seasons/(?P<season_id>[0-9]+)/survey/qr\.(?P<fmt>svg|png)$",
        views.qr_code,
        name="qr-code",
    ),
    path("seasons/<int:season_id>/survey/questions/new/", views.question_new, name="question-new"),
    path(
        "survey-questions/<int:question_id>/revise/", views.question_revise, name="question-revise"
    ),
    path("survey-answers/<int:response_id>/", views.response_detail, name="response-detail"),
    path("seasons/<int:season_id>/report-card/", views.card, name="report-card"),
    path("seasons/<int:season_id>/report-card/print/", views.card_print, name="report-card-print"),
    path(
        "seasons/<int:season_id>/report-card/report-card.xlsx",
        views.card_export,
        name="report-card-export",
    ),
    path("programme-report-card/", views.programme, name="programme"),
]
