"""Setting seasons up, one module per thing set up; the URLconf reads them from here."""

from .groups import group_edit, group_new, group_plan, group_plan_sheet
from .rooms import safety_check_new, space_edit, space_list, space_new
from .seasons import (
    assignment_remove,
    factory_detail,
    season_detail,
    season_edit,
    season_new,
    season_rollover,
    season_roster,
    season_status,
)
from .teachers import teacher_edit, teacher_list, teacher_new

__all__ = [
    "assignment_remove",
    "factory_detail",
    "group_edit",
    "group_new",
    "group_plan",
    "group_plan_sheet",
    "safety_check_new",
    "season_detail",
    "season_edit",
    "season_new",
    "season_rollover",
    "season_roster",
    "season_status",
    "space_edit",
    "space_list",
    "space_new",
    "teacher_edit",
    "teacher_list",
    "teacher_new",
]
