"""Reading an uploaded .xlsx within bounds of memory and time.

A 125 KB .xlsx can inflate to gigabytes, list millions of shared strings, hold a
row of millions of cells or claim a dimension of a million rows, and openpyxl
reads whatever it is given (it loads every shared string, and pads read-only rows
to the sheet's claimed dimension). So before openpyxl reads a part: the zip's
declared sizes and ratios are checked (zipfile never inflates past a declared
size, and a size declared too small fails the CRC), the shared strings are
counted as a stream, and each sheet's XML is scanned as a stream with every cap
enforced element by element, on a clock. Only then are the rows read, within
the rows and columns the scan found, never the sheet's own dimension.

The scan also collects what openpyxl's read-only mode does not give: merged
ranges (a parent merged down over their children, a group heading merged across
its columns) and hidden rows.
"""

from __future__ import annotations

import io
import time
import zipfile
from dataclasses import dataclass, field

import openpyxl
from django.utils.translation import gettext as _
from openpyxl.packaging.manifest import Manifest
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, range_boundaries
from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS, WORKSHEET_TYPE
from openpyxl.xml.functions import fromstring, iterparse

from .columns import ImportError_

# The largest file we take is 5 MB; a real roster of 5,000 rows by 30 columns
# inflates to about 15 MB of sheet XML and 2 MB of shared strings.
MAX_UNCOMPRESSED = 40 * 1024 * 1024  # all parts together
MAX_SHEET_PART = 30 * 1024 * 1024  # one worksheet's XML
MAX_OTHER_PART = 8 * 1024 * 1024  # shared strings, styles, the workbook, anything else
MAX_RATIO = 100  # inflated / compressed, for parts over RATIO_FROM bytes
RATIO_FROM = 1024 * 1024
MAX_SHARED_STRINGS = 200_000
MAX_COLUMNS = 100  # columns holding a value
MAX_CELLS_IN_ROW = 1_000  # <c> elements in one row, empty ones included
MAX_ROW_ELEMENTS = 40_000  # <row> elements in one sheet, empty ones included
MAX_SHEETS = 20
MAX_MERGES = 20_000
READ_SECONDS = 20  # the clock for the whole file

C = f"{{{SHEET_MAIN_NS}}}c"
ROW = f"{{{SHEET_MAIN_NS}}}row"
SI = f"{{{SHEET_MAIN_NS}}}si"
VALUE_TAGS = (f"{{{SHEET_MAIN_NS}}}v", f"{{{SHEET_MAIN_NS}}}is", f"{{{SHEET_MAIN_NS}}}f")
MERGE_CELL = f"{{{SHEET_MAIN_NS}}}mergeCell"


def too_big() -> ImportError_:
    return ImportError_(
        _(
            "This Excel file unpacks to far more than a list of workers holds (or is built "
            "to do so): open it in Excel or WPS, copy the list onto a new sheet and save that "
            "as .xlsx."
        )  # fmt: skip
    )


def unreadable() -> ImportError_:
    return ImportError_(_("This Excel file cannot be read; save it again as .xlsx."))


@dataclass
class ScannedSheet:
    title: str
    rows: list[list]
    hidden: set[int] = field(default_factory=set)  # 1-based row numbers
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # min_col, min_row, ...


class Clock:
    def __init__(self, seconds: float = READ_SECONDS):
        self.deadline = time.monotonic() + seconds

    def check(self) -> None:
        if time.monotonic() > self.deadline:
            raise too_big()


def read_workbook(data: bytes, *, max_rows: int, too_many_rows) -> list[ScannedSheet]:
    """Every sheet's rows (up to `max_rows` holding a value), its hidden rows and
    merged ranges; ImportError_ with HR's words for anything out of bounds."""
    clock = Clock()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        manifest = _check_archive(archive)
        _count_shared_strings(archive, manifest, clock)
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except ImportError_:
        raise
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, SyntaxError, TypeError) as exc:
        raise unreadable() from exc  # ParseError is a SyntaxError; defusedxml's are ValueErrors
    try:
        sheets = workbook.worksheets
        if len(sheets) > MAX_SHEETS:
            raise ImportError_(
                _("The file has %(n)d sheets; keep the list on one sheet and save it alone.")
                % {"n": len(sheets)}
            )
        scanned = []
        for sheet in sheets:
            facts = _scan_sheet(archive, sheet._worksheet_path, max_rows, too_many_rows, clock)
            rows = []
            for row in sheet.iter_rows(
                max_row=facts["last_row"] or 1, max_col=facts["last_col"] or 1, values_only=True
            ):
                rows.append(list(row))
                if len(rows) % 500 == 0:
                    clock.check()
            if not facts["last_row"]:
                rows = []
            scanned.append(ScannedSheet(sheet.title, rows, facts["hidden"], facts["merges"]))
        return scanned
    except ImportError_:
        raise
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, SyntaxError, TypeError) as exc:
        raise unreadable() from exc
    finally:
        workbook.close()


