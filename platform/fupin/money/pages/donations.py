"""The recipient's money pages: its inbox, recording a donation (the form), the donation page
with its confirm, cancel and reverse forms."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from fupin.accounts.models import Participant
from fupin.accounts.service.participants import kind_label
from fupin.core.clock import today_cn
from fupin.core.policy import Actor
from fupin.core.routing import page
from fupin.core.schemas import validate_form
from fupin.core.web import read_form, redirect, render, require_login
from fupin.errors import FieldError, FupinError, InvalidInput, PermissionDenied
from fupin.i18n import _
from fupin.money.models import DONATION_KINDS, VALUATION_BASES, RecipientOrg
from fupin.money.pages.common import field_errors, form_values, new_key, run_once
from fupin.money.rules.states import PLEDGE_STATE_LABELS
from fupin.money.schemas.common import KeyForm, Reason, ReasonForm
from fupin.money.schemas.donations import DonationForm, DonationTarget
from fupin.money.schemas.recipients import InboxQuery
from fupin.money.service import donations, pledges, queries, receipts, recipients
from fupin.money.service.readers import may_see_donor
from fupin.needs.models import Need

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
#: The pickers' search words (no raw ids to type): kept in the form, never recorded.
SEARCH_FIELDS = ("need_q", "donor_q")


async def _my_org(actor: Actor, org_id: int | None) -> tuple[RecipientOrg, list[RecipientOrg]]:
    """The organisation whose inbox the actor works (the first of theirs unless one is chosen),
    and all of theirs."""
    orgs = await recipients.recipient_orgs_for(actor)
    if org_id is not None:
        org = await recipients.get_recipient(org_id)
        await recipients.require_recipient(actor, "donation.record", org)
        return org, orgs
    if not orgs:
        raise PermissionDenied(_("您所在的单位尚未登记为受赠单位。"))
    return orgs[0], orgs


async def inbox(request: Request) -> Response:
    actor = require_login(request)
    query = validate_form(InboxQuery, request.query_params)
    org, orgs = await _my_org(actor, query.org)
    data = await queries.recipient_inbox(org, page=query.page, per_page=query.per_page)
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
            "payment_reference": pledges.payment_reference,
            "can_set_account": await recipients.may_set_bank_account(actor, org),
        },
    )


async def workspace_actions(actor: Actor, needs: list[Need]) -> dict[int, list[Any]]:
    """The money buttons of the workspace's needs (``queries.NextAction``): the work waiting for
    the organisations whose inbox the actor works."""
    orgs = await recipients.recipient_orgs_for(actor)
    return dict(await queries.workspace_money_actions(orgs, [n.id for n in needs]))


async def _donation_form(
    request: Request,
    actor: Actor,
    values: dict[str, Any],
    target: DonationTarget,
    *,
    error: FupinError | None = None,
) -> Response:
    org, orgs = await _my_org(actor, target.org)
    pledge = None
    if target.pledge_id is not None:
        pledge = await pledges.get_pledge_for(actor, target.pledge_id)
    # The pickers: what the search words found, and what is chosen (kept when searching again).
    need_choices = await queries.donation_need_choices(org, values.get("need_q", ""))
    donor_choices = await queries.donor_choices(values.get("donor_q", ""))
    chosen_need = _chosen(values.get("need_id", ""), need_choices)
    if chosen_need is None and values.get("need_id", "").isdigit():
        chosen_need = await Need.get_or_none(id=int(values["need_id"])).prefetch_related("region")
    chosen_donor = _chosen(values.get("donor_id", ""), donor_choices)
    if chosen_donor is None and values.get("donor_id", "").isdigit():
        chosen_donor = await Participant.get_or_none(id=int(values["donor_id"]))
    return render(
        request,
        "money/donation_form.html",
        {
            "org": org,
            "orgs": orgs,
            "pledge": pledge,
            "need_choices": [n for n in need_choices if n is not chosen_need],
            "donor_choices": [d for d in donor_choices if d is not chosen_donor],
            "chosen_need": chosen_need,
            "chosen_donor": chosen_donor,
            "searched": {f: bool(values.get(f)) for f in SEARCH_FIELDS},
            "kind_label": kind_label,
            "values": values,
            "error": error,
            "field_errors": _picker_errors(field_errors(error), pledge is None),
            "kinds": DONATION_KINDS,
            "bases": VALUATION_BASES,
            "basis_labels": donations.VALUATION_BASIS_LABELS,
            "donation_key": values.get("idempotency_key") or new_key(),
        },
        status_code=error.status if error else 200,
    )


def _picker_errors(errors: dict[str, str], picking: bool) -> dict[str, str]:
    """A refused need or donor is shown next to its picker's search field as well."""
    if picking:
        for chosen, search in (("need_id", "need_q"), ("donor_id", "donor_q")):
            if chosen in errors:
                errors.setdefault(search, errors[chosen])
    return errors


