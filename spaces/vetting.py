"""Checks a teacher must pass before working with children, filled by higher floors.

The safeguarding app (above this floor) registers its checks when it loads;
assignment (here), going on duty and the roll call (attendance) ask
`missing(teacher_id, day)` and refuse with what it names. The floors below never
import the app that fills the registry.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

Check = Callable[[int, datetime.date], list[str]]

_checks: list[Check] = []


def register(check: Check) -> Check:
    """Add `check(teacher_id, day) -> [what is missing]`; usable as a decorator."""
    if check not in _checks:
        _checks.append(check)
    return check


def missing(teacher_id: int, day: datetime.date) -> list[str]:
    """What the teacher lacks to work with children on `day`; empty when cleared."""
    return [item for check in _checks for item in check(teacher_id, day)]
