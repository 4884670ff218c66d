"""Atom documents (RFC 4287) and the conditional-request rules that spare readers re-downloading
an unchanged feed (RFC 9110 §13).

A feed is built from records the caller has already read; the builder adds nothing that is not
in ``FeedEntry``, so what a feed shows is decided by the feed's source (and no anonymous donor
ever reaches an entry: no source puts a donor in one). The document is written by feedgen, a
maintained feed library, so escaping and element order follow the standard.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from feedgen.feed import FeedGenerator

#: The ``updated`` of a feed with no entry yet: fixed, so its ETag does not change by itself.
EMPTY_FEED_UPDATED = datetime(2013, 12, 18, tzinfo=UTC)  # the date of 中办发〔2013〕25号
ATOM_MEDIA_TYPE = "application/atom+xml"
#: Entries in one feed: the newest, as feed readers expect (the open data has everything).
FEED_LENGTH = 50


@dataclass(frozen=True)
class FeedEntry:
    id: str  # a stable IRI: the same record is always the same entry
    title: str
    updated: datetime
    link: str
    summary: str
    published: datetime | None = None
    categories: tuple[tuple[str, str], ...] = ()  # (term, label)


@dataclass(frozen=True)
class Feed:
    id: str
    title: str
    subtitle: str
    self_url: str
    html_url: str
    author: str
    entries: Sequence[FeedEntry] = field(default_factory=tuple)

    @property
    def updated(self) -> datetime:
        return max((e.updated for e in self.entries), default=EMPTY_FEED_UPDATED)


def atom_bytes(feed: Feed) -> bytes:
    """The feed as an Atom document (UTF-8)."""
    gen = FeedGenerator()
    gen.id(feed.id)
    gen.title(feed.title)
    gen.subtitle(feed.subtitle)
    gen.updated(feed.updated)
    gen.author({"name": feed.author})
    gen.link(href=feed.self_url, rel="self", type=ATOM_MEDIA_TYPE)
    gen.link(href=feed.html_url, rel="alternate", type="text/html")
    gen.language("zh-CN")
    for item in feed.entries:
        entry = gen.add_entry(order="append")
        entry.id(item.id)
        entry.title(item.title)
        entry.updated(item.updated)
        if item.published is not None:
            entry.published(item.published)
        entry.link(href=item.link, rel="alternate", type="text/html")
        entry.summary(item.summary)
        for term, label in item.categories:
            entry.category(term=term, label=label)
    body: bytes = gen.atom_str(pretty=False)
    return body


def etag(body: bytes) -> str:
    """A strong validator: the same bytes, the same tag."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def http_date(at: datetime) -> str:
    return format_datetime(at.astimezone(UTC).replace(microsecond=0), usegmt=True)


def not_modified(
    *,
    if_none_match: str | None,
    if_modified_since: str | None,
    current_etag: str,
    last_modified: datetime,
) -> bool:
    """Whether a GET may be answered 304. If-None-Match wins when present (weak comparison:
    ``W/`` is ignored, ``*`` matches); otherwise If-Modified-Since, to the second."""
    if if_none_match is not None:
        tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
        return "*" in tags or current_etag in tags
    if if_modified_since:
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return last_modified.replace(microsecond=0) <= since
    return False
