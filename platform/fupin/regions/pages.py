"""Region browser: province → prefecture → county → townships, with poverty flags."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from fupin.core.policy import PUBLIC
from fupin.core.routing import page
from fupin.core.tabular import ImportReport
from fupin.core.web import error_items, page_args, read_form, redirect, render, require_login
from fupin.errors import FupinError, InvalidInput
from fupin.i18n import _
from fupin.regions import service as regions


async def region_index(request: Request) -> Response:
    provinces = await regions.choices("province")
    return render(request, "regions/index.html", {"provinces": provinces})


async def region_detail(request: Request) -> Response:
    region = await regions.get_region(request.path_params["code"])
    page, per_page = page_args(request, default_per_page=100, max_per_page=500)
    children = await regions.list_regions(parent=region.code, page=page, per_page=per_page)
    trail = await regions.ancestors(region)
    context: dict[str, Any] = {"region": region, "children": children, "trail": trail}
    # The needs, money and deliveries of the place come from areas above regions (money's
    # place panel), composed by the app (fupin.app), so that regions imports none of them.
    for panel in getattr(request.app.state, "place_page_panels", []):
        context.update(await panel(region))
    return render(request, "regions/detail.html", context)


async def poverty_counties(request: Request) -> Response:
    page, per_page = page_args(request, default_per_page=100, max_per_page=900)
    province = request.query_params.get("province") or None
    listing = await regions.list_regions(
        level="county", poverty_only=True, province=province, page=page, per_page=per_page
    )
    provinces = await regions.choices("province")
    return render(
        request,
        "regions/poverty.html",
        {"listing": listing, "provinces": provinces, "province": province},
    )


#: The forms of the county's village page; each names its fields so that an error is shown by
#: the form that was sent (the services name the village ``code`` and the new ``name``).
FORMS: dict[str, tuple[str, ...]] = {
    "add": ("township_code", "code", "name"),
    "rename": ("village", "new_name"),
    "merge": ("merged", "into"),
    "poor": ("poor_village", "is_poor", "identified_year", "exited_year"),
}
_SERVICE_FIELD = {"rename": {"code": "village", "name": "new_name"}, "merge": {"code": "merged"}}


def _errors(kind: str, error: FupinError | None) -> dict[str, str]:
    if error is None:
        return {}
    if kind not in FORMS:
        return {error.field or "file": error.message}
    rename = _SERVICE_FIELD.get(kind, {})
    found: dict[str, str] = {}
    for field, message in error_items(error):
        name = rename.get(field or "", field or "")
        if kind == "poor" and name == "code":
            name = "poor_village"
        found.setdefault(name if name in FORMS[kind] else FORMS[kind][0], message)
    return found


async def _villages_page(
    request: Request,
    *,
    kind: str = "",
    values: dict[str, str] | None = None,
    error: FupinError | None = None,
    report: ImportReport | None = None,
) -> Response:
    county = await regions.county_page(require_login(request), request.path_params["code"])
    page_no, per_page = page_args(request, default_per_page=100, max_per_page=500)
    filters = {
        key: (request.query_params.get(key) or "").strip()[:64] for key in ("township", "q", "poor")
    }
    listing = await regions.county_villages(county, **filters, page=page_no, per_page=per_page)
    return render(
        request,
        "regions/villages.html",
        {
            "county": county,
            "listing": listing,
            "townships": await regions.townships_of(county),
            "filters": filters,
            "form_kind": kind,
            "values": values or {},
            "field_errors": _errors(kind, error) if kind else {},
            "error": error,
            "report": report,
            "poor_columns": regions.POOR_COLUMNS,
        },
        status_code=error.status if error else (422 if report and not report.ok else 200),
    )


async def county_villages(request: Request) -> Response:
    return await _villages_page(request)


async def _edit(request: Request, kind: str) -> Response:
    current = require_login(request)
    county = await regions.county_page(current, request.path_params["code"])
    form = await read_form(request)
    values = {name: str(form.get(name) or "").strip() for name in FORMS[kind]}
    try:
        if kind == "add":
            village = await regions.add_village(
                current,
                township_code=values["township_code"],
                code=values["code"],
                name=values["name"],
            )
            flash = _("已添加：%(name)s", name=village.name)
        elif kind == "rename":
            village = await regions.rename_village(
                current, values["village"], name=values["new_name"]
            )
            flash = _("已改名：%(name)s", name=village.name)
        elif kind == "merge":
            village = await regions.merge_village(current, values["merged"], into=values["into"])
            flash = _("已并入：%(name)s → %(into)s", name=village.name, into=values["into"])
        else:
            village = await regions.set_poor_flag(
                current,
                values["poor_village"],
                is_poor=values["is_poor"],
                identified=values["identified_year"],
                exited=values["exited_year"],
            )
            flash = _("已更新贫困村标识：%(name)s", name=village.name)
    except FupinError as error:
        if error.status in (401, 403):
            raise
        return await _villages_page(request, kind=kind, values=values, error=error)
    return redirect(request, f"/regions/{county.code}/villages", flash=flash)


async def village_add(request: Request) -> Response:
    return await _edit(request, "add")


async def village_rename(request: Request) -> Response:
    return await _edit(request, "rename")


async def village_merge(request: Request) -> Response:
    return await _edit(request, "merge")


async def village_poor(request: Request) -> Response:
    return await _edit(request, "poor")


async def poor_import(request: Request) -> Response:
    """The county's poor-village list as CSV/XLSX: ``then=dry_run`` reports every row's
    problems and writes nothing; ``then=commit`` writes all rows, or none if any is wrong."""
    current = require_login(request)
    county = await regions.county_page(current, request.path_params["code"])
    form = await read_form(request)
    upload = form.get("file")
    commit = form.get("then") == "commit"
    if not isinstance(upload, UploadFile) or not upload.filename:
        error = InvalidInput(_("请选择要上传的文件。"), field="file")
        return await _villages_page(request, kind="upload", error=error)
    data = await upload.read()
    try:
        report = await regions.poor_import(current, county, data, upload.filename, commit=commit)
    except InvalidInput as error:
        return await _villages_page(request, kind="upload", error=error)
    if report.committed:
        return redirect(
            request,
            f"/regions/{county.code}/villages?poor=yes",
            flash=_("已导入贫困村标识：%(n)s 行。", n=report.rows),
        )
    return await _villages_page(request, kind="upload", report=report)


async def poor_template(request: Request) -> Response:
    """The upload's columns with one example row of the county's own (its first village)."""
    county = await regions.county_page(require_login(request), request.path_params["code"])
    return Response(
        await regions.poor_template_csv(county),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="poor-villages.csv"'},
    )


async def region_changes(request: Request) -> Response:
    changes = await regions.county_changes(require_login(request))
    return render(request, "regions/changes.html", {"changes": changes})


routes = [
    page("/regions", region_index, name="regions", action=PUBLIC),
    page("/regions/poverty-counties", poverty_counties, name="poverty_counties", action=PUBLIC),
    page("/regions/changes", region_changes, name="region_changes", action="region.changes.view"),
    page("/regions/{code:region}", region_detail, name="region", action=PUBLIC),
    page(
        "/regions/{code:region}/villages",
        county_villages,
        methods=["GET"],
        name="county_villages",
        action="region.edit",
    ),
    page(
        "/regions/{code:region}/villages",
        village_add,
        methods=["POST"],
        name="village_add",
        action="region.edit",
    ),
    page(
        "/regions/{code:region}/villages/rename",
        village_rename,
        methods=["POST"],
        name="village_rename",
        action="region.edit",
    ),
    page(
        "/regions/{code:region}/villages/poor",
        village_poor,
        methods=["POST"],
        name="village_poor",
        action="region.edit",
    ),
    page(
        "/regions/{code:region}/villages/poor-import",
        poor_import,
        methods=["POST"],
        name="village_poor_import",
        action="region.edit",
    ),
    page(
        "/regions/{code:region}/villages/poor-template.csv",
        poor_template,
        methods=["GET"],
        name="village_poor_template",
        action="region.edit",
    ),
    page(
        "/regions/{code:region}/villages/merge",
        village_merge,
        methods=["POST"],
        name="village_merge",
        action="region.edit",
    ),
]
