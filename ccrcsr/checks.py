"""Start-up checks of the deployment's shape (run by every manage.py command and
by the WSGI entry point, so gunicorn refuses to start too)."""

from django.conf import settings
from django.core.checks import Error, Tags, register

PER_PROCESS_CACHES = ("LocMemCache", "DummyCache")


@register(Tags.caches)
def shared_cache(app_configs, **kwargs) -> list[Error]:
    """The public form's throttle counts in the cache; with a per-process cache
    every web process (and node) keeps its own count, so a client spread over
    them gets the limit times the number of processes."""
    if settings.DEBUG or not settings.CACHES["default"]["BACKEND"].endswith(PER_PROCESS_CACHES):
        return []
    return [
        Error(
            "CACHE_URL is a per-process cache while DEBUG is off: the throttles would "
            "count separately in each web process.",
            hint="Set CACHE_URL=redis://host:6379/1 (shared by every web process); a "
            "deployment of exactly one process may add ccrcsr.E001 to SILENCED_SYSTEM_CHECKS.",
            id="ccrcsr.E001",
        )
    ]
