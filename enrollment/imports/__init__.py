"""Importing workers and their children from the sheet HR already keeps.

A row per child with its guardian's columns; a row without a child only
registers (or updates) the worker. HR's own sheets are accepted as they are:
title rows above the header, the header names HR offices use (ALIASES, the
one table of them), columns we do not import (listed, never dropped in
silence), and, when the header cannot be matched, a mapping HR makes once per
factory. Nothing is saved until the whole file is valid and HR confirms; then
everything is saved at once.

The steps, one module each: `columns` (what we import and under which
names, finding the header), `reading` (the upload into rows, dates),
`checking` (every row checked, the preview, saving).
"""

from .checking import Preview, Row, save, validate
from .columns import (
    COLUMNS,
    FIELD_LABELS,
    MAX_BYTES,
    MAX_ROWS,
    ImportError_,
    Layout,
    find_layout,
    layout_at,
    layout_from_mapping,
    remember_mapping,
    remembered_mapping,
)
from .reading import Sheet, parse_date, read_rows, serialise, template_workbook

__all__ = [
    "COLUMNS",
    "FIELD_LABELS",
    "MAX_BYTES",
    "MAX_ROWS",
    "ImportError_",
    "Layout",
    "Preview",
    "Row",
    "Sheet",
    "find_layout",
    "layout_at",
    "layout_from_mapping",
    "parse_date",
    "read_rows",
    "remember_mapping",
    "remembered_mapping",
    "save",
    "serialise",
    "template_workbook",
    "validate",
]
