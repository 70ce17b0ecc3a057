from django.urls import path

from . import views

app_name = "attendance"

urlpatterns = [
    # At the root, so the worker may control every page (its scope is its folder).
    path("roll-call-sw.js", views.service_worker, name="service-worker"),
    path("seasons/<int:season_id>/incidents/", views.season_incidents, name="season-incidents"),
    path("groups/<int:group_id>/roll-call/", views.roll_call, name="roll-call-today"),
    path("groups/<int:group_id>/roll-call/<isodate:day>/", views.roll_call, name="roll-call"),
    path(
        "groups/<int:group_id>/roll-call/<isodate:day>/children/<int:enrollment_id>/",
        views.roll_call_mark,
        name="roll-call-mark",
    ),
    path(
        "groups/<int:group_id>/roll-call/<isodate:day>/children/<int:enrollment_id>/check-out/",
        views.roll_call_check_out,
        name="roll-call-check-out",
    ),
    path(
        "groups/<int:group_id>/roll-call/<isodate:day>/taps/",
        views.roll_call_taps,
        name="roll-call-taps",
    ),
    path(
        "groups/<int:group_id>/roll-call/<isodate:day>/all-present/",
        views.roll_call_mark_all,
        name="roll-call-mark-all",
    ),
    path(
        "groups/<int:group_id>/roll-call/<isodate:day>/duty/",
        views.roll_call_duty,
        name="roll-call-duty",
    ),
    path(
        "groups/<int:group_id>/roll-call/<isodate:day>/sheet/",
        views.sign_in_sheet,
        name="sign-in-sheet",
    ),
    path("groups/<int:group_id>/incidents/new/", views.incident_new, name="incident-new"),
]
