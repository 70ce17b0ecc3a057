from django.urls import path, re_path

from . import views

app_name = "reports"

urlpatterns = [
    path("reports/", views.programme_dashboard, name="dashboard"),
    path("reports/seasons/<int:season_id>/", views.season_report, name="season"),
    re_path(
        r"^reports/seasons/(?P<season_id>[0-9]+)/export\.(?P<export_format>xlsx|csv)$",
        views.season_report_export,
        name="season-export",
    ),
]
