import csv
import io
import re
from urllib.parse import quote

import xlsxwriter
from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from attendance.figures import percent
from factories.models import Factory
from factories.scoping import CHILDREN_STAFF, OVERSEERS, STAFF
from impact.suppression import hidden_text, suppress_season_report
from spaces.models import Group, Season
from spaces.scope import season_for

from . import report

REPORT_ROLES = STAFF
DATE = forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"},
                       format="%Y-%m-%d")  # fmt: skip


class ReportFilterForm(forms.Form):
    date_from = forms.DateField(label=gettext_lazy("From"), required=False, widget=DATE)
    date_to = forms.DateField(label=gettext_lazy("To"), required=False, widget=DATE)
    group = forms.ModelChoiceField(
        label=gettext_lazy("Group"), queryset=Group.objects.none(), required=False,
        empty_label=gettext_lazy("All groups"),
    )  # fmt: skip

    def __init__(self, *args, season: Season, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = season.groups.all()
        self.fields["group"].widget.attrs["class"] = "form-select form-select-sm"


def _report_for(request: HttpRequest, season_id: int) -> tuple[Season, dict, ReportFilterForm]:
    season = season_for(request.user, season_id, REPORT_ROLES)
    form = ReportFilterForm(request.GET or None, season=season)
    # Each valid field filters and a bad one is left out: a bad date never drops
    # the group the form still shows as chosen.
    filters = {}
    if form.is_bound:
        form.is_valid()  # cleans every field; cleaned_data keeps the valid ones
        filters = form.cleaned_data
    data = report.season_report(
        season,
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
        group=filters.get("group"),
    )
    if not _sees_children(request.user, season):
        # A window or group other than the whole season's is "filtered": the
        # breakdowns that depend on them are not published for it.
        whole = (season.start_date, min(season.end_date, timezone.localdate()))
        filtered = filters.get("group") is not None or (
            data["date_from"], data["date_to"]) != whole  # fmt: skip
        data = suppress_season_report(
            data, published=report.manager_breakdowns(season), filtered=filtered
        )
    return season, data, form


def _sees_children(user, season: Season) -> bool:
    """HR and coordinators see the children, so their counts too; a manager gets
    the breakdowns of children with small cells suppressed."""
    return Season.objects.for_roles(user, *CHILDREN_STAFF).filter(pk=season.pk).exists()


@login_required
def season_report(request: HttpRequest, season_id: int) -> HttpResponse:
    season, data, form = _report_for(request, season_id)
    chart = {
        "labels": [row["date"].strftime("%m-%d") for row in data["daily"]],
        "present": [row["attended"] for row in data["daily"]],
        "expected": [row["expected"] for row in data["daily"]],
        "present_label": _("Present"),
        "expected_label": _("Expected"),
    }
    return render(
        request,
        "reports/season_report.html",
        {"season": season, "r": data, "form": form, "chart": chart,
         "query": request.GET.urlencode()},
    )  # fmt: skip


def _tables(data: dict) -> list[tuple[str, list[str], list[list]]]:
    """Every table of the report, as the screen shows it: (title, header, rows)."""

    def pct(value):
        return round(value * 100, 1) if value is not None else ""

    # A table with a hidden cell ends on the note that says how to read it;
    # one whose figures are not published for this report says why.
    note = data.get("suppression_note")
    withheld = data.get("withheld_note")
    tables = [
        (_("Headline"), [_("Figure"), _("Value")], [
            [_("Children enrolled"), data["enrolled"]],
            [_("Capacity used (%)"), pct(data["capacity_used"])],
            [_("Attendance rate (%)"), pct(data["attendance_rate"])],
            [_("Days open"), data["days_open"]],
            [_("Average daily attendance"), round(data["average_daily"] or 0, 1)],
            [_("Left-behind children"), data["left_behind"]],
            [_("Teachers"), data["teachers"]],
            [_("Days the ratio was kept"), data["ratio_kept_days"]],
            [_("Incidents"), data["incidents"]],
            [_("Average check-in"), data["average_check_in"] or ""],
            [_("Average check-out"), data["average_check_out"] or ""],
        ]),
        (_("Enrollment"), [_("Status"), _("Children")], [[str(k), n] for k, n in data["statuses"]]),
        (_("Ages"), [_("Age band"), _("Children")], [list(r) for r in data["by_age"]]),
        (_("Sex"), [_("Sex"), _("Children")], [list(r) for r in data["by_sex"]]),
        (_("Home provinces"), [_("Province"), _("Children")],
         [list(r) for r in data["by_province"]]),
        (_("Daily attendance"), [_("Date"), _("Expected"), _("Present"), _("Excused")],
         [[r["date"], r["expected"], r["attended"], r["excused"]] for r in data["daily"]]),
        (_("By group"), [_("Group"), _("Expected"), _("Present"), _("Attendance rate (%)")],
         [[r["group__name"], r["expected"], r["attended"], pct(r["rate"])]
          for r in data["by_group"]]),
        (_("By week"), [_("Week"), _("Expected"), _("Present"), _("Attendance rate (%)")],
         [[r["week"], r["expected"], r["attended"], pct(r["rate"])] for r in data["by_week"]]),
        (_("Absences"), [_("Reason"), _("Days")], [list(r) for r in data["absence_reasons"]]),
        (_("Incidents"), [_("Kind"), _("Number")], [list(r) for r in data["incidents_by_kind"]]),
        (_("Severity"), [_("Severity"), _("Number")],
         [list(r) for r in data["incidents_by_severity"]]),
    ]  # fmt: skip
    if withheld:
        children = {str(t) for t in (_("Ages"), _("Sex"), _("Home provinces"), _("Absences"))}
        tables = [
            (title, header, rows + [[withheld]] if str(title) in children and not rows else rows)
            for title, header, rows in tables
        ]
    if not note:
        return tables
    return [
        (title, header, rows + [[note]] if any(hidden_text() in row for row in rows) else rows)
        for title, header, rows in tables
    ]


@login_required
def season_report_export(request: HttpRequest, season_id: int, export_format: str) -> HttpResponse:
    """The report's tables as an Excel workbook (a sheet each) or one CSV."""
    season, data, _form = _report_for(request, season_id)
    tables = _tables(data)
    if export_format == "xlsx":
        response = HttpResponse(_workbook(tables), content_type=XLSX)
    elif export_format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for title, header, rows in tables:
            writer.writerow([str(title)])
            writer.writerow([str(h) for h in header])
            writer.writerows([_csv_cell(v) for v in row] for row in rows)  # a date: 2026-07-08
            writer.writerow([])
        # With a BOM, Excel in China opens the UTF-8 file with the Chinese intact.
        response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv")
    else:
        raise Http404
    response["Content-Disposition"] = _attachment(season, export_format)
    return response


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value):
    """A text as text when Excel opens the CSV: one that starts like a formula
    (a group named "=HYPERLINK(...)") gets a leading apostrophe (OWASP's advice)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return f"'{value}"
    return value


def _workbook(tables) -> bytes:
    """One sheet per table; dates as Excel dates. XlsxWriter writes a report's
    tables in a few milliseconds (openpyxl's writer took 55-75 ms, more than
    the report). A text is always a text: a name such as "=1+1" is never
    turned into a formula, a number or a link."""
    buffer = io.BytesIO()
    options = {
        "in_memory": True,
        "strings_to_formulas": False,
        "strings_to_numbers": False,
        "strings_to_urls": False,
        "default_date_format": "yyyy-mm-dd",
    }
    with xlsxwriter.Workbook(buffer, options) as book:
        used: set[str] = set()
        for title, header, rows in tables:
            sheet = book.add_worksheet(_sheet_name(title, used))
            sheet.write_row(0, 0, [str(h) for h in header])
            for number, row in enumerate(rows, start=1):
                sheet.write_row(number, 0, row)
    return buffer.getvalue()


NOT_IN_SHEET_NAMES = re.compile(r"[\\/*?:\[\]\x00-\x1f]")


def _sheet_name(title, used: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of \\ / * ? : [ ], each name once."""
    base = NOT_IN_SHEET_NAMES.sub("_", str(title)).strip("'")[:31] or "Sheet"
    name, n = base, 1
    while name.lower() in used:
        n += 1
        name = f"{base[: 31 - len(str(n)) - 1]}~{n}"
    used.add(name.lower())
    return name


