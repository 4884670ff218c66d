"""Commendation API (docs/domain.md §3.9): rounds, categories, ranking, public notice, objections, final
list. The public reads published lists and files objections during the notice; the national
office runs rounds; auditors read everything."""

from __future__ import annotations

from starlette.requests import Request

from fupin.commendation.models import CommendationRound as RoundRow
from fupin.commendation.schemas import (
    CommendationCancel,
    CommendationCategoryCreate,
    CommendationEvidence,
    CommendationNominationList,
    CommendationNominationPath,
    CommendationNoticeStart,
    CommendationObjectionCreate,
    CommendationObjectionList,
    CommendationObjectionPath,
    CommendationObjectionState,
    CommendationPublicList,
    CommendationRanking,
    CommendationResolution,
    CommendationRound,
    CommendationRoundCreate,
    CommendationRoundDetail,
    CommendationRoundList,
    CommendationRoundPath,
)
from fupin.commendation.service import final, notice, ranking, rounds
from fupin.core.endpoints import Endpoint
from fupin.core.jsonapi import client_source
from fupin.core.policy import PUBLIC, Actor


async def _detail(found: RoundRow) -> CommendationRoundDetail:
    """The round with its categories."""
    categories = await rounds.categories_of(found.id)
    return CommendationRoundDetail.model_validate(
        {**CommendationRound.model_validate(found).model_dump(), "categories": categories}
    )


async def _visible_round(actor: Actor | None, round_id: int) -> tuple[RoundRow, bool]:
    """The round, and whether the actor sees the office's view of it; the public sees a round
    only once its list is published."""
    if rounds.can_view_private(actor):
        return await rounds.get_round(round_id), True
    return await rounds.get_public_round(round_id), False


async def list_commendation_rounds(
    request: Request, *, actor: Actor | None
) -> CommendationRoundList:
    found = await rounds.list_rounds(public=not rounds.can_view_private(actor))
    return CommendationRoundList.model_validate({"items": found})


async def create_commendation_round(
    request: Request, *, actor: Actor, body: CommendationRoundCreate
) -> CommendationRoundDetail:
    created = await rounds.create_round(
        actor=actor,
        title=body.title,
        first_year=body.first_year,
        last_year=body.last_year,
        categories=[rounds.CategoryInput(**c.model_dump()) for c in body.categories],
        notice_working_days=body.notice_working_days,
        objection_channel=body.objection_channel,
    )
    return await _detail(created)


async def get_commendation_round(
    request: Request, *, actor: Actor | None, path: CommendationRoundPath
) -> CommendationRoundDetail:
    found, _private = await _visible_round(actor, path.rid)
    return await _detail(found)


async def save_commendation_category(
    request: Request, *, actor: Actor, path: CommendationRoundPath, body: CommendationCategoryCreate
) -> CommendationRoundDetail:
    row = await rounds.save_category(
        actor=actor, round_id=path.rid, category=rounds.CategoryInput(**body.model_dump())
    )
    return await _detail(await rounds.get_round(row.round_id))


async def rank_commendation_round(
    request: Request, *, actor: Actor, path: CommendationRoundPath
) -> CommendationRanking:
    result = await ranking.rank(actor=actor, round_id=path.rid)
    entries = await ranking.nominations_of(result.round.id)
    return CommendationRanking(
        round=CommendationRound.model_validate(result.round),
        nominations=[ranking.office_entry(n) for n in entries],
    )


async def publish_commendation_notice(
    request: Request, *, actor: Actor, path: CommendationRoundPath, body: CommendationNoticeStart
) -> RoundRow:
    return await notice.publish_notice(actor=actor, round_id=path.rid, start=body.start)


async def publish_commendation_final(
    request: Request, *, actor: Actor, path: CommendationRoundPath
) -> RoundRow:
    return await final.publish_final(actor=actor, round_id=path.rid)


