"""Money pages: pledging, "my pledges / my donations" (/me), the recipient's inbox, recording
and confirming donations, receipts (printable), recipient organisations, honour rates and the
public ledger with its exports and how-to-verify text.

Handlers parse, call one domain function, render. Every money-creating form carries a hidden
``idempotency_key`` (a double click or a resubmitted page records nothing twice); the need page
includes ``money/_pledge_box.html``, which makes its own key.
"""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import FileResponse, Response, StreamingResponse
from starlette.routing import Route

from fupin import REPO_ROOT
from fupin.core.clock import today_cn
from fupin.core.money import format_yuan, parse_yuan
from fupin.core.policy import Actor, can, require
from fupin.core.web import page_args, read_form, redirect, render, require_login
from fupin.errors import FupinError, InvalidInput, PermissionDenied
from fupin.i18n import _
from fupin.ledger import rules as ledger_chain
from fupin.ledger import service as ledger
from fupin.money.models import DONATION_KINDS, RECIPIENT_KINDS, VALUATION_BASES
from fupin.money.rules.states import PLEDGE_MACHINE, PLEDGE_STATE_LABELS
from fupin.money.service import donations, honour, idempotency, pledges, receipts, recipients
from fupin.money.service import queries as money_queries
from fupin.needs.models import Need

VERIFY_SCRIPT = REPO_ROOT / "tools" / "verify_ledger.py"


def new_key() -> str:
    return secrets.token_urlsafe(24)


def _text(form: FormData, name: str) -> str:
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def _opt_int(raw: str, field: str) -> int | None:
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise InvalidInput(_("请填写整数编号。"), field=field) from None


def _opt_date(raw: str, field: str) -> date | None:
    return pledges.parse_date(raw, field=field) if raw else None


def _form_key(form: FormData) -> str | None:
    raw = form.get(idempotency.FORM_FIELD)
    return idempotency.validate_key(
        raw if isinstance(raw, str) and raw else None, field=idempotency.FORM_FIELD
    )


