"""The regions API contract: a region, and the filters of the region list."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field

from fupin.core.schemas import Body, Out, PageQuery, PathParams, RegionCode
from fupin.regions.models import LEVELS

Level = Literal[LEVELS]  # the tuple spreads: Literal["province", "prefecture", …]


class Region(Out):
    """An administrative division (GB/T 2260 codes; NBS codes below the county)."""

    code: str
    name: str
    level: Level
    kind: str = Field(description="Administrative type as published (省, 自治州, 县, 镇, 村 …)")
    parent_code: str | None = Field(validation_alias="parent_id")
    province_code: str
    prefecture_code: str
    county_code: str
    full_name: str
    is_poverty_county: bool = Field(description="One of the 832 national poverty counties")
    is_key_county: bool | None = Field(
        description="国家扶贫开发工作重点县; null where no complete list is known"
    )
    contiguous_area: str
    sanqu_sanzhou: bool = Field(description="三区三州 deep-poverty area")
    exit_year: int | None
    is_poor_village: bool
    poor_identified_year: int | None = Field(description="建档立卡: the year identified")
    poor_exited_year: int | None = Field(description="建档立卡: the year it exited")
    origin: str = Field(description="registry (data/ files), county (added by a county), generated")
    merged_into_code: str | None = Field(
        validation_alias="merged_into_id", description="The village this one was merged into"
    )
    is_generated: bool = Field(description="A demo village generated under a real township")


class RegionQuery(PageQuery):
    level: Level | None = None
    parent: RegionCode | None = Field(None, description="Children of this region")
    province: RegionCode | None = Field(None, description="Province code")
    q: str | None = Field(None, max_length=64, description="Part of the name")
    poverty_county: bool = Field(False, description="Only the national poverty counties")


class RegionPath(PathParams):
    code: RegionCode


VillageCode = Annotated[str, Field(pattern=r"^[0-9]{12}$", description="12-digit village code")]
TownshipCode = Annotated[str, Field(pattern=r"^[0-9]{9}$", description="9-digit township code")]
PlaceName = Annotated[str, Field(min_length=1, max_length=64)]


class VillageCreate(Body):
    """A village the registry lacks, under one of the county's townships."""

    township_code: TownshipCode
    code: VillageCode = Field(description="12 digits beginning with the township code")
    name: PlaceName


class VillageRename(Body):
    name: PlaceName


class VillageMerge(Body):
    into: VillageCode = Field(description="A current village of the same county")


class PoorVillageFlag(Body):
    """建档立卡贫困村 and its years (2014 to this year; the exit not before identification)."""

    is_poor: bool
    identified_year: int | None = Field(None, ge=1000, le=9999)
    exited_year: int | None = Field(None, ge=1000, le=9999)


class PoorVillageUpload(Body):
    """The county's poor-village list (CSV or XLSX, the columns of the page's template)."""

    file: bytes = Field(description="CSV (UTF-8 or GB18030) or XLSX")
    commit: bool = Field(
        False, description="false: a dry run that writes nothing; true: write every row, or none"
    )


class ImportRowError(Out):
    row: int = Field(description="1-based row of the file (the header is row 1)")
    column: str
    message: str


class PoorVillageImportReport(Out):
    """Every problem by row and column; ``committed`` only when no row had one."""

    filename: str
    rows: int
    errors: list[ImportRowError]
    committed: bool


class RegionChange(Out):
    """A county's edit of the village registry, with the village before and after."""

    id: int
    region_code: str = Field(validation_alias="region_id")
    county_code: str
    province_code: str
    action: Literal["added", "renamed", "merged", "poor_flag"]
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    actor_label: str
    created_at: datetime


class RegionChangeList(Out):
    items: list[RegionChange]
