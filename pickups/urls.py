from django.urls import path

from . import views

app_name = "pickups"

urlpatterns = [
    path("seasons/<int:season_id>/still-here/", views.still_here_view, name="still-here"),
    path("seasons/<int:season_id>/still-here/<int:record_id>/call/", views.call, name="call"),
]
