"""The public ledger: its entries, its daily head hashes and its exports (JSON Lines or CSV,
streamed; check them with ``tools/verify_ledger.py``)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from fupin.core.endpoints import Endpoint
from fupin.core.policy import PUBLIC
from fupin.core.schemas import Page
from fupin.ledger import service as ledger
from fupin.money.schemas.ledger import (
    LedgerEntry,
    LedgerExportQuery,
    LedgerHead,
    LedgerHeads,
    LedgerQuery,
)
from fupin.money.service import queries

#: The export's media types, as the document describes them (the responses add the charset).
EXPORT_MEDIA_TYPES = ("application/x-ndjson", "text/csv")


async def ledger_entries(request: Request, *, query: LedgerQuery) -> queries.Page:
    items, total = await ledger.page_of_entries(
        page=query.page, per_page=query.per_page, kind=query.kind
    )
    return queries.Page(items=items, total=total, page=query.page, per_page=query.per_page)


async def ledger_export(request: Request, *, query: LedgerExportQuery) -> Response:
    return StreamingResponse(
        ledger.iter_export_bytes(query.format),
        media_type=ledger.EXPORT_MEDIA_TYPES[query.format],
        headers={"Content-Disposition": f'attachment; filename="ledger.{query.format}"'},
    )


async def ledger_heads(request: Request) -> LedgerHeads:
    heads = await ledger.daily_head_hashes()
    return LedgerHeads(
        items=[LedgerHead(day=day, seq=seq, hash=digest) for day, seq, digest in heads]
    )


endpoints = [
    Endpoint(
        "GET",
        "/ledger",
        ledger_entries,
        "Public ledger entries, newest first (personal data as commitments)",
        query=LedgerQuery,
        response=Page[LedgerEntry],
        action=PUBLIC,
    ),
    Endpoint(
        "GET",
        "/ledger/export",
        ledger_export,
        "The whole public ledger as JSON Lines or CSV, streamed (verify with verify_ledger.py)",
        query=LedgerExportQuery,
        response=str,
        media_types=EXPORT_MEDIA_TYPES,
        action=PUBLIC,
    ),
    Endpoint(
        "GET",
        "/ledger/heads",
        ledger_heads,
        "The head hash at the end of each UTC day",
        response=LedgerHeads,
        action=PUBLIC,
    ),
]
