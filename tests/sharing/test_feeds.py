"""The Atom feeds: valid RFC 4287 documents, narrowed by place and category, linked from the
pages they follow, and answered 304 when the reader's copy is current."""

from __future__ import annotations

import re
from typing import Any

import pytest

from fupin.money.service import pledges
from fupin.sharing.rules.feeds import etag, not_modified
from fupin.sharing.service.sources import FEEDS
from tests.money.support import actor, due
from tests.sharing.support import check_atom, published_need, titles
from tests.support.world import COUNTY, PROVINCE


async def _get(client: Any, url: str, **headers: str) -> Any:
    return await client.get(url, headers=headers)


@pytest.mark.both_databases
async def test_every_feed_is_valid_atom_and_new_needs_are_in_it(client: Any, world: Any) -> None:
    here = await published_need(world, "石门村饮水工程")
    await published_need(
        world, "昭觉县道路工程", region_code=world.other_village.code, category="roads"
    )
    # funded: pledges reach the target through the money service
    donor = await actor(world, "participant_member")
    await pledges.make_pledge(
        actor=donor, need_id=here.id, amount_fen=here.target_fen, due_date=due()
    )
    for source in FEEDS:
        response = await client.get(f"/feeds/{source.name}.atom")
        assert response.status_code == 200, source.name
        assert response.headers["content-type"].startswith("application/atom+xml")
        check_atom(response.content)
    needs = check_atom((await client.get("/feeds/needs.atom")).content)
    assert any("石门村饮水工程" in t for t in titles(needs))
    assert any("昭觉县道路工程" in t for t in titles(needs))
    funded = check_atom((await client.get("/feeds/funded.atom")).content)
    assert [t for t in titles(funded) if "石门村饮水工程" in t], titles(funded)
    assert not [t for t in titles(funded) if "昭觉县" in t]


async def test_need_feeds_are_narrowed_by_province_county_and_category(
    client: Any, world: Any
) -> None:
    await published_need(world, "石门村饮水工程", category="drinking_water")
    await published_need(
        world, "昭觉县道路工程", region_code=world.other_village.code, category="roads"
    )

    async def shown(query: str) -> list[str]:
        response = await client.get(f"/feeds/needs.atom?{query}")
        return titles(check_atom(response.content))

    assert [t for t in await shown(f"county={COUNTY}") if "昭觉" in t] == []
    assert any("石门村" in t for t in await shown(f"county={COUNTY}"))
    assert [t for t in await shown(f"province={PROVINCE}") if "昭觉" in t] == []
    assert all("道路" in t for t in await shown("category=roads"))
    assert any("道路" in t for t in await shown("category=roads"))
    # a malformed filter is ignored rather than refused: the feed answers unnarrowed
    assert len(await shown("county=<script>&category=nope")) == 2


async def test_conditional_requests_are_answered_304(client: Any, world: Any) -> None:
    await published_need(world, "石门村饮水工程")
    first = await client.get("/feeds/needs.atom")
    tag, modified = first.headers["etag"], first.headers["last-modified"]
    assert (await _get(client, "/feeds/needs.atom", **{"If-None-Match": tag})).status_code == 304
    again = await _get(client, "/feeds/needs.atom", **{"If-Modified-Since": modified})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == tag
    stale = await _get(client, "/feeds/needs.atom", **{"If-None-Match": '"not-it"'})
    assert stale.status_code == 200
    # a new need changes the feed: the old validators no longer match
    await published_need(world, "新的需求", category="roads")
    changed = await _get(client, "/feeds/needs.atom", **{"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["etag"] != tag


def test_the_conditional_rules() -> None:
    from datetime import UTC, datetime

    at = datetime(2026, 12, 6, 8, 0, 0, 500_000, tzinfo=UTC)
    tag = etag(b"x")
    assert not_modified(
        if_none_match=f'W/{tag}, "b"', if_modified_since=None, current_etag=tag, last_modified=at
    )
    assert not_modified(
        if_none_match="*", if_modified_since=None, current_etag=tag, last_modified=at
    )
    # If-None-Match wins over If-Modified-Since when both are sent
    assert not not_modified(
        if_none_match='"other"',
        if_modified_since="Sun, 06 Dec 2026 09:00:00 GMT",
        current_etag=tag,
        last_modified=at,
    )
    assert not_modified(
        if_none_match=None,
        if_modified_since="Sun, 06 Dec 2026 08:00:00 GMT",
        current_etag=tag,
        last_modified=at,
    )
    assert not not_modified(
        if_none_match=None,
        if_modified_since="Sun, 06 Dec 2026 07:59:59 GMT",
        current_etag=tag,
        last_modified=at,
    )
    assert not not_modified(
        if_none_match=None, if_modified_since="yesterday", current_etag=tag, last_modified=at
    )


ALTERNATE = re.compile(r'<link rel="alternate" type="application/atom\+xml"[^>]*href="([^"]+)"')


async def test_pages_link_their_feeds(client: Any, world: Any) -> None:
    need = await published_need(world, "石门村饮水工程")
    pages = {
        "/needs": "/feeds/needs.atom",
        f"/needs?county={COUNTY}": f"/feeds/needs.atom?county={COUNTY}",
        f"/regions/{COUNTY}": f"/feeds/needs.atom?county={COUNTY}",
        f"/needs/{need.id}": f"/feeds/needs.atom?county={COUNTY}",
        "/feeds": "/feeds/ledger.atom",
        f"/disclosures?county={COUNTY}": f"/feeds/disclosures.atom?county={COUNTY}",
        "/complaints/statistics": "/feeds/complaints.atom",
    }
    for url, feed in pages.items():
        page = await client.get(url)
        assert page.status_code == 200, url
        linked = [h.replace("&amp;", "&") for h in ALTERNATE.findall(page.text)]
        assert feed in linked, (url, linked)
        for href in linked:
            assert (await client.get(href)).status_code == 200, href


async def test_the_ledger_feed_carries_the_daily_heads(client: Any, world: Any) -> None:
    from fupin.ledger import service as ledger

    need = await published_need(world, "石门村饮水工程")
    donor = await actor(world, "participant_member")
    await pledges.make_pledge(actor=donor, need_id=need.id, amount_fen=100_00, due_date=due())
    heads = await ledger.daily_head_hashes()
    assert heads
    body = (await client.get("/feeds/ledger.atom")).text
    for _day, _seq, digest in heads:
        assert digest in body
