"""The public ledger's contract: its entries, its daily head hashes, its exports."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import Field

from fupin.core.schemas import Id, Out, PageQuery, Query
from fupin.ledger.rules import KINDS

LedgerKind = Literal[tuple(sorted(KINDS))]  # type: ignore[valid-type]


class LedgerEntry(Out):
    """One entry, exactly as hashed and exported."""

    seq: int
    at: str = Field(description="UTC, second precision: 2024-05-01T08:00:00Z")
    kind: LedgerKind
    subject: str
    payload: dict[str, Any] = Field(description='Personal fields are {"commit": sha256}')
    prev_hash: str
    hash: str


class LedgerQuery(PageQuery):
    kind: LedgerKind | None = None


class LedgerExportQuery(Query):
    format: Literal["jsonl", "csv"] = "jsonl"


class LedgerHead(Out):
    """The last entry of a UTC day: a later copy of the ledger must contain it."""

    day: date
    seq: int
    hash: str


class LedgerHeads(Out):
    items: list[LedgerHead]


class LedgerPageQuery(LedgerQuery):
    """The ledger page shows 50 entries a page unless asked otherwise; a person finds an entry
    by its sequence number, a receipt by its number, or every entry of a need."""

    per_page: int = Field(50, ge=1, le=100)
    seq: int | None = Field(None, ge=1, le=2**53 - 1)
    receipt: str | None = Field(None, max_length=40)
    need: Id | None = None
