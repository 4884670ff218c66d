"""A small slice of the real reference data for fast tests: 云南 and 四川 (with 凉山州), plus the
east-partner provinces named by their pairs. Built once per session from data/."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

from fupin import REPO_ROOT

PROVINCES = {"530000", "510000", "310000", "440000", "110000", "330000"}


def _filter(src: Path, dst: Path, keep) -> None:  # type: ignore[no-untyped-def]
    with src.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = [row for row in reader if keep(row)]
        fields = reader.fieldnames or []
    with dst.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def build_subset(target: Path) -> Path:
    data = REPO_ROOT / "data"
    target.mkdir(parents=True, exist_ok=True)
    _filter(
        data / "admin_divisions.csv",
        target / "admin_divisions.csv",
        lambda r: r["province_code"] in PROVINCES,
    )
    # Townships: only the demo counties, to keep the load fast.
    counties = {"532627", "532628", "513431", "513401"}
    _filter(
        data / "townships.csv", target / "townships.csv", lambda r: r["county_code"] in counties
    )
    # Villages: the same counties' (664 real villages and communities, 火普村 among them).
    with gzip.open(data / "villages.csv.gz", "rt", encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        village_rows = [r for r in reader if r["county_code"] in counties]
        village_fields = reader.fieldnames or []
    with gzip.open(target / "villages.csv.gz", "wt", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=village_fields)
        writer.writeheader()
        writer.writerows(village_rows)
    _filter(
        data / "poverty_counties.csv",
        target / "poverty_counties.csv",
        lambda r: r["code"][:2] + "0000" in PROVINCES,
    )
    _filter(
        data / "east_west_pairs.csv",
        target / "east_west_pairs.csv",
        lambda r: (
            r["helped_code"][:2] + "0000" in PROVINCES
            and (not r["helper_code"] or r["helper_code"][:2] + "0000" in PROVINCES)
        ),
    )
    _filter(
        data / "designated_units.csv",
        target / "designated_units.csv",
        lambda r: r["county_code"][:2] + "0000" in PROVINCES,
    )
    return target
