from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FactoriesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "factories"
    verbose_name = _("Factories")

    def ready(self) -> None:
        from ccrcsr import checks  # noqa: F401 - registers the deployment checks
