"""The public ledger's pages — the entries with the daily head hashes, the exports and the
standalone verifier with its how-to — and the public honour-rate table."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import FileResponse, Response, StreamingResponse

from fupin import REPO_ROOT
from fupin.core.policy import PUBLIC
from fupin.core.routing import page
from fupin.core.schemas import PageQuery, validate_form
from fupin.core.web import render
from fupin.errors import NotFound
from fupin.i18n import _
from fupin.ledger import rules as ledger_chain
from fupin.ledger import service as ledger
from fupin.money.schemas.ledger import LedgerPageQuery
from fupin.money.service import honour, queries

VERIFY_SCRIPT = REPO_ROOT / "tools" / "verify_ledger.py"


async def honour_rates(request: Request) -> Response:
    query = validate_form(PageQuery, request.query_params)
    return render(
        request,
        "money/honour_rates.html",
        {
            "overall": await honour.honour_rate(),
            "listing": await honour.honour_rates_by_participant(
                page=query.page, per_page=query.per_page
            ),
        },
    )


async def ledger_page(request: Request) -> Response:
    query = validate_form(LedgerPageQuery, request.query_params)
    subjects = await queries.ledger_subjects(need_id=query.need, receipt_number=query.receipt)
    entries, total = await ledger.page_of_entries(
        page=query.page,
        per_page=query.per_page,
        kind=query.kind,
        seq=query.seq,
        subjects=subjects,
    )
    return render(
        request,
        "money/ledger.html",
        {
            "entries": entries,
            "lines": await queries.readable_ledger(entries),
            "kind_labels": queries.LEDGER_KIND_LABELS,
            "search": {
                "seq": query.seq or "",
                "receipt": query.receipt or "",
                "need": query.need or "",
            },
            "searching": query.seq is not None or subjects is not None,
            "listing": queries.Page(
                items=entries, total=total, page=query.page, per_page=query.per_page
            ),
            "heads": await ledger.daily_head_hashes(limit=30),
            "kinds": sorted(ledger_chain.KINDS),
            "kind": query.kind,
            "count": await ledger.count_entries(),
        },
    )


async def ledger_entry(request: Request) -> Response:
    """One entry readable and raw, with the check that binds it to its day's published head:
    what a reader can confirm without downloading the ledger (the offline verifier proves the
    whole chain)."""
    found = await ledger.entry_proof(int(request.path_params["seq"]))
    if found is None:
        raise NotFound(_("账本中没有这条记录。"), field="seq")
    entry, proof = found
    return render(
        request,
        "money/ledger_entry.html",
        {
            "entry": entry,
            "line": (await queries.readable_ledger([entry]))[0],
            "proof": proof,
            "payload_json": ledger_chain.canonical_json(entry["payload"]),
        },
    )


async def ledger_jsonl(request: Request) -> Response:
    return _export("jsonl")


async def ledger_csv(request: Request) -> Response:
    return _export("csv")


def _export(fmt: str) -> Response:
    return StreamingResponse(
        ledger.iter_export_bytes(fmt),
        media_type=ledger.EXPORT_MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="ledger.{fmt}"'},
    )


async def ledger_script(request: Request) -> Response:
    return FileResponse(
        VERIFY_SCRIPT, media_type="text/x-python; charset=utf-8", filename="verify_ledger.py"
    )


routes = [
    page("/honour-rates", honour_rates, methods=["GET"], name="honour_rates", action=PUBLIC),
    page("/ledger", ledger_page, methods=["GET"], name="ledger", action=PUBLIC),
    page(
        "/ledger/entries/{seq:id}",
        ledger_entry,
        methods=["GET"],
        name="ledger_entry",
        action=PUBLIC,
    ),  # fmt: skip
    page("/ledger/export.jsonl", ledger_jsonl, methods=["GET"], name="ledger_jsonl", action=PUBLIC),
    page("/ledger/export.csv", ledger_csv, methods=["GET"], name="ledger_csv", action=PUBLIC),
    page(
        "/ledger/verify_ledger.py",
        ledger_script,
        methods=["GET"],
        name="ledger_script",
        action=PUBLIC,
    ),
]
