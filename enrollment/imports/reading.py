"""Reading an upload into rows of cells (xlsx, or CSV in UTF-8 or GBK) within
the size limits, the dates HR writes, and the template workbook."""

from __future__ import annotations

import csv
import datetime
import io
import re
from dataclasses import dataclass, field

import openpyxl
from django.utils import translation
from django.utils.translation import gettext as _

from ccrcsr.fields import parse_written_date
from factories.models import PROVINCES, Shift

from ..models import LivesWith, Relationship
from . import idcard, xlsx
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


@dataclass
class Sheet:
    """The rows of an upload, blank ones kept as [] so that row numbers stay those
    HR sees, with what a spreadsheet says besides its values: hidden rows (1-based
    numbers) and cells merged across a row (0-based row, first and last column),
    which is how group headings above a header are written."""

    rows: list[list]
    hidden: list[int] = field(default_factory=list)
    spans: list[tuple[int, int, int]] = field(default_factory=list)

    def to_session(self) -> dict:
        return {"rows": serialise(self.rows), "hidden": self.hidden, "spans": self.spans}

    @classmethod
    def from_session(cls, pending: dict) -> Sheet:
        return cls(
            pending["rows"],
            [int(n) for n in pending.get("hidden", [])],
            [tuple(span) for span in pending.get("spans", [])],
        )


def read_rows(upload) -> Sheet:
    """An uploaded .xlsx or .csv as a Sheet, read within bounds of size, rows,
    columns and time (see `xlsx`); ID numbers are replaced by what they say."""
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
        scanned = _list_sheet(xlsx.read_workbook(data, max_rows=limit, too_many_rows=too_many))
        sheet = Sheet(scanned.rows, sorted(scanned.hidden))
        _apply_merges(sheet, scanned.merges)
    else:
        sheet = Sheet(_read_csv(data, limit))
    rows = sheet.rows
    rows[:] = [row if any(cell not in (None, "") for cell in row) else [] for row in rows]
    while rows and not rows[-1]:
        rows.pop()
    if sum(1 for row in rows if row) < 2:
        raise ImportError_(_("The file has no rows under the header."))
    # Title lines above the header do not count: the limit is checked on the data
    # rows once the header is found (validate); this only stops a huge file early.
    n = sum(1 for row in rows if row) - 1
    if n > MAX_ROWS + HEADER_SEARCH:
        raise too_many(n)
    idcard.redact(rows)  # before anything keeps the rows
    return sheet


def _read_csv(data: bytes, limit: int) -> list[list]:
    """CSV rows, with the same caps as a sheet enforced while reading: a 5 MB file
    of commas is a row of millions of cells, one of newlines millions of rows."""
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
    separators = [0]

    def lines():
        # Counted per physical line, before the csv module builds the row: a quoted
        # field may hold a newline, so a row's count runs over its lines.
        for line in io.StringIO(text, newline=""):
            separators[0] += line.count(",")
            if separators[0] >= xlsx.MAX_CELLS_IN_ROW:
                raise ImportError_(
                    _(
                        "Row %(row)d has more than %(n)d cells: delete the empty columns "
                        "on the right of the list and save the file again."
                    )  # fmt: skip
                    % {"row": len(rows) + 1, "n": xlsx.MAX_CELLS_IN_ROW}
                )
            yield line

    rows, valued = [], 0
    try:
        for row in csv.reader(lines()):
            separators[0] = 0
            if len(rows) >= xlsx.MAX_ROW_ELEMENTS:
                raise ImportError_(
                    _(
                        "The file has more than %(n)d lines, blank ones included: delete the "
                        "empty lines under the list."
                    )  # fmt: skip
                    % {"n": xlsx.MAX_ROW_ELEMENTS}
                )
            if len(row) > xlsx.MAX_COLUMNS:
                if any(cell.strip() for cell in row[xlsx.MAX_COLUMNS :]):
                    raise ImportError_(
                        _("A list may have at most %(n)d columns.") % {"n": xlsx.MAX_COLUMNS}
                    )
                del row[xlsx.MAX_COLUMNS :]  # empty cells past the list
            if any(cell.strip() for cell in row):
                valued += 1
            if valued <= limit:  # past it only counted, for the message
                rows.append(row)
    except csv.Error as exc:
        raise ImportError_(_("This is not an Excel (.xlsx) or CSV file.")) from exc
    if valued > limit:
        raise too_many(valued - 1)
    return rows


def _list_sheet(sheets: list) -> xlsx.ScannedSheet:
    """The sheet that holds the list: the only one whose header is found (a notes
    sheet may come first), else the first. Lists on several sheets are refused:
    importing one of them would drop the others in silence."""
    lists = [sheet for sheet in sheets if _has_header(sheet.rows)]
    if len(lists) > 1:
        raise ImportError_(
            _(
                "Several sheets hold a list (%(sheets)s): copy them onto one sheet, or save "
                "each sheet as its own file."
            )  # fmt: skip
            % {"sheets": "、".join(sheet.title for sheet in lists)}
        )
    return lists[0] if lists else sheets[0]


def _has_header(rows: list[list]) -> bool:
    try:
        return not find_layout(rows).missing
    except ImportError_:
        return False


def _apply_merges(sheet: Sheet, merges: list) -> None:
    """Give every cell of a range merged over several rows the range's value, and
    note the ranges merged across one row (group headings, titles).

    HR merges a parent's cells down over the rows of their children; openpyxl
    reads only the top cell. The cells filled are counted: overlapping ranges in a
    hostile file must not multiply the work.
    """
    rows = sheet.rows
    width = max((len(row) for row in rows), default=0)
    budget = 4 * max(len(rows), 1) * max(width, 1)
    for first_col, first_row, last_col, last_row in merges:
        if None in (first_col, first_row, last_col, last_row):
            continue
        last_col = min(last_col, width)  # a range to column XFD is no reason to grow
        if first_row > len(rows) or first_col > last_col:
            continue
        if last_row == first_row:
            sheet.spans.append((first_row - 1, first_col - 1, last_col - 1))
            continue
        top = rows[first_row - 1]
        value = top[first_col - 1] if first_col <= len(top) else None
        for index in range(first_row - 1, min(last_row, len(rows))):
            row = rows[index]
            row.extend([None] * (last_col - len(row)))
            row[first_col - 1 : last_col] = [value] * (last_col - first_col + 1)
            budget -= last_col - first_col + 1
            if budget < 0:
                raise xlsx.too_big()
        if last_col > first_col:  # a heading merged over two header rows and across
            sheet.spans.append((first_row - 1, first_col - 1, last_col - 1))


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
