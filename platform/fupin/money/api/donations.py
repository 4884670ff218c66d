"""Donations: my participant's donations; recording, correcting, confirming, reversing and
cancelling a donation (the recipient's officers)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from fupin.core.endpoints import Endpoint
from fupin.core.policy import Actor
from fupin.core.schemas import Page, PageQuery
from fupin.errors import PermissionDenied
from fupin.i18n import _
from fupin.money.api.idempotent import answer_once
from fupin.money.schemas.common import IdempotencyHeaders, Reason
from fupin.money.schemas.donations import (
    DonationDetail,
    DonationEdit,
    DonationPath,
    DonationRecord,
    MyDonation,
)
from fupin.money.service import donations, queries, recipients
from fupin.money.service.readers import View


async def list_my_donations(request: Request, *, actor: Actor, query: PageQuery) -> queries.Page:
    if actor.participant_id is None:
        raise PermissionDenied(_("只有参与方的成员有自己的捐赠记录。"))
    return await queries.my_donations(
        actor.participant_id, page=query.page, per_page=query.per_page
    )


async def record_donation(
    request: Request, *, actor: Actor, headers: IdempotencyHeaders, body: DonationRecord
) -> Response:
    async def action() -> View:
        donation = await donations.record_donation(
            actor=actor,
            recipient_id=body.recipient_id,
            amount_fen=body.amount_fen,
            received_on=body.received_on,
            need_id=body.need_id,
            pledge_id=body.pledge_id,
            donor_id=body.donor_id,
            anonymous=body.anonymous,
            kind=body.kind,
            payment_reference=body.payment_reference,
            valuation_basis=body.valuation_basis,
            fair_value_evidence=body.fair_value_evidence,
            items=[
                donations.ItemSpec(i.name, i.quantity, i.unit, i.unit_value_fen) for i in body.items
            ],
            note=body.note,
            confirm=body.confirm,
        )
        return await donations.donation_view(donation, actor)

    return await answer_once(
        actor=actor,
        headers=headers,
        operation="donation.record",
        body=body,
        status=201,
        response=DonationDetail,
        action=action,
    )


async def get_donation(request: Request, *, actor: Actor, path: DonationPath) -> View:
    donation = await recipients.get_donation_for(actor, path.donation_id)
    return await donations.donation_view(donation, actor)


async def edit_donation(
    request: Request, *, actor: Actor, path: DonationPath, body: DonationEdit
) -> View:
    donation = await donations.update_donation(
        actor=actor, donation_id=path.donation_id, changes=body.model_dump(exclude_unset=True)
    )
    return await donations.donation_view(donation, actor)


async def confirm_donation(
    request: Request, *, actor: Actor, headers: IdempotencyHeaders, path: DonationPath
) -> Response:
    async def action() -> View:
        donation = await donations.confirm_donation(actor=actor, donation_id=path.donation_id)
        return await donations.donation_view(donation, actor)

    return await answer_once(
        actor=actor,
        headers=headers,
        operation=f"donation.confirm:{path.donation_id}",
        body=None,
        status=200,
        response=DonationDetail,
        action=action,
    )


async def reverse_donation(
    request: Request,
    *,
    actor: Actor,
    headers: IdempotencyHeaders,
    path: DonationPath,
    body: Reason,
) -> Response:
    async def action() -> View:
        reversal = await donations.reverse_donation(
            actor=actor, donation_id=path.donation_id, reason=body.reason
        )
        return await donations.donation_view(reversal, actor)

    return await answer_once(
        actor=actor,
        headers=headers,
        operation=f"donation.reverse:{path.donation_id}",
        body=body,
        status=201,
        response=DonationDetail,
        action=action,
    )


async def cancel_donation(
    request: Request, *, actor: Actor, path: DonationPath, body: Reason
) -> View:
    donation = await donations.cancel_donation(
        actor=actor, donation_id=path.donation_id, reason=body.reason
    )
    return await donations.donation_view(donation, actor)


endpoints = [
    Endpoint(
        "GET",
        "/donations",
        list_my_donations,
        "My participant's donations",
        query=PageQuery,
        auth="required",
        response=Page[MyDonation],
        errors=(403,),
        action="pledge.create",
    ),
    Endpoint(
        "POST",
        "/donations",
        record_donation,
        "Record a donation received (recipient's officers)",
        headers=IdempotencyHeaders,
        body=DonationRecord,
        auth="required",
        response=DonationDetail,
        status=201,
        errors=(404, 409),
        action="donation.record",
    ),
    Endpoint(
        "GET",
        "/donations/{donation_id}",
        get_donation,
        "One donation (its donor, its recipient and the offices over the need)",
        params=DonationPath,
        auth="required",
        response=DonationDetail,
        errors=(403, 404),
        action="donation.view",
    ),
    Endpoint(
        "PATCH",
        "/donations/{donation_id}",
        edit_donation,
        "Correct a recorded donation (confirmed ones are locked: 409)",
        params=DonationPath,
        body=DonationEdit,
        auth="required",
        response=DonationDetail,
        errors=(404, 409),
        action="donation.record",
    ),
    Endpoint(
        "POST",
        "/donations/{donation_id}/confirm",
        confirm_donation,
        "Confirm a donation: counted, locked, entered in the public ledger",
        headers=IdempotencyHeaders,
        params=DonationPath,
        auth="required",
        response=DonationDetail,
        errors=(404, 409),
        action="donation.confirm",
    ),
    Endpoint(
        "POST",
        "/donations/{donation_id}/reverse",
        reverse_donation,
        "Reverse a confirmed donation (a reversing entry; its receipt is voided)",
        headers=IdempotencyHeaders,
        params=DonationPath,
        body=Reason,
        auth="required",
        response=DonationDetail,
        status=201,
        errors=(404, 409),
        action="donation.reverse",
    ),
    Endpoint(
        "POST",
        "/donations/{donation_id}/cancel",
        cancel_donation,
        "Cancel a recorded, unconfirmed donation",
        params=DonationPath,
        body=Reason,
        auth="required",
        response=DonationDetail,
        errors=(404, 409),
        action="donation.record",
    ),
]
