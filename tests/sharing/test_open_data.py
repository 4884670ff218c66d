"""The daily open-data snapshot: written by `fupin open-data snapshot` (and by the worker),
downloaded over the app's HTTP interface at its stable URLs, every file's SHA-256 and row count
as the manifest says, the manifest's ledger head on the verified chain, every column in the
data dictionary, and an anonymous donor never named."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import hashlib
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from fupin import REPO_ROOT
from fupin.core.clock import today_cn
from fupin.ledger import service as ledger
from fupin.ledger.models import LedgerEntry
from fupin.money.service import donations, pledges
from fupin.settings import Settings
from fupin.sharing.service import opendata
from tests.money.support import WAN, build_money, due

FUPIN = str(Path(sys.executable).parent / "fupin")


def _cli(settings: Settings, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUPIN_")}
    env.update(
        {
            "FUPIN_DATABASE_URL": settings.database_url,
            "FUPIN_VAR_DIR": str(settings.var_dir),
            "FUPIN_SECRET_KEY": str(settings.secret_key),
            "FUPIN_ENV": "test",
            "PYTHONPATH": str(REPO_ROOT / "platform"),
        }
    )
    result = subprocess.run(
        [FUPIN, *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


async def _money(world: Any) -> Any:
    m = await build_money(world)
    named = await pledges.make_pledge(
        actor=m.other_donor, need_id=m.need.id, amount_fen=20 * WAN, due_date=due()
    )
    await donations.record_donation(
        actor=m.officer,
        recipient_id=m.county_gov.id,
        pledge_id=named.id,
        amount_fen=20 * WAN,
        received_on=today_cn(),
        confirm=True,
    )
    await pledges.make_pledge(
        actor=m.donor, need_id=m.need.id, amount_fen=5 * WAN, due_date=due(), anonymous=True
    )
    return m


@pytest.mark.both_databases
async def test_the_snapshot_downloads_with_the_checksums_and_counts_of_its_manifest(
    client: Any, world: Any, db: Settings
) -> None:
    m = await _money(world)
    assert (await client.get("/open-data/latest")).status_code == 404  # none yet
    out = await asyncio.to_thread(_cli, db, "open-data", "snapshot")
    assert "wrote" in out
    again = await asyncio.to_thread(_cli, db, "open-data", "snapshot")
    assert "already there" in again, "a day's snapshot is written once"

    latest = await client.get("/open-data/latest")
    assert latest.status_code == 302
    day = today_cn().isoformat()
    assert latest.headers["location"] == f"/open-data/{day}/manifest.json"
    response = await client.get(latest.headers["location"])
    assert response.status_code == 200
    manifest = response.json()
    assert manifest["date"] == day and manifest["licence"]["name"] == "CC BY 4.0"
    names = {f["name"] for f in manifest["files"]}
    for dataset in ("needs", "pledges", "donations_by_need", "regions"):
        assert {f"{dataset}.csv", f"{dataset}.jsonl"} <= names

    for entry in manifest["files"]:
        path = entry["url"].removeprefix(db.base_url)
        assert path == f"/open-data/{day}/{entry['name']}"
        got = await client.get(path)
        assert got.status_code == 200, path
        assert hashlib.sha256(got.content).hexdigest() == entry["sha256"], path
        assert len(got.content) == entry["bytes"]
        lines = got.content.decode("utf-8").splitlines()
        if entry["format"] == "csv":
            rows = list(csv.reader(io.StringIO(got.text)))
            assert len(rows) - 1 == entry["rows"], path
        else:
            assert len(lines) == entry["rows"], path
            assert all(json.loads(line) for line in lines)
        # the dated URL never changes: it may be cached and revalidated
        assert "etag" in got.headers
        cached = await client.get(path, headers={"If-None-Match": got.headers["etag"]})
        assert cached.status_code == 304
    latest_file = await client.get("/open-data/latest/needs.csv")
    assert latest_file.headers["location"] == f"/open-data/{day}/needs.csv"

    # The manifest's ledger head is on the verified chain, and every money record is under it.
    head = manifest["ledger_head"]
    assert (await ledger.verify()).ok
    entry = await LedgerEntry.get(seq=head["seq"])
    assert entry.hash == head["hash"]
    assert await LedgerEntry.filter(seq__gt=head["seq"]).count() == 0

    # What the files say.
    needs = [
        json.loads(x) for x in (await client.get(f"/open-data/{day}/needs.jsonl")).text.splitlines()
    ]
    assert [n["id"] for n in needs] == [m.need.id]
    assert needs[0]["target_fen"] == m.need.target_fen
    rows = [
        json.loads(x)
        for x in (await client.get(f"/open-data/{day}/pledges.jsonl")).text.splitlines()
    ]
    anonymous = [r for r in rows if r["anonymous"]]
    assert len(anonymous) == 1 and anonymous[0]["amount_fen"] == 5 * WAN
    assert anonymous[0]["donor_name"] is None and anonymous[0]["donor_participant_id"] is None
    assert m.world.participants["enterprise"].name not in json.dumps(rows, ensure_ascii=False)
    by_need = (await client.get(f"/open-data/{day}/donations_by_need.jsonl")).text.splitlines()
    assert json.loads(by_need[0]) == {
        "need_id": m.need.id,
        "donations": 1,
        "received_fen": 20 * WAN,
        "first_received_on": day,
        "last_received_on": day,
    }
    page = await client.get("/open-data")
    assert page.status_code == 200 and head["hash"] in page.text


async def test_unknown_days_and_files_are_not_found(client: Any, db: Settings) -> None:
    await opendata.generate(db.open_data_dir, db.base_url)
    day = today_cn().isoformat()
    assert (await client.get(f"/open-data/{day}/needs.csv")).status_code == 200
    for url in (
        f"/open-data/{day}/secret.txt",
        f"/open-data/{day}/..%2Fmanifest.json",
        "/open-data/2001-01-01/needs.csv",
        "/open-data/not-a-day/needs.csv",
        "/open-data/latest/passwd",
    ):
        assert (await client.get(url)).status_code == 404, url


@pytest.mark.both_databases
async def test_two_workers_write_one_snapshot(db: Settings) -> None:
    results = await asyncio.gather(
        opendata.generate(db.open_data_dir, db.base_url),
        opendata.generate(db.open_data_dir, db.base_url),
    )
    assert sorted(written for _path, written in results) in ([False, True], [True, True])
    assert opendata.snapshot_days(db.open_data_dir) == [today_cn()]
    leftovers = [p for p in db.open_data_dir.iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_the_data_dictionary_documents_every_column() -> None:
    text = (REPO_ROOT / "docs" / "open-data.md").read_text(encoding="utf-8")
    for dataset in opendata.DATASETS:
        section = text.split(f"### `{dataset.spec.name}`", 1)
        assert len(section) == 2, f"docs/open-data.md has no section for {dataset.spec.name}"
        body = section[1].split("\n### ", 1)[0]
        for column in dataset.spec.columns:
            assert f"| `{column.name}` |" in body, f"{dataset.spec.name}.{column.name}"
    assert "CC BY 4.0" in text


async def test_the_background_worker_writes_the_days_snapshot(
    db: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`fupin worker` (and the web process) run the sharing loop: it writes today's snapshot
    on its first pass — also on a machine booted minutes ago (the monotonic clock counts from
    boot: a loop that started counting from 0 wrote nothing in the machine's first hour)."""
    from fupin import background
    from fupin.sharing.service import worker
    from fupin.sharing.service.worker import sharing_worker

    started = time.monotonic()  # the loop's own clock only, not asyncio's
    minutes_after_boot = SimpleNamespace(monotonic=lambda: time.monotonic() - started + 60.0)
    monkeypatch.setattr(worker, "time", minutes_after_boot)

    assert "fupin.sharing.service.worker:sharing_worker" in background.WORKERS
    task = asyncio.create_task(sharing_worker(None, db))
    try:
        for _ in range(200):
            if opendata.snapshot_days(db.open_data_dir):
                break
            await asyncio.sleep(0.05)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert opendata.snapshot_days(db.open_data_dir) == [today_cn()]
