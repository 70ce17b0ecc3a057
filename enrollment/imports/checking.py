"""Checking every row before anything is saved (each problem named with its
row and column), the preview HR confirms, and saving all rows at once."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ccrcsr.fields import (
    EMPLOYEE_NUMBER,
    FORBIDDEN,
    PHONE,
    normalise_employee_number,
    normalise_phone,
    years_before,
)
from factories.models import AuditEntry, Factory, Worker

from ..applications import same_name
from ..models import DETAILS_TO_COMPLETE, Child, Enrollment, Guardianship, Relationship
from . import idcard
from .columns import (
    DATE_FORMATS,
    FIELD_LABELS,
    LIVES_WITH,
    MAX_ROWS,
    PROVINCE_KEYS,
    RELATIONSHIPS,
    SEXES,
    SHIFTS,
    ImportError_,
    Layout,
    cell_text,
    find_layout,
    normalise,
    province_key,
    remembered_mapping,
)
from .reading import Sheet, parse_date, too_many


@dataclass
class Row:
    number: int
    values: dict
    layout: Layout
    problems: list[str] = field(default_factory=list)
    worker_action: str = ""  # add, update, left, or same (added by an earlier row)
    worker_row: int = 0  # the row that adds the worker of a "same" row
    child_action: str = ""  # add, apply, left, or "" for a row without a child
    child_id: int | None = None  # the registered child of an "apply" row
    updates: dict = field(default_factory=dict)  # worker field -> new value
    season: object = None  # where an "add" or "apply" row's application goes
    from_id: bool = False  # birth date (and sex) read from an ID number

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
        if self.worker_action == "same":
            said["same"] = _("worker of row %(row)d") % {"row": self.worker_row}
        words = [said[self.worker_action]] if self.worker_action else []
        if self.child_action == "add":
            words.append(_("new child"))
        elif self.child_action == "apply":
            words.append(_("child already registered, entered as an application"))
        elif self.child_action == "left":
            words.append(_("child already registered, left as is"))
        if self.child_action in ("add", "apply") and self.season is not None:
            words.append(_("application to %(season)s") % {"season": self.season})
        if self.child_action == "add":
            if self.from_id:
                words.append(_("birth date and sex read from the ID number (not kept)"))
            if self.details_missing:
                words.append(
                    _("details missing: %(fields)s")
                    % {"fields": "、".join(str(FIELD_LABELS[k]) for k in self.details_missing)}
                )
            if not self.values.get("relationship"):
                words.append(_("relationship not given: saved as “Other”"))
        return words

    @property
    def details_missing(self) -> list[str]:
        """What a new child lacks that HR (or the parent) completes later."""
        return [key for key in DETAILS_TO_COMPLETE if not self.values.get(key)]


@dataclass
class Preview:
    layout: Layout
    rows: list[Row]
    update_workers: bool = False
    season: object = None
    totals: list[tuple[int, str]] = field(default_factory=list)  # skipped: row, its words
    hidden: list[tuple[int, str]] = field(default_factory=list)  # hidden rows: row, person
    include_hidden: bool = False

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
    def n_applied(self) -> int:
        return self.count("child_action", "apply")

    @property
    def n_workers_updated(self) -> int:
        return self.count("worker_action", "update")

    @property
    def n_details_missing(self) -> int:
        return sum(1 for row in self.rows if row.child_action == "add" and row.details_missing)

    @property
    def n_relationship_other(self) -> int:
        return sum(
            1 for row in self.rows if row.child_action == "add" and not row.values["relationship"]
        )

    @property
    def n_left(self) -> int:
        return sum(1 for row in self.rows if row.child_action == "left" or (
            not row.child_action and row.worker_action == "left"))  # fmt: skip


TEXT_FIELDS = ("employee_number", "worker_name", "department", "phone", "child_name",
               "home_county", "allergies", "medical_notes")  # fmt: skip


WORKER_UPDATES = ("phone", "department", "shift")


def validate(
    rows: Sheet | list[list],
    *,
    factory: Factory,
    season=None,
    layout: Layout | None = None,
    update_workers: bool = False,
    include_hidden: bool = False,
) -> Preview:
    """Check every row and say what confirming would do with it; no database writes.

    A few queries whatever the file's size. A preview whose layout lacks a required
    column has no rows: HR maps the columns first. A totals row is skipped and named;
    a hidden row is listed and skipped unless HR asked for hidden rows.
    """
    sheet = rows if isinstance(rows, Sheet) else Sheet(rows)
    rows = sheet.rows
    layout = layout or find_layout(rows, remembered_mapping(factory), sheet.spans)
    preview = Preview(layout, [], update_workers, season, include_hidden=include_hidden)
    if layout.missing:
        return preview
    n = sum(1 for row in rows[layout.header_index + 1 :] if row)
    if n > MAX_ROWS:
        raise too_many(n)
    existing = {
        w.employee_number: w
        for w in Worker.objects.filter(factory=factory).only(
            "employee_number", "name", "phone", "department", "shift", "on_roster"
        )
    }
    known_children = {
        (number, name, born): child_id
        for number, name, born, child_id in Guardianship.objects.filter(
            worker__factory=factory
        ).values_list("worker__employee_number", "child__name", "child__date_of_birth", "child_id")
    }
    # A registered child is left as is, but still applies to the season HR chose.
    in_season = (
        set(Enrollment.objects.filter(season=season).values_list("child_id", flat=True))
        if season is not None
        else set()
    )
    seen_children, file_workers = {}, {}
    hidden = set(sheet.hidden)
    today = timezone.localdate()
    columns = layout.columns
    for index in range(layout.header_index + 1, len(rows)):
        raw = rows[index]
        if not raw:
            continue
        values = {key: (raw[i] if i < len(raw) else None) for key, i in columns.items()}
        totals = _totals_words(raw, values)
        if totals:
            preview.totals.append((index + 1, totals))
            continue
        if index + 1 in hidden:
            person = cell_text(values.get("child_name")) or cell_text(values.get("worker_name"))
            preview.hidden.append((index + 1, person))
            if not include_hidden:
                continue
        row = Row(index + 1, {}, layout, season=season)
        _validate_worker(row, values, existing=existing, file_workers=file_workers)
        _plan_worker(row, existing=existing, file_workers=file_workers, update=update_workers)
        if row.values["child_name"]:
            _validate_child(row, values, today=today, season=season)
            _not_the_parent(row, existing)
            key = (row.values["employee_number"], row.values["child_name"],
                   row.values.get("date_of_birth"))  # fmt: skip
            if key in seen_children:
                row.problem(
                    "child_name",
                    _("the same child as in row %(row)d") % {"row": seen_children[key]},
                )
            else:
                seen_children[key] = row.number
            row.child_id = known_children.get(key)
            if row.child_id is None:
                row.child_action = "add"
            elif season is not None and row.child_id not in in_season:
                row.child_action = "apply"
                in_season.add(row.child_id)  # once, if two guardians' rows name the child
            else:
                row.child_action = "left"
        preview.rows.append(row)
    if not preview.rows and not preview.hidden:
        raise ImportError_(_("The file has no rows under the header."))
    return preview


# 合计, 总计: a totals row HR keeps under the list. Compared after `normalise`, as a
# cell's start ("合计：8人"); the English words whole.
TOTALS = re.compile(r"^(合计|总计|小计|共计|总数|总人数|total|totals|sum|grandtotal)(?![a-z])")


def _totals_words(raw: list, values: dict) -> str:
    """The cell that makes a row a totals row ("合计"), or "": a row that starts with
    such a word (a count may stand under 工号), or has one and no employee number."""
    first = next((cell_text(c) for c in raw if cell_text(c)), "")
    if TOTALS.match(normalise(first)):
        return first
    number = cell_text(values.get("employee_number"))
    if number and not TOTALS.match(normalise(number)):
        return ""
    return next((cell_text(c) for c in raw if TOTALS.match(normalise(cell_text(c)))), "")


def _not_the_parent(row: Row, existing: dict) -> None:
    """A child named as the guardian on the same row is a column read wrongly (a
    parent's 姓名 taken for the child's), never a child to create."""
    v = row.values
    worker = existing.get(v["employee_number"])
    names = [v["worker_name"], worker.name if worker is not None else ""]
    if any(name and same_name(name, v["child_name"]) for name in names):
        row.problem(
            "child_name",
            _(
                "the same name as the parent on this row: check which column holds the "
                "child's name (map the columns below)"
            ),
        )


def _validate_worker(row: Row, values: dict, *, existing: dict, file_workers: dict) -> None:
    v = row.values
    for key in TEXT_FIELDS:
        v[key] = cell_text(values.get(key))
        limit = 1000 if key in ("allergies", "medical_notes") else 100
        if len(v[key]) > limit:
            row.problem(key, _("longer than %(n)d characters") % {"n": limit})
        elif key not in ("allergies", "medical_notes") and FORBIDDEN.search(v[key]):
            row.problem(key, _("contains < > { } or control characters"))
    number = v["employee_number"] = normalise_employee_number(v["employee_number"])
    if not EMPLOYEE_NUMBER.match(number):
        row.problem("employee_number", _("missing or not letters and digits"))
    elif number not in existing and number not in file_workers and not v["worker_name"]:
        # The name is what is missing, so the message sits on the name's column.
        row.problem(
            "worker_name",
            _("missing: employee number %(number)s is not registered yet") % {"number": number},
        )
    if v["phone"]:
        v["phone"] = normalise_phone(v["phone"])
        if not PHONE.match(v["phone"]):
            row.problem("phone", _("not an 11-digit mobile number"))
    for key, mapping in (("relationship", RELATIONSHIPS), ("shift", SHIFTS)):
        text = cell_text(values.get(key)).lower()
        v[key] = mapping.get(text, "") if text else ""
        if text and not v[key]:
            row.problem(key, _("“%(value)s” is not one of the allowed values") % {"value": text})


def _plan_worker(row: Row, *, existing: dict, file_workers: dict, update: bool) -> None:
    """Add a worker the factory does not have; for one it has, update phone,
    department and shift when HR asked for it, else leave it. A worker on several
    rows is planned on the first.

    One number under two names is a typo somewhere: saved, it would make the
    second parent's child the first parent's, so it is a problem of the row."""
    v = row.values
    number, name = v["employee_number"], v["worker_name"]
    worker = existing.get(number)
    if number in file_workers:
        first, first_name = file_workers[number]
        if name and first_name and not same_name(name, first_name):
            row.problem(
                "worker_name",
                _("employee number %(number)s is %(name)s in row %(row)d")
                % {"number": number, "name": first_name, "row": first},
            )
        # Planned (added, updated or left) by its first row: said so, not "left as is".
        row.worker_action = "same"
        row.worker_row = first
        return
    file_workers[number] = (row.number, name or (worker.name if worker else ""))
    if name and worker is not None and worker.on_roster and not same_name(name, worker.name):
        row.problem(
            "worker_name",
            _("employee number %(number)s is registered as %(name)s")
            % {"number": number, "name": worker.name},
        )
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
    from_id = _from_id_number(row, values)
    for key, mapping in (
        ("sex", SEXES),
        ("home_province", PROVINCE_KEYS),
        ("lives_with", LIVES_WITH),
    ):
        text = cell_text(values.get(key))
        if key == "home_province":
            v[key] = province_key(text) if text else ""
        else:
            v[key] = mapping.get(text.lower()) or mapping.get(text) or ""
        if text and not v[key]:
            row.problem(key, _("“%(value)s” is not one of the allowed values") % {"value": text})
    # Home province and lives-with are left to complete (details missing); a roster
    # has no such columns. Sex and birth date the roll call and the age check need.
    if from_id and not cell_text(values.get("sex")):
        v["sex"] = from_id[1]
    elif from_id and v["sex"] and v["sex"] != from_id[1]:
        row.problem("sex", _("the ID number says otherwise"))
    elif not cell_text(values.get("sex")):
        row.problem("sex", _("required for a child"))
    for key in ("date_of_birth", "arrival_date", "departure_date"):
        raw = values.get(key)
        v[key] = None
        if cell_text(raw):
            try:
                v[key] = parse_date(raw)
            except ValueError:
                row.problem(
                    key,
                    _("“%(value)s” is not a date; write it as one of %(formats)s")
                    % {"value": cell_text(raw), "formats": DATE_FORMATS},
                )
    if from_id and v["date_of_birth"] is None and not cell_text(values.get("date_of_birth")):
        v["date_of_birth"], row.from_id = from_id[0], True
    born = v["date_of_birth"]
    if born is None and not cell_text(values.get("date_of_birth")):
        if "id_number" not in row.layout.columns or not cell_text(values.get("id_number")):
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
    # The application's stay (an empty date is the season's, see save) must meet
    # the season: a stay outside it is a typo, and one ending before it starts
    # would break the enrollment's date constraint.
    outside = season is not None and (
        ("arrival_date" if arrival and arrival > season.end_date else "")
        or ("departure_date" if departure and departure < season.start_date else "")
    )
    if outside:
        row.problem(
            outside,
            _("outside the season (%(start)s to %(end)s)")
            % {"start": season.start_date, "end": season.end_date},
        )
    elif arrival and departure and departure < arrival:
        row.problem("departure_date", _("before the arrival date"))


def _from_id_number(row: Row, values: dict):
    """(birth date, sex) from the row's ID number token when the birth date cell is
    empty (only then: a column 身份证号 may be the parent's); the number itself was
    replaced when the file was read (idcard)."""
    text = cell_text(values.get("id_number"))
    if not text or cell_text(values.get("date_of_birth")):
        return None
    try:
        facts = idcard.read_token(text)
    except ValueError:
        row.problem(
            "id_number",
            _(
                "not a valid ID number: its check digit or date is wrong (Excel drops the "
                "last digits of a number typed as a number: format the column as text)"
            ),
        )
        return None
    if facts is None:
        row.problem("id_number", _("not an 18-digit ID number, and the birth date is missing"))
    return facts


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
            if row.child_action == "apply":
                enrollments.append((Child(pk=row.child_id), v))
            if row.child_action != "add":
                continue
            child = Child.from_application(factory, v)
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
