from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("account/", views.account, name="account"),
    path("notifications/", views.notification_log, name="notification-log"),
    path("notifications/parents/", views.parent_messages, name="parent-messages"),
    path(
        "notifications/<int:notification_id>/resend/",
        views.notification_resend,
        name="notification-resend",
    ),
]
