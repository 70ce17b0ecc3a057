"""Seasons, rooms, safety checks, groups, teachers, the code of conduct, the
roster and weekly plans: setting a season up. What happens in it each day is
the attendance app's."""

from .groups import (  # noqa: F401
    GROUP_DAY_ANNOTATIONS,
    ActivitySlot,
    DailyRecordQuerySet,
    Group,
    GroupQuerySet,
    TeacherAssignment,
    TeacherAssignmentQuerySet,
)
from .rooms import (  # noqa: F401
    SafetyCheck,
    SafetyCheckQuerySet,
    Space,
)
from .seasons import (  # noqa: F401
    BACKGROUND_CHECK_VALID_DAYS,
    CALENDAR_GUARDS,
    ISO_WEEKDAYS,
    M2_PER_CHILD,
    TRAINING_VALID_DAYS,
    Calendar,
    ClosedDay,
    RatioRule,
    Season,
    SeasonQuerySet,
    days_left_out,
    join_list,
    new_application_token,
    some_days,
    weekday_names,
)
from .teachers import (  # noqa: F401
    ConductPolicy,
    ConductPolicyQuerySet,
    PolicyAcceptanceQuerySet,
    Teacher,
    TeacherPolicyAcceptance,
    TeacherQuerySet,
)
