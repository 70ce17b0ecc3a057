"""Enrollment's pages, one module per desk; the URLconf reads them from here."""

from .children import (
    child_detail,
    child_details,
    child_edit,
    child_erase,
    child_export,
    enrollment_move,
    group_detail,
)
from .people_import import import_people, import_template
from .public import apply, apply_thanks, poster, qr_code
from .review import application_changes, application_new, applications, roster_check, search

__all__ = [
    "application_changes",
    "application_new",
    "applications",
    "apply",
    "apply_thanks",
    "child_detail",
    "child_details",
    "child_edit",
    "child_erase",
    "child_export",
    "enrollment_move",
    "group_detail",
    "import_people",
    "import_template",
    "poster",
    "qr_code",
    "roster_check",
    "search",
]
