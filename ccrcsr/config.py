import sys

from django.core.exceptions import ImproperlyConfigured


def exit_on_bad_config() -> None:
    """Load settings now; a bad variable stops start-up with one readable line.

    Called by manage.py, the WSGI/ASGI entry points and the Celery app, so a
    malformed DATABASE_URL or CELERY_BROKER_URL names itself instead of
    printing a traceback from deep inside Django.
    """
    from django.conf import settings

    try:
        settings.INSTALLED_APPS  # noqa: B018 - touching it loads the settings module
    except ImproperlyConfigured as exc:
        sys.exit(f"Configuration error: {exc}")
