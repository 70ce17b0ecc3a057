"""Importing workers and their children from the sheet HR already keeps.

A row per child with its guardian's columns; a row without a child only
registers (or updates) the worker. HR's own sheets are accepted as they are:
title rows above the header, the header names HR offices use (ALIASES, the
one table of them), columns we do not import (listed, never dropped in
silence), and, when the header cannot be matched, a mapping HR makes once per
factory. Nothing is saved until the whole file is valid and HR confirms; then
everything is saved at once.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import zipfile
from dataclasses import dataclass, field

import openpyxl
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ccrcsr.fields import EMPLOYEE_NUMBER, FORBIDDEN, PHONE, years_before
from factories.models import PROVINCES, AuditEntry, Factory, Shift, Worker

from .models import Child, ColumnMapping, Enrollment, Guardianship, LivesWith, Relationship, Sex

MAX_ROWS = 5000
MAX_BYTES = 5 * 1024 * 1024
# Title and note lines sit above the header; the header is looked for this far down.
HEADER_SEARCH = 10

# (key, Chinese header, English header, required)
COLUMNS = [
    ("employee_number", "工号", "Employee number", True),
    ("worker_name", "家长姓名", "Parent name", False),
    ("relationship", "与孩子关系", "Relationship", False),
    ("department", "部门", "Department", False),
    ("shift", "班次", "Shift", False),
    ("phone", "家长手机", "Parent phone", False),
    ("child_name", "孩子姓名", "Child name", False),
    ("sex", "性别", "Sex", False),
    ("date_of_birth", "出生日期", "Date of birth", False),
    ("home_province", "老家省份", "Home province", False),
    ("home_county", "老家县区", "Home county", False),
    ("lives_with", "平时和谁生活", "Lives with", False),
    ("allergies", "过敏", "Allergies", False),
    ("medical_notes", "健康备注", "Medical notes", False),
    ("arrival_date", "到厂日期", "Arrival date", False),
    ("departure_date", "离厂日期", "Departure date", False),
]
FIELD_LABELS = {
    "employee_number": gettext_lazy("Employee number"),
    "worker_name": gettext_lazy("Parent name"),
    "relationship": gettext_lazy("Relationship"),
    "department": gettext_lazy("Department"),
    "shift": gettext_lazy("Shift"),
    "phone": gettext_lazy("Parent phone"),
    "child_name": gettext_lazy("Child name"),
    "sex": gettext_lazy("Sex"),
    "date_of_birth": gettext_lazy("Date of birth"),
    "home_province": gettext_lazy("Home province"),
    "home_county": gettext_lazy("Home county"),
    "lives_with": gettext_lazy("Lives with"),
    "allergies": gettext_lazy("Allergies"),
    "medical_notes": gettext_lazy("Medical notes"),
    "arrival_date": gettext_lazy("Arrival date"),
    "departure_date": gettext_lazy("Departure date"),
}

# Every header name HR offices use for a field, besides the template's own
# (COLUMNS). Compared after `normalise`: case, spaces, "*" and "(必填)" do not count.
# "姓名" alone is the worker's: a roster is a list of employees first.
ALIASES = {
    "employee_number": [
        "员工工号",
        "员工号",
        "职工号",
        "工牌号",
        "家长工号",
        "工卡号",
        "employee no",
        "employee id",
        "emp no",
        "staff no",
        "staff id",
        "badge number",
    ],
    "worker_name": [
        "姓名",
        "员工姓名",
        "职工姓名",
        "家长",
        "父母姓名",
        "监护人姓名",
        "name",
        "employee name",
        "worker name",
        "parent",
    ],
    "relationship": [
        "关系",
        "与子女关系",
        "亲属关系",
        "家长身份",
        "relation",
        "relationship to child",
    ],
    "department": ["车间", "所属部门", "部门/车间", "dept", "workshop"],
    "shift": ["班别", "上班班次", "shift type"],
    "phone": [
        "电话",
        "手机",
        "手机号",
        "手机号码",
        "联系电话",
        "联系方式",
        "电话号码",
        "家长电话",
        "家长手机号",
        "mobile",
        "phone",
        "phone number",
        "mobile number",
        "telephone",
        "tel",
    ],
    "child_name": [
        "子女姓名",
        "儿童姓名",
        "小孩姓名",
        "孩子",
        "子女",
        "child",
        "child's name",
        "children",
        "kid",
    ],
    "sex": ["孩子性别", "子女性别", "gender"],
    "date_of_birth": [
        "出生年月",
        "出生年月日",
        "生日",
        "孩子出生日期",
        "子女出生日期",
        "birth date",
        "birthday",
        "dob",
        "born",
    ],
    "home_province": [
        "籍贯",
        "老家",
        "省份",
        "户籍",
        "户籍省份",
        "老家省",
        "province",
        "hometown",
        "native place",
    ],
    "home_county": ["县区", "老家县", "老家县市", "county"],
    "lives_with": ["和谁生活", "平时和谁住", "平时跟谁生活", "留守情况", "living with"],
    "allergies": ["过敏史", "过敏情况", "过敏源", "allergy"],
    "medical_notes": ["健康状况", "病史", "健康情况", "health notes", "health"],
    "arrival_date": ["来厂日期", "到达日期", "arrival", "arrives"],
    "departure_date": ["离开日期", "返乡日期", "departure", "leaves"],
}
DATE_FORMATS = "2019-03-05、2019/3/5、2019.3.5、2019年3月5日、20190305"
EXAMPLE = [
    "A10023", "王秀英", "母亲", "装配车间", "白班", "13812345678", "王小明", "男",
    "2018-05-03", "四川", "南充市仪陇县", "爷爷奶奶/外公外婆", "花生", "", "", "",
]  # fmt: skip


class ImportError_(Exception):
    """The file as a whole cannot be read; the message says why."""


def normalise(header) -> str:
    """A header as compared: "手机号（必填）*" and "手机号" are the same column."""
    text = str(header or "").strip().lower()
    text = re.sub(r"[（(][^）)]*[）)]", "", text)
    return re.sub(r"[\s*＊:：_.\-]", "", text)[:100]  # ColumnMapping.header's length


def _alias_table() -> dict[str, str]:
    table = {}
    for key, zh, en, _required in COLUMNS:
        for name in (key, zh, en, *ALIASES.get(key, [])):
            table.setdefault(normalise(name), key)
    return table


KNOWN_HEADERS = _alias_table()


def _choice_map(choices) -> dict[str, str]:
    """Every way a user may write a choice (key, Chinese or English label) -> key."""
    mapping = {}
    for key, label in choices:
        mapping[str(key).lower()] = key
        for language in ("zh-hans", "en"):
            with translation.override(language):
                mapping[str(label).lower()] = key
    return mapping


SEXES = {**_choice_map(Sex.choices), "男": Sex.MALE, "女": Sex.FEMALE, "m": "M", "f": "F",
         "男孩": Sex.MALE, "女孩": Sex.FEMALE}  # fmt: skip
PROVINCE_KEYS = {**_choice_map(PROVINCES)}
with translation.override("zh-hans"):
    PROVINCE_PREFIXES = [(str(label), key) for key, label in PROVINCES]
for label, key in PROVINCE_PREFIXES:  # "四川省" as well as "四川"
    PROVINCE_KEYS[f"{label}省"] = key
# The words HR sheets use besides our labels.
LIVES_WITH = {**_choice_map(LivesWith.choices), "爷爷奶奶": LivesWith.GRANDPARENTS,
              "外公外婆": LivesWith.GRANDPARENTS, "祖父母": LivesWith.GRANDPARENTS,
              "留守": LivesWith.GRANDPARENTS, "父亲": LivesWith.ONE_PARENT,
              "母亲": LivesWith.ONE_PARENT, "亲戚": LivesWith.RELATIVES,
              "寄宿": LivesWith.BOARDING, "父母": LivesWith.PARENTS,
              "随父母": LivesWith.PARENTS}  # fmt: skip
RELATIONSHIPS = {**_choice_map(Relationship.choices), "母亲": "mother", "父亲": "father",
                 "妈妈": "mother", "爸爸": "father"}  # fmt: skip
SHIFTS = _choice_map(Shift.choices)


def _province(text: str) -> str:
    """籍贯 is often "四川南充" or "四川省南充市": the province is the first word."""
    key = PROVINCE_KEYS.get(text.lower()) or PROVINCE_KEYS.get(text)
    if key:
        return key
    return next((key for label, key in PROVINCE_PREFIXES if text.startswith(label)), "")


@dataclass
class Layout:
    """Where the header is and which column holds which field."""

    header_index: int  # 0-based index of the header row in the file's rows
    headers: list[str]
    columns: dict[str, int]  # field key -> column index

    @property
    def header_row_number(self) -> int:
        return self.header_index + 1

    @property
    def missing(self) -> list[str]:
        return [key for key, _zh, _en, required in COLUMNS if required and key not in self.columns]

    @property
    def missing_labels(self) -> list[str]:
        return [str(FIELD_LABELS[key]) for key in self.missing]

    @property
    def not_imported(self) -> list[str]:
        used = set(self.columns.values())
        return [h for i, h in enumerate(self.headers) if h and i not in used]

    def header_of(self, key: str) -> str:
        """The file's own name for a field's column, so HR finds it in their sheet."""
        index = self.columns.get(key)
        if index is not None and self.headers[index]:
            return self.headers[index]
        return str(FIELD_LABELS[key])

    def mapping(self) -> dict[int, str]:
        return {index: key for key, index in self.columns.items()}


def _match(headers: list[str], remembered: dict[str, str]) -> dict[str, int]:
    columns = {}
    for index, header in enumerate(headers):
        name = normalise(header)
        key = remembered[name] if name in remembered else KNOWN_HEADERS.get(name)
        if key and key not in columns:  # a second "电话" column is listed as not imported
            columns[key] = index
    return columns


def find_layout(rows: list[list], remembered: dict[str, str] | None = None) -> Layout:
    """The header is the first row that names at least two known columns (or only
    known ones); title and note lines above it are skipped. With none, the fullest
    row is taken and HR maps its columns."""
    remembered = remembered or {}
    candidates = []
    for index, raw in enumerate(rows[:HEADER_SEARCH]):
        headers = [_text(cell) for cell in raw]
        filled = [h for h in headers if h]
        if not filled:
            continue
        columns = _match(headers, remembered)
        if len(columns) >= 2 or (columns and len(columns) == len(filled)):
            return Layout(index, headers, columns)
        candidates.append((len(filled), -index, Layout(index, headers, columns)))
    if not candidates:
        raise ImportError_(_("The file has no rows under the header."))
    return max(candidates, key=lambda c: c[:2])[2]


def layout_at(rows: list[list], header_index: int, remembered: dict[str, str]) -> Layout:
    headers = [_text(cell) for cell in rows[header_index]] if header_index < len(rows) else []
    return Layout(header_index, headers, _match(headers, remembered))


def layout_from_mapping(rows: list[list], header_index: int, mapping: dict[int, str]) -> Layout:
    headers = [_text(cell) for cell in rows[header_index]] if header_index < len(rows) else []
    columns = {}
    for index, key in sorted(mapping.items()):
        if key in FIELD_LABELS and key not in columns and index < len(headers):
            columns[key] = index
    return Layout(header_index, headers, columns)


def remembered_mapping(factory: Factory) -> dict[str, str]:
    return dict(ColumnMapping.objects.filter(factory=factory).values_list("header", "field"))


def remember_mapping(factory: Factory, layout: Layout) -> None:
    """HR mapped this file's columns by hand: the factory's next file is read the same way.

    A column HR left unmapped is remembered as "" so an alias does not map it again.
    """
    used = layout.mapping()
    for index, header in enumerate(layout.headers):
        name = normalise(header)
        if name:
            ColumnMapping.objects.update_or_create(
                factory=factory, header=name, defaults={"field": used.get(index, "")}
            )


@dataclass
class Row:
    number: int
    values: dict
    layout: Layout
    problems: list[str] = field(default_factory=list)
    worker_action: str = ""  # add, update, left
    child_action: str = ""  # add, left, or "" for a row without a child
    updates: dict = field(default_factory=dict)  # worker field -> new value

    @property
    def person(self) -> str:
        return self.values.get("child_name") or self.values.get("worker_name") or ""

    def problem(self, column: str, message: str) -> None:
        header = self.layout.header_of(column)
        if self.person:
            self.problems.append(
                _("Row %(row)d (%(name)s): %(column)s: %(message)s")
                % {"row": self.number, "name": self.person, "column": header, "message": message}
            )
        else:
            self.problems.append(
                _("Row %(row)d: %(column)s: %(message)s")
                % {"row": self.number, "column": header, "message": message}
            )

    @property
    def outcome(self) -> list[str]:
        """What confirming does with this row, in words."""
        said = {
            "add": _("new worker"),
            "update": _("worker updated: %(fields)s")
            % {"fields": "、".join(str(FIELD_LABELS[k]) for k in self.updates)},
            "left": _("worker left as is"),
        }
        words = [said[self.worker_action]] if self.worker_action else []
        if self.child_action == "add":
            words.append(_("new child"))
        elif self.child_action == "left":
            words.append(_("child already registered, left as is"))
        return words


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
    if data[:2] == b"PK":
        try:
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
            raise ImportError_(
                _("This Excel file cannot be read; save it again as .xlsx.")
            ) from exc
        sheet = workbook.worksheets[0]
        rows = [list(row) for row in sheet.iter_rows(values_only=True, max_row=limit + 1)]
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
        raise _too_many(n)
    return rows


def _too_many(n: int) -> ImportError_:
    return ImportError_(
        _("The file has %(n)d rows; import at most %(max)d at a time.") % {"n": n, "max": MAX_ROWS}
    )


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


# 2019-03-05, 2019/3/5, 2019.3.5, 2019年3月5日; a CSV export may add " 00:00:00".
DATE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+0?0:00(?::00)?)?$"
)
COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
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
    text = _text(value)
    match = DATE.match(text) or COMPACT_DATE.match(text)
    if match:
        return datetime.date(*(int(part) for part in match.groups()))
    match = EXCEL_SERIAL.match(text)
    if match and 1 <= int(match.group(1)) <= 73050:  # up to the year 2099
        return EXCEL_EPOCH + datetime.timedelta(days=int(match.group(1)))
    raise ValueError(text)


@dataclass
class Preview:
    layout: Layout
    rows: list[Row]
    update_workers: bool = False

    @property
    def problems(self) -> list[Row]:
        return [row for row in self.rows if row.problems]

    @property
    def ready(self) -> bool:
        """Every column found and every row valid: confirming saves it."""
        return bool(self.rows) and not self.layout.missing and not self.problems

    def count(self, attribute: str, value: str) -> int:
        return sum(1 for row in self.rows if getattr(row, attribute) == value)

    @property
    def n_workers(self) -> int:
        return self.count("worker_action", "add")

    @property
    def n_children(self) -> int:
        return self.count("child_action", "add")

    @property
    def n_workers_updated(self) -> int:
        return self.count("worker_action", "update")

    @property
    def n_left(self) -> int:
        return sum(1 for row in self.rows if row.child_action == "left" or (
            not row.child_action and row.worker_action == "left"))  # fmt: skip


TEXT_FIELDS = ("employee_number", "worker_name", "department", "phone", "child_name",
               "home_county", "allergies", "medical_notes")  # fmt: skip
WORKER_UPDATES = ("phone", "department", "shift")


def validate(
    rows: list[list],
    *,
    factory: Factory,
    season=None,
    layout: Layout | None = None,
    update_workers: bool = False,
) -> Preview:
    """Check every row and say what confirming would do with it; no database writes.

    A few queries whatever the file's size. A preview whose layout lacks a required
    column has no rows: HR maps the columns first.
    """
    layout = layout or find_layout(rows, remembered_mapping(factory))
    if layout.missing:
        return Preview(layout, [], update_workers)
    n = sum(1 for row in rows[layout.header_index + 1 :] if row)
    if n > MAX_ROWS:
        raise _too_many(n)
    existing = {
        w.employee_number: w
        for w in Worker.objects.filter(factory=factory).only(
            "employee_number", "name", "phone", "department", "shift", "on_roster"
        )
    }
    known_children = set(
        Guardianship.objects.filter(worker__factory=factory).values_list(
            "worker__employee_number", "child__name", "child__date_of_birth"
        )
    )
    parsed, seen_children, file_workers = [], {}, {}
    today = timezone.localdate()
    columns = layout.columns
    for index in range(layout.header_index + 1, len(rows)):
        raw = rows[index]
        if not raw:
            continue
        values = {key: (raw[i] if i < len(raw) else None) for key, i in columns.items()}
        row = Row(index + 1, {}, layout)
        _validate_worker(row, values, existing=existing, file_workers=file_workers)
        _plan_worker(row, existing=existing, file_workers=file_workers, update=update_workers)
        if row.values["child_name"]:
            _validate_child(row, values, today=today, season=season)
            key = (row.values["employee_number"], row.values["child_name"],
                   row.values.get("date_of_birth"))  # fmt: skip
            if key in seen_children:
                row.problem(
                    "child_name",
                    _("the same child as in row %(row)d") % {"row": seen_children[key]},
                )
            else:
                seen_children[key] = row.number
            row.child_action = "left" if key in known_children else "add"
        parsed.append(row)
    if not parsed:
        raise ImportError_(_("The file has no rows under the header."))
    return Preview(layout, parsed, update_workers)


def _validate_worker(row: Row, values: dict, *, existing: dict, file_workers: dict) -> None:
    v = row.values
    for key in TEXT_FIELDS:
        v[key] = _text(values.get(key))
        limit = 1000 if key in ("allergies", "medical_notes") else 100
        if len(v[key]) > limit:
            row.problem(key, _("longer than %(n)d characters") % {"n": limit})
        elif key not in ("allergies", "medical_notes") and FORBIDDEN.search(v[key]):
            row.problem(key, _("contains < > { } or control characters"))
    number = v["employee_number"] = v["employee_number"].upper()
    if not EMPLOYEE_NUMBER.match(number):
        row.problem("employee_number", _("missing or not letters and digits"))
    elif number not in existing and number not in file_workers and not v["worker_name"]:
        # The name is what is missing, so the message sits on the name's column.
        row.problem(
            "worker_name",
            _("missing: employee number %(number)s is not registered yet") % {"number": number},
        )
    if v["phone"]:
        v["phone"] = re.sub(r"[\s-]", "", v["phone"]).removeprefix("+86")
        if not PHONE.match(v["phone"]):
            row.problem("phone", _("not an 11-digit mobile number"))
    for key, mapping in (("relationship", RELATIONSHIPS), ("shift", SHIFTS)):
        text = _text(values.get(key)).lower()
        v[key] = mapping.get(text, "") if text else ""
        if text and not v[key]:
            row.problem(key, _("“%(value)s” is not one of the allowed values") % {"value": text})


def _plan_worker(row: Row, *, existing: dict, file_workers: dict, update: bool) -> None:
    """Add a worker the factory does not have; for one it has, update phone,
    department and shift when HR asked for it, else leave it. A worker on several
    rows is planned on the first."""
    v = row.values
    number = v["employee_number"]
    if number in file_workers:
        row.worker_action = "left"
        return
    file_workers[number] = row.number
    worker = existing.get(number)
    if worker is None:
        row.worker_action = "add"
        return
    if update:
        row.updates = {
            key: v[key] for key in WORKER_UPDATES if v[key] and v[key] != getattr(worker, key)
        }
    row.worker_action = "update" if row.updates else "left"


def _validate_child(row: Row, values: dict, *, today, season) -> None:
    v = row.values
    for key, mapping, required in (
        ("sex", SEXES, True),
        ("home_province", PROVINCE_KEYS, True),
        ("lives_with", LIVES_WITH, True),
    ):
        text = _text(values.get(key))
        if key == "home_province":
            v[key] = _province(text) if text else ""
        else:
            v[key] = mapping.get(text.lower()) or mapping.get(text) or ""
        if not text and required:
            row.problem(key, _("required for a child"))
        elif not v[key]:
            row.problem(key, _("“%(value)s” is not one of the allowed values") % {"value": text})
    for key in ("date_of_birth", "arrival_date", "departure_date"):
        raw = values.get(key)
        v[key] = None
        if _text(raw):
            try:
                v[key] = parse_date(raw)
            except ValueError:
                row.problem(
                    key,
                    _("“%(value)s” is not a date; write it as one of %(formats)s")
                    % {"value": _text(raw), "formats": DATE_FORMATS},
                )
    born = v["date_of_birth"]
    if born is None and not _text(values.get("date_of_birth")):
        row.problem("date_of_birth", _("required for a child"))
    elif born and born > today:
        row.problem("date_of_birth", _("in the future"))
    elif born and born < years_before(today, 18):
        row.problem("date_of_birth", _("more than 18 years ago"))
    elif born and season is not None:
        age = season.age_on_start(born)
        if not season.min_age <= age <= season.max_age:
            row.problem(
                "date_of_birth",
                _("aged %(age)d at the start; the season takes %(min)d to %(max)d")
                % {"age": age, "min": season.min_age, "max": season.max_age},
            )
    arrival, departure = v["arrival_date"], v["departure_date"]
    if arrival and departure and departure < arrival:
        row.problem("departure_date", _("before the arrival date"))


def save(preview: Preview, *, factory: Factory, season, user) -> tuple[int, int, int]:
    """Save a valid preview in one transaction; returns (workers created, workers
    updated, children created)."""
    now = timezone.now()
    with transaction.atomic():
        workers = {w.employee_number: w for w in Worker.objects.filter(factory=factory)}
        new_workers, updated = [], []
        for row in preview.rows:
            v = row.values
            if row.worker_action == "add":
                worker = Worker(
                    factory=factory,
                    employee_number=v["employee_number"],
                    name=v["worker_name"],
                    department=v["department"],
                    shift=v["shift"],
                    phone=v["phone"],
                )
                workers[v["employee_number"]] = worker
                new_workers.append(worker)
            elif row.worker_action == "update":
                worker = workers[v["employee_number"]]
                changes = {k: [getattr(worker, k), new] for k, new in row.updates.items()}
                for key, new in row.updates.items():
                    setattr(worker, key, new)
                updated.append((worker, changes))
        Worker.objects.bulk_create(new_workers)
        # A worker the public form registered is confirmed by appearing on the roster.
        in_file = {row.values["employee_number"] for row in preview.rows}
        confirmed = [w.pk for n, w in workers.items() if w.pk and not w.on_roster and n in in_file]
        Worker.objects.filter(pk__in=confirmed).update(on_roster=True)
        Worker.objects.bulk_update([w for w, _c in updated], list(WORKER_UPDATES))
        children, guardianships, enrollments = [], [], []
        for row in preview.rows:
            v = row.values
            if row.child_action != "add":
                continue
            child = Child(
                factory=factory,
                name=v["child_name"],
                sex=v["sex"],
                date_of_birth=v["date_of_birth"],
                home_province=v["home_province"],
                home_county=v["home_county"],
                lives_with=v["lives_with"],
                allergies=v["allergies"],
                medical_notes=v["medical_notes"],
            )
            children.append(child)
            guardianships.append((child, workers[v["employee_number"]], v["relationship"]))
            if season is not None:
                enrollments.append((child, v))
        Child.objects.bulk_create(children)
        Guardianship.objects.bulk_create(
            Guardianship(child=c, worker=w, relationship=r or Relationship.OTHER)
            for c, w, r in guardianships
        )
        if season is not None:
            Enrollment.objects.bulk_create(
                Enrollment(
                    child=child,
                    season=season,
                    arrival_date=v["arrival_date"] or season.start_date,
                    departure_date=v["departure_date"] or season.end_date,
                    created_by=user,
                    applied_at=now,
                )
                for child, v in enrollments
            )
        audit = [
            AuditEntry(
                user=user,
                factory=factory,
                model=Child._meta.label_lower,
                object_id=str(child.pk),
                action=AuditEntry.Action.CREATE,
                changes={"imported": [None, True]},
            )
            for child in children
        ]
        audit += [
            AuditEntry(
                user=user,
                factory=factory,
                model=Worker._meta.label_lower,
                object_id=str(worker.pk),
                action=AuditEntry.Action.UPDATE,
                changes={**changes, "imported": [None, True]},
            )
            for worker, changes in updated
        ]
        AuditEntry.objects.bulk_create(audit)
    return len(new_workers), len(updated), len(children)


def serialise(rows: list[list]) -> list[list[str]]:
    """Rows as plain strings, to keep in the session between preview and confirm."""
    return [
        [cell.date().isoformat() if isinstance(cell, datetime.datetime)
         else cell.isoformat() if isinstance(cell, datetime.date) else _text(cell)
         for cell in row]
        for row in rows
    ]  # fmt: skip
