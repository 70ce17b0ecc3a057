from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ParentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "parents"
    verbose_name = _("Parents")

    def ready(self):
        from pickups.expected import LATER_PICKUPS

        from . import receivers  # noqa: F401 - consent from the application forms
        from .models import late_until

        LATER_PICKUPS.append(late_until)