async def close_commendation_round(
    request: Request, *, actor: Actor, path: CommendationRoundPath
) -> RoundRow:
    return await final.close_round(actor=actor, round_id=path.rid)


async def reopen_commendation_round(
    request: Request, *, actor: Actor, path: CommendationRoundPath
) -> RoundRow:
    return await rounds.reopen_round(actor=actor, round_id=path.rid)


async def cancel_commendation_round(
    request: Request, *, actor: Actor, path: CommendationRoundPath, body: CommendationCancel
) -> RoundRow:
    return await rounds.cancel_round(actor=actor, round_id=path.rid, reason=body.reason)


async def list_commendation_nominations(
    request: Request, *, actor: Actor | None, path: CommendationRoundPath
) -> CommendationNominationList | CommendationPublicList:
    found, private = await _visible_round(actor, path.rid)
    shown = CommendationRound.model_validate(found)
    if private:
        entries = await ranking.nominations_of(found.id)
        return CommendationNominationList(
            round=shown, items=[ranking.office_entry(n) for n in entries]
        )
    entries = await ranking.nominations_of(found.id, statuses=ranking.public_statuses(found))
    return CommendationPublicList(round=shown, items=[ranking.public_entry(n) for n in entries])


async def get_commendation_evidence(
    request: Request, *, actor: Actor, path: CommendationNominationPath
) -> CommendationEvidence:
    rounds.require_view_private(actor)
    found = await rounds.get_round(path.rid)
    nomination = await ranking.get_nomination(found.id, path.nid)
    return CommendationEvidence.model_validate(
        {**ranking.office_entry(nomination).model_dump(), "evidence": nomination.evidence}
    )


async def list_commendation_objections(
    request: Request, *, actor: Actor, path: CommendationRoundPath
) -> CommendationObjectionList:
    rounds.require_view_private(actor)
    found = await rounds.get_round(path.rid)
    return CommendationObjectionList.model_validate(
        {"items": await notice.list_objections(found.id)}
    )


async def file_commendation_objection(
    request: Request, *, path: CommendationRoundPath, body: CommendationObjectionCreate
) -> CommendationObjectionState:
    objection = await notice.file_objection(
        round_id=path.rid,
        nomination_id=body.nomination_id,
        name=body.name,
        contact=body.contact,
        content=body.content,
        source=client_source(request),
    )
    return CommendationObjectionState.model_validate(objection)


async def resolve_commendation_objection(
    request: Request, *, actor: Actor, path: CommendationObjectionPath, body: CommendationResolution
) -> CommendationObjectionState:
    objection = await notice.resolve_objection(
        actor=actor,
        objection_id=path.oid,
        upheld=body.decision == "upheld",
        resolution=body.resolution,
    )
    return CommendationObjectionState.model_validate(objection)


_WRITE_ERRORS = (403, 404, 409)

