"""Recipient organisations: the public list, registering one and its deduction qualifications
(offices), and a recipient's inbox (its officers)."""

from __future__ import annotations

from starlette.requests import Request

from fupin.core.endpoints import Endpoint
from fupin.core.policy import PUBLIC, Actor
from fupin.core.schemas import Page, PageQuery
from fupin.money.models import RecipientOrg
from fupin.money.schemas.recipients import (
    Inbox,
    QualificationCreate,
    Recipient,
    RecipientCreate,
    RecipientPath,
    RecipientQuery,
)
from fupin.money.service import queries, recipients


async def list_recipients(request: Request, *, query: RecipientQuery) -> queries.Page:
    orgs, total = await recipients.list_recipients(
        kind=query.kind, page=query.page, per_page=query.per_page
    )
    return queries.Page(items=orgs, total=total, page=query.page, per_page=query.per_page)


async def create_recipient(
    request: Request, *, actor: Actor, body: RecipientCreate
) -> RecipientOrg:
    org = await recipients.create_recipient_org(
        actor=actor,
        kind=body.kind,
        name=body.name,
        code=body.code,
        uscc=body.uscc,
        region_code=body.region_code or "",
        participant_id=body.participant_id,
        note=body.note,
    )
    return await recipients.with_qualifications(org)


async def get_recipient(request: Request, *, path: RecipientPath) -> RecipientOrg:
    return await recipients.with_qualifications(await recipients.get_recipient(path.org_id))


async def add_qualification(
    request: Request, *, actor: Actor, path: RecipientPath, body: QualificationCreate
) -> RecipientOrg:
    await recipients.add_qualification(
        actor=actor,
        org_id=path.org_id,
        start_year=body.start_year,
        end_year=body.end_year,
        list_reference=body.list_reference,
    )
    return await recipients.with_qualifications(await recipients.get_recipient(path.org_id))


async def recipient_inbox(
    request: Request, *, actor: Actor, path: RecipientPath, query: PageQuery
) -> queries.Inbox:
    org = await recipients.get_recipient(path.org_id)
    await recipients.require_recipient(actor, "donation.record", org)
    return await queries.recipient_inbox(org, page=query.page, per_page=query.per_page)


endpoints = [
    Endpoint(
        "GET",
        "/recipients",
        list_recipients,
        "Recipient organisations and their deduction qualifications",
        query=RecipientQuery,
        response=Page[Recipient],
        action=PUBLIC,
    ),
    Endpoint(
        "POST",
        "/recipients",
        create_recipient,
        "Register a recipient organisation (offices)",
        body=RecipientCreate,
        auth="required",
        response=Recipient,
        status=201,
        action="recipient.manage",
    ),
    Endpoint(
        "GET",
        "/recipients/{org_id}",
        get_recipient,
        "One recipient organisation",
        params=RecipientPath,
        response=Recipient,
        errors=(404,),
        action=PUBLIC,
    ),
    Endpoint(
        "POST",
        "/recipients/{org_id}/qualifications",
        add_qualification,
        "Add a qualification period (start/end year, issuing list)",
        params=RecipientPath,
        body=QualificationCreate,
        auth="required",
        response=Recipient,
        status=201,
        errors=(404,),
        action="recipient.manage",
    ),
    Endpoint(
        "GET",
        "/recipients/{org_id}/inbox",
        recipient_inbox,
        "The recipient's inbox: expected and received funds",
        params=RecipientPath,
        query=PageQuery,
        auth="required",
        response=Inbox,
        errors=(403, 404),
        action="donation.record",
    ),
]
