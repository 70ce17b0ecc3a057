from django.urls import path

from . import views

app_name = "spaces"

urlpatterns = [
    path("<int:season_id>/", views.season_detail, name="season-detail"),
]
