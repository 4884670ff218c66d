"""A per-process cache of derived figures (a dashboard, a count of alerts) that is never older
than the database it was read from.

An entry is keyed by the data generation (``fupin.db.data_generation``: moved by every write
transaction, whatever the process) of *the snapshot the figures are computed in*: a pledge committed anywhere moves the generation, and the next read computes
afresh. Figures that also move with the clock alone (an alert "older than 30 days", a pledge
past its due date) put the day in their key, and every entry lives at most ``ttl_seconds``
(what a figure measured in days may lag behind the clock; never behind a write).

Only call ``get_or_compute`` inside ``fupin.db.read_snapshot()``: outside one, the generation
and the figures could be read from two states of the database.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

from fupin.db import data_generation, generation
from fupin.i18n import current_locale

T = TypeVar("T")


class GenerationCache(Generic[T]):
    """Figures by key, for the data generation they were read at. Entries of older
    generations are dropped as soon as a newer one is seen; at most ``max_entries`` are kept
    (least recently used first out)."""

    def __init__(self, *, max_entries: int = 64, ttl_seconds: float = 300.0) -> None:
        self.max_entries = max_entries
        self.ttl_seconds = ttl_seconds
        self._entries: OrderedDict[Hashable, tuple[float, T]] = OrderedDict()
        self._stamp: tuple[int, int] = (-1, -1)
        self.hits = 0
        self.misses = 0

    def clear(self) -> None:
        self._entries.clear()

    async def get_or_compute(self, key: Hashable, compute: Callable[[], Awaitable[T]]) -> T:
        """The figures for ``key`` at the snapshot's generation, computed by ``compute`` (in
        the same snapshot) when not cached. The key includes the language: labels are
        translated when the figures are built."""
        stamp = (generation(), await data_generation())
        if stamp != self._stamp:
            # A newer write (or another opening of the database): nothing kept is current.
            # An older stamp (a snapshot begun before the last write) reads without caching.
            if stamp < self._stamp:
                self.misses += 1
                return await compute()
            self._entries.clear()
            self._stamp = stamp
        full_key = (current_locale.get(), key)
        found = self._entries.get(full_key)
        clock = time.monotonic()
        if found is not None and clock - found[0] < self.ttl_seconds:
            self._entries.move_to_end(full_key)
            self.hits += 1
            return found[1]
        self.misses += 1
        value = await compute()
        if self._stamp == stamp:  # no newer generation seen while computing
            self._entries[full_key] = (clock, value)
            self._entries.move_to_end(full_key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return value
