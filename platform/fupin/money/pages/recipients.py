"""Recipient organisation pages: the public list, registering one (offices) and its deduction
qualifications."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from fupin.core.policy import PUBLIC, can, require
from fupin.core.routing import page
from fupin.core.schemas import validate_form
from fupin.core.web import read_form, redirect, render, require_login
from fupin.errors import FupinError, InvalidInput
from fupin.i18n import _
from fupin.money.models import RECIPIENT_KINDS
from fupin.money.pages.common import field_errors, form_values
from fupin.money.schemas.recipients import (
    BankAccountForm,
    QualificationCreate,
    Recipient,
    RecipientCreate,
    RecipientQuery,
)
from fupin.money.service import queries, recipients

#: The recipient form's fields (a blank form shows them all empty).
RECIPIENT_FIELDS = ("kind", "name", "code", "uscc", "region_code", "participant_id", "note")


async def recipient_list(request: Request) -> Response:
    query = validate_form(RecipientQuery, request.query_params)
    orgs, total = await recipients.list_recipients(
        kind=query.kind, page=query.page, per_page=query.per_page
    )
    current = getattr(request.state, "actor", None)
    return render(
        request,
        "money/recipients.html",
        {
            "listing": queries.Page(
                items=orgs, total=total, page=query.page, per_page=query.per_page
            ),
            "kind_labels": recipients.RECIPIENT_KIND_LABELS,
            "kind": query.kind,
            "can_manage": current is not None and can(current, "recipient.manage"),
        },
    )


def _recipient_form(
    request: Request, values: dict[str, Any], *, error: InvalidInput | None = None
) -> Response:
    return render(
        request,
        "money/recipient_form.html",
        {
            "values": values,
            "kinds": RECIPIENT_KINDS,
            "kind_labels": recipients.RECIPIENT_KIND_LABELS,
            "error": error,
            "field_errors": field_errors(error),
        },
        status_code=error.status if error else 200,
    )


async def recipient_new(request: Request) -> Response:
    require(require_login(request), "recipient.manage")
    return _recipient_form(request, dict.fromkeys(RECIPIENT_FIELDS, ""))


async def recipient_create(request: Request) -> Response:
    form = await read_form(request)
    actor = require(require_login(request), "recipient.manage")
    values = form_values(form, RECIPIENT_FIELDS)
    try:
        data = validate_form(RecipientCreate, values)
        org = await recipients.create_recipient_org(
            actor=actor,
            kind=data.kind,
            name=data.name,
            code=data.code,
            uscc=data.uscc,
            region_code=data.region_code or "",
            participant_id=data.participant_id,
            note=data.note,
        )
    except InvalidInput as exc:
        return _recipient_form(request, values, error=exc)
    return redirect(request, f"/recipients/{org.id}", flash=_("受赠单位已登记。"))


QUALIFICATION_FIELDS = ("start_year", "end_year", "list_reference")


async def _recipient_page(
    request: Request,
    org_id: int,
    *,
    qualification: dict[str, str] | None = None,
    error: FupinError | None = None,
) -> Response:
    """The recipient's page; a refused qualification comes back in its form with what was typed
    and each message next to its field."""
    org = await recipients.get_recipient(org_id)
    org = await recipients.with_qualifications(org)
    current = getattr(request.state, "actor", None)
    return render(
        request,
        "money/recipient_detail.html",
        {
            "org": org,
            "data": Recipient.model_validate(org).model_dump(),
            "kind_labels": recipients.RECIPIENT_KIND_LABELS,
            "can_manage": current is not None
            and can(current, "recipient.manage", await recipients.org_scope(org)),
            "qualification": qualification or dict.fromkeys(QUALIFICATION_FIELDS, ""),
            "error": error,
            "field_errors": field_errors(error),
        },
        status_code=error.status if error else 200,
    )


async def recipient_detail(request: Request) -> Response:
    return await _recipient_page(request, request.path_params["org_id"])


async def recipient_qualify(request: Request) -> Response:
    form = await read_form(request)
    actor = require_login(request)
    org_id = request.path_params["org_id"]
    values = form_values(form, QUALIFICATION_FIELDS)
    try:
        data = validate_form(QualificationCreate, values)
        await recipients.add_qualification(
            actor=actor,
            org_id=org_id,
            start_year=data.start_year,
            end_year=data.end_year,
            list_reference=data.list_reference,
        )
    except InvalidInput as exc:
        return await _recipient_page(request, org_id, qualification=values, error=exc)
    return redirect(request, f"/recipients/{org_id}", flash=_("资格期间已登记。"))


BANK_FIELDS = ("bank_name", "account_name", "account_number")


async def _bank_account_form(
    request: Request,
    org: Any,
    values: dict[str, str],
    *,
    error: FupinError | None = None,
) -> Response:
    return render(
        request,
        "money/bank_account_form.html",
        {
            "org": org,
            "values": values,
            "error": error,
            "field_errors": field_errors(error),
        },
        status_code=error.status if error else 200,
    )


async def bank_account_edit(request: Request) -> Response:
    """The recipient's officer enters where donors transfer the money (shown on pledge pages)."""
    actor = require_login(request)
    org = await recipients.get_recipient(request.path_params["org_id"])
    require(actor, "recipient.bank_account", await recipients.org_scope(org))
    values = {
        "bank_name": org.bank_name,
        "account_name": org.bank_account_name,
        "account_number": org.bank_account_number,
    }
    return await _bank_account_form(request, org, values)


async def bank_account_save(request: Request) -> Response:
    form = await read_form(request)
    actor = require_login(request)
    org = await recipients.get_recipient(request.path_params["org_id"])
    require(actor, "recipient.bank_account", await recipients.org_scope(org))
    values = form_values(form, BANK_FIELDS)
    try:
        data = validate_form(BankAccountForm, values)
        await recipients.set_bank_account(
            actor=actor,
            org_id=org.id,
            bank_name=data.bank_name,
            account_name=data.account_name,
            account_number=data.account_number,
        )
    except InvalidInput as exc:
        return await _bank_account_form(request, org, values, error=exc)
    return redirect(
        request, f"/inbox?org={org.id}", flash=_("收款账户已保存，认捐方将在认捐页面看到。")
    )


routes = [
    page("/recipients", recipient_list, methods=["GET"], name="recipients", action=PUBLIC),
    page(
        "/recipients/new",
        recipient_new,
        methods=["GET"],
        name="recipient_new",
        action="recipient.manage",
    ),
    page(
        "/recipients",
        recipient_create,
        methods=["POST"],
        name="recipient_create",
        action="recipient.manage",
    ),
    page(
        "/recipients/{org_id:id}",
        recipient_detail,
        methods=["GET"],
        name="recipient",
        action=PUBLIC,
    ),
    page(
        "/recipients/{org_id:id}/bank-account",
        bank_account_edit,
        methods=["GET"],
        name="recipient_bank_account",
        action="recipient.bank_account",
    ),
    page(
        "/recipients/{org_id:id}/bank-account",
        bank_account_save,
        methods=["POST"],
        name="recipient_bank_account_save",
        action="recipient.bank_account",
    ),
    page(
        "/recipients/{org_id:id}/qualifications",
        recipient_qualify,
        methods=["POST"],
        name="recipient_qualify",
        action="recipient.manage",
    ),
]