def _check_archive(archive: zipfile.ZipFile) -> Manifest:
    """The declared sizes: zipfile inflates no part past its declared size (a
    smaller declared size fails the CRC), so these bound what reading costs."""
    infos = archive.infolist()
    if len(infos) > 1000 or sum(info.file_size for info in infos) > MAX_UNCOMPRESSED:
        raise too_big()
    if any(
        info.file_size > RATIO_FROM and info.file_size > MAX_RATIO * max(info.compress_size, 1)
        for info in infos
    ):
        raise too_big()
    types = archive.getinfo("[Content_Types].xml")
    if types.file_size > MAX_OTHER_PART:
        raise too_big()
    manifest = Manifest.from_tree(fromstring(archive.read(types)))
    sheet_parts = {
        part.PartName.lstrip("/")
        for part in manifest.Override
        if part.ContentType == WORKSHEET_TYPE
    }
    for info in infos:
        cap = MAX_SHEET_PART if info.filename in sheet_parts else MAX_OTHER_PART
        if info.file_size > cap:
            raise too_big()
    return manifest


def _count_shared_strings(archive: zipfile.ZipFile, manifest: Manifest, clock: Clock) -> None:
    """openpyxl loads every shared string before anything else: count them first,
    as a stream, and stop at the cap (the count the file declares may lie)."""
    for part in manifest.findall(SHARED_STRINGS):
        n = 0
        with archive.open(part.PartName.lstrip("/")) as source:
            for _event, element in iterparse(source):
                if element.tag == SI:
                    n += 1
                    element.clear()
                    if n > MAX_SHARED_STRINGS:
                        raise too_big()
                    if n % 5000 == 0:
                        clock.check()


def _scan_sheet(archive, path: str, max_rows: int, too_many_rows, clock: Clock) -> dict:
    """One pass over a sheet's XML as a stream: the last row and column holding a
    value, hidden rows and merged ranges, every cap checked as the elements come."""
    hidden, merges = set(), []
    last_row = last_col = row_number = row_elements = valued_rows = 0
    cells_in_row, row_has_value = 0, False
    events = 0
    with archive.open(path) as source:
        for event, element in iterparse(source, events=("start", "end")):
            events += 1
            if events % 5000 == 0:
                clock.check()
            tag = element.tag
            if event == "start":
                if tag == ROW:
                    row_elements += 1
                    if row_elements > MAX_ROW_ELEMENTS:
                        raise too_big()
                    r = element.get("r")
                    row_number = int(r) if r and r.isdigit() else row_number + 1
                    cells_in_row, row_has_value, column = 0, False, 0
                    if element.get("hidden") in ("1", "true"):
                        hidden.add(row_number)
                continue
            if tag == C:
                cells_in_row += 1
                if cells_in_row > MAX_CELLS_IN_ROW:
                    raise ImportError_(
                        _(
                            "Row %(row)d has more than %(n)d cells: delete the empty columns "
                            "on the right of the list and save the file again."
                        )  # fmt: skip
                        % {"row": row_number, "n": MAX_CELLS_IN_ROW}
                    )
                ref = element.get("r")
                column = (
                    column_index_from_string(coordinate_from_string(ref)[0]) if ref else column + 1
                )
                if any(child.tag in VALUE_TAGS and (child.text or len(child)) for child in element):
                    if column > MAX_COLUMNS:
                        raise ImportError_(
                            _(
                                "Row %(row)d has a value in column %(col)d; a list may have at "
                                "most %(n)d columns."
                            )  # fmt: skip
                            % {"row": row_number, "col": column, "n": MAX_COLUMNS}
                        )
                    last_col = max(last_col, column)
                    row_has_value = True
                element.clear()
            elif tag == ROW:
                if row_has_value:
                    valued_rows += 1
                    if valued_rows <= max_rows:  # past it only counted, for the message
                        last_row = max(last_row, row_number)
                element.clear()
            elif tag == MERGE_CELL:
                if len(merges) >= MAX_MERGES:
                    raise too_big()
                ref = element.get("ref") or ""
                if ":" in ref:
                    merges.append(range_boundaries(ref))
                element.clear()
    if valued_rows > max_rows:
        raise too_many_rows(valued_rows - 1)
    if last_row > max_rows * 4 + 100:  # a value far below the list, past empty rows
        raise ImportError_(
            _(
                "Row %(row)d holds a value far below the list: delete the rows under the "
                "list and save the file again."
            )  # fmt: skip
            % {"row": last_row}
        )
    return {"last_row": last_row, "last_col": last_col, "hidden": hidden, "merges": merges}
