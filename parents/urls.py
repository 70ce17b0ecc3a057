from django.urls import path

from . import views

app_name = "parents"

urlpatterns = [
    path("p/<str:token>/", views.page, name="page"),
    path("p/<str:token>/children/<int:enrollment_id>/", views.notice, name="notice"),
    path("p/<str:token>/stop/", views.stop, name="stop"),
]
