"""GET /regions, /regions/{code}."""

from __future__ import annotations

from starlette.datastructures import UploadFile
from starlette.requests import Request

from fupin.core.endpoints import Endpoint
from fupin.core.policy import PUBLIC, Actor, place_scope
from fupin.core.schemas import Page, validate_form
from fupin.core.tabular import MAX_BYTES
from fupin.core.web import actor
from fupin.errors import InvalidInput
from fupin.i18n import _
from fupin.regions import models
from fupin.regions import service as regions
from fupin.regions.schemas import (
    PoorVillageFlag,
    PoorVillageImportReport,
    PoorVillageUpload,
    Region,
    RegionChangeList,
    RegionPath,
    RegionQuery,
    VillageCreate,
    VillageMerge,
    VillageRename,
)


async def list_regions(request: Request, *, query: RegionQuery) -> regions.RegionPage:
    return await regions.list_regions(
        level=query.level,
        parent=query.parent,
        q=query.q,
        province=query.province,
        poverty_only=query.poverty_county,
        page=query.page,
        per_page=query.per_page,
        scope=place_scope(actor(request)),
    )


async def get_region(request: Request, *, path: RegionPath) -> models.Region:
    return await regions.get_region(path.code)


async def add_village(
    request: Request, *, actor: Actor, path: RegionPath, body: VillageCreate
) -> models.Region:
    county = await regions.county_page(actor, path.code)
    if not body.township_code.startswith(county.code):
        raise InvalidInput(
            _("乡镇不在本县：%(code)s", code=body.township_code), field="township_code"
        )
    return await regions.add_village(
        actor, township_code=body.township_code, code=body.code, name=body.name
    )


async def rename_village(
    request: Request, *, actor: Actor, path: RegionPath, body: VillageRename
) -> models.Region:
    return await regions.rename_village(actor, path.code, name=body.name)


async def merge_village(
    request: Request, *, actor: Actor, path: RegionPath, body: VillageMerge
) -> models.Region:
    return await regions.merge_village(actor, path.code, into=body.into)


async def set_poor_flag(
    request: Request, *, actor: Actor, path: RegionPath, body: PoorVillageFlag
) -> models.Region:
    village = await regions.set_poor_flag(
        actor,
        path.code,
        is_poor="yes" if body.is_poor else "no",
        identified="" if body.identified_year is None else str(body.identified_year),
        exited="" if body.exited_year is None else str(body.exited_year),
    )
    return await regions.get_region(village.code)


async def upload_poor_villages(
    request: Request, *, actor: Actor, path: RegionPath
) -> PoorVillageImportReport:
    """The page's CSV/XLSX upload for a county's own system: a dry run by default, ``commit``
    to write — the same checks and all-or-nothing write as the page."""
    county = await regions.county_page(actor, path.code)
    form = await request.form(max_files=1, max_fields=4)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise InvalidInput(_("请以 multipart/form-data 上传文件字段 file。"), field="file")
    data = await upload.read(MAX_BYTES + 1)  # read_rows refuses anything over the limit
    fields = validate_form(PoorVillageUpload, {"file": data, "commit": form.get("commit") or False})
    report = await regions.poor_import(
        actor, county, fields.file, upload.filename or "upload.csv", commit=fields.commit
    )
    return PoorVillageImportReport.model_validate(report)


async def region_changes(request: Request, *, actor: Actor) -> dict[str, object]:
    return {"items": await regions.county_changes(actor)}


endpoints = [
    Endpoint(
        "GET",
        "/regions/changes",
        region_changes,
        "The counties' edits of the village registry (a province office: its province's; latest 200)",
        auth="required",
        response=RegionChangeList,
        action="region.changes.view",
    ),
    Endpoint(
        "GET",
        "/regions",
        list_regions,
        "Administrative divisions (GB/T 2260), filterable; level=village&q= is the village picker (within the caller's county or province)",
        query=RegionQuery,
        response=Page[Region],
        action=PUBLIC,
    ),
    Endpoint(
        "GET",
        "/regions/{code}",
        get_region,
        "One region",
        params=RegionPath,
        response=Region,
        errors=(404,),
        action=PUBLIC,
    ),
]

endpoints += [
    Endpoint(
        "POST",
        "/regions/{code}/villages",
        add_village,
        "The county adds a village the registry lacks under one of its townships (audited)",
        params=RegionPath,
        body=VillageCreate,
        auth="required",
        response=Region,
        status=201,
        errors=(404, 409),
        action="region.edit",
    ),
    Endpoint(
        "POST",
        "/regions/{code}/rename",
        rename_village,
        "The county renames one of its villages (history kept, audited)",
        params=RegionPath,
        body=VillageRename,
        auth="required",
        response=Region,
        errors=(404, 409),
        action="region.edit",
    ),
    Endpoint(
        "POST",
        "/regions/{code}/merge",
        merge_village,
        "The county marks one of its villages merged into another of its villages (needs and "
        "money stay with the merged village; audited)",
        params=RegionPath,
        body=VillageMerge,
        auth="required",
        response=Region,
        errors=(404, 409),
        action="region.edit",
    ),
    Endpoint(
        "PUT",
        "/regions/{code}/poor-village",
        set_poor_flag,
        "The county sets the poor-village flag (建档立卡贫困村) of one of its villages and its years",
        params=RegionPath,
        body=PoorVillageFlag,
        auth="required",
        response=Region,
        errors=(404,),
        action="region.edit",
    ),
    Endpoint(
        "POST",
        "/regions/{code}/poor-villages/import",
        upload_poor_villages,
        "The county uploads its poor-village list (CSV/XLSX): a row-by-row dry run, or with "
        "commit=true every row written in one transaction (none when any row is wrong)",
        params=RegionPath,
        form=PoorVillageUpload,
        auth="required",
        response=PoorVillageImportReport,
        errors=(400, 404),
        action="region.edit",
    ),
]
