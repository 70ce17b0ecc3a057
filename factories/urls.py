from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy
from django.views.generic import TemplateView

from . import views

app_name = "factories"

urlpatterns = [
    path("", views.home, name="home"),
    path("language/", views.set_language, name="set-language"),
    path("account/password/", views.password_change, name="password-change"),
    # A new teacher's first password, from the link their coordinator gave them.
    path(
        "invitation/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="registration/invitation.html",
            success_url=reverse_lazy("factories:invitation-done"),
        ),
        name="invitation",
    ),
    path(
        "invitation/done/",
        TemplateView.as_view(template_name="registration/invitation_done.html"),
        name="invitation-done",
    ),
    path("factories/", views.factory_list, name="factory-list"),
    path("factories/<int:factory_id>/workers/", views.workers, name="workers"),
    path(
        "factories/<int:factory_id>/staff/<int:user_id>/unlock/",
        views.staff_unlock,
        name="staff-unlock",
    ),
]
