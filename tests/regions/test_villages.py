"""The national village registry (data/villages.csv.gz) loads whole, idempotently, without
touching rows already there, and reports what a newer edition says differently."""

from __future__ import annotations

import csv
import gzip
import shutil
from pathlib import Path

import pytest

from fupin import REPO_ROOT
from fupin.accounts.service.reference import load_all
from fupin.regions.models import Region
from fupin.regions.rules import display_name

#: The demo counties of the test subset (tests/support/subset.py).
SUBSET_COUNTIES = {"532627", "532628", "513431", "513401"}


def test_display_name_drops_the_committee_suffix() -> None:
    assert display_name("石门村民委员会") == "石门村"
    assert display_name("火普村村民委员会") == "火普村"
    assert display_name("银闸社区居委会") == "银闸社区"
    assert display_name("金台路社区居民委员会") == "金台路社区"
    assert display_name("楼梓庄村委会") == "楼梓庄村"
    assert display_name("东沟社区村民委员会") == "东沟社区"
    assert display_name("卜尔汉图嘎查") == "卜尔汉图嘎查"


def write_villages(target: Path, rows: list[dict[str, str]]) -> None:
    with gzip.open(target / "villages.csv.gz", "wt", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(
            fh, fieldnames=["code", "name", "kind", "township_code", "county_code"]
        )
        writer.writeheader()
        writer.writerows(rows)


def subset_villages() -> list[dict[str, str]]:
    with gzip.open(REPO_ROOT / "data" / "villages.csv.gz", "rt", encoding="utf-8") as fh:
        return [r for r in csv.DictReader(fh) if r["county_code"] in SUBSET_COUNTIES]


@pytest.fixture
def village_subset(subset_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(subset_dir, target)
    write_villages(target, subset_villages())
    return target


@pytest.mark.both_databases
async def test_the_whole_registry_loads_once(db) -> None:
    """The whole national registry, twice, on both databases (the slowest test of the suite on
    PostgreSQL; it runs on one worker while the others go on)."""
    counts = await load_all(REPO_ROOT / "data")
    assert counts.villages == 620_573 and counts.villages_created == 620_573
    assert counts.villages_in_poverty_counties == 148_705
    assert await Region.filter(level="village").count() == 620_573
    huopu = await Region.get(code="513431105201")
    assert (huopu.name, huopu.source_name, huopu.parent_id) == (
        "火普村",
        "火普村村民委员会",
        "513431105",
    )
    assert huopu.county_code == "513431" and huopu.province_code == "510000"
    assert huopu.full_name.endswith("昭觉县 解放沟镇 火普村")
    assert (await Region.get(code="110101001002")).name == "银闸社区"
    again = await load_all(REPO_ROOT / "data")
    assert again.villages_created == 0 and again.regions_created == 0
    assert again.differences_total == 0
    assert await Region.filter(level="village").count() == 620_573


@pytest.mark.both_databases
async def test_a_second_load_changes_nothing(db, village_subset: Path) -> None:
    first = await load_all(village_subset)
    expected = len(subset_villages())
    assert first.villages_created == expected == await Region.filter(level="village").count()
    before = await Region.filter(level="village").order_by("code").values()
    again = await load_all(village_subset)
    assert (again.villages_created, again.regions_created, again.differences_total) == (0, 0, 0)
    assert await Region.filter(level="village").order_by("code").values() == before


@pytest.mark.both_databases
async def test_an_upgrade_adds_villages_and_leaves_existing_rows_alone(
    db, subset_dir: Path, village_subset: Path, tmp_path: Path
) -> None:
    older = tmp_path / "older"
    shutil.copytree(subset_dir, older)
    (older / "villages.csv.gz").unlink()
    await load_all(older)  # an older install: townships, no villages
    # a village generated under a real township at a code the registry also uses, and a
    # village a county renamed
    await Region.create(
        code="513431105201", name="测试村", level="village", kind="村",
        parent_id="513431105", province_code="510000", prefecture_code="513400",
        county_code="513431", full_name="测试村", is_generated=True, origin="generated",
    )  # fmt: skip
    counts = await load_all(village_subset)
    assert counts.villages_created == len(subset_villages()) - 1
    kept = await Region.get(code="513431105201")
    assert (kept.name, kept.origin) == ("测试村", "generated")
    assert counts.differences_total == 1
    assert "513431105201" in counts.differences[0] and "火普村村民委员会" in counts.differences[0]

    await Region.filter(code="513431105202").update(name="新名村")
    newer = await load_all(village_subset)
    assert newer.villages_created == 0
    assert any("513431105202" in d and "renamed here" in d for d in newer.differences)
    assert (await Region.get(code="513431105202")).name == "新名村"
