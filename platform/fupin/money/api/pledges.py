"""Pledges: my pledges and what is due, pledging, amending, withdrawing; a public need's pledges;
honour rates."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from fupin.core.endpoints import Endpoint
from fupin.core.policy import PUBLIC, Actor
from fupin.core.schemas import Page, PageQuery
from fupin.errors import PermissionDenied
from fupin.i18n import _
from fupin.money.api.idempotent import answer_once
from fupin.money.rules.honour import HonourRate
from fupin.money.schemas.common import IdempotencyHeaders, Reason, WithdrawReason
from fupin.money.schemas.pledges import (
    DuePledges,
    HonourQuery,
    HonourRateOf,
    NeedPledges,
    NeedPledgesPath,
    ParticipantHonourRate,
    PledgeAmend,
    PledgeCreate,
    PledgeDetail,
    PledgePath,
    PledgePrivate,
    PledgeQuery,
    instalment_specs,
)
from fupin.money.service import honour, pledges, queries
from fupin.money.service.readers import View


def _participant(actor: Actor) -> int:
    if actor.participant_id is None:
        raise PermissionDenied(_("只有参与方的成员有自己的认捐。"))
    return actor.participant_id


async def list_my_pledges(request: Request, *, actor: Actor, query: PledgeQuery) -> queries.Page:
    return await queries.my_pledges(
        _participant(actor), state=query.state, page=query.page, per_page=query.per_page
    )


async def pledges_due(request: Request, *, actor: Actor) -> DuePledges:
    return DuePledges(items=await queries.what_is_due(_participant(actor)))


async def create_pledge(
    request: Request, *, actor: Actor, headers: IdempotencyHeaders, body: PledgeCreate
) -> Response:
    async def action() -> View:
        pledge = await pledges.make_pledge(
            actor=actor,
            need_id=body.need_id,
            amount_fen=body.amount_fen,
            due_date=body.due_date,
            instalments=instalment_specs(body.instalments),
            anonymous=body.anonymous,
            commendation_consent=body.commendation_consent,
            pair_id=body.pair_id,
            recipient_id=body.recipient_id,
            kind=body.kind,
            caps=pledges.caps_from(request.app.state.settings),
        )
        return await pledges.pledge_view(pledge, actor)

    return await answer_once(
        actor=actor,
        headers=headers,
        operation="pledge.create",
        body=body,
        status=201,
        response=PledgeDetail,
        action=action,
    )


async def get_pledge(request: Request, *, actor: Actor, path: PledgePath) -> View:
    pledge = await pledges.get_pledge_for(actor, path.pledge_id)
    return await pledges.pledge_view(pledge, actor)


async def amend_pledge(
    request: Request,
    *,
    actor: Actor,
    headers: IdempotencyHeaders,
    path: PledgePath,
    body: PledgeAmend,
) -> Response:
    async def action() -> View:
        pledge = await pledges.amend_pledge(
            actor=actor,
            pledge_id=path.pledge_id,
            amount_fen=body.amount_fen,
            due_date=body.due_date,
            instalments=instalment_specs(body.instalments),
            reason=body.reason,
            caps=pledges.caps_from(request.app.state.settings),
        )
        return await pledges.pledge_view(pledge, actor)

    return await answer_once(
        actor=actor,
        headers=headers,
        operation=f"pledge.amend:{path.pledge_id}",
        body=body,
        status=200,
        response=PledgeDetail,
        action=action,
    )


async def withdraw_pledge(
    request: Request,
    *,
    actor: Actor,
    headers: IdempotencyHeaders,
    path: PledgePath,
    body: WithdrawReason,
) -> Response:
    async def action() -> View:
        pledge = await pledges.withdraw_pledge(
            actor=actor, pledge_id=path.pledge_id, reason=body.reason
        )
        return await pledges.pledge_view(pledge, actor)

    return await answer_once(
        actor=actor,
        headers=headers,
        operation=f"pledge.withdraw:{path.pledge_id}",
        body=body,
        status=200,
        response=PledgeDetail,
        action=action,
    )


async def release_pledge(request: Request, *, actor: Actor, path: PledgePath, body: Reason) -> View:
    pledge = await pledges.release_pledge(actor=actor, pledge_id=path.pledge_id, reason=body.reason)
    return await pledges.pledge_view(pledge, actor)


async def need_pledges(
    request: Request, *, actor: Actor | None, path: NeedPledgesPath, query: PageQuery
) -> queries.NeedPledgePage:
    need = await queries.public_need(path.need_id)
    return await queries.need_pledges_page(need, actor, page=query.page, per_page=query.per_page)


@dataclass(frozen=True)
class _RateOf:
    participant_id: int | None
    pair_id: int | None
    rate: HonourRate


async def honour_rates(request: Request, *, actor: Actor | None, query: HonourQuery) -> _RateOf:
    """Overall, of one participant (public: its named pledges only; its own members see all of
    them), or of the pledges a pair mobilised."""
    own = (
        actor is not None
        and query.participant_id is not None
        and actor.participant_id == query.participant_id
    )
    rate = await honour.honour_rate(
        participant_id=query.participant_id, pair_id=query.pair_id, public=not own
    )
    return _RateOf(query.participant_id, query.pair_id, rate)


async def honour_rate_table(request: Request, *, query: PageQuery) -> honour.RatePage:
    return await honour.honour_rates_by_participant(page=query.page, per_page=query.per_page)


endpoints = [
    Endpoint(
        "GET",
        "/pledges",
        list_my_pledges,
        "My participant's pledges",
        query=PledgeQuery,
        auth="required",
        response=Page[PledgePrivate],
        errors=(403,),
        action="pledge.create",
    ),
    Endpoint(
        "POST",
        "/pledges",
        create_pledge,
        "Pledge an amount to a published need (no over-pledging)",
        headers=IdempotencyHeaders,
        body=PledgeCreate,
        auth="required",
        response=PledgeDetail,
        status=201,
        errors=(404, 409),
        action="pledge.create",
    ),
    # Before /pledges/{pledge_id}: "due" is not an id.
    Endpoint(
        "GET",
        "/pledges/due",
        pledges_due,
        "What my participant has due (unpaid instalments, by date)",
        auth="required",
        response=DuePledges,
        errors=(403,),
        action="pledge.create",
    ),
    Endpoint(
        "GET",
        "/pledges/{pledge_id}",
        get_pledge,
        "One pledge with its schedule and history",
        params=PledgePath,
        auth="required",
        response=PledgeDetail,
        errors=(403, 404),
        action="pledge.view",
    ),
    Endpoint(
        "POST",
        "/pledges/{pledge_id}/amend",
        amend_pledge,
        "Amend a pledge (an event; raising it is subject to the open amount)",
        headers=IdempotencyHeaders,
        params=PledgePath,
        body=PledgeAmend,
        auth="required",
        response=PledgeDetail,
        errors=(404, 409),
        action="pledge.change",
    ),
    Endpoint(
        "POST",
        "/pledges/{pledge_id}/withdraw",
        withdraw_pledge,
        "Withdraw the unpaid part of a pledge (frees the amount at once); the reason is "
        "required (422 naming reason when missing or blank)",
        headers=IdempotencyHeaders,
        params=PledgePath,
        body=WithdrawReason,
        auth="required",
        response=PledgeDetail,
        errors=(404, 409),
        action="pledge.change",
    ),
    Endpoint(
        "POST",
        "/pledges/{pledge_id}/release",
        release_pledge,
        "The county of the need releases a pledge that blocks it (reason required; the unpaid "
        "part is freed for others)",
        params=PledgePath,
        body=Reason,
        auth="required",
        response=PledgeDetail,
        errors=(404, 409),
        action="pledge.release",
    ),
    Endpoint(
        "GET",
        "/needs/{need_id}/pledges",
        need_pledges,
        "A public need's money and pledges (anonymous donors are not named)",
        params=NeedPledgesPath,
        query=PageQuery,
        auth="optional",
        response=NeedPledges,
        errors=(404,),
        action=PUBLIC,
    ),
    Endpoint(
        "GET",
        "/honour-rates",
        honour_rates,
        "Honour rate (honoured / due): overall, of a participant or of a pair",
        query=HonourQuery,
        auth="optional",
        response=HonourRateOf,
        action=PUBLIC,
    ),
    Endpoint(
        "GET",
        "/honour-rates/participants",
        honour_rate_table,
        "Honour rate of each participant (named pledges only)",
        query=PageQuery,
        response=Page[ParticipantHonourRate],
        action=PUBLIC,
    ),
]
