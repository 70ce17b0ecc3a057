from django.urls import path

from . import views

app_name = "factories"

urlpatterns = [
    path("", views.home, name="home"),
    path("language/", views.set_language, name="set-language"),
    path("account/", views.account, name="account"),
    path("account/password/", views.password_change, name="password-change"),
    path("notifications/", views.notification_log, name="notification-log"),
    path(
        "notifications/<int:notification_id>/resend/",
        views.notification_resend,
        name="notification-resend",
    ),
    path("factories/", views.factory_list, name="factory-list"),
    path("factories/<int:factory_id>/", views.factory_detail, name="factory-detail"),
    path("factories/<int:factory_id>/workers/", views.workers, name="workers"),
    path(
        "factories/<int:factory_id>/staff/<int:user_id>/unlock/",
        views.staff_unlock,
        name="staff-unlock",
    ),
]
