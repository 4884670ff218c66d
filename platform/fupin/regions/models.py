"""Administrative divisions (GB/T 2260 codes; NBS codes below county level) — docs/domain.md §3.1."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

LEVELS = ("province", "prefecture", "county", "township", "village")


class Region(Model):
    # GB/T 2260 6-digit code for province/prefecture/county; NBS 9-digit township code;
    # 12-digit village code (generated demo villages are township code + 3 digits).
    code = fields.CharField(max_length=12, primary_key=True)
    # Indexed for the village picker's name-prefix search over the whole registry.
    name = fields.CharField(max_length=64, db_index=True)
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
    # 建档立卡贫困村 (villages only). Kept by the county's officers — no national list exists
    # (data/README.md) — with the years the village was identified and exited.
    is_poor_village = fields.BooleanField(default=False)
    poor_identified_year = fields.SmallIntField(null=True)
    poor_exited_year = fields.SmallIntField(null=True)
    # The name as the source registry writes it (石门村民委员会); `name` is the display name.
    # Kept so a later edition can be compared with what was loaded, not with a county's edits.
    source_name = fields.CharField(max_length=128, default="", db_default="")
    # Where the row comes from: "registry" (data/ files), "county" (added by a county officer),
    # "generated" (a test or demo village under a real township).
    origin = fields.CharField(max_length=12, default="registry", db_default="registry")
    # A village merged into another: it stays (its needs and money keep pointing at it) and
    # names the village that absorbed it.
    merged_into: fields.ForeignKeyNullableRelation[Region] = fields.ForeignKeyField(
        "models.Region", related_name="merged_villages", null=True, on_delete=fields.RESTRICT
    )
    merged_into_id: str | None
    # True for demo villages generated under real townships (no real village table is shipped).
    is_generated = fields.BooleanField(default=False)

    class Meta:
        table = "region"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class RegionChange(Model):
    """A county's edit of the village registry — added, renamed, merged, poor-village flag —
    kept so the province office can see what changed and a later `fupin data load` does not
    overwrite it."""

    id = fields.IntField(primary_key=True)
    region: fields.ForeignKeyRelation[Region] = fields.ForeignKeyField(
        "models.Region", related_name="changes", on_delete=fields.RESTRICT
    )
    region_id: str
    county_code = fields.CharField(max_length=12, db_index=True)
    province_code = fields.CharField(max_length=12, db_index=True)
    action = fields.CharField(max_length=16)  # added / renamed / merged / poor_flag
    before: fields.JSONField[dict[str, Any] | None] = fields.JSONField(null=True)
    after: fields.JSONField[dict[str, Any] | None] = fields.JSONField(null=True)
    actor_id = fields.IntField(null=True)
    actor_label = fields.CharField(max_length=64, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "region_change"
        ordering = ["-id"]
