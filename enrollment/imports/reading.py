"""Reading an upload into rows of cells (xlsx, or CSV in UTF-8 or GBK) within
the size limits, the dates HR writes, and the template workbook."""

from __future__ import annotations

import csv
import datetime
import io
import re
import zipfile

import openpyxl
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl.utils.cell import range_boundaries
from openpyxl.xml.constants import SHEET_MAIN_NS
from openpyxl.xml.functions import iterparse

from ccrcsr.fields import parse_written_date
from factories.models import PROVINCES, Shift

from ..models import LivesWith, Relationship
from .columns import (
    COLUMNS,
    DATE_FORMATS,
    EXAMPLE,
    HEADER_SEARCH,
    MAX_BYTES,
    MAX_ROWS,
    ImportError_,
    cell_text,
    find_layout,
)


def template_workbook() -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "家长和孩子"
    sheet.append([zh for _k, zh, _en, _r in COLUMNS])
    sheet.append(EXAMPLE)
    for column in sheet.columns:
        sheet.column_dimensions[column[0].column_letter].width = 14
    notes = workbook.create_sheet("填写说明")
    with translation.override("zh-hans"):
        notes.append(["列", "可填的值"])
        notes.append(["工号", "必填。只登记家长（没有孩子）时，孩子的列留空。"])
        notes.append(["性别", "男 / 女"])
        notes.append(["出生日期、到厂日期、离厂日期", DATE_FORMATS + "，或 Excel 的日期格式"])
        notes.append(["老家省份", "、".join(str(label) for _k, label in PROVINCES)])
        notes.append(["平时和谁生活", " / ".join(str(label) for _k, label in LivesWith.choices)])
        notes.append(["与孩子关系", "母亲 / 父亲 / " + " / ".join(
            str(label) for key, label in Relationship.choices if key not in ("mother", "father")
        )])  # fmt: skip
        notes.append(["班次", " / ".join(str(label) for _k, label in Shift.choices)])
        notes.append(["其他列", "表头上方可以有标题行；认不出的列会在预览里列出，不导入。"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def read_rows(upload) -> list[list]:
    """Every row of an uploaded .xlsx or .csv, blank ones kept as [] so that row
    numbers stay those HR sees in the spreadsheet."""
    data = upload.read(MAX_BYTES + 1)
    if not data:
        raise ImportError_(_("The file is empty."))
    if len(data) > MAX_BYTES:
        raise ImportError_(_("The file is larger than 5 MB; split it into smaller files."))
    limit = MAX_ROWS + HEADER_SEARCH + 1
    if data[:8] == OLE2:
        raise ImportError_(
            _("This is an old Excel (.xls) file: open it in Excel or WPS and save it as .xlsx.")
        )
    if data[:2] == b"PK":
        try:
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
            raise ImportError_(
                _("This Excel file cannot be read; save it again as .xlsx.")
            ) from exc
        sheet, rows = _list_sheet(workbook, limit + 1)
        try:
            _fill_merged_down(rows, workbook, sheet)
        except (KeyError, SyntaxError, ValueError) as exc:  # ParseError is a SyntaxError
            raise ImportError_(
                _("This Excel file cannot be read; save it again as .xlsx.")
            ) from exc
        finally:
            workbook.close()
    else:
        text = None
        # Excel in China saves CSV as GBK; gb18030 is its superset.
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        if text is None or "\x00" in text:
            raise ImportError_(_("This is not an Excel (.xlsx) or CSV file."))
        try:
            rows = list(csv.reader(io.StringIO(text, newline="")))
        except csv.Error as exc:
            raise ImportError_(_("This is not an Excel (.xlsx) or CSV file.")) from exc
    rows = [row if any(cell not in (None, "") for cell in row) else [] for row in rows]
    while rows and not rows[-1]:
        rows.pop()
    if sum(1 for row in rows if row) < 2:
        raise ImportError_(_("The file has no rows under the header."))
    # Title lines above the header do not count: the limit is checked on the data
    # rows once the header is found (validate); this only stops a huge file early.
    n = sum(1 for row in rows if row) - 1
    if n > MAX_ROWS + HEADER_SEARCH:
        raise too_many(n)
    return rows


def _list_sheet(workbook, max_row: int) -> tuple:
    """The sheet that holds the list: the only one whose header is found (a notes
    sheet may come first), else the first. Lists on several sheets are refused:
    importing one of them would drop the others in silence."""
    sheets = [
        (sheet, [list(row) for row in sheet.iter_rows(values_only=True, max_row=max_row)])
        for sheet in workbook.worksheets
    ]
    lists = [(sheet, rows) for sheet, rows in sheets if _has_header(rows)]
    if len(lists) > 1:
        raise ImportError_(
            _(
                "Several sheets hold a list (%(sheets)s): copy them onto one sheet, or save "
                "each sheet as its own file."
            )  # fmt: skip
            % {"sheets": "、".join(sheet.title for sheet, _rows in lists)}
        )
    return lists[0] if lists else sheets[0]


def _has_header(rows: list[list]) -> bool:
    try:
        return not find_layout(rows).missing
    except ImportError_:
        return False


def _fill_merged_down(rows: list[list], workbook, sheet) -> None:
    """Give every cell of a range merged over several rows the range's value.

    HR merges a parent's cells down over the rows of their children; openpyxl
    reads only the top cell. A read-only sheet does not list its merged ranges,
    so they are read from the sheet's XML (they follow the cells). A title merged
    across one row is left alone.
    """
    width = max((len(row) for row in rows), default=0)
    with workbook._archive.open(sheet._worksheet_path) as source:
        for _event, element in iterparse(source):
            if element.tag == ROW:
                element.clear()  # the cells were read already; keep memory flat
            if element.tag != MERGE_CELL:
                continue
            first_col, first_row, last_col, last_row = range_boundaries(element.get("ref"))
            last_col = min(last_col, width)  # a range to column XFD is no reason to grow
            if last_row == first_row or first_row > len(rows) or first_col > last_col:
                continue
            top = rows[first_row - 1]
            value = top[first_col - 1] if first_col <= len(top) else None
            for index in range(first_row - 1, min(last_row, len(rows))):
                row = rows[index]
                row.extend([None] * (last_col - len(row)))
                row[first_col - 1 : last_col] = [value] * (last_col - first_col + 1)


MERGE_CELL = f"{{{SHEET_MAIN_NS}}}mergeCell"


ROW = f"{{{SHEET_MAIN_NS}}}row"


# Excel 97-2003 (.xls) and WPS (.et) files start so; openpyxl reads only .xlsx.
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def too_many(n: int) -> ImportError_:
    return ImportError_(
        _("The file has %(n)d rows; import at most %(max)d at a time.") % {"n": n, "max": MAX_ROWS}
    )


EXCEL_SERIAL = re.compile(r"^(\d{4,5})(?:\.0+)?$")


EXCEL_EPOCH = datetime.date(1899, 12, 30)


def parse_date(value) -> datetime.date:
    """An Excel date cell, 2019-03-05, 2019/3/5, 2019.3.5, 2019年3月5日, 20190305 or a
    bare Excel serial number (a date cell pasted as text). ValueError otherwise:
    a two-digit year cannot be told apart from a typo."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = cell_text(value)
    written = parse_written_date(text)
    if written is not None:
        return written
    match = EXCEL_SERIAL.match(text)
    if match and 1 <= int(match.group(1)) <= 73050:  # up to the year 2099
        return EXCEL_EPOCH + datetime.timedelta(days=int(match.group(1)))
    raise ValueError(text)


def serialise(rows: list[list]) -> list[list[str]]:
    """Rows as plain strings, to keep in the session between preview and confirm."""
    return [
        [cell.date().isoformat() if isinstance(cell, datetime.datetime)
         else cell.isoformat() if isinstance(cell, datetime.date) else cell_text(cell)
         for cell in row]
        for row in rows
    ]  # fmt: skip
