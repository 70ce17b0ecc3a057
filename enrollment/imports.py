"""Importing workers and their children from the sheet HR already keeps.

One layout for .xlsx and .csv: a row per child with its guardian's columns;
a row without a child only registers the worker. Nothing is saved until the
whole file is valid and HR confirms; then everything is saved at once.
"""

from __future__ import annotations

import csv
import datetime
import io
import zipfile
from dataclasses import dataclass, field

import openpyxl
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ccrcsr.fields import EMPLOYEE_NUMBER, FORBIDDEN, PHONE, years_before
from factories.models import PROVINCES, AuditEntry, Factory, Shift, Worker

from .models import Child, Enrollment, Guardianship, LivesWith, Relationship, Sex

MAX_ROWS = 5000
MAX_BYTES = 5 * 1024 * 1024

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
EXAMPLE = [
    "A10023", "王秀英", "母亲", "装配车间", "白班", "13812345678", "王小明", "男",
    "2018-05-03", "四川", "南充市仪陇县", "爷爷奶奶/外公外婆", "花生", "", "", "",
]  # fmt: skip


class ImportError_(Exception):
    """The file as a whole cannot be read; the message says why."""


def _choice_map(choices) -> dict[str, str]:
    """Every way a user may write a choice (key, Chinese or English label) -> key."""
    mapping = {}
    for key, label in choices:
        mapping[str(key).lower()] = key
        for language in ("zh-hans", "en"):
            with translation.override(language):
                mapping[str(label).lower()] = key
    return mapping


SEXES = {**_choice_map(Sex.choices), "男": Sex.MALE, "女": Sex.FEMALE, "m": "M", "f": "F"}
PROVINCE_KEYS = {**_choice_map(PROVINCES)}
for key, label in PROVINCES:  # "四川省" as well as "四川"
    with translation.override("zh-hans"):
        PROVINCE_KEYS[f"{label}省"] = key
LIVES_WITH = _choice_map(LivesWith.choices)
RELATIONSHIPS = {**_choice_map(Relationship.choices), "母亲": "mother", "父亲": "father"}
SHIFTS = _choice_map(Shift.choices)


