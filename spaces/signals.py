"""Signals the spaces app sends, for the floors above it to react to.

Lower apps do not call the notification pipeline: they say what happened.
"""

import django.dispatch

# A season moved in its lifecycle; sent inside the transaction that moved it,
# with kwargs season, old, new (status values) and user.
season_status_changed = django.dispatch.Signal()
