"""The daily open-data snapshot (docs/open-data.md): every dataset as CSV and JSON Lines, with
a manifest of SHA-256 checksums, row counts and the ledger head, under
``<var>/open-data/YYYY-MM-DD/``. Written by ``fupin open-data snapshot`` and by the worker once a
day (China's date), served as files at stable URLs.

A snapshot is written into a temporary directory and renamed into place, so a reader (or a
second worker) never sees half of one; a day that already has one is left alone.

The datasets read only public records — needs a county has published, their pledges and
donations as the need page shows them, published notices, complaint counts per county — and an
anonymous donor's name and id are never written: the pledge rows of an anonymous pledge leave both empty, and donations are summed per
need.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from tortoise.expressions import Q, Subquery
from tortoise.functions import Count, Max, Min, Sum

from fupin.core import clock
from fupin.disclosure.models import Disclosure
from fupin.disclosure.service.complaints import statistics as complaint_statistics
from fupin.ledger.models import LedgerHead
from fupin.money.models import Donation, Pledge
from fupin.needs.models import PUBLIC_STATES, Need
from fupin.regions.models import Region
from fupin.sharing.rules.opendata import (
    FORMATS,
    MANIFEST,
    Column,
    DatasetSpec,
    FileDigest,
    csv_line,
    jsonl_line,
    manifest,
    row_values,
    valid_day,
)

BATCH = 2000
Rows = Callable[[str], AsyncIterator[list[dict[str, Any]]]]


@dataclass(frozen=True)
class Dataset:
    spec: DatasetSpec
    rows: Rows  # (base_url) → batches of rows


def _public_need_ids() -> Any:
    return Need.filter(state__in=PUBLIC_STATES).values("id")


async def need_rows(base: str) -> AsyncIterator[list[dict[str, Any]]]:
    """Read as plain values (no model objects): a snapshot reads every public need."""
    last = 0
    while True:
        batch = (
            await Need.filter(state__in=PUBLIC_STATES, id__gt=last)
            .order_by("id")
            .limit(BATCH)
            .values(
                "id",
                "title",
                "category",
                "state",
                "region_id",
                "county_code",
                "province_code",
                "target_fen",
                "pledged_fen",
                "received_fen",
                "beneficiary_households",
                "beneficiary_people",
                "deadline",
                "published_at",
                place_full="region__full_name",
                place_name="region__name",
            )
        )
        if not batch:
            return
        last = batch[-1]["id"]
        yield [
            {
                **n,
                "region_code": n["region_id"],
                "region_name": n["place_full"] or n["place_name"],
                "url": f"{base}/needs/{n['id']}",
            }
            for n in batch
        ]


async def pledge_rows(base: str) -> AsyncIterator[list[dict[str, Any]]]:
    last = 0
    while True:
        batch = (
            await Pledge.filter(id__gt=last, need_id__in=Subquery(_public_need_ids()))
            .order_by("id")
            .limit(BATCH)
            .values(
                "id",
                "need_id",
                "anonymous",
                "participant_id",
                "kind",
                "amount_fen",
                "paid_fen",
                "state",
                "due_date",
                "created_at",
                donor="participant__name",
            )
        )
        if not batch:
            return
        last = batch[-1]["id"]
        yield [
            {
                **p,
                "anonymous": bool(p["anonymous"]),
                # an anonymous pledge names nobody: neither the id nor the name is written
                "donor_participant_id": None if p["anonymous"] else p["participant_id"],
                "donor_name": None if p["anonymous"] else p["donor"],
            }
            for p in batch
        ]


async def donation_rows(base: str) -> AsyncIterator[list[dict[str, Any]]]:
    """Confirmed money per public need: reversals are confirmed rows of negative amount, so the
    sum is what the need holds; the count is of donations not reversed."""
    public = Subquery(_public_need_ids())
    sums = (
        await Donation.filter(state="confirmed", need_id__in=public)
        .group_by("need_id")
        .annotate(
            received=Sum("amount_fen"),
            first=Min("received_on"),
            last=Max("received_on"),
        )
        .order_by("need_id")
        .values("need_id", "received", "first", "last")
    )
    reversed_ids = Donation.filter(reverses_id__not_isnull=True).values("reverses_id")
    counts = {
        r["need_id"]: r["n"]
        for r in await Donation.filter(state="confirmed", reverses_id=None, need_id__in=public)
        .exclude(id__in=Subquery(reversed_ids))
        .group_by("need_id")
        .annotate(n=Count("id"))
        .values("need_id", "n")
    }
    rows = [
        {
            "need_id": r["need_id"],
            "donations": int(counts.get(r["need_id"], 0)),
            "received_fen": int(r["received"] or 0),
            "first_received_on": r["first"],
            "last_received_on": r["last"],
        }
        for r in sums
    ]
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]


REGION_LEVELS = ("province", "prefecture", "county")


async def region_rows(base: str) -> AsyncIterator[list[dict[str, Any]]]:
    """Provinces, prefectures and counties, and every township or village a public need is in."""
    asked = Need.filter(state__in=PUBLIC_STATES).values("region_id")
    query = Region.filter(Q(level__in=REGION_LEVELS) | Q(code__in=Subquery(asked)))
    last = ""
    while True:
        batch = await query.filter(code__gt=last).order_by("code").limit(BATCH)
        if not batch:
            return
        last = batch[-1].code
        yield [
            {
                "code": r.code,
                "name": r.name,
                "level": r.level,
                "parent_code": r.parent_id,
                "province_code": r.province_code,
                "county_code": r.county_code,
                "full_name": r.full_name,
                "is_poverty_county": r.is_poverty_county,
                "is_poor_village": r.is_poor_village,
            }
            for r in batch
        ]


async def disclosure_rows(base: str) -> AsyncIterator[list[dict[str, Any]]]:
    """Every notice, taken-down ones too (the record stays, saying so); the text as published,
    personal data already masked."""
    last = 0
    while True:
        batch = await Disclosure.filter(id__gt=last).order_by("id").limit(BATCH)
        if not batch:
            return
        last = batch[-1].id
        yield [
            {
                "id": n.id,
                "level": n.level,
                "kind": n.kind,
                "stage": n.stage,
                "region_code": n.region_id,
                "county_code": n.county_code,
                "province_code": n.province_code,
                "need_id": n.need_id,
                "title": n.title,
                "body": n.body,
                "complaint_channel": n.complaint_channel,
                "publisher": n.publisher_label,
                "published_at": n.published_at,
                "min_display_days": n.min_display_days,
                "display_until": n.display_until,
                "state": n.state,
                "taken_down_at": n.taken_down_at,
                "corrects_id": n.corrects_id,
                "url": f"{base}/disclosures/{n.id}",
            }
            for n in batch
        ]


async def complaint_statistic_rows(base: str) -> AsyncIterator[list[dict[str, Any]]]:
    rows = sorted(await complaint_statistics(), key=lambda s: s.county_code)
    yield [vars(row) | {"day": clock.today_cn()} for row in rows]


def _spec(name: str, *columns: tuple[str, str, str]) -> DatasetSpec:
    return DatasetSpec(name, tuple(Column(*c) for c in columns))


#: The datasets of a snapshot, in manifest order. A new kind of record is one more entry.
DATASETS: list[Dataset] = [
    Dataset(
        _spec(
            "needs",
            ("id", "", "need id; the page is /needs/<id>"),
            ("title", "", "title as published"),
            ("category", "", "category code (one of the ten key tasks, or other)"),
            ("state", "", "published, funded, in_progress, completed or closed"),
            ("region_code", "", "village (or county) code where the need is"),
            ("region_name", "", "full name of that place"),
            ("county_code", "", "county code"),
            ("province_code", "", "province code"),
            ("target_fen", "fen", "money asked for"),
            ("pledged_fen", "fen", "sum of active pledges"),
            ("received_fen", "fen", "sum of confirmed donations"),
            ("beneficiary_households", "households", "households that benefit"),
            ("beneficiary_people", "people", "people who benefit"),
            ("deadline", "date", "last day pledges are sought"),
            ("published_at", "UTC instant", "when the county published it"),
            ("url", "", "the need's public page"),
        ),
        need_rows,
    ),
    Dataset(
        _spec(
            "pledges",
            ("id", "", "pledge id"),
            ("need_id", "", "the need pledged to"),
            ("anonymous", "boolean", "the donor asked not to be named"),
            ("donor_participant_id", "", "donor's participant id; empty when anonymous"),
            ("donor_name", "", "donor's name; empty when anonymous"),
            ("kind", "", "cash or in_kind"),
            ("amount_fen", "fen", "amount promised"),
            ("paid_fen", "fen", "amount paid against it so far"),
            ("state", "", "pledged, partially_paid, honoured, withdrawn or lapsed"),
            ("due_date", "date", "when payment is due"),
            ("created_at", "UTC instant", "when the pledge was made"),
        ),
        pledge_rows,
    ),
    Dataset(
        _spec(
            "donations_by_need",
            ("need_id", "", "the need"),
            ("donations", "count", "confirmed donations not reversed"),
            ("received_fen", "fen", "confirmed money received, reversals deducted"),
            ("first_received_on", "date", "earliest receipt date"),
            ("last_received_on", "date", "latest receipt date"),
        ),
        donation_rows,
    ),
    Dataset(
        _spec(
            "disclosures",
            ("id", "", "notice id; the page is /disclosures/<id>"),
            ("level", "", "county (portal), township, village or project (notice board)"),
            ("kind", "", "one of the nine kinds of the 2017 disclosure guidance"),
            ("stage", "", "before (公示) or after (公告) a need's implementation; empty otherwise"),
            ("region_code", "", "the place the notice is about"),
            ("county_code", "", "the publishing county"),
            ("province_code", "", "its province"),
            ("need_id", "", "the need it is about; empty for other notices"),
            ("title", "", "title"),
            ("body", "", "text as published (personal data masked)"),
            ("complaint_channel", "", "where to complain, with the national hotline 12317"),
            ("publisher", "", "the publishing office"),
            ("published_at", "UTC instant", "when it was published"),
            ("min_display_days", "days", "minimum display period; empty: kept public long-term"),
            ("display_until", "date", "last day of the minimum display period"),
            ("state", "", "published or taken_down"),
            ("taken_down_at", "UTC instant", "when it was taken down; empty if not"),
            ("corrects_id", "", "the notice this one corrects; empty if none"),
            ("url", "", "the notice's public page"),
        ),
        disclosure_rows,
    ),
    Dataset(
        _spec(
            "complaint_statistics",
            ("county_code", "", "county handling the complaints (or whose handling they concern)"),
            ("county_name", "", "its name"),
            ("received", "count", "complaints received"),
            ("open", "count", "still being handled"),
            ("concluded", "count", "concluded with an outcome"),
            ("not_accepted", "count", "not accepted (with a reason)"),
            ("concluded_on_time", "count", "concluded within the handling deadline"),
            ("overdue", "count", "open past the deadline, or closed after it"),
            ("day", "date", "the day the figures were counted"),
        ),
        complaint_statistic_rows,
    ),
    Dataset(
        _spec(
            "regions",
            ("code", "", "administrative division code (GB/T 2260; villages 12 digits)"),
            ("name", "", "short name"),
            ("level", "", "province, prefecture, county, township or village"),
            ("parent_code", "", "the division it belongs to"),
            ("province_code", "", "its province"),
            ("county_code", "", "its county (empty above county level)"),
            ("full_name", "", "name with the divisions above it"),
            ("is_poverty_county", "boolean", "on the list of 832 poverty counties"),
            ("is_poor_village", "boolean", "a registered poor village"),
        ),
        region_rows,
    ),
]


def file_names() -> list[str]:
    return [f"{d.spec.name}.{fmt}" for d in DATASETS for fmt in FORMATS] + [MANIFEST]


async def _write_dataset(dataset: Dataset, directory: Path, base: str) -> list[dict[str, Any]]:
    spec = dataset.spec
    digests = {fmt: FileDigest() for fmt in FORMATS}
    with (
        open(directory / f"{spec.name}.csv", "wb") as csv_file,
        open(directory / f"{spec.name}.jsonl", "wb") as jsonl_file,
    ):
        csv_file.write(digests["csv"].add(csv_line(spec.column_names), row=False))
        async for batch in dataset.rows(base):
            for row in batch:
                values = row_values(spec, row)
                csv_file.write(digests["csv"].add(csv_line(values)))
                jsonl_file.write(digests["jsonl"].add(jsonl_line(spec.column_names, values)))
    return [
        {
            "name": f"{spec.name}.{fmt}",
            "dataset": spec.name,
            "format": fmt,
            "rows": digest.rows,
            "bytes": digest.bytes,
            "sha256": digest.sha256.hexdigest(),
        }
        for fmt, digest in digests.items()
    ]


async def _ledger_head() -> dict[str, Any]:
    head = await LedgerHead.get_or_none(id=1)
    if head is None:
        return {"seq": 0, "hash": "", "at": ""}
    return {"seq": head.seq, "hash": head.hash, "at": head.at}


def snapshot_dir(root: Path, day: date) -> Path:
    return root / day.isoformat()


async def generate(root: Path, base_url: str, *, day: date | None = None) -> tuple[Path, bool]:
    """Write the snapshot of ``day`` (default: China's today) unless it exists. Returns its
    directory and whether it was written now. The data is read first and the ledger head last,
    so every money record in the files is covered by the head the manifest names."""
    day = day or clock.today_cn()
    target = snapshot_dir(root, day)
    if (target / MANIFEST).exists():
        return target, False
    root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{day.isoformat()}-", dir=root))
    try:
        files: list[dict[str, Any]] = []
        for dataset in DATASETS:
            files.extend(await _write_dataset(dataset, work, base_url))
        for entry in files:
            entry["url"] = f"{base_url}/open-data/{day.isoformat()}/{entry['name']}"
        document = manifest(
            day=day,
            generated_at=clock.now(),
            base_url=base_url,
            ledger_head=await _ledger_head(),
            files=files,
        )
        (work / MANIFEST).write_text(
            json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        os.chmod(work, 0o755)
        try:
            os.rename(work, target)
        except OSError:  # another process finished the same day first: keep theirs
            shutil.rmtree(work, ignore_errors=True)
            return target, False
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return target, True


def snapshot_days(root: Path) -> list[date]:
    """Days with a complete snapshot, newest first."""
    if not root.is_dir():
        return []
    days = [valid_day(p.name) for p in root.iterdir() if (p / MANIFEST).is_file()]
    return sorted((d for d in days if d is not None), reverse=True)


def read_manifest(root: Path, day: date) -> dict[str, Any] | None:
    path = snapshot_dir(root, day) / MANIFEST
    if not path.is_file():
        return None
    found: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return found


def snapshot_file(root: Path, day: date, name: str) -> Path | None:
    """The file, when ``name`` is one a snapshot has and the day has it."""
    if name not in file_names():
        return None
    path = snapshot_dir(root, day) / name
    return path if path.is_file() and (snapshot_dir(root, day) / MANIFEST).is_file() else None


def latest(root: Path) -> date | None:
    days = snapshot_days(root)
    return days[0] if days else None
