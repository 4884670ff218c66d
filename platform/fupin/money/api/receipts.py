"""Receipts: issuing one for a confirmed donation, reading, voiding, re-issuing and printing it,
and entering the official voucher's numbers."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from fupin.core.endpoints import Endpoint
from fupin.core.policy import Actor
from fupin.money.api.idempotent import answer_once
from fupin.money.models import Receipt as ReceiptRow
from fupin.money.schemas.common import IdempotencyHeaders, Reason
from fupin.money.schemas.donations import DonationPath
from fupin.money.schemas.receipts import OfficialNumbers, Receipt, ReceiptPath, ReceiptPrint
from fupin.money.service import receipts
from fupin.money.service.readers import View


async def issue_receipt(
    request: Request, *, actor: Actor, headers: IdempotencyHeaders, path: DonationPath
) -> Response:
    async def action() -> ReceiptRow:
        receipt = await receipts.issue_receipt(actor=actor, donation_id=path.donation_id)
        return await receipts.with_donation(receipt)

    return await answer_once(
        actor=actor,
        headers=headers,
        operation=f"receipt.issue:{path.donation_id}",
        body=None,
        status=201,
        response=Receipt,
        action=action,
    )


async def get_receipt(request: Request, *, actor: Actor, path: ReceiptPath) -> ReceiptRow:
    return await receipts.with_donation(await receipts.get_receipt_for(actor, path.receipt_id))


async def void_receipt(
    request: Request, *, actor: Actor, path: ReceiptPath, body: Reason
) -> ReceiptRow:
    receipt = await receipts.void_receipt(
        actor=actor, receipt_id=path.receipt_id, reason=body.reason
    )
    return await receipts.with_donation(receipt)


async def reissue_receipt(
    request: Request,
    *,
    actor: Actor,
    headers: IdempotencyHeaders,
    path: ReceiptPath,
    body: Reason,
) -> Response:
    async def action() -> ReceiptRow:
        receipt = await receipts.reissue_receipt(
            actor=actor, receipt_id=path.receipt_id, reason=body.reason
        )
        return await receipts.with_donation(receipt)

    return await answer_once(
        actor=actor,
        headers=headers,
        operation=f"receipt.reissue:{path.receipt_id}",
        body=body,
        status=201,
        response=Receipt,
        action=action,
    )


async def official_numbers(
    request: Request, *, actor: Actor, path: ReceiptPath, body: OfficialNumbers
) -> ReceiptRow:
    receipt = await receipts.get_receipt_for(actor, path.receipt_id)
    await receipts.enter_official_numbers(
        actor=actor,
        donation_id=receipt.donation_id,
        receipt_code=body.receipt_code,
        receipt_number=body.receipt_number,
        check_code=body.check_code,
    )
    return await receipts.with_donation(receipt)


async def print_receipt(request: Request, *, actor: Actor, path: ReceiptPath) -> View:
    receipt, copy = await receipts.record_print(actor=actor, receipt_id=path.receipt_id)
    return View(await receipts.with_donation(receipt), copy=copy)


endpoints = [
    Endpoint(
        "POST",
        "/donations/{donation_id}/receipts",
        issue_receipt,
        "Issue the next receipt number for a confirmed donation",
        headers=IdempotencyHeaders,
        params=DonationPath,
        auth="required",
        response=Receipt,
        status=201,
        errors=(404, 409),
        action="receipt.issue",
    ),
    Endpoint(
        "GET",
        "/receipts/{receipt_id}",
        get_receipt,
        "One receipt (the donor, the issuer and the offices)",
        params=ReceiptPath,
        auth="required",
        response=Receipt,
        errors=(403, 404),
        action="donation.view",
    ),
    Endpoint(
        "POST",
        "/receipts/{receipt_id}/void",
        void_receipt,
        "Void a receipt (keeps its number, records why)",
        params=ReceiptPath,
        body=Reason,
        auth="required",
        response=Receipt,
        errors=(404, 409),
        action="receipt.void",
    ),
    Endpoint(
        "POST",
        "/receipts/{receipt_id}/reissue",
        reissue_receipt,
        "Re-issue: a new number pointing to the voided receipt",
        headers=IdempotencyHeaders,
        params=ReceiptPath,
        body=Reason,
        auth="required",
        response=Receipt,
        status=201,
        errors=(404, 409),
        action="receipt.issue",
    ),
    Endpoint(
        "PUT",
        "/receipts/{receipt_id}/official-numbers",
        official_numbers,
        "Enter the official 票据代码 / 票据号码 / 校验码",
        params=ReceiptPath,
        body=OfficialNumbers,
        auth="required",
        response=Receipt,
        errors=(404, 409),
        action="receipt.issue",
    ),
    Endpoint(
        "POST",
        "/receipts/{receipt_id}/prints",
        print_receipt,
        "Count a printed copy (copies after the first are duplicates)",
        params=ReceiptPath,
        auth="required",
        response=ReceiptPrint,
        errors=(404,),
        action="receipt.print",
    ),
]