def _chosen(value: str, found: list[Any]) -> Any:
    return next((row for row in found if str(row.id) == value), None)


def _missing_choices(values: dict[str, str], found: list[FieldError]) -> list[FieldError]:
    """Without a pledge the need and the donor are picked: an empty pick is an error of its own,
    given together with every other (a form refused one field at a time is a form refused)."""
    if values.get("pledge_id"):
        return []
    named = {e.field for e in found}
    missing = []
    if not values.get("need_id") and "need_id" not in named:
        missing.append(FieldError("need_id", _("请查找并选择需求。"), "required"))
    if not values.get("donor_id") and "donor_id" not in named:
        missing.append(FieldError("donor_id", _("请查找并选择捐赠方。"), "required"))
    return missing


async def donation_new(request: Request) -> Response:
    actor = require_login(request)
    values = dict.fromkeys(DONATION_FIELDS + SEARCH_FIELDS, "")
    values.update(
        form_values(request.query_params, ("org", "pledge_id", "need_id", *SEARCH_FIELDS))
    )
    values["received_on"] = today_cn().isoformat()
    values["kind"] = "cash"
    return await _donation_form(request, actor, values, validate_form(DonationTarget, values))


async def donation_create(request: Request) -> Response:
    form = await read_form(request)
    actor = require_login(request)
    values = form_values(form, DONATION_FIELDS + SEARCH_FIELDS)
    # Whose form it is comes first: refused as it is, with no form to show again. The need is
    # picked in the form (when there is no pledge), so a bad one comes back in the form.
    target = validate_form(DonationTarget, {k: values[k] for k in ("org", "pledge_id")})
    org, _orgs = await _my_org(actor, target.org)
    if form.get("find") in ("need", "donor"):
        # A picker's search button (the two-step search without JavaScript): the form again,
        # with what was typed and what the words found; nothing is recorded.
        return await _donation_form(request, actor, values, target)
    recorded = {k: values[k] for k in DONATION_FIELDS}
    try:
        try:
            data = validate_form(DonationForm, recorded)
        except InvalidInput as exc:
            raise InvalidInput(errors=exc.errors + _missing_choices(values, exc.errors)) from None
        in_kind = data.kind == "in_kind"

        async def action() -> str:
            donation = await donations.record_donation(
                actor=actor,
                recipient_id=org.id,
                amount_fen=data.amount,
                received_on=data.received_on,
                need_id=data.need_id,
                pledge_id=data.pledge_id,
                donor_id=data.donor_id,
                # a pledge's donation is as anonymous as the pledge
                anonymous=data.anonymous if data.pledge_id is None else None,
                kind=data.kind,
                valuation_basis=data.valuation_basis if in_kind else "",
                fair_value_evidence=data.fair_value_evidence if in_kind else "",
                payment_reference=data.payment_reference,
                note=data.note,
                confirm=data.confirm,
            )
            return f"/donations/{donation.id}"

        target_url = await run_once(
            actor, data.idempotency_key, "web.donation.record", recorded, action
        )
    except FupinError as exc:
        if exc.status in (401, 403, 404):
            raise
        return await _donation_form(request, actor, values, target, error=exc)
    return redirect(request, target_url, flash=_("到账已登记。"))


