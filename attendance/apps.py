from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AttendanceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "attendance"
    verbose_name = _("Attendance")

    def ready(self):
        from spaces.models import GROUP_DAY_ANNOTATIONS

        from . import panels, receivers  # noqa: F401 - home panels; signal receivers
        from .roll_call import with_roll_call_status

        GROUP_DAY_ANNOTATIONS.append(with_roll_call_status)
