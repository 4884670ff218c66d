"""JSON API for money: pledges, recipients, donations, receipts, honour rates, the public ledger.

Every call that creates money-relevant state accepts an ``Idempotency-Key`` header (8–128 visible
ASCII characters): a retry with the same key returns the first result (same status and body,
plus ``Idempotent-Replayed: true``) and records nothing again, even when the retries race.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from fupin.core.jsonapi import (
    PAGE_PARAMS,
    api_actor,
    error_responses,
    json_body,
    json_response,
    page_of,
    page_params,
    paginated,
)
from fupin.core.policy import Actor
from fupin.errors import InvalidInput, PermissionDenied
from fupin.i18n import _
from fupin.ledger import rules as ledger_chain
from fupin.ledger import service as ledger
from fupin.money.models import DONATION_KINDS, RECIPIENT_KINDS, VALUATION_BASES
from fupin.money.rules.states import DONATION_STATES, PLEDGE_STATES, RECEIPT_STATES
from fupin.money.service import donations, honour, idempotency, pledges, receipts, recipients
from fupin.money.service import queries as money_queries

# --- input helpers ------------------------------------------------------------------------------


def _path_int(request: Request, name: str) -> int:
    value = request.path_params[name]
    if isinstance(value, int):
        return value
    try:
        return int(value)
    except ValueError:
        raise InvalidInput(_("编号无效。"), field=name) from None


def _int(body: dict[str, Any], name: str, *, required: bool = False) -> int | None:
    value = body.get(name)
    if value is None:
        if required:
            raise InvalidInput(_("缺少字段 %(field)s。", field=name), field=name, code="required")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(_("%(field)s 必须是整数。", field=name), field=name)
    return value


def _str(body: dict[str, Any], name: str, *, max_length: int = 500) -> str:
    value = body.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(_("%(field)s 必须是字符串。", field=name), field=name)
    if len(value) > max_length:
        raise InvalidInput(_("%(field)s 过长。", field=name), field=name, code="too_long")
    return value


def _bool(body: dict[str, Any], name: str) -> bool | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise InvalidInput(_("%(field)s 必须是 true 或 false。", field=name), field=name)
    return value


def _date(body: dict[str, Any], name: str, *, required: bool = False) -> date | None:
    value = body.get(name)
    if value is None:
        if required:
            raise InvalidInput(_("缺少字段 %(field)s。", field=name), field=name, code="required")
        return None
    return pledges.parse_date(value, field=name)


def _instalments(body: dict[str, Any]) -> list[pledges.InstalmentSpec] | None:
    value = body.get("instalments")
    if value is None:
        return None
    if not isinstance(value, list):
        raise InvalidInput(_("instalments 必须是数组。"), field="instalments")
    specs = []
    for index, item in enumerate(value, start=1):
        if not isinstance(item, dict):
            raise InvalidInput(_("每一期须为对象。"), field=f"instalments[{index}]")
        due = _date(item, "due_date", required=True)
        amount = _int(item, "amount_fen", required=True)
        assert due is not None and amount is not None
        specs.append(pledges.InstalmentSpec(due, amount))
    return specs


def _items(body: dict[str, Any]) -> list[donations.ItemSpec]:
    value = body.get("items")
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > 100:
        raise InvalidInput(_("items 必须是不超过 100 项的数组。"), field="items")
    specs = []
    for index, item in enumerate(value, start=1):
        if not isinstance(item, dict):
            raise InvalidInput(_("每个物品须为对象。"), field=f"items[{index}]")
        specs.append(
            donations.ItemSpec(
                name=_str(item, "name", max_length=64),
                quantity=_int(item, "quantity", required=True) or 0,
                unit=_str(item, "unit", max_length=16),
                unit_value_fen=_int(item, "unit_value_fen", required=True) or 0,
            )
        )
    return specs


async def _idempotent(
    request: Request,
    actor: Actor,
    operation: str,
    payload: dict[str, Any],
    action: Any,
) -> JSONResponse:
    key = idempotency.validate_key(request.headers.get("idempotency-key"))
    outcome = await idempotency.run_once(
        key=key, actor=actor, operation=operation, payload=payload, action=action
    )
    response = JSONResponse(outcome.body, status_code=outcome.status)
    if outcome.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


def _key_first(request: Request) -> None:
    """A malformed key is refused before anything else is looked at (nothing is written)."""
    idempotency.validate_key(request.headers.get("idempotency-key"))


# --- pledges ------------------------------------------------------------------------------------


async def list_my_pledges(request: Request) -> JSONResponse:
    actor = api_actor(request)
    assert actor is not None
    if actor.participant_id is None:
        raise PermissionDenied(_("只有参与方的成员有自己的认捐。"))
    page, per_page = page_params(request)
    state = request.query_params.get("state") or None
    if state is not None and state not in PLEDGE_STATES:
        raise InvalidInput(_("未知的认捐状态。"), field="state")
    listing = await money_queries.my_pledges(
        actor.participant_id, state=state, page=page, per_page=per_page
    )
    items = [pledges.pledge_dict(p, reveal_donor=True, private=True) for p in listing.items]
    return paginated(items, total=listing.total, page=page, per_page=per_page)


async def create_pledge(request: Request) -> JSONResponse:
    actor = api_actor(request)
    assert actor is not None
    _key_first(request)
    body = await json_body(request)
    need_id = _int(body, "need_id", required=True)
    amount = _int(body, "amount_fen", required=True)
    due = _date(body, "due_date")
    schedule = _instalments(body)
    anonymous = _bool(body, "anonymous") or False
    pair_id = _int(body, "pair_id")
    recipient_id = _int(body, "recipient_id")
    kind = _str(body, "kind", max_length=8) or "cash"

    async def action() -> tuple[int, Any]:
        assert need_id is not None and amount is not None
        pledge = await pledges.make_pledge(
            actor=actor,
            need_id=need_id,
            amount_fen=amount,
            due_date=due,
            instalments=schedule,
            anonymous=anonymous,
            pair_id=pair_id,
            recipient_id=recipient_id,
            kind=kind,
        )
        return 201, await pledges.pledge_detail(pledge, actor)

    return await _idempotent(request, actor, "pledge.create", body, action)


async def get_pledge(request: Request) -> JSONResponse:
    actor = api_actor(request)
    pledge = await pledges.get_pledge_for(actor, _path_int(request, "pledge_id"))
    return JSONResponse(await pledges.pledge_detail(pledge, actor))


async def amend_pledge(request: Request) -> JSONResponse:
    actor = api_actor(request)
    assert actor is not None
    _key_first(request)
    pledge_id = _path_int(request, "pledge_id")
    body = await json_body(request)
    amount = _int(body, "amount_fen", required=True)
    due = _date(body, "due_date")
    schedule = _instalments(body)
    reason = _str(body, "reason")

    async def action() -> tuple[int, Any]:
        assert amount is not None
        pledge = await pledges.amend_pledge(
            actor=actor,
            pledge_id=pledge_id,
            amount_fen=amount,
            due_date=due,
            instalments=schedule,
            reason=reason,
        )
        return 200, await pledges.pledge_detail(pledge, actor)

    return await _idempotent(request, actor, f"pledge.amend:{pledge_id}", body, action)


async def withdraw_pledge(request: Request) -> JSONResponse:
    actor = api_actor(request)
    assert actor is not None
    _key_first(request)
    pledge_id = _path_int(request, "pledge_id")
    body = await json_body(request)
    reason = _str(body, "reason")

    async def action() -> tuple[int, Any]:
        pledge = await pledges.withdraw_pledge(actor=actor, pledge_id=pledge_id, reason=reason)
        return 200, await pledges.pledge_detail(pledge, actor)

    return await _idempotent(request, actor, f"pledge.withdraw:{pledge_id}", body, action)


async def pledges_due(request: Request) -> JSONResponse:
    actor = api_actor(request)
    assert actor is not None
    if actor.participant_id is None:
        raise PermissionDenied(_("只有参与方的成员有自己的认捐。"))
    items = await money_queries.what_is_due(actor.participant_id)
    return JSONResponse(
        {
            "items": [
                {
                    "pledge_id": item.pledge.id,
                    "need_id": item.pledge.need_id,
                    "need_title": item.pledge.need.title,
                    "instalment": item.number,
                    "due_date": item.due_date.isoformat(),
                    "due_fen": item.due_fen,
                    "overdue": item.overdue,
                }
                for item in items
            ]
        }
    )


async def need_pledges(request: Request) -> JSONResponse:
    """The public money of one need: totals and pledges, anonymous donors not named."""
    actor = api_actor(request, required=False)
    need = await money_queries.public_need(_path_int(request, "need_id"))
    page, per_page = page_params(request)
    items, total = await money_queries.need_pledges_page(need, actor, page=page, per_page=per_page)
    return paginated(
        items,
        total=total,
        page=page,
        per_page=per_page,
        target_fen=need.target_fen,
        pledged_fen=need.pledged_fen,
        received_fen=need.received_fen,
        open_fen=max(need.target_fen - need.pledged_fen, 0),
    )


async def honour_rates(request: Request) -> JSONResponse:
    """Honour rate overall, of one participant (public: its named pledges only; its own members
    see all of them), or of the pledges a pair mobilised."""
    actor = api_actor(request, required=False)
    participant_id = _query_int(request, "participant_id")
    pair_id = _query_int(request, "pair_id")
    own = (
        actor is not None and participant_id is not None and actor.participant_id == participant_id
    )
    rate = await honour.honour_rate(participant_id=participant_id, pair_id=pair_id, public=not own)
    return JSONResponse({"participant_id": participant_id, "pair_id": pair_id, **rate.as_dict()})


async def honour_rate_table(request: Request) -> JSONResponse:
    page, per_page = page_params(request)
    listing = await honour.honour_rates_by_participant(page=page, per_page=per_page)
    items = [
        {
            "participant_id": row.participant_id,
            "name": row.name,
            "kind": row.kind,
            **row.rate.as_dict(),
        }
        for row in listing.items
    ]
    return paginated(items, total=listing.total, page=page, per_page=per_page)


def _query_int(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError:
        raise InvalidInput(_("%(field)s 必须是整数。", field=name), field=name) from None


# --- recipients -------------------------------------------------------------------------------


async def list_recipients(request: Request) -> JSONResponse:
    page, per_page = page_params(request)
    orgs, total = await recipients.list_recipients(
        kind=request.query_params.get("kind") or None, page=page, per_page=per_page
    )
    items = [await recipients.recipient_detail(o) for o in orgs]
    return paginated(items, total=total, page=page, per_page=per_page)


async def create_recipient(request: Request) -> JSONResponse:
    actor = api_actor(request)
    body = await json_body(request)
    org = await recipients.create_recipient_org(
        actor=actor,
        kind=_str(body, "kind", max_length=16),
        name=_str(body, "name", max_length=128),
        code=_str(body, "code", max_length=18),
        uscc=_str(body, "uscc", max_length=18),
        region_code=_str(body, "region_code", max_length=12),
        participant_id=_int(body, "participant_id"),
        note=_str(body, "note", max_length=2000),
    )
    return JSONResponse(await recipients.recipient_detail(org), status_code=201)


async def get_recipient(request: Request) -> JSONResponse:
    org = await recipients.get_recipient(_path_int(request, "org_id"))
    return JSONResponse(await recipients.recipient_detail(org))


async def add_qualification(request: Request) -> JSONResponse:
    actor = api_actor(request)
    org_id = _path_int(request, "org_id")
    body = await json_body(request)
    await recipients.add_qualification(
        actor=actor,
        org_id=org_id,
        start_year=_int(body, "start_year", required=True) or 0,
        end_year=_int(body, "end_year", required=True) or 0,
        list_reference=_str(body, "list_reference", max_length=255),
    )
    return JSONResponse(
        await recipients.recipient_detail(await recipients.get_recipient(org_id)), status_code=201
    )


async def recipient_inbox(request: Request) -> JSONResponse:
    actor = api_actor(request)
    org = await recipients.get_recipient(_path_int(request, "org_id"))
    await recipients.require_recipient(actor, "donation.record", org)
    page, per_page = page_params(request)
    inbox = await money_queries.recipient_inbox(org, page=page, per_page=per_page)
    return JSONResponse(
        {
            "recipient_id": org.id,
            "expected_total_fen": inbox.expected_total_fen,
            "received_total_fen": inbox.received_total_fen,
            "receipts_missing": inbox.receipts_missing,
            "expected": [
                pledges.pledge_dict(p, reveal_donor=True, private=True) for p in inbox.expected
            ],
            "awaiting_confirmation": [
                donations.donation_dict(d, donor=d.donor, reveal_donor=True, private=True)
                for d in inbox.awaiting
            ],
            "received": {
                "items": [
                    donations.donation_dict(d, donor=d.donor, reveal_donor=True, private=True)
                    for d in inbox.received.items
                ],
                "total": inbox.received.total,
                "page": page,
                "per_page": per_page,
            },
        }
    )


# --- donations --------------------------------------------------------------------------------


async def list_my_donations(request: Request) -> JSONResponse:
    actor = api_actor(request)
    assert actor is not None
    if actor.participant_id is None:
        raise PermissionDenied(_("只有参与方的成员有自己的捐赠记录。"))
    page, per_page = page_params(request)
    items, total = await money_queries.my_donation_items(
        actor.participant_id, page=page, per_page=per_page
    )
    return paginated(items, total=total, page=page, per_page=per_page)


async def record_donation(request: Request) -> JSONResponse:
    actor = api_actor(request)
    assert actor is not None
    _key_first(request)
    body = await json_body(request)
    recipient_id = _int(body, "recipient_id", required=True)
    amount = _int(body, "amount_fen", required=True)
    received_on = _date(body, "received_on", required=True)
    kind = _str(body, "kind", max_length=8) or "cash"
    fields = {
        "need_id": _int(body, "need_id"),
        "pledge_id": _int(body, "pledge_id"),
        "donor_id": _int(body, "donor_id"),
        "anonymous": _bool(body, "anonymous"),
        "payment_reference": _str(body, "payment_reference", max_length=64),
        "valuation_basis": _str(body, "valuation_basis", max_length=16),
        "fair_value_evidence": _str(body, "fair_value_evidence", max_length=2000),
        "note": _str(body, "note", max_length=2000),
        "items": _items(body),
    }

    async def action() -> tuple[int, Any]:
        assert recipient_id is not None and amount is not None and received_on is not None
        donation = await donations.record_donation(
            actor=actor,
            recipient_id=recipient_id,
            amount_fen=amount,
            received_on=received_on,
            kind=kind,
            confirm=body.get("confirm") is True,
            **fields,
        )
        return 201, await donations.donation_detail(donation, actor)

    return await _idempotent(request, actor, "donation.record", body, action)


async def get_donation(request: Request) -> JSONResponse:
    actor = api_actor(request)
    donation = await recipients.get_donation_for(actor, _path_int(request, "donation_id"))
    return JSONResponse(await donations.donation_detail(donation, actor))


async def edit_donation(request: Request) -> JSONResponse:
    actor = api_actor(request)
    donation_id = _path_int(request, "donation_id")
    body = await json_body(request)
    changes: dict[str, Any] = {}
    for name in ("amount_fen",):
        if name in body:
            changes[name] = _int(body, name, required=True)
    if "received_on" in body:
        changes["received_on"] = _date(body, "received_on", required=True)
    for name, limit in (
        ("payment_reference", 64),
        ("note", 2000),
        ("kind", 8),
        ("valuation_basis", 16),
        ("fair_value_evidence", 2000),
    ):
        if name in body:
            changes[name] = _str(body, name, max_length=limit)
    if "anonymous" in body:
        changes["anonymous"] = _bool(body, "anonymous")
    unknown = sorted(set(body) - set(changes))
    if unknown:
        raise InvalidInput(_("不能修改此字段：%(field)s", field=unknown[0]), field=unknown[0])
    donation = await donations.update_donation(
        actor=actor, donation_id=donation_id, changes=changes
    )
    return JSONResponse(await donations.donation_detail(donation, actor))


async def confirm_donation(request: Request) -> JSONResponse:
    actor = api_actor(request)
    assert actor is not None
    _key_first(request)
    donation_id = _path_int(request, "donation_id")

    async def action() -> tuple[int, Any]:
        donation = await donations.confirm_donation(actor=actor, donation_id=donation_id)
        return 200, await donations.donation_detail(donation, actor)

    return await _idempotent(request, actor, f"donation.confirm:{donation_id}", {}, action)


async def reverse_donation(request: Request) -> JSONResponse:
    actor = api_actor(request)
    assert actor is not None
    _key_first(request)
    donation_id = _path_int(request, "donation_id")
    body = await json_body(request)
    reason = _str(body, "reason")

    async def action() -> tuple[int, Any]:
        reversal = await donations.reverse_donation(
            actor=actor, donation_id=donation_id, reason=reason
        )
        return 201, await donations.donation_detail(reversal, actor)

    return await _idempotent(request, actor, f"donation.reverse:{donation_id}", body, action)


async def cancel_donation(request: Request) -> JSONResponse:
    actor = api_actor(request)
    donation_id = _path_int(request, "donation_id")
    body = await json_body(request)
    donation = await donations.cancel_donation(
        actor=actor, donation_id=donation_id, reason=_str(body, "reason")
    )
    return JSONResponse(await donations.donation_detail(donation, actor))


# --- receipts -----------------------------------------------------------------------------------


async def issue_receipt(request: Request) -> JSONResponse:
    actor = api_actor(request)
    assert actor is not None
    _key_first(request)
    donation_id = _path_int(request, "donation_id")

    async def action() -> tuple[int, Any]:
        receipt = await receipts.issue_receipt(actor=actor, donation_id=donation_id)
        return 201, await receipts.receipt_detail(receipt)

    return await _idempotent(request, actor, f"receipt.issue:{donation_id}", {}, action)


async def get_receipt(request: Request) -> JSONResponse:
    actor = api_actor(request)
    receipt = await receipts.get_receipt_for(actor, _path_int(request, "receipt_id"))
    return JSONResponse(await receipts.receipt_detail(receipt))


async def void_receipt(request: Request) -> JSONResponse:
    actor = api_actor(request)
    receipt_id = _path_int(request, "receipt_id")
    body = await json_body(request)
    receipt = await receipts.void_receipt(
        actor=actor, receipt_id=receipt_id, reason=_str(body, "reason")
    )
    return JSONResponse(await receipts.receipt_detail(receipt))


async def reissue_receipt(request: Request) -> JSONResponse:
    actor = api_actor(request)
    assert actor is not None
    _key_first(request)
    receipt_id = _path_int(request, "receipt_id")
    body = await json_body(request)
    reason = _str(body, "reason")

    async def action() -> tuple[int, Any]:
        receipt = await receipts.reissue_receipt(actor=actor, receipt_id=receipt_id, reason=reason)
        return 201, await receipts.receipt_detail(receipt)

    return await _idempotent(request, actor, f"receipt.reissue:{receipt_id}", body, action)


async def official_numbers(request: Request) -> JSONResponse:
    actor = api_actor(request)
    receipt_id = _path_int(request, "receipt_id")
    body = await json_body(request)
    receipt = await receipts.get_receipt_for(actor, receipt_id)
    await donations.enter_official_numbers(
        actor=actor,
        donation_id=receipt.donation_id,
        receipt_code=_str(body, "receipt_code", max_length=20),
        receipt_number=_str(body, "receipt_number", max_length=20),
        check_code=_str(body, "check_code", max_length=32),
    )
    return JSONResponse(
        await receipts.receipt_detail(await receipts.get_receipt_for(actor, receipt_id))
    )


async def print_receipt(request: Request) -> JSONResponse:
    actor = api_actor(request)
    receipt, copy = await receipts.record_print(
        actor=actor, receipt_id=_path_int(request, "receipt_id")
    )
    body = await receipts.receipt_detail(receipt)
    body.update(copy=copy, duplicate=copy > 1)
    return JSONResponse(body)


# --- the public ledger --------------------------------------------------------------------------


async def ledger_entries(request: Request) -> JSONResponse:
    page, per_page = page_params(request)
    kind = request.query_params.get("kind") or None
    if kind is not None and kind not in ledger_chain.KINDS:
        raise InvalidInput(_("未知的账本记录类型。"), field="kind")
    items, total = await ledger.page_of_entries(page=page, per_page=per_page, kind=kind)
    return paginated(items, total=total, page=page, per_page=per_page)


async def ledger_export(request: Request) -> Response:
    fmt = request.query_params.get("format", "jsonl")
    if fmt not in ledger.EXPORT_MEDIA_TYPES:
        raise InvalidInput(_("导出格式应为 jsonl 或 csv。"), field="format")
    return StreamingResponse(
        ledger.iter_export_bytes(fmt),
        media_type=ledger.EXPORT_MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="ledger.{fmt}"'},
    )


async def ledger_heads(request: Request) -> JSONResponse:
    heads = await ledger.daily_head_hashes()
    return JSONResponse(
        {"items": [{"day": day, "seq": seq, "hash": digest} for day, seq, digest in heads]}
    )


routes = [
    Route("/pledges", list_my_pledges, methods=["GET"], name="pledges"),
    Route("/pledges", create_pledge, methods=["POST"], name="pledges_create"),
    Route("/pledges/due", pledges_due, methods=["GET"], name="pledges_due"),
    Route("/pledges/{pledge_id:int}", get_pledge, methods=["GET"], name="pledge"),
    Route("/pledges/{pledge_id:int}/amend", amend_pledge, methods=["POST"], name="pledge_amend"),
    Route(
        "/pledges/{pledge_id:int}/withdraw",
        withdraw_pledge,
        methods=["POST"],
        name="pledge_withdraw",
    ),
    Route("/needs/{need_id:int}/pledges", need_pledges, methods=["GET"], name="need_pledges"),
    Route("/honour-rates", honour_rates, methods=["GET"], name="honour_rates"),
    Route(
        "/honour-rates/participants", honour_rate_table, methods=["GET"], name="honour_rate_table"
    ),
    Route("/recipients", list_recipients, methods=["GET"], name="recipients"),
    Route("/recipients", create_recipient, methods=["POST"], name="recipients_create"),
    Route("/recipients/{org_id:int}", get_recipient, methods=["GET"], name="recipient"),
    Route(
        "/recipients/{org_id:int}/qualifications",
        add_qualification,
        methods=["POST"],
        name="recipient_qualify",
    ),
    Route(
        "/recipients/{org_id:int}/inbox", recipient_inbox, methods=["GET"], name="recipient_inbox"
    ),
    Route("/donations", list_my_donations, methods=["GET"], name="donations"),
    Route("/donations", record_donation, methods=["POST"], name="donations_record"),
    Route("/donations/{donation_id:int}", get_donation, methods=["GET"], name="donation"),
    Route("/donations/{donation_id:int}", edit_donation, methods=["PATCH"], name="donation_edit"),
    Route(
        "/donations/{donation_id:int}/confirm",
        confirm_donation,
        methods=["POST"],
        name="donation_confirm",
    ),
    Route(
        "/donations/{donation_id:int}/reverse",
        reverse_donation,
        methods=["POST"],
        name="donation_reverse",
    ),
    Route(
        "/donations/{donation_id:int}/cancel",
        cancel_donation,
        methods=["POST"],
        name="donation_cancel",
    ),
    Route(
        "/donations/{donation_id:int}/receipts",
        issue_receipt,
        methods=["POST"],
        name="receipt_issue",
    ),
    Route("/receipts/{receipt_id:int}", get_receipt, methods=["GET"], name="receipt"),
    Route("/receipts/{receipt_id:int}/void", void_receipt, methods=["POST"], name="receipt_void"),
    Route(
        "/receipts/{receipt_id:int}/reissue",
        reissue_receipt,
        methods=["POST"],
        name="receipt_reissue",
    ),
    Route(
        "/receipts/{receipt_id:int}/official-numbers",
        official_numbers,
        methods=["PUT"],
        name="receipt_official",
    ),
    Route(
        "/receipts/{receipt_id:int}/prints", print_receipt, methods=["POST"], name="receipt_print"
    ),
    Route("/ledger", ledger_entries, methods=["GET"], name="ledger"),
    Route("/ledger/export", ledger_export, methods=["GET"], name="ledger_export"),
    Route("/ledger/heads", ledger_heads, methods=["GET"], name="ledger_heads"),
]


# --- OpenAPI ------------------------------------------------------------------------------------

_FEN = {"type": "integer", "description": "Money in fen (分): 1234567 is ¥12,345.67"}
_DATE = {"type": "string", "format": "date"}
_IDEMPOTENCY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "8–128 visible ASCII characters. A retry with the same key returns the first "
    "result (header Idempotent-Replayed: true) and records nothing again. A malformed key is "
    "refused with 422 naming the header; the same key with a different body with 409.",
    "schema": {
        "type": "string",
        "minLength": 8,
        "maxLength": 128,
        "pattern": "^[\\x21-\\x7e]{8,128}$",
    },
}


def _path(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}


def _body(ref: str) -> dict[str, Any]:
    return {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
    }


def _ok(ref: str, description: str = "OK") -> dict[str, Any]:
    return json_response({"$ref": f"#/components/schemas/{ref}"}, description)


_DONOR = {
    "type": "object",
    "description": "The donor; id and kind are null and the name is 匿名捐赠人 when the donor gave "
    "anonymously and the reader is neither the donor nor an office over the need.",
    "properties": {
        "id": {"type": ["integer", "null"]},
        "name": {"type": ["string", "null"]},
        "kind": {"type": ["string", "null"]},
    },
}
_INSTALMENT = {
    "type": "object",
    "required": ["due_date", "amount_fen"],
    "properties": {"due_date": _DATE, "amount_fen": _FEN, "number": {"type": "integer"}},
}
_RATE = {
    "due_count": {"type": "integer"},
    "honoured_count": {"type": "integer"},
    "rate_percent": {"type": ["integer", "null"], "description": "honoured / due, whole percent"},
    "due_fen": _FEN,
    "paid_fen": _FEN,
    "amount_rate_percent": {"type": ["integer", "null"]},
}

schemas = {
    "Pledge": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "need_id": {"type": "integer"},
            "amount_fen": _FEN,
            "paid_fen": _FEN,
            "committed_fen": _FEN,
            "unpaid_fen": _FEN,
            "state": {"type": "string", "enum": list(PLEDGE_STATES)},
            "anonymous": {"type": "boolean"},
            "donor": _DONOR,
            "pair_id": {"type": ["integer", "null"]},
            "recipient_id": {"type": ["integer", "null"]},
            "due_date": _DATE,
            "kind": {"type": "string", "enum": ["cash", "in_kind"]},
            "instalments": {"type": "array", "items": _INSTALMENT},
            "events": {"type": "array", "items": {"type": "object"}},
            "created_at": {"type": ["string", "null"]},
        },
    },
    "PledgeCreate": {
        "type": "object",
        "required": ["need_id", "amount_fen"],
        "properties": {
            "need_id": {"type": "integer"},
            "amount_fen": {**_FEN, "minimum": 1, "maximum": pledges.MAX_AMOUNT_FEN},
            "due_date": {**_DATE, "description": "Required unless instalments are given"},
            "instalments": {
                "type": "array",
                "items": _INSTALMENT,
                "maxItems": pledges.MAX_INSTALMENTS,
            },
            "anonymous": {"type": "boolean", "default": False},
            "pair_id": {"type": "integer", "description": "The cooperation pair that mobilised it"},
            "recipient_id": {
                "type": "integer",
                "description": "Channel; default: the county government",
            },
            "kind": {"type": "string", "enum": ["cash", "in_kind"]},
        },
    },
    "PledgeAmend": {
        "type": "object",
        "required": ["amount_fen"],
        "properties": {
            "amount_fen": {**_FEN, "minimum": 1},
            "due_date": _DATE,
            "instalments": {"type": "array", "items": _INSTALMENT},
            "reason": {"type": "string", "maxLength": 500},
        },
    },
    "Reason": {"type": "object", "properties": {"reason": {"type": "string", "maxLength": 500}}},
    "DueItem": {
        "type": "object",
        "properties": {
            "pledge_id": {"type": "integer"},
            "need_id": {"type": "integer"},
            "need_title": {"type": "string"},
            "instalment": {"type": ["integer", "null"]},
            "due_date": _DATE,
            "due_fen": _FEN,
            "overdue": {"type": "boolean"},
        },
    },
    "HonourRate": {
        "type": "object",
        "properties": {
            "participant_id": {"type": ["integer", "null"]},
            "pair_id": {"type": ["integer", "null"]},
            **_RATE,
        },
    },
    "ParticipantHonourRate": {
        "type": "object",
        "properties": {
            "participant_id": {"type": "integer"},
            "name": {"type": "string"},
            "kind": {"type": "string"},
            **_RATE,
        },
    },
    "Recipient": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "kind": {"type": "string", "enum": list(RECIPIENT_KINDS)},
            "name": {"type": "string"},
            "code": {"type": "string", "description": "Issuer code in receipt numbers"},
            "uscc": {"type": ["string", "null"]},
            "region_code": {"type": ["string", "null"]},
            "participant_id": {"type": ["integer", "null"]},
            "qualifications": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "start_year": {"type": "integer"},
                        "end_year": {"type": "integer"},
                        "list_reference": {"type": "string"},
                    },
                },
            },
        },
    },
    "RecipientCreate": {
        "type": "object",
        "required": ["kind", "name"],
        "properties": {
            "kind": {"type": "string", "enum": list(RECIPIENT_KINDS)},
            "name": {"type": "string", "maxLength": 128},
            "code": {"type": "string", "maxLength": 18},
            "uscc": {"type": "string", "maxLength": 18},
            "region_code": {"type": "string", "maxLength": 12},
            "participant_id": {"type": "integer"},
            "note": {"type": "string", "maxLength": 2000},
        },
    },
    "QualificationCreate": {
        "type": "object",
        "required": ["start_year", "end_year", "list_reference"],
        "properties": {
            "start_year": {"type": "integer", "minimum": 2008, "maximum": 2100},
            "end_year": {"type": "integer", "minimum": 2008, "maximum": 2100},
            "list_reference": {"type": "string", "maxLength": 255},
        },
    },
    "Inbox": {
        "type": "object",
        "properties": {
            "recipient_id": {"type": "integer"},
            "expected_total_fen": _FEN,
            "received_total_fen": _FEN,
            "receipts_missing": {"type": "integer"},
            "expected": {"type": "array", "items": {"$ref": "#/components/schemas/Pledge"}},
            "awaiting_confirmation": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/Donation"},
            },
            "received": page_of("Donation"),
        },
    },
    "Donation": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "need_id": {"type": "integer"},
            "pledge_id": {"type": ["integer", "null"]},
            "recipient_id": {"type": "integer"},
            "amount_fen": {**_FEN, "description": "Negative for a reversing entry"},
            "kind": {"type": "string", "enum": list(DONATION_KINDS)},
            "state": {"type": "string", "enum": list(DONATION_STATES)},
            "received_on": _DATE,
            "anonymous": {"type": "boolean"},
            "donor": _DONOR,
            "reverses": {"type": ["integer", "null"]},
            "reversed_by": {"type": ["integer", "null"]},
            "targeted": {
                "type": "boolean",
                "description": "Targeted poverty donation (2019 No. 49), derived",
            },
            "targeted_basis": {"type": "string"},
            "channel_qualifies": {"type": "boolean"},
            "payment_reference": {"type": "string"},
            "valuation_basis": {"type": "string"},
            "fair_value_evidence": {"type": "string"},
            "official_receipt_code": {"type": "string"},
            "official_receipt_number": {"type": "string"},
            "official_check_code": {"type": "string"},
            "items": {"type": "array", "items": {"type": "object"}},
            "receipts": {"type": "array", "items": {"type": "object"}},
            "ledger_seq": {"type": ["integer", "null"]},
        },
    },
    "DonationRecord": {
        "type": "object",
        "required": ["recipient_id", "amount_fen", "received_on"],
        "properties": {
            "recipient_id": {"type": "integer"},
            "pledge_id": {"type": "integer"},
            "need_id": {"type": "integer", "description": "Required without pledge_id"},
            "donor_id": {"type": "integer", "description": "Required without pledge_id"},
            "amount_fen": {**_FEN, "minimum": 1},
            "received_on": {
                **_DATE,
                "description": "The day the money arrived; may be in an earlier year",
            },
            "kind": {"type": "string", "enum": list(DONATION_KINDS)},
            "anonymous": {"type": "boolean"},
            "payment_reference": {"type": "string", "maxLength": 64},
            "valuation_basis": {"type": "string", "enum": list(VALUATION_BASES)},
            "fair_value_evidence": {"type": "string", "maxLength": 2000},
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "quantity": {"type": "integer"},
                        "unit": {"type": "string"},
                        "unit_value_fen": _FEN,
                    },
                },
            },
            "note": {"type": "string", "maxLength": 2000},
            "confirm": {"type": "boolean", "description": "Record and confirm in one step"},
        },
    },
    "DonationEdit": {
        "type": "object",
        "description": "Only recorded (unconfirmed) donations; confirmed ones are locked (409)",
        "properties": {
            "amount_fen": _FEN,
            "received_on": _DATE,
            "payment_reference": {"type": "string"},
            "note": {"type": "string"},
            "kind": {"type": "string"},
            "valuation_basis": {"type": "string"},
            "fair_value_evidence": {"type": "string"},
            "anonymous": {"type": "boolean"},
        },
    },
    "Receipt": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "number": {"type": "string", "description": "<issuer code>-<year>-<serial>"},
            "issuer_id": {"type": "integer"},
            "year": {"type": "integer"},
            "serial": {"type": "integer"},
            "donation_id": {"type": "integer"},
            "state": {"type": "string", "enum": list(RECEIPT_STATES)},
            "amount_fen": _FEN,
            "amount_in_words": {"type": "string"},
            "payer_name": {"type": "string"},
            "payer_identifier": {"type": "string"},
            "project_code": {"type": "string"},
            "project_name": {"type": "string"},
            "area_text": {"type": "string"},
            "items": {"type": "array", "items": {"type": "object"}},
            "remarks": {"type": "string"},
            "issued_on": _DATE,
            "void_reason": {"type": "string"},
            "reissue_of": {"type": ["integer", "null"]},
            "print_count": {"type": "integer"},
            "official_receipt_code": {"type": "string"},
            "official_receipt_number": {"type": "string"},
            "official_check_code": {"type": "string"},
            "is_tax_voucher": {
                "type": "boolean",
                "description": "False until the official numbers are entered",
            },
            "labels": {"type": "array", "items": {"type": "string"}},
            "copy": {"type": "integer"},
            "duplicate": {"type": "boolean"},
        },
    },
    "OfficialNumbers": {
        "type": "object",
        "required": ["receipt_code", "receipt_number", "check_code"],
        "properties": {
            "receipt_code": {"type": "string", "maxLength": 20, "description": "票据代码"},
            "receipt_number": {"type": "string", "maxLength": 20, "description": "票据号码"},
            "check_code": {"type": "string", "maxLength": 32, "description": "校验码"},
        },
    },
    "LedgerEntry": {
        "type": "object",
        "properties": {
            "seq": {"type": "integer"},
            "at": {"type": "string"},
            "kind": {"type": "string", "enum": sorted(ledger_chain.KINDS)},
            "subject": {"type": "string"},
            "payload": {"type": "object", "description": 'Personal fields are {"commit": sha256}'},
            "prev_hash": {"type": "string"},
            "hash": {"type": "string"},
        },
    },
}

_AUTH_ERRORS = error_responses(401, 403, 404, 409, 422)

openapi = {
    "/pledges": {
        "get": {
            "summary": "My participant's pledges",
            "parameters": [
                {
                    "name": "state",
                    "in": "query",
                    "schema": {"type": "string", "enum": list(PLEDGE_STATES)},
                },
                *PAGE_PARAMS,
            ],
            "responses": {
                "200": json_response(page_of("Pledge")),
                **error_responses(401, 403, 422),
            },
        },
        "post": {
            "summary": "Pledge an amount to a published need (no over-pledging)",
            "parameters": [_IDEMPOTENCY],
            "requestBody": _body("PledgeCreate"),
            "responses": {"201": _ok("Pledge", "Created"), **_AUTH_ERRORS},
        },
    },
    "/pledges/due": {
        "get": {
            "summary": "What my participant has due (unpaid instalments, by date)",
            "responses": {
                "200": json_response(
                    {
                        "type": "object",
                        "properties": {
                            "items": {
                                "type": "array",
                                "items": {"$ref": "#/components/schemas/DueItem"},
                            }
                        },
                    }
                ),
                **error_responses(401, 403),
            },
        }
    },
    "/pledges/{pledge_id}": {
        "get": {
            "summary": "One pledge with its schedule and history",
            "parameters": [_path("pledge_id")],
            "responses": {"200": _ok("Pledge"), **error_responses(401, 403, 404)},
        }
    },
    "/pledges/{pledge_id}/amend": {
        "post": {
            "summary": "Amend a pledge (an event; raising it is subject to the open amount)",
            "parameters": [_path("pledge_id"), _IDEMPOTENCY],
            "requestBody": _body("PledgeAmend"),
            "responses": {"200": _ok("Pledge"), **_AUTH_ERRORS},
        }
    },
    "/pledges/{pledge_id}/withdraw": {
        "post": {
            "summary": "Withdraw the unpaid part of a pledge (frees the amount at once)",
            "parameters": [_path("pledge_id"), _IDEMPOTENCY],
            "requestBody": {
                "required": False,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Reason"}}
                },
            },
            "responses": {"200": _ok("Pledge"), **_AUTH_ERRORS},
        }
    },
    "/needs/{need_id}/pledges": {
        "get": {
            "summary": "A public need's money and pledges (anonymous donors are not named)",
            "security": [],
            "parameters": [_path("need_id"), *PAGE_PARAMS],
            "responses": {"200": json_response(page_of("Pledge")), **error_responses(404, 422)},
        }
    },
    "/honour-rates": {
        "get": {
            "summary": "Honour rate (honoured / due): overall, of a participant or of a pair",
            "security": [],
            "parameters": [
                {"name": "participant_id", "in": "query", "schema": {"type": "integer"}},
                {"name": "pair_id", "in": "query", "schema": {"type": "integer"}},
            ],
            "responses": {"200": _ok("HonourRate"), **error_responses(422)},
        }
    },
    "/honour-rates/participants": {
        "get": {
            "summary": "Honour rate of each participant (named pledges only)",
            "security": [],
            "parameters": PAGE_PARAMS,
            "responses": {
                "200": json_response(page_of("ParticipantHonourRate")),
                **error_responses(422),
            },
        }
    },
    "/recipients": {
        "get": {
            "summary": "Recipient organisations and their deduction qualifications",
            "security": [],
            "parameters": [
                {
                    "name": "kind",
                    "in": "query",
                    "schema": {"type": "string", "enum": list(RECIPIENT_KINDS)},
                },
                *PAGE_PARAMS,
            ],
            "responses": {"200": json_response(page_of("Recipient")), **error_responses(422)},
        },
        "post": {
            "summary": "Register a recipient organisation (offices)",
            "requestBody": _body("RecipientCreate"),
            "responses": {"201": _ok("Recipient", "Created"), **error_responses(401, 403, 422)},
        },
    },
    "/recipients/{org_id}": {
        "get": {
            "summary": "One recipient organisation",
            "security": [],
            "parameters": [_path("org_id")],
            "responses": {"200": _ok("Recipient"), **error_responses(404)},
        }
    },
    "/recipients/{org_id}/qualifications": {
        "post": {
            "summary": "Add a qualification period (start/end year, issuing list)",
            "parameters": [_path("org_id")],
            "requestBody": _body("QualificationCreate"),
            "responses": {
                "201": _ok("Recipient", "Created"),
                **error_responses(401, 403, 404, 422),
            },
        }
    },
    "/recipients/{org_id}/inbox": {
        "get": {
            "summary": "The recipient's inbox: expected and received funds",
            "parameters": [_path("org_id"), *PAGE_PARAMS],
            "responses": {"200": _ok("Inbox"), **error_responses(401, 403, 404)},
        }
    },
    "/donations": {
        "get": {
            "summary": "My participant's donations",
            "parameters": PAGE_PARAMS,
            "responses": {"200": json_response(page_of("Donation")), **error_responses(401, 403)},
        },
        "post": {
            "summary": "Record a donation received (recipient's officers)",
            "parameters": [_IDEMPOTENCY],
            "requestBody": _body("DonationRecord"),
            "responses": {"201": _ok("Donation", "Created"), **_AUTH_ERRORS},
        },
    },
    "/donations/{donation_id}": {
        "get": {
            "summary": "One donation",
            "parameters": [_path("donation_id")],
            "responses": {"200": _ok("Donation"), **error_responses(401, 403, 404)},
        },
        "patch": {
            "summary": "Correct a recorded donation (confirmed ones are locked: 409)",
            "parameters": [_path("donation_id")],
            "requestBody": _body("DonationEdit"),
            "responses": {"200": _ok("Donation"), **_AUTH_ERRORS},
        },
    },
    "/donations/{donation_id}/confirm": {
        "post": {
            "summary": "Confirm a donation: counted, locked, entered in the public ledger",
            "parameters": [_path("donation_id"), _IDEMPOTENCY],
            "responses": {"200": _ok("Donation"), **_AUTH_ERRORS},
        }
    },
    "/donations/{donation_id}/reverse": {
        "post": {
            "summary": "Reverse a confirmed donation (a reversing entry; its receipt is voided)",
            "parameters": [_path("donation_id"), _IDEMPOTENCY],
            "requestBody": _body("Reason"),
            "responses": {"201": _ok("Donation", "Created"), **_AUTH_ERRORS},
        }
    },
    "/donations/{donation_id}/cancel": {
        "post": {
            "summary": "Cancel a recorded, unconfirmed donation",
            "parameters": [_path("donation_id")],
            "requestBody": {
                "required": False,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Reason"}}
                },
            },
            "responses": {"200": _ok("Donation"), **_AUTH_ERRORS},
        }
    },
    "/donations/{donation_id}/receipts": {
        "post": {
            "summary": "Issue the next receipt number for a confirmed donation",
            "parameters": [_path("donation_id"), _IDEMPOTENCY],
            "responses": {"201": _ok("Receipt", "Created"), **_AUTH_ERRORS},
        }
    },
    "/receipts/{receipt_id}": {
        "get": {
            "summary": "One receipt (the donor, the issuer and the offices)",
            "parameters": [_path("receipt_id")],
            "responses": {"200": _ok("Receipt"), **error_responses(401, 403, 404)},
        }
    },
    "/receipts/{receipt_id}/void": {
        "post": {
            "summary": "Void a receipt (keeps its number, records why)",
            "parameters": [_path("receipt_id")],
            "requestBody": _body("Reason"),
            "responses": {"200": _ok("Receipt"), **_AUTH_ERRORS},
        }
    },
    "/receipts/{receipt_id}/reissue": {
        "post": {
            "summary": "Re-issue: a new number pointing to the voided receipt",
            "parameters": [_path("receipt_id"), _IDEMPOTENCY],
            "requestBody": _body("Reason"),
            "responses": {"201": _ok("Receipt", "Created"), **_AUTH_ERRORS},
        }
    },
    "/receipts/{receipt_id}/official-numbers": {
        "put": {
            "summary": "Enter the official 票据代码 / 票据号码 / 校验码",
            "parameters": [_path("receipt_id")],
            "requestBody": _body("OfficialNumbers"),
            "responses": {"200": _ok("Receipt"), **_AUTH_ERRORS},
        }
    },
    "/receipts/{receipt_id}/prints": {
        "post": {
            "summary": "Count a printed copy (copies after the first are duplicates)",
            "parameters": [_path("receipt_id")],
            "responses": {"200": _ok("Receipt"), **error_responses(401, 403, 404)},
        }
    },
    "/ledger": {
        "get": {
            "summary": "Public ledger entries, newest first (personal data as commitments)",
            "security": [],
            "parameters": [
                {
                    "name": "kind",
                    "in": "query",
                    "schema": {"type": "string", "enum": sorted(ledger_chain.KINDS)},
                },
                *PAGE_PARAMS,
            ],
            "responses": {"200": json_response(page_of("LedgerEntry")), **error_responses(422)},
        }
    },
    "/ledger/export": {
        "get": {
            "summary": "The whole public ledger as JSON Lines or CSV (verify with verify_ledger.py)",
            "security": [],
            "parameters": [
                {
                    "name": "format",
                    "in": "query",
                    "schema": {"type": "string", "enum": ["jsonl", "csv"], "default": "jsonl"},
                }
            ],
            "responses": {
                "200": {
                    "description": "The export",
                    "content": {
                        "application/x-ndjson": {"schema": {"type": "string"}},
                        "text/csv": {"schema": {"type": "string"}},
                    },
                },
                **error_responses(422),
            },
        }
    },
    "/ledger/heads": {
        "get": {
            "summary": "The head hash at the end of each UTC day",
            "security": [],
            "responses": {
                "200": json_response(
                    {
                        "type": "object",
                        "properties": {
                            "items": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "properties": {
                                        "day": _DATE,
                                        "seq": {"type": "integer"},
                                        "hash": {"type": "string"},
                                    },
                                },
                            }
                        },
                    }
                )
            },
        }
    },
}
