"""What the roll call tells the floors above it (the parent channel), which it
cannot import. Sent inside the transaction of the change."""

from django.dispatch import Signal

# Children's day records changed: `changes`, a list of (record, before) where
# `before` is the record's audited fields before the change ({} when new).
attendance_changed = Signal()

# An incident was recorded: `incident` (its children are set).
incident_recorded = Signal()
