from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SafeguardingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "safeguarding"
    verbose_name = _("Safeguarding")

    def ready(self):
        from attendance.rows import ROW_LINKS
        from factories.models import AuditEntry
        from spaces import vetting

        from . import checks, receivers  # noqa: F401 - signal receivers

        vetting.register(checks.missing_checks)
        AuditEntry.CONFIDENTIAL_MODELS.add("safeguarding.concern")
        ROW_LINKS.append(concern_link)


def concern_link():
    from django.urls import reverse
    from django.utils.translation import gettext

    return gettext("Raise a concern"), reverse("safeguarding:concern-new", args=[0])
