"""Administrative divisions (GB/T 2260 codes; NBS codes below county level) — docs/domain.md §3.1."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

LEVELS = ("province", "prefecture", "county", "township", "village")


class Region(Model):
    # GB/T 2260 6-digit code for province/prefecture/county; NBS 9-digit township code;
    # 12-digit village code (generated demo villages are township code + 3 digits).
    code = fields.CharField(max_length=12, primary_key=True)
    name = fields.CharField(max_length=64)
    level = fields.CharField(max_length=12, db_index=True)
    # administrative type as published (省, 自治州, 县, 县级市, 旗, 街道, 镇, 乡, 村 …)
    kind = fields.CharField(max_length=16, default="")
    parent: fields.ForeignKeyNullableRelation[Region] = fields.ForeignKeyField(
        "models.Region", related_name="children", null=True, on_delete=fields.RESTRICT
    )
    parent_id: int | None
    province_code = fields.CharField(max_length=12, default="", db_index=True)
    prefecture_code = fields.CharField(max_length=12, default="", db_index=True)
    county_code = fields.CharField(max_length=12, default="", db_index=True)
    # "province prefecture county township village" names, for display and search documents.
    full_name = fields.CharField(max_length=255, default="")
    # One of the 832 national poverty counties (2014 list; data/poverty_counties.csv).
    is_poverty_county = fields.BooleanField(default=False, db_index=True)
    # 国家扶贫开发工作重点县 (592 list). Unknown (None): no complete list was found (data README).
    is_key_county = fields.BooleanField(null=True)
    # Contiguous destitute area name where known (the three special areas are tagged).
    contiguous_area = fields.CharField(max_length=32, default="")
    # 三区三州 deep-poverty area (2017), derived by prefecture.
    sanqu_sanzhou = fields.BooleanField(default=False)
    exit_year = fields.SmallIntField(null=True)
    # 建档立卡贫困村 (villages only).
    is_poor_village = fields.BooleanField(default=False)
    # True for demo villages generated under real townships (no real village table is shipped).
    is_generated = fields.BooleanField(default=False)

    class Meta:
        table = "region"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name