UNSAFE_IN_FILENAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+|\s+')


def _attachment(season: Season, extension: str) -> str:
    """`attachment` named after the factory, season and today's date, in UTF-8
    (filename*, RFC 6266) with a plain ASCII name for old clients."""
    today = timezone.localdate().isoformat()
    name = "-".join(
        UNSAFE_IN_FILENAMES.sub("_", part).strip("._") or "_"
        for part in (season.factory.name_zh, season.name, today)
    )
    code = slugify(season.factory.code) or season.factory_id
    fallback = f"season-report-{code}-{season.pk}-{today}"
    return (
        f'attachment; filename="{fallback}.{extension}"; '
        f"filename*=UTF-8''{quote(f'{name}.{extension}', safe='')}"
    )


@login_required
def programme_dashboard(request: HttpRequest) -> HttpResponse:
    factories = Factory.objects.for_roles(request.user, *OVERSEERS)
    sort = request.GET.get("sort", "factory")
    sort = sort if sort.lstrip("-") in report.SORTS else "factory"
    data = report.dashboard(factories, sort=sort, page=request.GET.get("page"))
    for row in data["rows"]:  # formatted once here: quicker than a filter per cell
        share = percent(row["rate"])
        row["rate_pct"] = "—" if share is None else f"{share}%"
    labels = {"taken_label": _("Taken"), "not_yet_label": _("Not yet")}
    return render(request, "reports/dashboard.html", {**data, **labels, "sort": sort})
