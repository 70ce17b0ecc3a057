"""Importing a roster of workers and children from a spreadsheet: upload,
column mapping, a row-by-row preview, then all rows saved or none."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from factories.models import Factory
from spaces.models import Season

from .. import imports
from ..forms import (
    ColumnMappingForm,
    ImportForm,
)
from .scope import factory_for_hr


@login_required
def import_template(request: HttpRequest, factory_id: int) -> HttpResponse:
    factory_for_hr(request.user, factory_id)
    response = HttpResponse(
        imports.template_workbook(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="import-template.xlsx"'
    return response


@login_required
def import_people(request: HttpRequest, factory_id: int) -> HttpResponse:
    """Upload, preview every row (and map the columns if need be), then confirm:
    nothing is saved before that. The file waits in the session in between."""
    factory = factory_for_hr(request.user, factory_id)
    form = ImportForm(request.POST or None, request.FILES or None, factory=factory)
    preview = None
    if request.method == "POST" and any(k in request.POST for k in ("confirm", "remap", "hidden")):
        pending = request.session.get(_import_key(factory))
        if not pending or "header_index" not in pending:  # none, or an older page's
            messages.error(request, _("Nothing to import: upload the file again."))
            return redirect("enrollment:import", factory_id=factory.pk)
        form = ImportForm(factory=factory)
        season = Season.objects.filter(factory=factory, pk=pending["season"]).first()
        try:
            preview = _preview_pending(request, factory, season, pending)
        except imports.ImportError_ as exc:
            messages.error(request, str(exc))
            return redirect("enrollment:import", factory_id=factory.pk)
        if "confirm" in request.POST and preview.ready:
            created, updated, children = imports.save(
                preview, factory=factory, season=season, user=request.user
            )
            del request.session[_import_key(factory)]
            messages.success(
                request,
                _("Imported %(w)d new workers and %(c)d children; %(u)d workers updated.")
                % {"w": created, "c": children, "u": updated},
            )
            return redirect("spaces:factory-detail", factory_id=factory.pk)
    elif request.method == "POST" and form.is_valid():
        preview = _preview_upload(request, factory, form)
    return render(
        request,
        "enrollment/import.html",
        {
            "factory": factory,
            "form": form,
            "preview": preview,
            "mapping_form": ColumnMappingForm(layout=preview.layout) if preview else None,
            "rows_shown": preview.rows[:PREVIEW_ROWS] if preview else [],
        },
    )


PREVIEW_ROWS = 500


def _import_key(factory: Factory) -> str:
    return f"import-{factory.pk}"


def _preview_upload(request: HttpRequest, factory: Factory, form: ImportForm):
    """Read and check an uploaded file; keep it in the session for the next step
    (ID numbers are already replaced by what they say: see imports.idcard)."""
    season, update = form.cleaned_data["season"], form.cleaned_data["update_workers"]
    try:
        sheet = imports.read_rows(form.cleaned_data["file"])
        preview = imports.validate(sheet, factory=factory, season=season, update_workers=update)
    except imports.ImportError_ as exc:
        form.add_error("file", str(exc))
        return None
    request.session[_import_key(factory)] = {
        **sheet.to_session(),
        "season": season.pk if season else None,
        "update_workers": update,
        "include_hidden": False,
        "header_index": preview.layout.header_index,
        "mapping": {str(i): key for i, key in preview.layout.mapping().items()},
        "remembered": preview.layout.remembered,
    }
    return preview


def _preview_pending(request: HttpRequest, factory: Factory, season, pending: dict):
    """Check the file kept in the session again, with the columns HR just mapped if
    they did (remembered for the factory's next file with the same header row; a new
    header row is read afresh), or with the hidden rows let in or out."""
    sheet = imports.Sheet.from_session(pending)
    rows, spans = sheet.rows, sheet.spans
    mapping = {int(i): key for i, key in pending["mapping"].items()}
    layout = imports.layout_from_mapping(rows, pending["header_index"], mapping, spans=spans)
    layout.remembered = pending.get("remembered")
    mapping_form = ColumnMappingForm(request.POST, layout=layout)
    if "remap" in request.POST and mapping_form.is_valid():
        header_index = mapping_form.cleaned_data["header_row"] - 1
        if header_index != layout.header_index:
            layout = imports.layout_at(
                rows, header_index, imports.remembered_mapping(factory), spans=spans
            )
        else:
            layout = imports.layout_from_mapping(
                rows, header_index, mapping_form.mapping(), spans=spans
            )
            imports.remember_mapping(factory, layout, request.user)
    if "hidden" in request.POST:
        pending["include_hidden"] = request.POST.get("hidden") == "include"
    preview = imports.validate(
        sheet,
        factory=factory,
        season=season,
        layout=layout,
        update_workers=pending["update_workers"],
        include_hidden=pending.get("include_hidden", False),
    )
    pending["header_index"] = layout.header_index
    pending["mapping"] = {str(i): key for i, key in layout.mapping().items()}
    pending["remembered"] = layout.remembered
    request.session.modified = True
    return preview
