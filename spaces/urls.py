from django.urls import path

from . import views

app_name = "spaces"

urlpatterns = [
    path("factories/<int:factory_id>/seasons/new/", views.season_new, name="season-new"),
    path("factories/<int:factory_id>/rooms/", views.space_list, name="space-list"),
    path("factories/<int:factory_id>/rooms/new/", views.space_new, name="space-new"),
    path("factories/<int:factory_id>/teachers/", views.teacher_list, name="teacher-list"),
    path("factories/<int:factory_id>/teachers/new/", views.teacher_new, name="teacher-new"),
    path("rooms/<int:space_id>/edit/", views.space_edit, name="space-edit"),
    path(
        "rooms/<int:space_id>/safety-checks/new/",
        views.safety_check_new,
        name="safety-check-new",
    ),
    path("teachers/<int:teacher_id>/edit/", views.teacher_edit, name="teacher-edit"),
    path("seasons/<int:season_id>/", views.season_detail, name="season-detail"),
    path("seasons/<int:season_id>/edit/", views.season_edit, name="season-edit"),
    path("seasons/<int:season_id>/rollover/", views.season_rollover, name="season-rollover"),
    path("seasons/<int:season_id>/status/", views.season_status, name="season-status"),
    path("seasons/<int:season_id>/roster/", views.season_roster, name="season-roster"),
    path("seasons/<int:season_id>/groups/new/", views.group_new, name="group-new"),
    path("roster/<int:assignment_id>/remove/", views.assignment_remove, name="assignment-remove"),
    path("seasons/<int:season_id>/incidents/", views.season_incidents, name="season-incidents"),
    path("groups/<int:group_id>/", views.group_detail, name="group-detail"),
    path("groups/<int:group_id>/edit/", views.group_edit, name="group-edit"),
    path("groups/<int:group_id>/plan/", views.group_plan, name="group-plan"),
    path("groups/<int:group_id>/plan/sheet/", views.group_plan_sheet, name="group-plan-sheet"),
    path("enrollments/<int:enrollment_id>/move/", views.enrollment_move, name="enrollment-move"),
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
