"""The home page's panels, registered by the apps that hold their data.

A panel is `fn(user, roles, today) -> dict`, merged into the home page's
context; each app adds its own in `AppConfig.ready()` (spaces: the seasons
HR and managers follow; attendance: today's groups and their roll call).
A registry, so this lowest floor imports none of the apps above it.
"""

PANELS: list = []


def panel(fn):
    """Register `fn` as a home-page panel (a decorator)."""
    PANELS.append(fn)
    return fn
