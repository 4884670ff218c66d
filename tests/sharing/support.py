"""What the sharing tests share: an Atom (RFC 4287) checker, and needs made through the lifecycle
service so that their history holds the transitions feeds and webhooks read."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from lxml import etree

from fupin.accounts.service.users import actor_for
from fupin.needs.models import Need
from fupin.needs.service import lifecycle
from tests.needs.support import make_need
from tests.support.world import World

ATOM = "{http://www.w3.org/2005/Atom}"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def _one(parent: etree._Element, name: str, where: str) -> etree._Element:
    found = parent.findall(ATOM + name)
    assert len(found) == 1, f"{where}: {len(found)} atom:{name} elements, RFC 4287 wants one"
    return found[0]


def _iri(text: str | None, where: str) -> None:
    assert text and urlsplit(text).scheme, f"{where}: {text!r} is not an absolute IRI"


def check_atom(body: bytes) -> list[etree._Element]:
    """Parse ``body`` and check the required structure of RFC 4287 (§4.1.1 feed, §4.1.2 entry,
    §3.3 dates, §4.2.6 ids, §4.2.7 links); returns the entries."""
    root = etree.fromstring(body)
    assert root.tag == ATOM + "feed", root.tag
    _iri(_one(root, "id", "feed").text, "feed id")
    _one(root, "title", "feed")
    updated = _one(root, "updated", "feed").text or ""
    assert RFC3339.match(updated), f"feed updated {updated!r} is not an RFC 3339 date-time"
    links = root.findall(ATOM + "link")
    assert any(link.get("rel") == "self" for link in links), "feed: no rel=self link"
    alternates = [
        (link.get("type"), link.get("hreflang"))
        for link in links
        if link.get("rel", "alternate") == "alternate"
    ]
    assert len(alternates) == len(set(alternates)), "feed: two alternate links of one type"
    for link in links:
        assert link.get("href"), "a link without href"
    entries = root.findall(ATOM + "entry")
    feed_has_author = bool(root.findall(ATOM + "author"))
    ids = []
    for i, entry in enumerate(entries):
        where = f"entry {i}"
        entry_id = _one(entry, "id", where).text
        _iri(entry_id, where + " id")
        ids.append(entry_id)
        assert (_one(entry, "title", where).text or "").strip(), where + ": empty title"
        stamp = _one(entry, "updated", where).text or ""
        assert RFC3339.match(stamp), f"{where}: updated {stamp!r}"
        for published in entry.findall(ATOM + "published"):
            assert RFC3339.match(published.text or ""), where + ": published"
        has_content = bool(entry.findall(ATOM + "content"))
        entry_links = entry.findall(ATOM + "link")
        assert has_content or any(
            link.get("rel", "alternate") == "alternate" for link in entry_links
        ), where + ": neither content nor an alternate link"
        assert feed_has_author or entry.findall(ATOM + "author"), where + ": no author"
        for category in entry.findall(ATOM + "category"):
            assert category.get("term"), where + ": category without term"
    assert len(ids) == len(set(ids)), "two entries with one id"
    return entries


def titles(entries: list[etree._Element]) -> list[str]:
    return [e.find(ATOM + "title").text or "" for e in entries]


async def published_need(world: World, title: str, **fields: object) -> Need:
    """A need the county office publishes through the lifecycle (its history says so)."""
    need = await make_need(world, "submitted", title=title, **fields)  # type: ignore[arg-type]
    officer = (
        "county_officer"
        if need.county_code == world.village.county_code
        else "other_county_officer"
    )
    county = await actor_for(world.users[officer])
    return await lifecycle.transition_need(county, need.id, "publish", acknowledge_duplicates=True)
