from django.urls import path

from . import views

app_name = "pickups"

urlpatterns = [
    path("seasons/<int:season_id>/still-here/", views.still_here_view, name="still-here"),
    path("seasons/<int:season_id>/still-here/<int:record_id>/call/", views.call, name="call"),
    path("children/<int:child_id>/pickup-safety/", views.child_safety, name="child-safety"),
    path(
        "children/<int:child_id>/pickup-safety/codes/<int:code_id>/renew/",
        views.renew_code,
        name="renew-code",
    ),
    path(
        "children/<int:child_id>/pickup-safety/barred/<int:barred_id>/remove/",
        views.unbar,
        name="unbar",
    ),
]
