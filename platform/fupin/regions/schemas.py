"""The regions API contract: a region, and the filters of the region list."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from fupin.core.schemas import Out, PageQuery, PathParams, RegionCode
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
    is_generated: bool = Field(description="A demo village generated under a real township")


class RegionQuery(PageQuery):
    level: Level | None = None
    parent: RegionCode | None = Field(None, description="Children of this region")
    province: RegionCode | None = Field(None, description="Province code")
    q: str | None = Field(None, max_length=64, description="Part of the name")
    poverty_county: bool = Field(False, description="Only the national poverty counties")


class RegionPath(PathParams):
    code: RegionCode
