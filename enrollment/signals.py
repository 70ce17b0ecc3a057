"""What enrollment tells the floors above it (attendance, the surveys, reports,
notifications), which it cannot import. Each signal is sent inside the
transaction of the change, so a receiver's writes commit or roll back with it.
"""

from django.dispatch import Signal

# A child got a place from the waitlist: `enrollment` (HR is emailed).
waitlist_promoted = Signal()

# An enrolled child moved to another group of the same season: `enrollment`
# (its `group` is the new one), `previous_group_id`.
enrollment_moved = Signal()

# A child's identifying data is being removed (erasure or retention): `child`.
# Receivers scrub what their app holds about the child.
child_anonymising = Signal()

# A guardian asked for everything held about a child: `child`. Each receiver
# returns `(section name, rows)` for the export.
child_exporting = Signal()

# An application was recorded (the public form or HR's paper form): `enrollment`,
# `parent_messages` (the parent agreed to be told by SMS), `given_by` (their
# name as typed) and `user` (HR, or None for the public form).
application_received = Signal()

# HR decided on an application, or a place was given from the waitlist:
# `enrollment` (its new status), `before` (the status it had).
enrollment_decided = Signal()
