"""Receipt pages: issuing one for a confirmed donation, the receipt (and its printable copy),
voiding, re-issuing, and entering the official voucher's numbers."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from fupin.core.routing import page
from fupin.core.schemas import validate_form
from fupin.core.web import read_form, redirect, render, require_login
from fupin.errors import FupinError
from fupin.i18n import _
from fupin.money.pages.common import field_errors, form_values, new_key, run_once
from fupin.money.schemas.common import KeyForm, Reason, ReasonForm
from fupin.money.schemas.receipts import OfficialNumbers
from fupin.money.service import receipts, recipients


async def receipt_issue(request: Request) -> Response:
    form = await read_form(request)
    actor = require_login(request)
    donation_id = request.path_params["donation_id"]
    data = validate_form(KeyForm, form_values(form, ("idempotency_key",)))

    async def action() -> str:
        receipt = await receipts.issue_receipt(actor=actor, donation_id=donation_id)
        return f"/receipts/{receipt.id}"

    target = await run_once(
        actor, data.idempotency_key, f"web.receipt.issue:{donation_id}", {}, action
    )
    return redirect(request, target, flash=_("收据已开具。"))


OFFICIAL_FIELDS = ("receipt_code", "receipt_number", "check_code")


async def _receipt_page(
    request: Request,
    receipt_id: int,
    *,
    values: dict[str, str] | None = None,
    error: FupinError | None = None,
) -> Response:
    """The receipt with its officer forms; a refused form comes back with what was typed and
    each message next to its field."""
    actor = require_login(request)
    receipt = await receipts.get_receipt_for(actor, receipt_id)
    view = await receipts.receipt_view(receipt)
    officer = await recipients.is_recipient_officer(actor, view["donation"])
    may_print = await receipts.may_print(actor, receipt)
    return render(
        request,
        "money/receipt.html",
        {
            **view,
            "officer": officer,
            "may_print": may_print,
            "key": new_key(),
            "values": {**dict.fromkeys((*OFFICIAL_FIELDS, "reason"), ""), **(values or {})},
            "error": error,
            "field_errors": field_errors(error),
        },
        status_code=error.status if error else 200,
    )


def _refused(exc: FupinError) -> bool:
    """A refusal the form can show next to what was typed (not a missing page or permission)."""
    return not (exc.status >= 500 or exc.status in (401, 403, 404))


async def receipt_page(request: Request) -> Response:
    return await _receipt_page(request, request.path_params["receipt_id"])


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
    values = form_values(form, ("reason",))
    try:
        data = validate_form(Reason, values)
        await receipts.void_receipt(actor=actor, receipt_id=receipt_id, reason=data.reason)
    except FupinError as exc:
        if not _refused(exc):
            raise
        return await _receipt_page(request, receipt_id, values=values, error=exc)
    return redirect(request, f"/receipts/{receipt_id}", flash=_("收据已作废，编号保留。"))


async def receipt_reissue(request: Request) -> Response:
    form = await read_form(request)
    actor = require_login(request)
    receipt_id = request.path_params["receipt_id"]
    values = form_values(form, ("reason", "idempotency_key"))
    data = validate_form(ReasonForm, values)

    async def action() -> str:
        receipt = await receipts.reissue_receipt(
            actor=actor, receipt_id=receipt_id, reason=data.reason
        )
        return f"/receipts/{receipt.id}"

    target = await run_once(
        actor, data.idempotency_key, f"web.receipt.reissue:{receipt_id}", values, action
    )
    return redirect(request, target, flash=_("已重开收据（新编号）。"))


async def receipt_official(request: Request) -> Response:
    form = await read_form(request)
    actor = require_login(request)
    receipt = await receipts.get_receipt_for(actor, request.path_params["receipt_id"])
    values = form_values(form, OFFICIAL_FIELDS)
    try:
        data = validate_form(OfficialNumbers, values)
        await receipts.enter_official_numbers(
            actor=actor,
            donation_id=receipt.donation_id,
            receipt_code=data.receipt_code,
            receipt_number=data.receipt_number,
            check_code=data.check_code,
        )
    except FupinError as exc:
        if not _refused(exc):
            raise
        return await _receipt_page(request, receipt.id, values=values, error=exc)
    return redirect(request, f"/receipts/{receipt.id}", flash=_("正式票据信息已登记。"))


routes = [
    page(
        "/donations/{donation_id:id}/receipt",
        receipt_issue,
        methods=["POST"],
        name="receipt_issue",
        action="receipt.issue",
    ),
    page(
        "/receipts/{receipt_id:id}",
        receipt_page,
        methods=["GET"],
        name="receipt",
        action="donation.view",
    ),
    page(
        "/receipts/{receipt_id:id}/print",
        receipt_print,
        methods=["POST"],
        name="receipt_print",
        action="receipt.print",
    ),
    page(
        "/receipts/{receipt_id:id}/void",
        receipt_void,
        methods=["POST"],
        name="receipt_void",
        action="receipt.void",
    ),
    page(
        "/receipts/{receipt_id:id}/reissue",
        receipt_reissue,
        methods=["POST"],
        name="receipt_reissue",
        action="receipt.issue",
    ),
    page(
        "/receipts/{receipt_id:id}/official",
        receipt_official,
        methods=["POST"],
        name="receipt_official",
        action="receipt.issue",
    ),
]