@dataclass
class Row:
    number: int
    values: dict
    problems: list[str] = field(default_factory=list)

    def problem(self, column: str, message: str) -> None:
        header = next(zh for key, zh, _en, _req in COLUMNS if key == column)
        self.problems.append(f"{header}: {message}")


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
        notes.append(["出生日期、到厂日期、离厂日期", "2018-05-03 或 2018/5/3"])
        notes.append(["老家省份", "、".join(str(label) for _k, label in PROVINCES)])
        notes.append(["平时和谁生活", " / ".join(str(label) for _k, label in LivesWith.choices)])
        notes.append(["与孩子关系", "母亲 / 父亲 / " + " / ".join(
            str(label) for key, label in Relationship.choices if key not in ("mother", "father")
        )])  # fmt: skip
        notes.append(["班次", " / ".join(str(label) for _k, label in Shift.choices)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def read_rows(upload) -> list[list]:
    """The rows of an uploaded .xlsx or .csv, header first."""
    data = upload.read(MAX_BYTES + 1)
    if not data:
        raise ImportError_(_("The file is empty."))
    if len(data) > MAX_BYTES:
        raise ImportError_(_("The file is larger than 5 MB; split it into smaller files."))
    if data[:2] == b"PK":
        try:
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
            raise ImportError_(
                _("This Excel file cannot be read; save it again as .xlsx.")
            ) from exc
        sheet = workbook.worksheets[0]
        rows = [list(row) for row in sheet.iter_rows(values_only=True, max_row=MAX_ROWS + 2)]
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
    rows = [row for row in rows if any(cell not in (None, "") for cell in row)]
    if len(rows) < 2:
        raise ImportError_(_("The file has no rows under the header."))
    if len(rows) - 1 > MAX_ROWS:
        raise ImportError_(
            _("The file has %(n)d rows; import at most %(max)d at a time.")
            % {"n": len(rows) - 1, "max": MAX_ROWS}
        )
    return rows


def _columns(header: list) -> dict[str, int]:
    names = {}
    for key, zh, en, _required in COLUMNS:
        names[zh] = names[en.lower()] = names[key] = key
    found = {}
    for index, cell in enumerate(header):
        key = names.get(str(cell or "").strip().lower()) or names.get(str(cell or "").strip())
        if key:
            found[key] = index
    missing = [zh for key, zh, _en, required in COLUMNS if required and key not in found]
    if missing:
        raise ImportError_(
            _("The header row lacks the column(s): %(cols)s. Start from the template.")
            % {"cols": "、".join(missing)}
        )
    return found


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _date(value) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = _text(value)
    for pattern in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日"):
        try:
            return datetime.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(text)


@dataclass
class Preview:
    rows: list[Row]
    n_workers: int
    n_children: int

    @property
    def problems(self) -> list[Row]:
        return [row for row in self.rows if row.problems]


def validate(rows: list[list], *, factory: Factory, season=None) -> Preview:
    """Check every row; no database writes. Two queries whatever the file's size."""
    columns = _columns(rows[0])
    existing = {
        w.employee_number: w
        for w in Worker.objects.filter(factory=factory).only("employee_number", "name")
    }
    known_children = set(
        Guardianship.objects.filter(worker__factory=factory).values_list(
            "worker__employee_number", "child__name", "child__date_of_birth"
        )
    )
    parsed, seen_children, file_workers = [], set(), {}
    today = timezone.localdate()
    for number, raw in enumerate(rows[1:], start=2):
        values = {key: (raw[index] if index < len(raw) else None) for key, index in columns.items()}
        row = Row(number, {})
        v = row.values
        for key in ("employee_number", "worker_name", "department", "phone", "child_name",
                    "home_county", "allergies", "medical_notes"):  # fmt: skip
            v[key] = _text(values.get(key))
            limit = 1000 if key in ("allergies", "medical_notes") else 100
            if len(v[key]) > limit:
                row.problem(key, _("longer than %(n)d characters") % {"n": limit})
            elif key not in ("allergies", "medical_notes") and FORBIDDEN.search(v[key]):
                row.problem(key, _("contains < > { } or control characters"))
        number_ = v["employee_number"] = v["employee_number"].upper()
        if not EMPLOYEE_NUMBER.match(number_):
            row.problem("employee_number", _("missing or not letters and digits"))
        elif number_ not in existing and number_ not in file_workers and not v["worker_name"]:
            row.problem("employee_number", _("unknown employee number; add the parent's name"))
        if v["worker_name"]:
            file_workers.setdefault(number_, v["worker_name"])
        if v["phone"]:
            v["phone"] = v["phone"].replace(" ", "").replace("-", "")
            if not PHONE.match(v["phone"]):
                row.problem("phone", _("not an 11-digit mobile number"))
        for key, mapping in (("relationship", RELATIONSHIPS), ("shift", SHIFTS)):
            text = _text(values.get(key)).lower()
            v[key] = mapping.get(text, "") if text else ""
            if text and not v[key]:
                row.problem(
                    key, _("“%(value)s” is not one of the allowed values") % {"value": text}
                )
        if v["child_name"]:
            _validate_child(row, values, today=today, season=season)
            key = (number_, v["child_name"], v.get("date_of_birth"))
            if key in seen_children:
                row.problem("child_name", _("the same child appears twice in the file"))
            elif key in known_children:
                row.problem("child_name", _("this child is already registered"))
            seen_children.add(key)
        parsed.append(row)
    workers = {r.values["employee_number"] for r in parsed} - set(existing)
    children = sum(1 for r in parsed if r.values["child_name"])
    return Preview(parsed, n_workers=len(workers), n_children=children)


def _validate_child(row: Row, values: dict, *, today, season) -> None:
    v = row.values
    for key, mapping, required in (
        ("sex", SEXES, True),
        ("home_province", PROVINCE_KEYS, True),
        ("lives_with", LIVES_WITH, True),
    ):
        text = _text(values.get(key))
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
                v[key] = _date(raw)
            except ValueError:
                row.problem(
                    key, _("“%(value)s” is not a date like 2018-05-03") % {"value": _text(raw)}
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


def save(preview: Preview, *, factory: Factory, season, user) -> tuple[int, int]:
    """Save a valid preview in one transaction; returns (workers, children) created."""
    now = timezone.now()
    with transaction.atomic():
        workers = {w.employee_number: w for w in Worker.objects.filter(factory=factory)}
        new_workers = []
        for row in preview.rows:
            v = row.values
            if v["employee_number"] not in workers:
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
        Worker.objects.bulk_create(new_workers)
        children, guardianships, enrollments = [], [], []
        for row in preview.rows:
            v = row.values
            if not v["child_name"]:
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
        AuditEntry.objects.bulk_create(
            AuditEntry(
                user=user,
                factory=factory,
                model=Child._meta.label_lower,
                object_id=str(child.pk),
                action=AuditEntry.Action.CREATE,
                changes={"imported": [None, True]},
            )
            for child in children
        )
    return len(new_workers), len(children)


def serialise(rows: list[list]) -> list[list[str]]:
    """Rows as plain strings, to keep in the session between preview and confirm."""
    return [
        [cell.date().isoformat() if isinstance(cell, datetime.datetime)
         else cell.isoformat() if isinstance(cell, datetime.date) else _text(cell)
         for cell in row]
        for row in rows
    ]  # fmt: skip
