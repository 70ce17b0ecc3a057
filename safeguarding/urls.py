from django.urls import path

from . import views

app_name = "safeguarding"

urlpatterns = [
    path("safeguarding/conduct/", views.conduct, name="conduct"),
    path("safeguarding/compliance/", views.compliance, name="compliance"),
    path("safeguarding/teachers/<int:teacher_id>/", views.teacher_checks, name="teacher-checks"),
    path("safeguarding/concerns/", views.concern_list, name="concerns"),
    path("safeguarding/concerns/new/<int:enrollment_id>/", views.concern_new, name="concern-new"),
    path("safeguarding/concerns/<int:concern_id>/", views.concern_detail, name="concern"),
]
