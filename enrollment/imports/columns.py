"""The columns we import and the names HR offices give them (ALIASES, the one
table of them), and finding the header in a sheet: title rows above it,
columns we do not import, or a mapping HR made once for the factory."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ccrcsr.fields import strip_edges
from factories.models import PROVINCES, Factory, Shift

from ..models import ColumnMapping, LivesWith, Relationship, Sex

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
    # Read for the birth date and sex it holds, never kept (see idcard).
    "id_number": gettext_lazy("Child's ID number (birth date and sex only)"),
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
    # Not in the template: we do not ask for ID numbers. A parent's (家长身份证号)
    # is no alias, and under a parent's group heading none is read.
    "id_number": [
        "身份证号",
        "身份证号码",
        "身份证",
        "证件号码",
        "孩子身份证号",
        "子女身份证号",
        "儿童身份证号",
        "孩子身份证号码",
        "子女身份证号码",
        "id number",
        "id card",
    ],
}


# Group headings above a two-level header (家长信息 over 姓名/电话, 子女信息 over
# 姓名/性别): the words that say whose columns they head.
CHILD_GROUP = ("子女", "孩子", "儿童", "小孩", "学生", "child", "kid")
PARENT_GROUP = (
    "家长",
    "父母",
    "员工",
    "职工",
    "监护人",
    "parent",
    "employee",
    "worker",
    "guardian",
)
NAMES = {"姓名", "名字", "全名", "name", "fullname"}
PARENT_FIELDS = {"employee_number", "worker_name", "department", "shift", "phone"}
CHILD_FIELDS = {"child_name", "sex", "date_of_birth", "id_number", "allergies", "medical_notes",
                "arrival_date", "departure_date"}  # fmt: skip


DATE_FORMATS = "2019-03-05、2019/3/5、2019.3.5、2019年3月5日、20190305"


EXAMPLE = [
    "A10023", "王秀英", "母亲", "装配车间", "白班", "13812345678", "王小明", "男",
    "2018-05-03", "四川", "南充市仪陇县", "爷爷奶奶/外公外婆", "花生", "", "", "",
]  # fmt: skip


class ImportError_(Exception):
    """The file as a whole cannot be read; the message says why."""


def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return strip_edges(str(value))


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
    for key, names in ALIASES.items():
        for name in names:
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


def province_key(text: str) -> str:
    """籍贯 is often "四川南充" or "四川省南充市": the province is the first word."""
    key = PROVINCE_KEYS.get(text.lower()) or PROVINCE_KEYS.get(text)
    if key:
        return key
    return next((key for label, key in PROVINCE_PREFIXES if text.startswith(label)), "")


def group_kind(group: str) -> str:
    """ "child", "parent" or "" for a group heading."""
    text = normalise(group)
    if any(word in text for word in CHILD_GROUP):
        return "child"
    if any(word in text for word in PARENT_GROUP):
        return "parent"
    return ""


def group_headings(rows: list[list], header_index: int, spans=()) -> list[str]:
    """The group heading above each column of the header, or "" where there is none.

    The row right above the header holds group headings when they head both a
    parent's columns and a child's (else it is a title): a heading merged across
    columns heads them; in
    a file without merged cells (CSV) a heading heads the empty cells to its right.
    A cell merged down over both header rows (序号, 工号) is a header, not a group.
    """
    if header_index < 1 or header_index >= len(rows):
        return []
    headers = [cell_text(cell) for cell in rows[header_index]]
    above = [cell_text(cell) for cell in rows[header_index - 1]]
    groups = [""] * len(headers)
    merged = [(first, last) for row, first, last in spans if row == header_index - 1]
    for first, last in merged:
        value = above[first] if first < len(above) else ""
        for index in range(first, min(last + 1, len(groups))):
            groups[index] = value
    current = ""
    for index in range(len(groups)):
        value = above[index] if index < len(above) else ""
        if value:
            current = value
        if not groups[index]:
            groups[index] = value or ("" if merged else current)
    groups = [
        "" if normalise(g) == normalise(h) else g for g, h in zip(groups, headers, strict=True)
    ]
    # Group headings only where they tell the parent's columns from the child's: a
    # title over the list ("2026年暑期儿童之家报名表") and a date beside it are no groups,
    # though the title names children.
    if not {"child", "parent"} <= {group_kind(g) for g in groups if g}:
        return [""] * len(headers)
    return groups


def signature(headers: list[str], groups: list[str]) -> str:
    """A header row as a remembered mapping knows it: every column's group heading
    and header, by position."""
    pairs = [
        [normalise(g), normalise(h)]
        for g, h in zip(groups or [""] * len(headers), headers, strict=True)
    ]
    while pairs and pairs[-1] == ["", ""]:
        pairs.pop()
    return hashlib.sha256(json.dumps(pairs, ensure_ascii=False).encode()).hexdigest()


@dataclass
class Layout:
    """Where the header is and which column holds which field."""

    header_index: int  # 0-based index of the header row in the file's rows
    headers: list[str]
    columns: dict[str, int]  # field key -> column index
    groups: list[str] = field(default_factory=list)  # the group heading above each column
    # The remembered mapping these columns come from: {"by": name, "at": iso date}.
    remembered: dict | None = None

    @property
    def header_row_number(self) -> int:
        return self.header_index + 1

    @property
    def missing(self) -> list[str]:
        return [key for key, _zh, _en, required in COLUMNS if required and key not in self.columns]

    @property
    def missing_labels(self) -> list[str]:
        return [str(FIELD_LABELS[key]) for key in self.missing]

    def label(self, index: int) -> str:
        """A column as HR reads it in their sheet: 子女信息 / 姓名."""
        group = self.groups[index] if index < len(self.groups) else ""
        header = self.headers[index] if index < len(self.headers) else ""
        return f"{group} / {header}" if group else header

    @property
    def not_imported(self) -> list[str]:
        used = set(self.columns.values())
        return [self.label(i) for i, h in enumerate(self.headers) if h and i not in used]

    @property
    def twice(self) -> list[str]:
        """Headers written on several columns (姓名 for the parent and the child with
        no group heading above) of which some are not imported: HR says which is which."""
        used = set(self.columns.values())
        seen: dict[str, list[int]] = {}
        for index in range(len(self.headers)):
            if self.headers[index]:
                seen.setdefault(normalise(self.label(index)), []).append(index)
        return [
            self.label(indexes[0])
            for indexes in seen.values()
            if len(indexes) > 1 and not set(indexes) <= used
        ]

    @property
    def grouped(self) -> list[tuple[str, str]]:
        """The columns read under a group heading: (家长信息 / 姓名, Parent name)."""
        return [
            (self.label(index), str(FIELD_LABELS[key]))
            for key, index in sorted(self.columns.items(), key=lambda item: item[1])
            if index < len(self.groups) and self.groups[index]
        ]

    @property
    def read_as(self) -> list[tuple[str, str]]:
        """Every column read, in the file's order: (its header, the field)."""
        return [
            (self.label(index), str(FIELD_LABELS[key]))
            for key, index in sorted(self.columns.items(), key=lambda item: item[1])
        ]

    @property
    def signature(self) -> str:
        return signature(self.headers, self.groups)

    def header_of(self, key: str) -> str:
        """The file's own name for a field's column, so HR finds it in their sheet."""
        index = self.columns.get(key)
        if index is not None and self.headers[index]:
            return self.label(index)
        return str(FIELD_LABELS[key])

    def mapping(self) -> dict[int, str]:
        return {index: key for key, index in self.columns.items()}


