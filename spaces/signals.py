"""Signals the spaces app sends, for the floors above it to react to.

Lower apps do not call the notification pipeline: they say what happened.
"""

import django.dispatch

# A season moved in its lifecycle; sent inside the transaction that moved it,
# with kwargs season, old, new (status values) and user.
season_status_changed = django.dispatch.Signal()

# A season's dates, weekdays or closed days changed (after the floors above
# found nothing it would orphan: `CALENDAR_GUARDS`); sent inside the transaction
# that saved it, with kwargs season, old and new (`Calendar`s).
season_calendar_changed = django.dispatch.Signal()
