"""The set-up forms: seasons (seasons.py); groups, rooms, teachers and plans (groups.py)."""

from .groups import (  # noqa: F401
    AssignmentForm,
    GroupForm,
    SafetyCheckForm,
    SpaceForm,
    TeacherForm,
    WeeklyPlanForm,
    conflict_refusal,
    requirement_refusal,
)
from .seasons import (  # noqa: F401
    DATE_WIDGET,
    TIME_WIDGET,
    RolloverForm,
    SeasonForm,
    SeasonSetupForms,
    StatusForm,
    not_in_future,
    season_dates_problem,
)
