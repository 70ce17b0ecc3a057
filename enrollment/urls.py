from django.urls import path, re_path

from . import views

app_name = "enrollment"

urlpatterns = [
    path("groups/<int:group_id>/", views.group_detail, name="group-detail"),
    path("enrollments/<int:enrollment_id>/move/", views.enrollment_move, name="enrollment-move"),
    path("apply/<str:token>/", views.apply, name="apply"),
    path("apply/<str:token>/thanks/", views.apply_thanks, name="apply-thanks"),
    path("seasons/<int:season_id>/poster/", views.poster, name="poster"),
    re_path(r"^seasons/(?P<season_id>[0-9]+)/qr\.(?P<fmt>svg|png)$", views.qr_code, name="qr-code"),
    path("seasons/<int:season_id>/applications/", views.applications, name="applications"),
    path(
        "seasons/<int:season_id>/applications/new/",
        views.application_new,
        name="application-new",
    ),
    path(
        "seasons/<int:season_id>/applications/<int:enrollment_id>/roster/",
        views.roster_check,
        name="roster-check",
    ),
    path(
        "seasons/<int:season_id>/applications/<int:enrollment_id>/changes/",
        views.application_changes,
        name="application-changes",
    ),
    path("search/", views.search, name="search"),
    path("factories/<int:factory_id>/import/", views.import_people, name="import"),
    path(
        "factories/<int:factory_id>/import/template.xlsx",
        views.import_template,
        name="import-template",
    ),
    path("children/<int:child_id>/", views.child_detail, name="child-detail"),
    path("children/<int:child_id>/details/", views.child_details, name="child-details"),
    path("children/<int:child_id>/export.json", views.child_export, name="child-export"),
    path("children/<int:child_id>/erase/", views.child_erase, name="child-erase"),
    path(
        "children/<int:child_id>/enrollments/<int:enrollment_id>/edit/",
        views.child_edit,
        name="child-edit",
    ),
]
