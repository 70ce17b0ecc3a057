"""What safeguarding tells the notifications floor, which it cannot import.
Sent inside the change's transaction: the emails are logged with it."""

from django.dispatch import Signal

# A concern was raised: `concern`. Its leads are told at once.
concern_raised = Signal()

# Nobody acknowledged a concern in time: `concern`. The other leads are told.
concern_escalated = Signal()