def _field_of(header: str, group: str) -> str:
    """The field a header names, read under its group heading: 姓名 is the parent's
    under 家长信息 and the child's under 子女信息; a parent's 性别 or 身份证号 is no
    field of ours."""
    name = normalise(header)
    kind = group_kind(group) if group else ""
    if kind and name in NAMES:
        return "child_name" if kind == "child" else "worker_name"
    key = KNOWN_HEADERS.get(name, "")
    if (kind == "parent" and key in CHILD_FIELDS) or (kind == "child" and key in PARENT_FIELDS):
        return ""
    return key


def _match(headers: list[str], groups: list[str]) -> dict[str, int]:
    columns = {}
    for index, header in enumerate(headers):
        key = _field_of(header, groups[index] if index < len(groups) else "")
        if key and key not in columns:  # a second "电话" column is listed as not imported
            columns[key] = index
    return columns


def _layout(rows, index: int, remembered: dict, spans) -> Layout:
    headers = [cell_text(cell) for cell in rows[index]] if index < len(rows) else []
    groups = group_headings(rows, index, spans)
    mapped = remembered.get(signature(headers, groups))
    if mapped is not None:
        layout = layout_from_mapping(rows, index, mapped["mapping"], spans=spans)
        layout.remembered = {"by": mapped["by"], "at": mapped["at"]}
        return layout
    return Layout(index, headers, _match(headers, groups), groups)


def find_layout(rows: list[list], remembered: dict | None = None, spans=()) -> Layout:
    """The header is the first row that names at least two known columns (or only
    known ones), or whose header row HR mapped before; title and note lines above it
    are skipped. With none, the fullest row is taken and HR maps its columns."""
    remembered = remembered or {}
    candidates = []
    for index, raw in enumerate(rows[:HEADER_SEARCH]):
        filled = [cell for cell in raw if cell_text(cell)]
        if not filled:
            continue
        layout = _layout(rows, index, remembered, spans)
        if (
            layout.remembered
            or len(layout.columns) >= 2
            or (layout.columns and len(layout.columns) == len(filled))
        ):
            return layout
        candidates.append((len(filled), -index, layout))
    if not candidates:
        raise ImportError_(_("The file has no rows under the header."))
    return max(candidates, key=lambda c: c[:2])[2]


def layout_at(rows: list[list], header_index: int, remembered: dict, spans=()) -> Layout:
    return _layout(rows, header_index, remembered, spans)


def layout_from_mapping(
    rows: list[list], header_index: int, mapping: dict[int, str], spans=()
) -> Layout:
    headers = [cell_text(cell) for cell in rows[header_index]] if header_index < len(rows) else []
    columns = {}
    for index, key in sorted(mapping.items()):
        if key in FIELD_LABELS and key not in columns and index < len(headers):
            columns[key] = index
    return Layout(header_index, headers, columns, group_headings(rows, header_index, spans))


def remembered_mapping(factory: Factory) -> dict[str, dict]:
    """The factory's header rows HR mapped by hand: signature -> the mapping, who, when."""
    return {
        m.signature: {
            "mapping": {int(i): key for i, key in m.mapping.items()},
            "by": m.mapped_by.get_full_name() or m.mapped_by.get_username() if m.mapped_by else "",
            "at": m.mapped_at.date().isoformat(),
        }
        for m in ColumnMapping.objects.filter(factory=factory).select_related("mapped_by")
    }


def remember_mapping(factory: Factory, layout: Layout, user) -> None:
    """HR mapped this header row by hand: a file of the factory with the very same
    header row (headers and group headings, by position) is read the same way, and
    the preview says so. Any other header row is matched afresh."""
    ColumnMapping.objects.update_or_create(
        factory=factory,
        signature=layout.signature,
        defaults={
            "mapping": {str(i): key for i, key in layout.mapping().items()},
            "headers": [layout.label(i) for i in range(len(layout.headers))],
            "mapped_by": user,
        },
    )
