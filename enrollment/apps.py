from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnrollmentConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "enrollment"
    verbose_name = _("Enrollment")

    def ready(self):
        from spaces.models import CALENDAR_GUARDS

        from .services import calendar_refusals

        CALENDAR_GUARDS.append(calendar_refusals)
