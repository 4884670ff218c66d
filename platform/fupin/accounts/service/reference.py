"""Load the real reference data in data/ (regions, poverty counties, pairs) — idempotent.

Counts are returned so `fupin data load` can print them and the tests can compare them with the
data README (34 provinces, 333 prefectures, 2,845 counties, 41,352 townships, 832 listed poverty
counties on 831 distinct codes).
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fupin.accounts.models import Pair, Participant
from fupin.core import sql
from fupin.db import transaction
from fupin.regions import service as regions
from fupin.regions.models import Region
from fupin.regions.rules import KINDS, display_name

Progress = Callable[[str, int], None]  # (stage, rows done in this step)

#: 大柴旦行政委员会: listed among the 832 under an NBS code with no GB/T 2260 entry (data README).
EXTRA_COUNTIES = {"632857": ("大柴旦行政委员会", "632800", "630000", "行政委员会")}
#: 阿克苏地区: "6 counties and 1 city" treated as contiguous-area counties by 2019 No. 49
#: (docs/rules.md §1.2 — interpretation: the whole prefecture). Exposed for the targeted-donation rule.
AKSU_PREFECTURE = "652900"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@dataclass
class LoadCounts:
    provinces: int = 0
    prefectures: int = 0
    counties: int = 0
    townships: int = 0
    poverty_county_rows: int = 0
    poverty_counties: int = 0
    special_area_counties: int = 0
    pairs_east_west: int = 0
    pairs_designated: int = 0
    participants_created: int = 0
    regions_created: int = 0
    villages: int = 0
    villages_created: int = 0
    villages_in_poverty_counties: int = 0
    extra: dict[str, int] = field(default_factory=dict)
    #: What the file says and the database does not, left as the database has it (a county's
    #: edit or a newer edition): one line per village, at most ``MAX_DIFFERENCES`` kept.
    differences: list[str] = field(default_factory=list)
    differences_total: int = 0


async def _bulk_upsert_regions(regions: list[Region], progress: Progress | None, stage: str) -> int:
    codes = [r.code for r in regions]
    existing: set[str] = set()
    # Chunked: PostgreSQL takes at most 32,767 parameters per statement.
    for start in range(0, len(codes), 5000):
        chunk_codes = codes[start : start + 5000]
        existing.update(await Region.filter(code__in=chunk_codes).values_list("code", flat=True))
    new = [r for r in regions if r.code not in existing]
    for start in range(0, len(new), 1000):
        chunk = new[start : start + 1000]
        await Region.bulk_create(chunk, batch_size=1000)
        if progress:
            progress(stage, len(chunk))
    if progress and not new:
        progress(stage, len(regions))
    return len(new)


async def load_regions(data_dir: Path, progress: Progress | None = None) -> LoadCounts:
    counts = LoadCounts()
    divisions = _rows(data_dir / "admin_divisions.csv")
    by_code = {row["code"]: row for row in divisions}
    for code, (name, pref, prov, kind) in EXTRA_COUNTIES.items():
        if pref not in by_code:
            continue  # a partial data set (tests) without that prefecture
        by_code.setdefault(
            code,
            {
                "code": code,
                "name": name,
                "level": "county",
                "type": kind,
                "parent_code": pref,
                "province_code": prov,
                "prefecture_code": pref,
            },
        )

    def full_name(row: dict[str, str]) -> str:
        parts = []
        for key in ("province_code", "prefecture_code"):
            code = row.get(key, "")
            if code and code != row["code"] and code in by_code:
                parts.append(by_code[code]["name"])
        parts.append(row["name"])
        return " ".join(parts)

    created = 0
    async with transaction():
        for level in ("province", "prefecture", "county"):
            batch = []
            for row in by_code.values():
                if row["level"] != level:
                    continue
                batch.append(
                    Region(
                        code=row["code"],
                        name=row["name"],
                        level=level,
                        kind=row["type"],
                        parent_id=row["parent_code"] or None,
                        province_code=row["province_code"],
                        prefecture_code=row["prefecture_code"] or "",
                        county_code=row["code"] if level == "county" else "",
                        full_name=full_name(row),
                    )
                )
            created += await _bulk_upsert_regions(batch, progress, level)
            setattr(counts, level + "s" if level != "county" else "counties", len(batch))
        counts.provinces = sum(1 for r in by_code.values() if r["level"] == "province")
        counts.prefectures = sum(1 for r in by_code.values() if r["level"] == "prefecture")
        counts.counties = sum(1 for r in by_code.values() if r["level"] == "county")

        townships = _rows(data_dir / "townships.csv")
        known_counties = {c for c, r in by_code.items() if r["level"] in ("county", "prefecture")}
        batch = []
        for row in townships:
            parent = row["county_code"] if row["county_code"] in known_counties else None
            county = by_code.get(row["county_code"])
            names = [county and full_name(county) or "", row["name"]]
            batch.append(
                Region(
                    code=row["code"],
                    name=row["name"],
                    level="township",
                    kind=_township_kind(row["name"]),
                    parent_id=parent,
                    province_code=row["province_code"],
                    prefecture_code=row["prefecture_code"],
                    county_code=row["county_code"],
                    full_name=" ".join(n for n in names if n),
                )
            )
        created += await _bulk_upsert_regions(batch, progress, "township")
        counts.townships = len(batch)
    counts.regions_created = created
    await load_poverty_flags(data_dir, counts)
    villages_file = data_dir / VILLAGES_FILE
    if villages_file.exists():
        county_names = {code: full_name(row) for code, row in by_code.items()}
        await load_villages(villages_file, county_names, counts, progress)
        counts.regions_created += counts.villages_created
    return counts


VILLAGES_FILE = "villages.csv.gz"
#: Rows per executemany: large enough that the per-call overhead vanishes, small enough that the
#: progress bar moves (measured on SQLite: 620,573 rows in about 20 s whatever the size above 5k).
VILLAGE_BATCH = 20_000
MAX_DIFFERENCES = 200
_VILLAGE_COLUMNS = (
    "code", "name", "level", "kind", "parent_id", "province_code", "prefecture_code",
    "county_code", "full_name", "is_poverty_county", "contiguous_area", "sanqu_sanzhou",
    "is_poor_village", "is_generated", "source_name", "origin",
)  # fmt: skip


def read_villages(path: Path) -> list[dict[str, str]]:
    with gzip.open(path, "rb") as raw:
        return list(csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8", newline="")))


async def load_villages(
    path: Path,
    county_names: dict[str, str],
    counts: LoadCounts,
    progress: Progress | None = None,
) -> None:
    """Insert the villages the database lacks, in one transaction, with executemany in large
    batches (one ORM object per row took minutes for 620,573 rows). A village already present
    is never written: a county may have renamed, merged or flagged it, and a newer edition's
    changes are reported in ``counts.differences`` for a person to decide."""
    rows = read_villages(path)
    counts.villages = len(rows)
    townships = {
        r["code"]: (r["name"], r["prefecture_code"], r["province_code"])
        for r in await Region.filter(level="township").values(
            "code", "name", "prefecture_code", "province_code"
        )
    }
    poverty = set(
        await Region.filter(level="county", is_poverty_county=True).values_list("code", flat=True)
    )
    existing = {
        r["code"]: r
        for r in await Region.filter(level="village").values(
            "code", "name", "source_name", "parent_id", "origin"
        )
    }
    placeholders = ", ".join("?" for _ in _VILLAGE_COLUMNS)
    statement = (
        f"INSERT INTO region ({', '.join(_VILLAGE_COLUMNS)}) VALUES ({placeholders})"
        " ON CONFLICT (code) DO NOTHING"
    )
    in_file: set[str] = set()
    batch: list[list[Any]] = []
    async with transaction() as conn:
        statement = sql.numbered(statement, sql.dialect(conn))
        for row in rows:
            code = row["code"]
            in_file.add(code)
            county = row["county_code"]
            if row["kind"] == "village" and county in poverty:
                counts.villages_in_poverty_counties += 1
            found = existing.get(code)
            if found is not None:
                _compare(found, row, counts)
                continue
            township = townships.get(row["township_code"])
            if township is None:
                _differ(counts, f"{code} {row['name']}: township {row['township_code']} unknown")
                continue
            name = display_name(row["name"])
            county_name = county_names.get(county, "")
            full = " ".join(n for n in (county_name, township[0], name) if n)
            batch.append(
                [
                    code, name, "village", KINDS.get(row["kind"], row["kind"]),
                    row["township_code"], township[2], township[1], county, full[:255],
                    False, "", False, False, False, row["name"], "registry",
                ]
            )  # fmt: skip
            if len(batch) >= VILLAGE_BATCH:
                await conn.execute_many(statement, batch)
                counts.villages_created += len(batch)
                if progress:
                    progress("village", len(batch))
                batch = []
        if batch:
            await conn.execute_many(statement, batch)
            counts.villages_created += len(batch)
            if progress:
                progress("village", len(batch))
    if counts.villages_created:
        # Fresh statistics after a bulk load: without them SQLite walks the level index over
        # 620,573 villages for the picker's name search (230 ms) instead of the name index.
        await sql.execute("ANALYZE region")
    for code, found in existing.items():
        if code not in in_file and found["origin"] == "registry":
            _differ(counts, f"{code} {found['name']}: not in this edition (kept)")
        elif code not in in_file and found["origin"] == "county":
            # a village a county added: the person loading sees whether the edition caught up
            _differ(
                counts, f"{code} {found['name']}: not in this edition, added by the county (kept)"
            )
    if progress:
        progress("village", counts.villages - counts.villages_created)


def _differ(counts: LoadCounts, line: str) -> None:
    counts.differences_total += 1
    if len(counts.differences) < MAX_DIFFERENCES:
        counts.differences.append(line)


def _compare(found: dict[str, Any], row: dict[str, str], counts: LoadCounts) -> None:
    """A village the database has: say how the file differs, change nothing."""
    code = row["code"]
    if found["parent_id"] != row["township_code"]:
        _differ(
            counts,
            f"{code} {found['name']}: township {found['parent_id']} here,"
            f" {row['township_code']} in the file (kept)",
        )
    if found["origin"] == "generated":
        _differ(
            counts,
            f"{code} {found['name']}: a generated village here, {row['name']} in the file (kept)",
        )
    elif found["source_name"] != row["name"]:
        _differ(
            counts,
            f"{code} {found['name']}: source name {found['source_name'] or '—'} here,"
            f" {row['name']} in the file (kept)",
        )
    elif found["name"] != display_name(row["name"]):
        _differ(
            counts,
            f"{code} {found['name']}: renamed here, {display_name(row['name'])} in the file (kept)",
        )


def _township_kind(name: str) -> str:
    for suffix in ("街道", "镇", "乡", "苏木"):
        if name.endswith(suffix):
            return suffix
    return ""


async def load_poverty_flags(data_dir: Path, counts: LoadCounts) -> None:
    rows = _rows(data_dir / "poverty_counties.csv")
    counts.poverty_county_rows = len(rows)
    codes: dict[str, dict[str, str]] = {}
    for row in rows:
        codes.setdefault(row["code"], row)
    async with transaction():
        for code, row in codes.items():
            await Region.filter(code=code).update(
                is_poverty_county=True,
                exit_year=int(row["exit_year"]) if row["exit_year"] else None,
                contiguous_area=row["special_area"] or "",
                sanqu_sanzhou=row["sanqu_sanzhou"] == "1",
            )
    counts.poverty_counties = await Region.filter(level="county", is_poverty_county=True).count()
    counts.special_area_counties = (
        await Region.filter(level="county", is_poverty_county=True)
        .exclude(contiguous_area="")
        .count()
    )


async def _helper(name: str, kind: str, region_code: str | None, counts: LoadCounts) -> Participant:
    found = await Participant.get_or_none(name=name, kind=kind)
    if found:
        return found
    region = await Region.get_or_none(code=region_code) if region_code else None
    counts.participants_created += 1
    return await Participant.create(name=name, kind=kind, region=region)


def _designated_kind(unit_type: str) -> str:
    return (
        "democratic_party"
        if unit_type in ("democratic party", "people's organization")
        else "central_unit"
    )


async def load_pairs(data_dir: Path, counts: LoadCounts | None = None) -> LoadCounts:
    counts = counts or LoadCounts()
    async with transaction():
        for row in _rows(data_dir / "east_west_pairs.csv"):
            name = row["helper_unit"] or row["helper_province"]
            helper = await _helper(name, "east_partner", row["helper_code"] or None, counts)
            region = await Region.get(code=row["helped_code"])
            start = int(row["start_year"])
            end = int(row["end_year"]) if row["end_year"] else None
            _, created = await Pair.get_or_create(
                kind="east_west",
                helper=helper,
                helped_region=region,
                start_year=start,
                defaults={
                    "end_year": end,
                    "period": row["period"],
                    "source": f"{row['sources']} {row['source_urls']}".strip(),
                    "verification": row["verification"][:64],
                },
            )
            counts.pairs_east_west += 1
        for row in _rows(data_dir / "designated_units.csv"):
            helper = await _helper(row["unit"], _designated_kind(row["unit_type"]), None, counts)
            region = await Region.get(code=row["county_code"])
            start = int(row["since_year"]) if row["since_year"] else 2011
            await Pair.get_or_create(
                kind="designated",
                helper=helper,
                helped_region=region,
                start_year=start,
                defaults={
                    "end_year": None,
                    "period": "定点扶贫",
                    "source": f"{row['sources']} {row['source_urls']}".strip(),
                    "verification": row["verification"][:64],
                },
            )
            counts.pairs_designated += 1
    return counts


async def load_all(data_dir: Path, progress: Progress | None = None) -> LoadCounts:
    counts = await load_regions(data_dir, progress)
    regions.forget_choices()
    await load_pairs(data_dir, counts)
    return counts


def iter_csv(path: Path) -> Iterable[dict[str, str]]:
    yield from _rows(path)
