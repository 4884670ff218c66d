"""Matching API (docs/domain.md §3.11): the caller's recommendations with reasons, "not for
us", a need's likely donors, invitations and the participant's inbox.

There is no parameter naming a participant anywhere here: recommendations and the inbox are
always those of the participant the caller acts for (API token or session).
"""

from __future__ import annotations

from starlette.requests import Request

from fupin.core.endpoints import Endpoint
from fupin.core.policy import Actor
from fupin.matching.models import Invitation as InvitationRow
from fupin.matching.models import NotForUs as NotForUsRow
from fupin.matching.rules.weights import WeightOutOfRange
from fupin.matching.schemas import (
    InboxQuery,
    Invitation,
    InvitationAnswer,
    InvitationCreate,
    InvitationInbox,
    InvitationPath,
    LikelyDonorList,
    LikelyDonorQuery,
    NeedPath,
    NotForUsCreate,
    NotForUsMark,
    RecommendationList,
    RecommendationQuery,
    WeightedQuery,
    unknown_weights,
)
from fupin.matching.service import invitations, likely_donors, marks, recommendations


async def get_recommendations(
    request: Request, *, actor: Actor, query: WeightedQuery
) -> recommendations.NeedsForYou:
    # The schema checks the weights it names; a weight.<name> naming no weight is refused
    # rather than ignored, so a typo never silently keeps a default.
    if unknown := unknown_weights(request.query_params):
        raise WeightOutOfRange(unknown[0], request.query_params[unknown[0]], None)
    return await recommendations.my_recommendations(
        actor,
        category=query.category,
        province=query.province,
        limit=query.limit,
        weights=query.weights(),
    )


async def mark_not_for_us(
    request: Request, *, actor: Actor, path: NeedPath, body: NotForUsCreate
) -> NotForUsRow:
    return await marks.mark_not_for_us(actor, path.need_id, reason=body.reason)


async def unmark_not_for_us(request: Request, *, actor: Actor, path: NeedPath) -> None:
    await marks.undo_not_for_us(actor, path.need_id)


async def get_likely_donors(
    request: Request, *, actor: Actor, path: NeedPath, query: LikelyDonorQuery
) -> likely_donors.LikelyDonors:
    return await likely_donors.likely_donors(actor, path.need_id, limit=query.limit)


async def send_invitation(
    request: Request, *, actor: Actor, body: InvitationCreate
) -> InvitationRow:
    invitation = await invitations.send_invitation(
        actor, need_id=body.need_id, participant_id=body.participant_id, message=body.message
    )
    await invitation.fetch_related("need")
    return invitation


async def get_inbox(request: Request, *, actor: Actor, query: InboxQuery) -> invitations.InboxPage:
    return await invitations.inbox(
        actor, page=query.page, per_page=query.per_page, unread_only=query.unread
    )


async def read_invitation(request: Request, *, actor: Actor, path: InvitationPath) -> InvitationRow:
    invitation = await invitations.mark_read(actor, path.invitation_id)
    await invitation.fetch_related("need")
    return invitation


async def answer_invitation(
    request: Request, *, actor: Actor, path: InvitationPath, body: InvitationAnswer
) -> InvitationRow:
    invitation = await invitations.respond(actor, path.invitation_id, body.response)
    await invitation.fetch_related("need")
    return invitation


endpoints = [
    Endpoint(
        "GET",
        "/recommendations",
        get_recommendations,
        "Needs for you: the caller's participant's recommendations with reasons (participant "
        "members only; weights may be overridden with weight.<name>, out of range → 422)",
        query=RecommendationQuery,
        auth="required",
        response=RecommendationList,
        errors=(403,),
        action="recommendations.view",
    ),
    Endpoint(
        "POST",
        "/recommendations/{need_id}/not-for-us",
        mark_not_for_us,
        "Mark a need 'not for us' (removed, similar needs demoted)",
        params=NeedPath,
        body=NotForUsCreate,
        auth="required",
        response=NotForUsMark,
        status=201,
        errors=(404,),
        action="recommendations.view",
    ),
    Endpoint(
        "DELETE",
        "/recommendations/{need_id}/not-for-us",
        unmark_not_for_us,
        "Take a 'not for us' mark back (204 whether there was one or not)",
        params=NeedPath,
        auth="required",
        status=204,
        action="recommendations.view",
    ),
    Endpoint(
        "GET",
        "/needs/{need_id}/likely-donors",
        get_likely_donors,
        "Participants most likely to fund a public need, with reasons (its county officers "
        "and the offices; built from non-anonymous giving only)",
        params=NeedPath,
        query=LikelyDonorQuery,
        auth="required",
        response=LikelyDonorList,
        errors=(403, 404, 409),
        action="likely_donors.view",
    ),
    Endpoint(
        "POST",
        "/invitations",
        send_invitation,
        f"Invite a participant to consider a need (offices covering the need; at most "
        f"{invitations.WEEKLY_LIMIT} per participant in any {invitations.WINDOW_DAYS} days, one "
        "per need; over the limit → 409, nothing written)",
        body=InvitationCreate,
        auth="required",
        response=Invitation,
        status=201,
        errors=(404, 409),
        action="invitation.send",
    ),
    Endpoint(
        "GET",
        "/inbox",
        get_inbox,
        "The caller's participant's invitations, newest first",
        query=InboxQuery,
        auth="required",
        response=InvitationInbox,
        errors=(403,),
        action="inbox.view",
    ),
    Endpoint(
        "POST",
        "/inbox/{invitation_id}/read",
        read_invitation,
        "Mark an invitation read",
        params=InvitationPath,
        auth="required",
        response=Invitation,
        errors=(404,),
        action="inbox.view",
    ),
    Endpoint(
        "POST",
        "/inbox/{invitation_id}/respond",
        answer_invitation,
        "Answer an invitation (declined also marks the need 'not for us')",
        params=InvitationPath,
        body=InvitationAnswer,
        auth="required",
        response=Invitation,
        errors=(404,),
        action="inbox.view",
    ),
]
