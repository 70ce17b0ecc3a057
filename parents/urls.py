from django.urls import path

from . import staff_views, views

app_name = "parents"

urlpatterns = [
    path("p/<str:parent_token>/", views.page, name="page"),
    path("p/<str:parent_token>/children/<int:enrollment_id>/", views.notice, name="notice"),
    path("p/<str:parent_token>/stop/", views.stop, name="stop"),
    path("workers/<int:worker_id>/messages/", staff_views.contact, name="contact"),
    path("workers/<int:worker_id>/messages/revoke/", staff_views.revoke, name="revoke"),
]
