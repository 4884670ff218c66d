"""Atom feeds (docs/open-data.md "Feeds"): a source's newest entries as a ``Feed``."""

from __future__ import annotations

from urllib.parse import urlencode

from fupin.i18n import _
from fupin.sharing.rules.feeds import Feed
from fupin.sharing.service.sources import FeedFilter, feed_source

PUBLISHER = "扶贫社会参与平台"


def feed_path(name: str, where: FeedFilter | None = None) -> str:
    query = urlencode({k: v for k, v in vars(where or FeedFilter()).items() if v})
    return f"/feeds/{name}.atom" + (f"?{query}" if query else "")


async def build_feed(name: str, where: FeedFilter, base_url: str) -> Feed:
    source = feed_source(name)
    where = where if source.filtered else FeedFilter()
    path = feed_path(name, where)
    title = _(source.title)
    narrowed = [v for v in (where.province, where.county, where.category) if v]
    if narrowed:
        title = f"{title}（{'，'.join(narrowed)}）"
    return Feed(
        id=f"{base_url}{path}",
        title=title,
        subtitle=_(source.subtitle),
        self_url=f"{base_url}{path}",
        html_url=f"{base_url}{source.html_path}",
        author=_(PUBLISHER),
        entries=await source.entries(where, base_url),
    )