endpoints = [
    Endpoint(
        "GET",
        "/commendation/rounds",
        list_commendation_rounds,
        "Rounds: published ones for the public, all for the office and auditors",
        auth="optional",
        response=CommendationRoundList,
        action=PUBLIC,
    ),
    Endpoint(
        "POST",
        "/commendation/rounds",
        create_commendation_round,
        "Open a round for a five-year window (national office)",
        body=CommendationRoundCreate,
        auth="required",
        response=CommendationRoundDetail,
        status=201,
        errors=(403,),
        action="commendation.manage",
    ),
    Endpoint(
        "GET",
        "/commendation/rounds/{rid}",
        get_commendation_round,
        "One round with its categories",
        params=CommendationRoundPath,
        auth="optional",
        response=CommendationRoundDetail,
        errors=(404,),
        action=PUBLIC,
    ),
    Endpoint(
        "POST",
        "/commendation/rounds/{rid}/categories",
        save_commendation_category,
        "Add or change a category of a draft round",
        params=CommendationRoundPath,
        body=CommendationCategoryCreate,
        auth="required",
        response=CommendationRoundDetail,
        errors=_WRITE_ERRORS,
        action="commendation.manage",
    ),
    Endpoint(
        "POST",
        "/commendation/rounds/{rid}/rank",
        rank_commendation_round,
        "Rank from confirmed records and store the nomination list",
        params=CommendationRoundPath,
        auth="required",
        response=CommendationRanking,
        errors=_WRITE_ERRORS,
        action="commendation.manage",
    ),
    Endpoint(
        "POST",
        "/commendation/rounds/{rid}/notice",
        publish_commendation_notice,
        "Publish the nomination list for public notice",
        params=CommendationRoundPath,
        body=CommendationNoticeStart,
        auth="required",
        response=CommendationRound,
        errors=_WRITE_ERRORS,
        action="commendation.manage",
    ),
    Endpoint(
        "POST",
        "/commendation/rounds/{rid}/final",
        publish_commendation_final,
        "Publish the final list (after the notice, all objections resolved)",
        params=CommendationRoundPath,
        auth="required",
        response=CommendationRound,
        errors=_WRITE_ERRORS,
        action="commendation.manage",
    ),
    Endpoint(
        "POST",
        "/commendation/rounds/{rid}/close",
        close_commendation_round,
        "Close a round whose final list is published",
        params=CommendationRoundPath,
        auth="required",
        response=CommendationRound,
        errors=_WRITE_ERRORS,
        action="commendation.manage",
    ),
    Endpoint(
        "POST",
        "/commendation/rounds/{rid}/reopen",
        reopen_commendation_round,
        "Re-open a ranked round for editing before its notice (drops the ranking)",
        params=CommendationRoundPath,
        auth="required",
        response=CommendationRound,
        errors=_WRITE_ERRORS,
        action="commendation.manage",
    ),
    Endpoint(
        "POST",
        "/commendation/rounds/{rid}/cancel",
        cancel_commendation_round,
        "Cancel a round before its final list, with a reason; frees its window",
        params=CommendationRoundPath,
        body=CommendationCancel,
        auth="required",
        response=CommendationRound,
        errors=_WRITE_ERRORS,
        action="commendation.manage",
    ),
    Endpoint(
        "GET",
        "/commendation/rounds/{rid}/nominations",
        list_commendation_nominations,
        "The published list (public) or every ranked and excluded entry (office, auditors)",
        params=CommendationRoundPath,
        auth="optional",
        response=CommendationNominationList | CommendationPublicList,
        errors=(404,),
        action=PUBLIC,
    ),
    Endpoint(
        "GET",
        "/commendation/rounds/{rid}/nominations/{nid}",
        get_commendation_evidence,
        "A nominee's figures and evidence pack (office, auditors)",
        params=CommendationNominationPath,
        auth="required",
        response=CommendationEvidence,
        errors=(403, 404),
        action="commendation.view_private",
    ),
    Endpoint(
        "GET",
        "/commendation/rounds/{rid}/objections",
        list_commendation_objections,
        "Objections of a round with the objectors' names (office, auditors)",
        params=CommendationRoundPath,
        auth="required",
        response=CommendationObjectionList,
        errors=(403, 404),
        action="commendation.view_private",
    ),
    Endpoint(
        "POST",
        "/commendation/rounds/{rid}/objections",
        file_commendation_objection,
        "File a real-name objection during the public notice; at most 10 per round per sender "
        "(address or contact) in 24 hours, past that 429",
        params=CommendationRoundPath,
        body=CommendationObjectionCreate,
        response=CommendationObjectionState,
        status=201,
        errors=(404, 409, 429),
        action=PUBLIC,
    ),
    Endpoint(
        "POST",
        "/commendation/objections/{oid}/resolve",
        resolve_commendation_objection,
        "Record the resolution of an objection (upheld removes the nominee)",
        params=CommendationObjectionPath,
        body=CommendationResolution,
        auth="required",
        response=CommendationObjectionState,
        errors=_WRITE_ERRORS,
        action="commendation.manage",
    ),
]
