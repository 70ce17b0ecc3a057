from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImpactConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "impact"
    verbose_name = _("Impact surveys")

    def ready(self) -> None:
        # Connect the receivers: the erasure of a worker's answers with the worker.
        # (The report-card email at season close is the notifications app's.)
        from . import receivers  # noqa: F401
