"""The donor's money pages: pledging (the form, the pledge page with its amend and withdraw
forms), "my money" (/me, my pledges, my donations) and the money box of the public need page.

Handlers read the form into its schema (``money/schemas``), call one service function, render.
Every money-creating form carries a hidden ``idempotency_key``; the need page includes
``money/_pledge_box.html``, which makes its own key.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from fupin.core.clock import today_cn
from fupin.core.money import input_yuan
from fupin.core.policy import Actor
from fupin.core.routing import page
from fupin.core.schemas import PageQuery, validate_form
from fupin.core.web import read_form, redirect, render, require_login
from fupin.errors import FupinError, InvalidInput, RuleViolation
from fupin.i18n import _
from fupin.money.pages.common import (
    field_errors,
    form_values,
    new_key,
    participant_actor,
    run_once,
)
from fupin.money.rules.states import OPEN_PLEDGE_STATES, PLEDGE_MACHINE, PLEDGE_STATE_LABELS
from fupin.money.schemas.common import Reason, WithdrawForm
from fupin.money.schemas.pledges import (
    PledgeAmendForm,
    PledgeForm,
    PledgeQuery,
    PledgeTarget,
    instalment_specs,
)
from fupin.money.service import donations, giving, honour, pledges, queries, recipients
from fupin.money.service.readers import may_see_donor
from fupin.needs.models import Need

PLEDGE_FIELDS = (
    "need_id",
    "amount",
    "due_date",
    "instalments",
    "anonymous",
    "commendation_consent",
    "pair_id",
    "recipient_id",
    "idempotency_key",
)
AMEND_FIELDS = ("amount", "due_date", "instalments", "reason", "idempotency_key")


# --- pledging -----------------------------------------------------------------------------------


async def _pledge_form(
    request: Request,
    need_id: int,
    values: dict[str, Any],
    *,
    error: FupinError | None = None,
) -> Response:
    need = await queries.public_need(need_id)
    return render(
        request,
        "money/pledge_form.html",
        {
            "need": need,
            "values": values,
            "error": error,
            "field_errors": field_errors(error),
            "pairs": await pledges.eligible_pairs(need),
            "recipients": await queries.recipients_for_need(need),
            "recipient_kind_labels": recipients.RECIPIENT_KIND_LABELS,
            "pledge_key": values.get("idempotency_key") or new_key(),
            "open_fen": max(need.target_fen - need.pledged_fen, 0),
        },
        status_code=error.status if error else 200,
    )


async def pledge_new(request: Request) -> Response:
    participant_actor(request)
    need_id = validate_form(PledgeTarget, request.query_params).need_id
    need = await queries.public_need(need_id)
    values = dict.fromkeys(PLEDGE_FIELDS, "")
    values["due_date"] = max(need.deadline, today_cn()).isoformat()
    return await _pledge_form(request, need_id, values)


async def pledge_create(request: Request) -> Response:
    form = await read_form(request)
    actor = participant_actor(request)
    values = form_values(form, PLEDGE_FIELDS)
    # Without the need there is no form to show again: refused as it is.
    need_id = validate_form(PledgeTarget, values).need_id
    try:
        data = validate_form(PledgeForm, values)

        async def action() -> str:
            pledge = await pledges.make_pledge(
                actor=actor,
                need_id=data.need_id,
                amount_fen=data.amount,
                due_date=None if data.instalments else data.due_date,
                instalments=instalment_specs(data.instalments),
                anonymous=data.anonymous,
                commendation_consent=data.commendation_consent,
                pair_id=data.pair_id,
                recipient_id=data.recipient_id,
                caps=pledges.caps_from(request.app.state.settings),
            )
            return f"/pledges/{pledge.id}"

        target = await run_once(actor, data.idempotency_key, "web.pledge.create", values, action)
    except FupinError as exc:
        if exc.status >= 500 or exc.status in (401, 403, 404):
            raise
        return await _pledge_form(request, need_id, values, error=exc)
    return redirect(request, target, flash=_("认捐已登记，感谢您的支持！"))


async def _pledge_page(
    request: Request,
    pledge_id: int,
    *,
    amend: dict[str, str] | None = None,
    error: FupinError | None = None,
    release: dict[str, str] | None = None,
    release_error: FupinError | None = None,
) -> Response:
    """The pledge page; a refused amendment (or release) comes back in its form with what was
    typed and each message next to its field."""
    actor = require_login(request)
    pledge = await pledges.get_pledge_for(actor, pledge_id)
    history = await queries.pledge_history(pledge)
    owner = actor.participant_id == pledge.participant_id
    typed = amend or {
        "amount": input_yuan(pledge.amount_fen),
        "due_date": pledge.due_date.isoformat(),
        "instalments": "\n".join(
            f"{i.due_date.isoformat()} {input_yuan(i.amount_fen)}" for i in history.instalments
        ),
        "reason": "",
        "idempotency_key": "",
    }
    return render(
        request,
        "money/pledge_detail.html",
        {
            "pledge": pledge,
            "need": pledge.need,
            "history": history,
            "owner": owner,
            "reveal": may_see_donor(actor, pledge.participant_id, pledge.need),
            "state_labels": PLEDGE_STATE_LABELS,
            "event_labels": pledges.PLEDGE_EVENT_LABELS,
            "donation_state_labels": donations.DONATION_STATE_LABELS,
            "can_amend": owner and PLEDGE_MACHINE.get(pledge.state, "amend") is not None,
            "can_withdraw": owner and PLEDGE_MACHINE.get(pledge.state, "withdraw") is not None,
            "can_release": pledges.may_release(actor, pledge, pledge.need),
            "payment": await queries.payment_instructions(pledge),
            "still_to_pay": pledge.state in OPEN_PLEDGE_STATES,
            "amend_key": typed.get("idempotency_key") or new_key(),
            "amend": typed,
            "error": error,
            "field_errors": field_errors(error),
            "release": release or {"reason": ""},
            "release_error": release_error,
            "release_errors": field_errors(release_error),
        },
        status_code=refused.status if (refused := error or release_error) else 200,
    )


async def pledge_detail(request: Request) -> Response:
    return await _pledge_page(request, request.path_params["pledge_id"])


async def pledge_amend(request: Request) -> Response:
    form = await read_form(request)
    actor = require_login(request)
    pledge_id = request.path_params["pledge_id"]
    values = form_values(form, AMEND_FIELDS)
    try:
        data = validate_form(PledgeAmendForm, values)

        async def action() -> str:
            await pledges.amend_pledge(
                actor=actor,
                pledge_id=pledge_id,
                amount_fen=data.amount,
                due_date=None if data.instalments else data.due_date,
                instalments=instalment_specs(data.instalments),
                reason=data.reason,
                caps=pledges.caps_from(request.app.state.settings),
            )
            return f"/pledges/{pledge_id}"

        target = await run_once(
            actor, data.idempotency_key, f"web.pledge.amend:{pledge_id}", values, action
        )
    except FupinError as exc:
        if exc.status >= 500 or exc.status in (401, 403, 404):
            raise
        return await _pledge_page(request, pledge_id, amend=values, error=exc)
    return redirect(request, target, flash=_("认捐已修改，修改记录已保留。"))


async def _withdraw_page(
    request: Request,
    actor: Actor,
    pledge_id: int,
    values: dict[str, str],
    *,
    error: FupinError | None = None,
) -> Response:
    effect = await pledges.withdrawal_effect(actor, pledge_id)
    return render(
        request,
        "money/pledge_withdraw.html",
        {
            "effect": effect,
            "values": values,
            "withdraw_key": values.get("idempotency_key") or new_key(),
            "error": error,
            "field_errors": field_errors(error),
        },
        status_code=error.status if error else 200,
    )


async def pledge_withdraw_confirm(request: Request) -> Response:
    """The confirmation page: what the withdrawal frees, what it does to the need, and why."""
    actor = require_login(request)
    values = {"reason": "", "idempotency_key": ""}
    return await _withdraw_page(request, actor, request.path_params["pledge_id"], values)


async def pledge_withdraw(request: Request) -> Response:
    form = await read_form(request)
    actor = require_login(request)
    pledge_id = request.path_params["pledge_id"]
    values = form_values(form, ("reason", "idempotency_key"))
    try:
        data = validate_form(WithdrawForm, values)

        async def action() -> str:
            await pledges.withdraw_pledge(actor=actor, pledge_id=pledge_id, reason=data.reason)
            return f"/pledges/{pledge_id}"

        target = await run_once(
            actor, data.idempotency_key, f"web.pledge.withdraw:{pledge_id}", values, action
        )
    except FupinError as exc:
        if exc.status >= 500 or exc.status in (401, 403, 404):
            raise
        return await _withdraw_page(request, actor, pledge_id, values, error=exc)
    return redirect(request, target, flash=_("认捐已撤回，相应金额已释放。"))


async def pledge_release(request: Request) -> Response:
    """The county releases a pledge that blocks its need (a reason; the pledger sees it)."""
    form = await read_form(request)
    actor = require_login(request)
    pledge_id = request.path_params["pledge_id"]
    values = form_values(form, ("reason",))
    try:
        data = validate_form(Reason, values)
        await pledges.release_pledge(actor=actor, pledge_id=pledge_id, reason=data.reason)
    except (InvalidInput, RuleViolation) as exc:
        return await _pledge_page(request, pledge_id, release=values, release_error=exc)
    return redirect(
        request, f"/pledges/{pledge_id}", flash=_("认捐已释放，未兑现的金额可由他人认捐。")
    )


# --- my money (/me) -----------------------------------------------------------------------------


async def me(request: Request) -> Response:
    actor = participant_actor(request)
    pid = actor.participant_id
    assert pid is not None
    return render(
        request,
        "money/me.html",
        {
            "totals": await queries.participant_totals(pid),
            "due": await queries.what_is_due(pid, limit=50),
            "rate": await honour.honour_rate(participant_id=pid),
            "pledges": await queries.my_pledges(pid, per_page=5),
            "donations": await queries.my_donations(pid, per_page=5),
            "state_labels": PLEDGE_STATE_LABELS,
            "donation_state_labels": donations.DONATION_STATE_LABELS,
            "recipient_orgs": await recipients.recipient_orgs_for(actor),
        },
    )


async def my_pledges(request: Request) -> Response:
    actor = participant_actor(request)
    query = validate_form(PledgeQuery, request.query_params)
    assert actor.participant_id is not None
    listing = await queries.my_pledges(
        actor.participant_id, state=query.state, page=query.page, per_page=query.per_page
    )
    return render(
        request,
        "money/my_pledges.html",
        {"listing": listing, "state": query.state, "state_labels": PLEDGE_STATE_LABELS},
    )


async def my_donations(request: Request) -> Response:
    actor = participant_actor(request)
    query = validate_form(PageQuery, request.query_params)
    assert actor.participant_id is not None
    listing = await queries.my_donations(
        actor.participant_id, page=query.page, per_page=query.per_page
    )
    return render(
        request,
        "money/my_donations.html",
        {"listing": listing, "donation_state_labels": donations.DONATION_STATE_LABELS},
    )


async def need_panel(actor: Actor | None, need: Need) -> dict[str, Any]:
    """The money box of the public need page (who pledged and gave), once the need is public."""
    if need.state not in ("published", "funded", "in_progress", "completed", "closed"):
        return {}
    panel: dict[str, Any] = {"need_money": await queries.need_money(need)}
    if actor is not None and actor.participant_id is not None:
        # The quick pledge form names the recipient it will use and offers the others.
        default = await pledges.default_recipient(need)
        panel["pledge_recipients"] = await queries.recipients_for_need(need)
        panel["default_recipient_id"] = default.id if default else None
        panel["recipient_kind_labels"] = recipients.RECIPIENT_KIND_LABELS
    return panel


routes = [
    page("/pledges/new", pledge_new, methods=["GET"], name="pledge_new", action="pledge.create"),
    page("/pledges", pledge_create, methods=["POST"], name="pledge_create", action="pledge.create"),
    page(
        "/pledges/{pledge_id:id}",
        pledge_detail,
        methods=["GET"],
        name="pledge_detail",
        action="pledge.view",
    ),
    page(
        "/pledges/{pledge_id:id}/amend",
        pledge_amend,
        methods=["POST"],
        name="pledge_amend",
        action="pledge.change",
    ),
    page(
        "/pledges/{pledge_id:id}/withdraw",
        pledge_withdraw_confirm,
        methods=["GET"],
        name="pledge_withdraw_confirm",
        action="pledge.change",
    ),
    page(
        "/pledges/{pledge_id:id}/withdraw",
        pledge_withdraw,
        methods=["POST"],
        name="pledge_withdraw",
        action="pledge.change",
    ),
    page("/me", me, methods=["GET"], name="me", action="pledge.create"),
    page("/me/pledges", my_pledges, methods=["GET"], name="my_pledges", action="pledge.create"),
    page(
        "/me/donations", my_donations, methods=["GET"], name="my_donations", action="pledge.create"
    ),
    page(
        "/pledges/{pledge_id:id}/release",
        pledge_release,
        methods=["POST"],
        name="pledge_release",
        action="pledge.release",
    ),
]


async def place_panel(region: Any) -> dict[str, Any]:
    """The money box of a public place page (village up to province): composed by the app so
    that regions imports nothing of money."""
    if region.level not in ("province", "prefecture", "county", "township", "village"):
        return {}
    own = {region.level: region.code}
    helped = [
        code
        for code in (
            region.county_code or own.get("county", ""),
            region.prefecture_code or own.get("prefecture", ""),
            region.province_code or own.get("province", ""),
        )
        if code
    ]
    activity = await queries.place_activity(region.level, region.code, helped)
    return {"place": activity}


async def participant_panel(participant: Any) -> dict[str, Any]:
    """The named giving of a public participant page (``giving.public_giving``): composed by the
    app so that accounts imports nothing of money."""
    return {"giving": await giving.public_giving(participant.id)}
