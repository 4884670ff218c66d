"""``fupin reindex``: a rebuild from the database that readers do not notice, which loses no
change made while it ran; and the operator commands, run as the real ``fupin`` program."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fupin import REPO_ROOT
from fupin.needs.service.search import SearchService, rebuild_index
from fupin.search.adapters import SearchQuery
from fupin.settings import Settings
from tests.needs.search_support import drain, make_need, withdraw
from tests.support.world import World

FUPIN = str(Path(sys.executable).parent / "fupin")


async def index_ids(search: SearchService, text: str = "") -> set[int]:
    """What the index itself holds (no database check): the backend, not search_needs."""
    result = await search.backend.search(SearchQuery(text=text, per_page=100))
    return {hit["id"] for hit in result.hits}


def stale_document(need_id: int) -> dict[str, Any]:
    return {
        "id": need_id,
        "title": "已删除的饮水需求",
        "items": "",
        "description": "",
        "category": "drinking_water",
        "category_label": "饮水安全",
        "state": "published",
        "province": "云南省",
        "province_code": "530000",
        "prefecture": "",
        "county": "",
        "county_code": "",
        "township": "",
        "village": "",
        "contiguous_area": "",
        "is_poverty_county": False,
        "target_fen": 100,
        "pledged_fen": 0,
        "received_fen": 0,
        "open_fen": 100,
        "amount_band": "<1万",
        "deadline": "2030-01-01",
        "deadline_ts": 0,
        "published_ts": 0,
        "beneficiary_people": 1,
        "beneficiary_households": 1,
    }


async def test_reindex_rebuilds_from_the_database_while_readers_keep_their_results(
    app: Any, world: World, search: SearchService
) -> None:
    needs = [await make_need(world, f"石门村饮水工程第{i}期") for i in range(1, 4)]
    await drain(app)
    await search.backend.upsert([stale_document(999_999)], wait=True)  # drifted index
    await search.backend.delete([needs[0]], wait=True)
    before = await index_ids(search, "饮水")
    assert before == {needs[1], needs[2], 999_999}
    seen_during: list[set[int]] = []

    async def progress(n: int) -> None:
        seen_during.append(await index_ids(search, "饮水"))

    report = await rebuild_index(search, batch_size=1, progress=progress)
    assert report.indexed == 3
    assert seen_during == [before] * 3, "readers used the old index until the swap"
    assert await index_ids(search, "饮水") == set(needs)
    assert await search.backend.count() == 3


@pytest.mark.both_databases
async def test_a_change_applied_during_the_rebuild_reaches_the_new_index(
    app: Any, world: World, search: SearchService
) -> None:
    first = await make_need(world, "石门村饮水安全巩固工程")
    second = await make_need(world, "石门村饮水管网改造工程")
    await drain(app)

    async def meanwhile(n: int) -> None:
        if n and first in await index_ids(search, "饮水"):
            # The first need is already in the twin; it is withdrawn now, and the worker
            # applies that to the live (old) index, which the swap is about to replace.
            await withdraw(world, first)
            await drain(app)

    report = await rebuild_index(search, batch_size=1, progress=meanwhile)
    assert report.requeued >= 1
    assert first in await index_ids(search, "饮水"), "the swap brought back the stale copy"
    await drain(app)
    assert await index_ids(search, "饮水") == {second}


def fupin(args: list[str], settings: Settings) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUPIN_")}
    env.update(
        FUPIN_DATABASE_URL=settings.database_url,
        FUPIN_VAR_DIR=str(settings.var_dir),
        FUPIN_SEARCH_WORKER="false",
    )
    done = subprocess.run(
        [FUPIN, *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, f"fupin {args}: {done.stdout}\n{done.stderr}"
    return done.stdout


async def test_operator_commands_reindex_search_and_report_status(
    db: Settings, world: World
) -> None:
    water = await make_need(world, "石门村饮水安全巩固工程")
    await make_need(world, "石门村饮水工程草稿", state="draft")
    status = fupin(["search-status"], db)
    pending = int(re.search(r"^outbox pending: (\d+)$", status, re.M).group(1))  # type: ignore[union-attr]
    assert pending >= 2, "each need's changes wrote outbox rows"
    assert "public needs in the database: 1" in status

    out = fupin(["reindex"], db)
    assert "indexed 1 public needs (embedded)" in out

    found = fupin(["search", "饮水", "--county", "532627"], db)
    assert found.splitlines()[0] == "1 needs"
    assert f"{water:>8}  石门村饮水安全巩固工程" in found
    assert "草稿" not in found

    status = fupin(["search-status"], db)
    assert "indexed needs: 1 (public needs in the database: 1)" in status
    assert "outbox pending: 0" in status
