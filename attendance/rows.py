"""The roll call's rows as the page and a tap show them.

A page renders one row per child (80 in a large group). Translating the same
words, reversing the same URLs and walking the models in Django's template
language once per child was most of the page's CPU, so each row is worked out
here as plain strings (`Row`), with the words and URLs done once per page
(`RowWords`), and rendered by a Jinja2 template
(templates/attendance/_roll_call_row.jinja), which Jinja2 compiles to Python.
The rarer parts of a row (a conflict to settle, the check-out form) and the
header stay Django templates.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.template.backends.utils import csrf_input
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext

from spaces.models import Group

from .models import NO_RECORD, Attendance
from .roll_call import RosterRow

ROW_TEMPLATE = "attendance/_roll_call_row.jinja"
ROWS_TEMPLATE = "attendance/_roll_call_rows.jinja"

# Links a higher floor adds to every child's row (safeguarding: raise a
# concern): each a function returning (label, the URL for enrollment id 0).
ROW_LINKS: list = []


@dataclass(slots=True)
class Row:
    """One child's row: strings and flags only, all the template reads."""

    pk: str
    name: str
    initial: str
    age: str
    allergies: str
    allergies_short: str
    mark_url: str
    out_url: str
    record: bool = False
    status: str = ""
    status_label: str = ""
    reason_label: str = ""
    version: str = NO_RECORD
    here: bool = False
    still_here: bool = False
    check_in: str = ""
    check_out: str = ""
    picked_up_by: str = ""
    # What the floors above show on the row (a parent's answer for the day).
    notes: list[str] = field(default_factory=list)


class RowWords:
    """What every row of one page says and links to, worked out once per page."""

    def __init__(self, group: Group, day: datetime.date):
        self.day = day
        self.is_today = day == timezone.localdate()
        self.after_closing = self.is_today and timezone.localtime().time() >= group.season.closes_at
        self.words = SimpleNamespace(
            allergy=gettext("Allergy"),
            in_=gettext("in"),
            out=gettext("out"),
            saved=gettext("Saved"),
            not_marked=gettext("Not marked yet"),
            still_here=gettext("Still here after closing"),
            present=gettext("Present"),
            late=gettext("Late"),
            absent=gettext("Absent"),
            excused=gettext("Excused"),
            check_out=gettext("Check out"),
            why_absent=gettext("Why is the child absent?"),
        )
        self.statuses = {value: str(label) for value, label in Attendance.Status.choices}
        self.reasons = {value: str(label) for value, label in Attendance.AbsenceReason.choices}
        self.ages: dict[int, str] = {}
        # Each child's URLs differ only in its id, the last number of the path.
        mark = reverse("attendance:roll-call-mark", args=[group.pk, day, 0])
        self.mark_prefix = mark.rpartition("/0/")[0] + "/"

    def age(self, years: int) -> str:
        if years not in self.ages:
            self.ages[years] = ngettext("%(age)s year", "%(age)s years", years) % {"age": years}
        return self.ages[years]

    def row(self, roster_row: RosterRow) -> Row:
        enrollment = roster_row.enrollment
        child = enrollment.child
        mark_url = f"{self.mark_prefix}{enrollment.pk}/"
        row = Row(
            pk=str(enrollment.pk),
            name=child.name,
            initial=child.name[:1],
            age=self.age(child.age_on(self.day)),
            allergies=child.allergies,
            allergies_short=Truncator(child.allergies).chars(24) if child.allergies else "",
            mark_url=mark_url,
            out_url=mark_url + "check-out/",
            notes=roster_row.notes,
        )
        record = roster_row.record
        if record is not None:
            row.record = True
            row.status = record.status
            row.status_label = self.statuses.get(record.status, record.status)
            row.reason_label = self.reasons.get(record.absence_reason, record.absence_reason)
            row.version = record.version
            row.here = record.is_here
            row.still_here = row.here and self.after_closing
            row.check_in = _hh_mm(record.check_in_at)
            row.check_out = _hh_mm(record.check_out_at)
            row.picked_up_by = record.picked_up_by
        return row

    def context(self, **extra) -> dict:
        if not hasattr(self, "links"):
            # (label, URL up to the id): worked out once per page.
            self.links = [(label, url.rpartition("/0/")[0] + "/") for label, url in
                          (link() for link in ROW_LINKS)]  # fmt: skip
        return {
            "row_links": self.links,
            "words": self.words,
            "is_today": self.is_today,
            "absence_reasons": Attendance.AbsenceReason.choices,
            **extra,
        }


def _hh_mm(moment: datetime.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%H:%M") if moment else ""


def render_rows(request, words: RowWords, roster: list[RosterRow], *, can_edit: bool) -> SafeString:
    """The page's rows, one after the other, in one render. The CSRF field is
    made once: the one Django's Jinja2 backend adds is lazy, masked anew for
    every row that prints it."""
    rows = [words.row(r) for r in roster]
    context = words.context(rows=rows, can_edit=can_edit, csrf_input=csrf_input(request))
    # Jinja2 escaped every value as it rendered them.
    return mark_safe(render_to_string(ROWS_TEMPLATE, context, using="jinja2"))


def render_row(request, context: dict, *, header: bool = True) -> str:
    """One row answered alone (a tap), then the header swapped in out of band
    (`header=False`: the row alone, for a batch that adds the header once).
    `context` holds `row`, the words and the models its rarer parts read."""
    if context.get("conflict"):
        context["conflict_html"] = render_to_string(
            "attendance/_roll_call_conflict.html", context, request
        )
    if context.get("checkout_form"):
        context["checkout_html"] = render_to_string(
            "attendance/_roll_call_checkout.html", context, request
        )
    row = render_to_string(ROW_TEMPLATE, context, request, using="jinja2")
    if not header:
        return row
    return row + render_header(request, context) + "\n"


def render_header(request, context: dict) -> str:
    return render_to_string("attendance/_roll_call_header.html", context, request)
