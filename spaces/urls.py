from django.urls import path

from . import views

app_name = "spaces"

urlpatterns = [
    path("factories/<int:factory_id>/", views.factory_detail, name="factory-detail"),
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
    path("groups/<int:group_id>/edit/", views.group_edit, name="group-edit"),
    path("groups/<int:group_id>/plan/", views.group_plan, name="group-plan"),
    path("groups/<int:group_id>/plan/sheet/", views.group_plan_sheet, name="group-plan-sheet"),
]
