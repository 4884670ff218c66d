"""Pre-aggregated money for the poverty office's dashboards (issue 7).

Derived data only: every row can be rebuilt from the pledges and donations
(``fupin rollups rebuild``) and is checked against them (``fupin rollups verify``). The domain
module ``fupin.domain.money_rollups`` keeps them current inside every money transaction.

One row per need and (month, pair attribution, helper donor) — ``NeedRollup`` — is recomputed
from that need's raw rows; the coarser tables are kept equal to sums of ``NeedRollup`` rows by
applying the difference of each recomputation. Each coarse table is shaped for one dashboard
question so that the national dashboard reads a few thousand rows instead of a million.

``month`` is ``YYYYMM`` in China time (pledges by when they were made, donations by the day
they were received); ``pair_id`` 0 means "not attributed to a pair"; ``who`` is the donor when
it is of a kind that can help a pair (east partner, central unit, democratic party), else 0 —
the dashboards only ever ask about those donors by name.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Measures(Model):
    """What every rollup row sums (``closed_*``: honoured or lapsed pledges, which are due
    whatever the date; open pledges past their due date are added live by the dashboards)."""

    pledges = fields.BigIntField(default=0)
    pledged_fen = fields.BigIntField(default=0)
    honoured = fields.BigIntField(default=0)
    # Withdrawn pledges: a pair's projects are the needs with a pledge not withdrawn.
    withdrawn = fields.BigIntField(default=0)
    closed_due = fields.BigIntField(default=0)
    closed_due_fen = fields.BigIntField(default=0)
    closed_paid_fen = fields.BigIntField(default=0)
    # Confirmed donation rows (reversals included): which needs a pair's money reached.
    donations = fields.BigIntField(default=0)
    received_fen = fields.BigIntField(default=0)

    class Meta:
        abstract = True


class NeedRollup(Measures):
    id = fields.BigIntField(primary_key=True)
    need_id = fields.IntField()
    month = fields.IntField()
    pair_id = fields.IntField()
    who = fields.IntField()
    region_id = fields.CharField(max_length=12)
    county_code = fields.CharField(max_length=12)
    province_code = fields.CharField(max_length=12)
    category = fields.CharField(max_length=20)

    class Meta:
        table = "rollup_need_money"
        unique_together = (("need_id", "month", "pair_id", "who"),)
        # a county's dashboard; a pair's page (the helper's own rows, the pair's rows)
        indexes = (("county_code", "month"), ("pair_id", "month"), ("who", "month"))


class CountyRollup(Measures):
    """National and province dashboards: by province or county and category."""

    id = fields.IntField(primary_key=True)
    year = fields.SmallIntField()
    county_code = fields.CharField(max_length=12)
    category = fields.CharField(max_length=20)
    province_code = fields.CharField(max_length=12)

    class Meta:
        table = "rollup_county_money"
        unique_together = (("year", "county_code", "category"),)


class VillageRollup(Measures):
    """Villages reached and concentration: money per village (needs of a whole county are not
    a village's and are left out)."""

    id = fields.IntField(primary_key=True)
    year = fields.SmallIntField()
    region_id = fields.CharField(max_length=12)
    county_code = fields.CharField(max_length=12)
    province_code = fields.CharField(max_length=12)

    class Meta:
        table = "rollup_village_money"
        unique_together = (("year", "region_id"),)


class PairRollup(Measures):
    """Pairs' own and mobilised money: only rows attributed to a pair or given by a helper."""

    id = fields.IntField(primary_key=True)
    year = fields.SmallIntField()
    pair_id = fields.IntField()
    who = fields.IntField()
    county_code = fields.CharField(max_length=12)
    province_code = fields.CharField(max_length=12)

    class Meta:
        table = "rollup_pair_money"
        unique_together = (("year", "pair_id", "who", "county_code"),)


class MonthRollup(Measures):
    """Money over time: per month and county."""

    id = fields.IntField(primary_key=True)
    month = fields.IntField()
    county_code = fields.CharField(max_length=12)
    province_code = fields.CharField(max_length=12)

    class Meta:
        table = "rollup_month_money"
        unique_together = (("month", "county_code"),)
