from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AttendanceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "attendance"
    verbose_name = _("Attendance")

    def ready(self):
        from spaces.models import CALENDAR_GUARDS, GROUP_DAY_ANNOTATIONS

        from . import panels, receivers, services  # noqa: F401 - home panels; signal receivers
        from .roll_call import with_roll_call_status

        GROUP_DAY_ANNOTATIONS.append(with_roll_call_status)
        CALENDAR_GUARDS.append(services.calendar_refusals)