def parse_schedule(text: str) -> list[pledges.InstalmentSpec] | None:
    """Instalments typed one per line: ``2026-03-01 20000`` (date, yuan)."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if not lines:
        return None
    specs = []
    for number, line in enumerate(lines, start=1):
        parts = line.replace("，", " ").replace(",", " ", 1).split()
        if len(parts) != 2:
            raise InvalidInput(
                _("第 %(n)s 行应为“日期 金额”，例如 2026-03-01 20000。", n=number),
                field="instalments",
            )
        specs.append(
            pledges.InstalmentSpec(
                pledges.parse_date(parts[0], field="instalments"),
                parse_yuan(parts[1], field="instalments"),
            )
        )
    return specs


async def _run(
    request: Request,
    actor: Actor,
    form: FormData,
    operation: str,
    values: dict[str, Any],
    action: Any,
) -> str:
    """Run a money-creating form action once per idempotency key; returns where to go next."""
    outcome = await idempotency.run_once(
        key=_form_key(form), actor=actor, operation=operation, payload=values, action=action
    )
    return str(outcome.body["redirect"])


def _participant_actor(request: Request) -> Actor:
    actor = require_login(request)
    if actor.participant_id is None:
        raise PermissionDenied(_("此页面供参与方（捐赠方）的成员使用。"))
    return actor


# --- pledging -----------------------------------------------------------------------------------


async def _pledge_form(
    request: Request,
    need_id: int,
    values: dict[str, Any],
    *,
    error: FupinError | None = None,
) -> Response:
    need = await money_queries.public_need(need_id)
    return render(
        request,
        "money/pledge_form.html",
        {
            "need": need,
            "values": values,
            "error": error,
            "pairs": await pledges.eligible_pairs(need),
            "recipients": await money_queries.recipients_for_need(need),
            "recipient_kind_labels": recipients.RECIPIENT_KIND_LABELS,
            "pledge_key": values.get("idempotency_key") or new_key(),
            "open_fen": max(need.target_fen - need.pledged_fen, 0),
        },
        status_code=error.status if error else 200,
    )


async def pledge_new(request: Request) -> Response:
    _participant_actor(request)
    need_id = _opt_int(request.query_params.get("need_id", ""), "need_id")
    if need_id is None:
        raise InvalidInput(_("请从需求页面进入认捐。"), field="need_id", code="required")
    need = await money_queries.public_need(need_id)
    values = dict.fromkeys(PLEDGE_FIELDS, "")
    values["due_date"] = max(need.deadline, today_cn()).isoformat()
    return await _pledge_form(request, need_id, values)


PLEDGE_FIELDS = (
    "need_id",
    "amount",
    "due_date",
    "instalments",
    "anonymous",
    "pair_id",
    "recipient_id",
    "idempotency_key",
)


async def pledge_create(request: Request) -> Response:
    form = await read_form(request)
    actor = _participant_actor(request)
    values = {name: _text(form, name) for name in PLEDGE_FIELDS}
    need_id = _opt_int(values["need_id"], "need_id")
    if need_id is None:
        raise InvalidInput(_("请从需求页面进入认捐。"), field="need_id", code="required")
    try:
        amount = parse_yuan(values["amount"], field="amount")
        schedule = parse_schedule(values["instalments"])
        due = None if schedule else _opt_date(values["due_date"], "due_date")
        pair_id = _opt_int(values["pair_id"], "pair_id")
        recipient_id = _opt_int(values["recipient_id"], "recipient_id")
        anonymous = values["anonymous"] in ("on", "1", "true")

        async def action() -> tuple[int, Any]:
            pledge = await pledges.make_pledge(
                actor=actor,
                need_id=need_id,
                amount_fen=amount,
                due_date=due,
                instalments=schedule,
                anonymous=anonymous,
                pair_id=pair_id,
                recipient_id=recipient_id,
            )
            return 303, {"redirect": f"/pledges/{pledge.id}"}

        payload = {k: v for k, v in values.items() if k != "idempotency_key"}
        target = await _run(request, actor, form, "web.pledge.create", payload, action)
    except FupinError as exc:
        if exc.status >= 500 or exc.status in (401, 403, 404):
            raise
        return await _pledge_form(request, need_id, values, error=exc)
    return redirect(request, target, flash=_("认捐已登记，感谢您的支持！"))


async def pledge_detail(request: Request) -> Response:
    actor = require_login(request)
    pledge = await pledges.get_pledge_for(actor, request.path_params["pledge_id"])
    history = await money_queries.pledge_history(pledge)
    owner = actor.participant_id == pledge.participant_id
    return render(
        request,
        "money/pledge_detail.html",
        {
            "pledge": pledge,
            "need": pledge.need,
            "history": history,
            "owner": owner,
            "reveal": pledges.may_see_donor(actor, pledge.participant_id, pledge.need),
            "state_labels": PLEDGE_STATE_LABELS,
            "event_labels": pledges.PLEDGE_EVENT_LABELS,
            "donation_state_labels": donations.DONATION_STATE_LABELS,
            "can_amend": owner and PLEDGE_MACHINE.get(pledge.state, "amend") is not None,
            "can_withdraw": owner and PLEDGE_MACHINE.get(pledge.state, "withdraw") is not None,
            "amend_key": new_key(),
            "withdraw_key": new_key(),
            "schedule_text": "\n".join(
                f"{i.due_date.isoformat()} {format_yuan(i.amount_fen)[1:]}"
                for i in history.instalments
            ),
            "error": None,
        },
    )


async def pledge_amend(request: Request) -> Response:
    form = await read_form(request)
    actor = require_login(request)
    pledge_id = request.path_params["pledge_id"]
    values = {n: _text(form, n) for n in ("amount", "due_date", "instalments", "reason")}
    amount = parse_yuan(values["amount"], field="amount")
    schedule = parse_schedule(values["instalments"])
    due = None if schedule else _opt_date(values["due_date"], "due_date")

    async def action() -> tuple[int, Any]:
        await pledges.amend_pledge(
            actor=actor,
            pledge_id=pledge_id,
            amount_fen=amount,
            due_date=due,
            instalments=schedule,
            reason=values["reason"],
        )
        return 303, {"redirect": f"/pledges/{pledge_id}"}

    target = await _run(request, actor, form, f"web.pledge.amend:{pledge_id}", values, action)
    return redirect(request, target, flash=_("认捐已修改，修改记录已保留。"))


async def pledge_withdraw(request: Request) -> Response:
    form = await read_form(request)
    actor = require_login(request)
    pledge_id = request.path_params["pledge_id"]
    reason = _text(form, "reason")

    async def action() -> tuple[int, Any]:
        await pledges.withdraw_pledge(actor=actor, pledge_id=pledge_id, reason=reason)
        return 303, {"redirect": f"/pledges/{pledge_id}"}

    target = await _run(
        request, actor, form, f"web.pledge.withdraw:{pledge_id}", {"reason": reason}, action
    )
    return redirect(request, target, flash=_("认捐已撤回，相应金额已释放。"))


# --- my money (/me) -----------------------------------------------------------------------------


async def me(request: Request) -> Response:
    actor = _participant_actor(request)
    pid = actor.participant_id
    assert pid is not None
    return render(
        request,
        "money/me.html",
        {
            "totals": await money_queries.participant_totals(pid),
            "due": await money_queries.what_is_due(pid, limit=50),
            "rate": await honour.honour_rate(participant_id=pid),
            "pledges": await money_queries.my_pledges(pid, per_page=5),
            "donations": await money_queries.my_donations(pid, per_page=5),
            "state_labels": PLEDGE_STATE_LABELS,
            "donation_state_labels": donations.DONATION_STATE_LABELS,
            "recipient_orgs": await recipients.recipient_orgs_for(actor),
        },
    )


async def my_pledges(request: Request) -> Response:
    actor = _participant_actor(request)
    page, per_page = page_args(request)
    state = request.query_params.get("state") or None
    if state is not None and state not in PLEDGE_STATE_LABELS:
        raise InvalidInput(_("未知的认捐状态。"), field="state")
    assert actor.participant_id is not None
    listing = await money_queries.my_pledges(
        actor.participant_id, state=state, page=page, per_page=per_page
    )
    return render(
        request,
        "money/my_pledges.html",
        {"listing": listing, "state": state, "state_labels": PLEDGE_STATE_LABELS},
    )


async def my_donations(request: Request) -> Response:
    actor = _participant_actor(request)
    page, per_page = page_args(request)
    assert actor.participant_id is not None
    listing = await money_queries.my_donations(actor.participant_id, page=page, per_page=per_page)
    return render(
        request,
        "money/my_donations.html",
        {"listing": listing, "donation_state_labels": donations.DONATION_STATE_LABELS},
    )


# --- the recipient's inbox and donations ------------------------------------------------------


async def _my_org(request: Request, actor: Actor, raw: str | None) -> Any:
    orgs = await recipients.recipient_orgs_for(actor)
    if raw:
        org = await recipients.get_recipient(_opt_int(raw, "org") or 0)
        await recipients.require_recipient(actor, "donation.record", org)
        return org, orgs
    if not orgs:
        raise PermissionDenied(_("您所在的单位尚未登记为受赠单位。"))
    return orgs[0], orgs


async def inbox(request: Request) -> Response:
    actor = require_login(request)
    org, orgs = await _my_org(request, actor, request.query_params.get("org"))
    page, per_page = page_args(request)
    data = await money_queries.recipient_inbox(org, page=page, per_page=per_page)
    return render(
        request,
        "money/inbox.html",
        {
            "inbox": data,
            "listing": data.received,
            "org": org,
            "orgs": orgs,
            "state_labels": PLEDGE_STATE_LABELS,
            "donation_state_labels": donations.DONATION_STATE_LABELS,
        },
    )


DONATION_FIELDS = (
    "org",
    "pledge_id",
    "need_id",
    "donor_id",
    "amount",
    "received_on",
    "kind",
    "valuation_basis",
    "fair_value_evidence",
    "payment_reference",
    "anonymous",
    "note",
    "confirm",
    "idempotency_key",
)


async def _donation_form(
    request: Request, actor: Actor, values: dict[str, Any], *, error: FupinError | None = None
) -> Response:
    org, orgs = await _my_org(request, actor, values.get("org"))
    pledge = None
    pledge_id = _opt_int(values.get("pledge_id", ""), "pledge_id")
    if pledge_id is not None:
        pledge = await pledges.get_pledge_for(actor, pledge_id)
    return render(
        request,
        "money/donation_form.html",
        {
            "org": org,
            "orgs": orgs,
            "pledge": pledge,
            "values": values,
            "error": error,
            "kinds": DONATION_KINDS,
            "bases": VALUATION_BASES,
            "basis_labels": donations.VALUATION_BASIS_LABELS,
            "donation_key": values.get("idempotency_key") or new_key(),
        },
        status_code=error.status if error else 200,
    )


async def donation_new(request: Request) -> Response:
    actor = require_login(request)
    values = dict.fromkeys(DONATION_FIELDS, "")
    values.update(
        {name: request.query_params.get(name, "") for name in ("org", "pledge_id", "need_id")}
    )
    values["received_on"] = today_cn().isoformat()
    values["kind"] = "cash"
    return await _donation_form(request, actor, values)


async def donation_create(request: Request) -> Response:
    form = await read_form(request)
    actor = require_login(request)
    values = {name: _text(form, name) for name in DONATION_FIELDS}
    org, _orgs = await _my_org(request, actor, values["org"])
    try:
        amount = parse_yuan(values["amount"], field="amount")
        received_on = pledges.parse_date(values["received_on"], field="received_on")
        pledge_id = _opt_int(values["pledge_id"], "pledge_id")
        fields = {
            "need_id": _opt_int(values["need_id"], "need_id"),
            "pledge_id": pledge_id,
            "donor_id": _opt_int(values["donor_id"], "donor_id"),
            "anonymous": (values["anonymous"] in ("on", "1")) if pledge_id is None else None,
            "kind": values["kind"] or "cash",
            "valuation_basis": values["valuation_basis"] if values["kind"] == "in_kind" else "",
            "fair_value_evidence": values["fair_value_evidence"]
            if values["kind"] == "in_kind"
            else "",
            "payment_reference": values["payment_reference"],
            "note": values["note"],
            "confirm": values["confirm"] in ("on", "1"),
        }

        async def action() -> tuple[int, Any]:
            donation = await donations.record_donation(
                actor=actor,
                recipient_id=org.id,
                amount_fen=amount,
                received_on=received_on,
                **fields,
            )
            return 303, {"redirect": f"/donations/{donation.id}"}

        payload = {k: v for k, v in values.items() if k != "idempotency_key"}
        target = await _run(request, actor, form, "web.donation.record", payload, action)
    except FupinError as exc:
        if exc.status in (401, 403, 404):
            raise
        return await _donation_form(request, actor, values, error=exc)
    return redirect(request, target, flash=_("到账已登记。"))


async def donation_detail(request: Request) -> Response:
    actor = require_login(request)
    donation = await recipients.get_donation_for(actor, request.path_params["donation_id"])
    data = await money_queries.donation_page(donation)
    officer = await recipients.is_recipient_officer(actor, donation)
    reveal = officer or pledges.may_see_donor(actor, donation.donor_id, data.need)
    return render(
        request,
        "money/donation_detail.html",
        {
            "d": data,
            "donation": donation,
            "officer": officer,
            "reveal": reveal,
            "state_labels": donations.DONATION_STATE_LABELS,
            "basis_labels": donations.VALUATION_BASIS_LABELS,
            "target_labels": donations.TARGET_BASIS_LABELS,
            "receipt_state_labels": receipts.RECEIPT_STATE_LABELS,
            "key": new_key(),
            "official": recipients.has_official_numbers(donation),
        },
    )


async def donation_confirm(request: Request) -> Response:
    form = await read_form(request)
    actor = require_login(request)
    donation_id = request.path_params["donation_id"]

    async def action() -> tuple[int, Any]:
        await donations.confirm_donation(actor=actor, donation_id=donation_id)
        return 303, {"redirect": f"/donations/{donation_id}"}

    target = await _run(request, actor, form, f"web.donation.confirm:{donation_id}", {}, action)
    return redirect(request, target, flash=_("到账已确认，已记入公开账本。"))


async def donation_cancel(request: Request) -> Response:
    form = await read_form(request)
    actor = require_login(request)
    donation_id = request.path_params["donation_id"]
    await donations.cancel_donation(
        actor=actor, donation_id=donation_id, reason=_text(form, "reason")
    )
    return redirect(request, f"/donations/{donation_id}", flash=_("登记已取消。"))


async def donation_reverse(request: Request) -> Response:
    form = await read_form(request)
    actor = require_login(request)
    donation_id = request.path_params["donation_id"]
    reason = _text(form, "reason")

    async def action() -> tuple[int, Any]:
        reversal = await donations.reverse_donation(
            actor=actor, donation_id=donation_id, reason=reason
        )
        return 303, {"redirect": f"/donations/{reversal.id}"}

    target = await _run(
        request, actor, form, f"web.donation.reverse:{donation_id}", {"reason": reason}, action
    )
    return redirect(request, target, flash=_("已登记冲正。"))


async def receipt_issue(request: Request) -> Response:
    form = await read_form(request)
    actor = require_login(request)
    donation_id = request.path_params["donation_id"]

    async def action() -> tuple[int, Any]:
        receipt = await receipts.issue_receipt(actor=actor, donation_id=donation_id)
        return 303, {"redirect": f"/receipts/{receipt.id}"}

    target = await _run(request, actor, form, f"web.receipt.issue:{donation_id}", {}, action)
    return redirect(request, target, flash=_("收据已开具。"))


# --- receipts -----------------------------------------------------------------------------------


async def receipt_page(request: Request) -> Response:
    actor = require_login(request)
    receipt = await receipts.get_receipt_for(actor, request.path_params["receipt_id"])
    view = await receipts.receipt_view(receipt)
    officer = await recipients.is_recipient_officer(actor, view["donation"])
    return render(request, "money/receipt.html", {**view, "officer": officer, "key": new_key()})


async def receipt_print(request: Request) -> Response:
    await read_form(request)
    actor = require_login(request)
    receipt, copy = await receipts.record_print(
        actor=actor, receipt_id=request.path_params["receipt_id"]
    )
    view = await receipts.receipt_view(receipt, copy_number=copy)
    return render(request, "money/receipt_print.html", view)


async def receipt_void(request: Request) -> Response:
    form = await read_form(request)
    actor = require_login(request)
    receipt_id = request.path_params["receipt_id"]
    await receipts.void_receipt(actor=actor, receipt_id=receipt_id, reason=_text(form, "reason"))
    return redirect(request, f"/receipts/{receipt_id}", flash=_("收据已作废，编号保留。"))


async def receipt_reissue(request: Request) -> Response:
    form = await read_form(request)
    actor = require_login(request)
    receipt_id = request.path_params["receipt_id"]
    reason = _text(form, "reason")

    async def action() -> tuple[int, Any]:
        receipt = await receipts.reissue_receipt(actor=actor, receipt_id=receipt_id, reason=reason)
        return 303, {"redirect": f"/receipts/{receipt.id}"}

    target = await _run(
        request, actor, form, f"web.receipt.reissue:{receipt_id}", {"reason": reason}, action
    )
    return redirect(request, target, flash=_("已重开收据（新编号）。"))


async def receipt_official(request: Request) -> Response:
    form = await read_form(request)
    actor = require_login(request)
    receipt = await receipts.get_receipt_for(actor, request.path_params["receipt_id"])
    await donations.enter_official_numbers(
        actor=actor,
        donation_id=receipt.donation_id,
        receipt_code=_text(form, "receipt_code"),
        receipt_number=_text(form, "receipt_number"),
        check_code=_text(form, "check_code"),
    )
    return redirect(request, f"/receipts/{receipt.id}", flash=_("正式票据信息已登记。"))


# --- recipient organisations ------------------------------------------------------------------


async def recipient_list(request: Request) -> Response:
    page, per_page = page_args(request)
    kind = request.query_params.get("kind") or None
    orgs, total = await recipients.list_recipients(kind=kind, page=page, per_page=per_page)
    current = request.state.actor if hasattr(request.state, "actor") else None
    return render(
        request,
        "money/recipients.html",
        {
            "listing": money_queries.Page(items=orgs, total=total, page=page, per_page=per_page),
            "kind_labels": recipients.RECIPIENT_KIND_LABELS,
            "kind": kind,
            "can_manage": current is not None and can(current, "recipient.manage"),
        },
    )


#: The recipient form's fields (a blank form shows them all empty).
RECIPIENT_FIELDS = ("kind", "name", "code", "uscc", "region_code", "participant_id", "note")


async def recipient_new(request: Request) -> Response:
    require(require_login(request), "recipient.manage")
    return render(
        request,
        "money/recipient_form.html",
        {
            "values": dict.fromkeys(RECIPIENT_FIELDS, ""),
            "kinds": RECIPIENT_KINDS,
            "kind_labels": recipients.RECIPIENT_KIND_LABELS,
            "error": None,
        },
    )


async def recipient_create(request: Request) -> Response:
    form = await read_form(request)
    actor = require(require_login(request), "recipient.manage")
    values = {n: _text(form, n) for n in RECIPIENT_FIELDS}
    try:
        org = await recipients.create_recipient_org(
            actor=actor,
            kind=values["kind"],
            name=values["name"],
            code=values["code"],
            uscc=values["uscc"],
            region_code=values["region_code"],
            participant_id=_opt_int(values["participant_id"], "participant_id"),
            note=values["note"],
        )
    except InvalidInput as exc:
        return render(
            request,
            "money/recipient_form.html",
            {
                "values": values,
                "kinds": RECIPIENT_KINDS,
                "kind_labels": recipients.RECIPIENT_KIND_LABELS,
                "error": exc,
            },
            status_code=exc.status,
        )
    return redirect(request, f"/recipients/{org.id}", flash=_("受赠单位已登记。"))


async def recipient_detail(request: Request) -> Response:
    org = await recipients.get_recipient(request.path_params["org_id"])
    data = await recipients.recipient_detail(org)
    current = getattr(request.state, "actor", None)
    return render(
        request,
        "money/recipient_detail.html",
        {
            "org": org,
            "data": data,
            "kind_labels": recipients.RECIPIENT_KIND_LABELS,
            "can_manage": current is not None
            and can(current, "recipient.manage", await recipients.org_scope(org)),
        },
    )


async def recipient_qualify(request: Request) -> Response:
    form = await read_form(request)
    actor = require_login(request)
    org_id = request.path_params["org_id"]
    await recipients.add_qualification(
        actor=actor,
        org_id=org_id,
        start_year=_opt_int(_text(form, "start_year"), "start_year") or 0,
        end_year=_opt_int(_text(form, "end_year"), "end_year") or 0,
        list_reference=_text(form, "list_reference"),
    )
    return redirect(request, f"/recipients/{org_id}", flash=_("资格期间已登记。"))


# --- honour rates and the public ledger -------------------------------------------------------


async def honour_rates(request: Request) -> Response:
    page, per_page = page_args(request)
    return render(
        request,
        "money/honour_rates.html",
        {
            "overall": await honour.honour_rate(),
            "listing": await honour.honour_rates_by_participant(page=page, per_page=per_page),
        },
    )


async def ledger_page(request: Request) -> Response:
    page, per_page = page_args(request, default_per_page=50)
    kind = request.query_params.get("kind") or None
    if kind is not None and kind not in ledger_chain.KINDS:
        raise InvalidInput(_("未知的账本记录类型。"), field="kind")
    entries, total = await ledger.page_of_entries(page=page, per_page=per_page, kind=kind)
    return render(
        request,
        "money/ledger.html",
        {
            "entries": entries,
            "listing": money_queries.Page(items=entries, total=total, page=page, per_page=per_page),
            "heads": await ledger.daily_head_hashes(limit=30),
            "kinds": sorted(ledger_chain.KINDS),
            "kind": kind,
            "count": await ledger.count_entries(),
        },
    )


def _ledger_export(fmt: str) -> Any:
    async def download(request: Request) -> Response:
        return StreamingResponse(
            ledger.iter_export_bytes(fmt),
            media_type=ledger.EXPORT_MEDIA_TYPES[fmt],
            headers={"Content-Disposition": f'attachment; filename="ledger.{fmt}"'},
        )

    return download


async def ledger_script(request: Request) -> Response:
    return FileResponse(
        VERIFY_SCRIPT, media_type="text/x-python; charset=utf-8", filename="verify_ledger.py"
    )


routes = [
    Route("/pledges/new", pledge_new, methods=["GET"], name="pledge_new"),
    Route("/pledges", pledge_create, methods=["POST"], name="pledge_create"),
    Route("/pledges/{pledge_id:int}", pledge_detail, methods=["GET"], name="pledge_detail"),
    Route("/pledges/{pledge_id:int}/amend", pledge_amend, methods=["POST"], name="pledge_amend"),
    Route(
        "/pledges/{pledge_id:int}/withdraw",
        pledge_withdraw,
        methods=["POST"],
        name="pledge_withdraw",
    ),
    Route("/me", me, methods=["GET"], name="me"),
    Route("/me/pledges", my_pledges, methods=["GET"], name="my_pledges"),
    Route("/me/donations", my_donations, methods=["GET"], name="my_donations"),
    Route("/inbox", inbox, methods=["GET"], name="recipient_inbox"),
    Route("/donations/new", donation_new, methods=["GET"], name="donation_new"),
    Route("/donations", donation_create, methods=["POST"], name="donation_create"),
    Route("/donations/{donation_id:int}", donation_detail, methods=["GET"], name="donation_detail"),
    Route(
        "/donations/{donation_id:int}/confirm",
        donation_confirm,
        methods=["POST"],
        name="donation_confirm",
    ),
    Route(
        "/donations/{donation_id:int}/cancel",
        donation_cancel,
        methods=["POST"],
        name="donation_cancel",
    ),
    Route(
        "/donations/{donation_id:int}/reverse",
        donation_reverse,
        methods=["POST"],
        name="donation_reverse",
    ),
    Route(
        "/donations/{donation_id:int}/receipt",
        receipt_issue,
        methods=["POST"],
        name="receipt_issue",
    ),
    Route("/receipts/{receipt_id:int}", receipt_page, methods=["GET"], name="receipt"),
    Route(
        "/receipts/{receipt_id:int}/print", receipt_print, methods=["POST"], name="receipt_print"
    ),
    Route("/receipts/{receipt_id:int}/void", receipt_void, methods=["POST"], name="receipt_void"),
    Route(
        "/receipts/{receipt_id:int}/reissue",
        receipt_reissue,
        methods=["POST"],
        name="receipt_reissue",
    ),
    Route(
        "/receipts/{receipt_id:int}/official",
        receipt_official,
        methods=["POST"],
        name="receipt_official",
    ),
    Route("/recipients", recipient_list, methods=["GET"], name="recipients"),
    Route("/recipients/new", recipient_new, methods=["GET"], name="recipient_new"),
    Route("/recipients", recipient_create, methods=["POST"], name="recipient_create"),
    Route("/recipients/{org_id:int}", recipient_detail, methods=["GET"], name="recipient"),
    Route(
        "/recipients/{org_id:int}/qualifications",
        recipient_qualify,
        methods=["POST"],
        name="recipient_qualify",
    ),
    Route("/honour-rates", honour_rates, methods=["GET"], name="honour_rates"),
    Route("/ledger", ledger_page, methods=["GET"], name="ledger"),
    Route("/ledger/export.jsonl", _ledger_export("jsonl"), methods=["GET"], name="ledger_jsonl"),
    Route("/ledger/export.csv", _ledger_export("csv"), methods=["GET"], name="ledger_csv"),
    Route("/ledger/verify_ledger.py", ledger_script, methods=["GET"], name="ledger_script"),
]


async def need_panel(actor: Actor | None, need: Need) -> dict[str, Any]:
    """The money box of the public need page (who pledged and gave), once the need is public."""
    if need.state not in ("published", "funded", "in_progress", "completed", "closed"):
        return {}
    return {"need_money": await money_queries.need_money(need)}
