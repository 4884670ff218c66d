"""The public pair page: the pair's money, needs, villages and years recomputed from the raw
rows, the verification note in the page's language and the source addresses as links."""

from __future__ import annotations

import re

import pytest

from fupin.accounts.models import Pair
from fupin.core.money import format_yuan
from fupin.pairs.rules.sources import source_refs, verification_label
from fupin.pairs.service.public import pair_public_page
from fupin.regions.models import Region
from tests.pairs import recompute
from tests.pairs.data import TODAY, build


@pytest.mark.both_databases
async def test_the_public_pair_figures_match_an_independent_recomputation(world) -> None:
    data = await build(world)
    rows = await recompute.load()
    for pair in (data.east_west, data.sichuan, data.designated):
        region = await Region.get(code=pair.helped_region_id)
        page = await pair_public_page(pair.id, today=TODAY)
        where = f"pair {pair.id}"
        want = recompute.pair_figures(rows, pair, region, None, TODAY)
        both = recompute.Sums()
        for part in (want["helper"], want["mobilised"]):
            for name in (
                "pledged",
                "received",
                "pledges",
                "due",
                "honoured",
                "due_fen",
                "paid_fen",
            ):
                setattr(both, name, getattr(both, name) + getattr(part, name))
        assert page.money.pledged_fen == both.pledged, where
        assert page.money.received_fen == both.received, where
        assert page.money.pledges == both.pledges, where
        assert page.money.honour_pct_x100 == both.honour_pct, where
        villages = {r["code"]: r["received_fen"] for r in page.villages.rows}
        assert villages == want["villages"], where
        projects = {r["_code"]: r["total"] for r in page.projects.rows}
        assert projects == {c: sum(v.values()) for c, v in want["projects"].items()}, where
        assert page.need_count == sum(projects.values())
        years = {y.year: y.money for y in page.years}
        for year in (2023, 2024, 2025):
            per_year = recompute.pair_figures(rows, pair, region, year, TODAY)
            pledged = per_year["helper"].pledged + per_year["mobilised"].pledged
            received = per_year["helper"].received + per_year["mobilised"].received
            got = years.get(year)
            if got is None:
                assert pledged == received == 0, (where, year)
                continue
            assert (got.pledged_fen, got.received_fen) == (pledged, received), (where, year)
        assert [y.year for y in page.years] == sorted(years, reverse=True)


async def test_the_pair_page_shows_money_needs_villages_and_years(client, world) -> None:
    data = await build(world)
    pair = data.east_west
    page = await pair_public_page(pair.id)
    response = await client.get(f"/pairs/{pair.id}")
    assert response.status_code == 200
    text = response.text
    assert f'data-figure="received">{format_yuan(page.money.received_fen)}<' in text
    assert f'data-figure="needs">{page.need_count}<' in text
    assert f'data-figure="villages">{len(page.villages.rows)}<' in text
    for year in page.years:
        assert f'data-year="{year.year}"' in text
    for row in page.villages.rows:
        assert f'href="/regions/{row["code"]}"' in text
    assert page.years and page.villages.rows and page.need_count  # the data reached the page


async def test_the_official_text_note_reads_in_the_pages_language(client, world) -> None:
    pair = await Pair.filter(verification="official text (as of 2011)").first()
    assert pair is not None, "the designated-assistance sample has white-paper pairs"
    chinese = await client.get(f"/pairs/{pair.id}")
    assert "官方文本（截至 2011 年）" in chinese.text
    assert "official text" not in chinese.text and "as of 2011" not in chinese.text
    # the source address is a link, not text
    url = source_refs(pair.source).urls[0]
    assert re.search(rf'<a href="{re.escape(url)}"[^>]*>', chinese.text)
    # the English page reads the note through the catalogue too, never the data file's words
    await client.get("/lang/en", params={"next": f"/pairs/{pair.id}"})
    english = await client.get(f"/pairs/{pair.id}")
    assert english.status_code == 200 and 'lang="en"' in english.text
    assert "official text (as of 2011)" not in english.text


def test_every_verification_note_of_the_data_files_has_words() -> None:
    import csv

    from fupin import REPO_ROOT

    notes = set()
    for name in ("designated_units.csv", "east_west_pairs.csv"):
        with (REPO_ROOT / "data" / name).open(encoding="utf-8") as fh:
            notes |= {row["verification"] for row in csv.DictReader(fh)}
    for note in notes:
        label = verification_label(note)
        assert label and not re.search(r"[A-Za-z]{3,}", label), (note, label)
    assert verification_label("press (2025)") == "新闻报道（2025 年）"
    assert verification_label("press (named 平泉县 in 2017)") == "新闻报道（2017 年称平泉县）"
    assert (
        verification_label("official text (truncated) + secondary") == "官方文本（节选）；转载网页"
    )
    assert verification_label("something new (whatever)") == "其他来源"
    assert verification_label("") == ""


def test_source_fields_split_into_ids_and_addresses() -> None:
    refs = source_refs("PKU;DALI https://a.example/x http://b.example/y javascript:alert(1)")
    assert refs.urls == ["https://a.example/x", "http://b.example/y"]
    assert refs.ids == ["PKU", "DALI", "javascript:alert(1)"]
