from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, register_converter

from attendance.views import clear_phone_on_logout
from ccrcsr.converters import IsoDateConverter
from factories.forms import LoginForm

register_converter(IsoDateConverter, "isodate")

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            authentication_form=LoginForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", clear_phone_on_logout(auth_views.LogoutView.as_view()), name="logout"),
    path("", include("factories.urls")),
    path("", include("spaces.urls")),
    path("", include("enrollment.urls")),
    path("", include("attendance.urls")),
    path("", include("impact.urls")),
    path("", include("reports.urls")),
    path("", include("parents.urls")),
    path("", include("pickups.urls")),
    path("", include("safeguarding.urls")),
    path("", include("notifications.urls")),
    path("admin/", admin.site.urls),
]