async def _donation_page(
    request: Request,
    donation_id: int,
    *,
    refused: str = "",
    values: dict[str, str] | None = None,
    error: FupinError | None = None,
) -> Response:
    """The donation page; a refused cancel or reverse form (``refused``) comes back with what
    was typed and the message next to its field."""
    actor = require_login(request)
    donation = await recipients.get_donation_for(actor, donation_id)
    data = await queries.donation_page(donation)
    officer = await recipients.is_recipient_officer(actor, donation)
    reveal = officer or may_see_donor(actor, donation.donor_id, data.need)
    forms = {refused: {"values": values or {}, "errors": field_errors(error)}} if refused else {}
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
            "key": (values or {}).get("idempotency_key") or new_key(),
            "official": recipients.has_official_numbers(donation),
            "forms": forms,
            "error": error,
        },
        status_code=error.status if error else 200,
    )


async def donation_detail(request: Request) -> Response:
    return await _donation_page(request, request.path_params["donation_id"])


async def donation_confirm(request: Request) -> Response:
    form = await read_form(request)
    actor = require_login(request)
    donation_id = request.path_params["donation_id"]
    data = validate_form(KeyForm, form_values(form, ("idempotency_key",)))

    async def action() -> str:
        await donations.confirm_donation(actor=actor, donation_id=donation_id)
        return f"/donations/{donation_id}"

    target = await run_once(
        actor, data.idempotency_key, f"web.donation.confirm:{donation_id}", {}, action
    )
    return redirect(request, target, flash=_("到账已确认，已记入公开账本。"))


async def donation_cancel(request: Request) -> Response:
    form = await read_form(request)
    actor = require_login(request)
    donation_id = request.path_params["donation_id"]
    values = form_values(form, ("reason",))
    try:
        data = validate_form(Reason, values)
        await donations.cancel_donation(actor=actor, donation_id=donation_id, reason=data.reason)
    except FupinError as exc:
        if exc.status >= 500 or exc.status in (401, 403, 404):
            raise
        return await _donation_page(
            request, donation_id, refused="cancel", values=values, error=exc
        )
    return redirect(request, f"/donations/{donation_id}", flash=_("登记已取消。"))


async def donation_reverse(request: Request) -> Response:
    form = await read_form(request)
    actor = require_login(request)
    donation_id = request.path_params["donation_id"]
    values = form_values(form, ("reason", "idempotency_key"))
    try:
        data = validate_form(ReasonForm, values)

        async def action() -> str:
            reversal = await donations.reverse_donation(
                actor=actor, donation_id=donation_id, reason=data.reason
            )
            return f"/donations/{reversal.id}"

        target = await run_once(
            actor, data.idempotency_key, f"web.donation.reverse:{donation_id}", values, action
        )
    except FupinError as exc:
        if exc.status >= 500 or exc.status in (401, 403, 404):
            raise
        return await _donation_page(
            request, donation_id, refused="reverse", values=values, error=exc
        )
    return redirect(request, target, flash=_("已登记冲正。"))


routes = [
    page("/inbox", inbox, methods=["GET"], name="recipient_inbox", action="donation.record"),
    page(
        "/donations/new",
        donation_new,
        methods=["GET"],
        name="donation_new",
        action="donation.record",
    ),
    page(
        "/donations",
        donation_create,
        methods=["POST"],
        name="donation_create",
        action="donation.record",
    ),
    page(
        "/donations/{donation_id:id}",
        donation_detail,
        methods=["GET"],
        name="donation_detail",
        action="donation.view",
    ),
    page(
        "/donations/{donation_id:id}/confirm",
        donation_confirm,
        methods=["POST"],
        name="donation_confirm",
        action="donation.confirm",
    ),
    page(
        "/donations/{donation_id:id}/cancel",
        donation_cancel,
        methods=["POST"],
        name="donation_cancel",
        action="donation.record",
    ),
    page(
        "/donations/{donation_id:id}/reverse",
        donation_reverse,
        methods=["POST"],
        name="donation_reverse",
        action="donation.reverse",
    ),
]
