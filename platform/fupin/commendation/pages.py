"""Commendation pages (docs/domain.md §3.9).

Public: the rounds whose list is published, the nomination list during the public notice with
the objection form, the final list, CSV of the published list.
Office (``commendation.manage``: the national office; ``commendation.view_private``: also
auditors, read-only): rounds, creating a round with its categories, quotas and criteria, ranked
nominees per category with evidence packs, publishing the notice, the objections inbox and
resolutions, publishing the final list, exports.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from fupin.accounts.service.participants import kind_label
from fupin.commendation.rules.ranking import AWARD_TYPE_LABELS, SCOPE_LABELS, AwardType, Scope
from fupin.commendation.rules.rounds import STATE_LABELS
from fupin.commendation.schemas import (
    CATEGORY_CHOICES,
    CommendationCancel,
    CommendationCategoryChoiceForm,
    CommendationCategoryForm,
    CommendationNoticeStart,
    CommendationObjectionCreate,
    CommendationResolution,
    CommendationRoundForm,
)
from fupin.commendation.service import final, notice, ranking, rounds
from fupin.core import exports
from fupin.core.clock import today_cn
from fupin.core.policy import PUBLIC, can, require
from fupin.core.routing import page
from fupin.core.schemas import validate_form
from fupin.core.web import actor, client_source, read_form, redirect, render, require_login
from fupin.errors import FieldError, FupinError, InvalidInput, NotFound
from fupin.i18n import _
from fupin.pairs.rules.alerts import INDICATOR_BY_CODE

#: The fields of the forms (a blank form shows them all empty): a round, the quota and criteria
#: of one category (prefixed "<award_type>_<scope>_" on the new-round form), an objection.
ROUND_FIELDS = tuple(CommendationRoundForm.model_fields)
CATEGORY_FIELDS = tuple(CommendationCategoryForm.model_fields)
OBJECTION_FIELDS = tuple(CommendationObjectionCreate.model_fields)


def _round_values(echo: dict[str, str]) -> dict[str, str]:
    """Every field of the new-round form, blank unless ``echo`` (the submitted form) has it."""
    values = dict.fromkeys(ROUND_FIELDS, "")
    for award_type, scope in CATEGORY_CHOICES:
        prefix = f"{award_type}_{scope}_"
        values |= dict.fromkeys((prefix + f for f in ("include", *CATEGORY_FIELDS)), "")
    return values | echo


def _category_values(echo: dict[str, str]) -> dict[str, str]:
    """Every field of the add-or-change-category form, blank unless ``echo`` has it."""
    return dict.fromkeys(("category", *CATEGORY_FIELDS), "") | echo


def _choice_label(award_type: str, scope: str) -> str:
    return _(AWARD_TYPE_LABELS[AwardType(award_type)]) + "（" + _(SCOPE_LABELS[Scope(scope)]) + "）"


def _int_param(request: Request, name: str) -> int:
    """An id of the path: the ``id`` convertor matched only 1..2^31-1 (``core/convertors.py``)."""
    value: int = request.path_params[name]
    return value


def _texts(form: FormData) -> dict[str, str]:
    """The posted text fields, to show the form again as it was sent."""
    return {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}


def _category_input(
    category: CommendationCategoryForm, award_type: str, scope: str
) -> rounds.CategoryInput:
    return rounds.CategoryInput(
        award_type=award_type,
        scope=scope,
        quota=category.quota,
        min_confirmed_money_fen=category.min_money,
        min_completed_needs=category.min_completed,
        min_villages_reached=category.min_villages,
        min_honour_rate_bp=category.min_honour,
    )


def _prefixed(form: FormData, prefix: str) -> CommendationCategoryForm:
    """One category of the new-round form (its fields named ``<prefix><field>``); problems are
    named by the form's field names."""
    values = {k.removeprefix(prefix): v for k, v in form.items() if k.startswith(prefix)}
    try:
        return validate_form(CommendationCategoryForm, values)
    except InvalidInput as exc:
        for error in exc.errors:
            error.field = prefix + error.field
        raise


# --- public -------------------------------------------------------------------------------


async def public_index(request: Request) -> Response:
    published = await rounds.list_rounds(public=True)
    current = actor(request)
    return render(
        request,
        "commendation/index.html",
        {
            "rounds": published,
            "state_labels": STATE_LABELS,
            "office": current is not None and rounds.can_view_private(current),
        },
    )


async def _public_context(request: Request, round_id: int) -> dict[str, Any]:
    found = await rounds.get_public_round(round_id)
    nominations = await ranking.nominations_of(found.id, statuses=ranking.public_statuses(found))
    today = today_cn()
    entries = [ranking.public_entry(n) for n in nominations]
    groups: list[tuple[str, list[Any]]] = []
    for entry in entries:
        if not groups or groups[-1][0] != entry.category:
            groups.append((entry.category, []))
        groups[-1][1].append(entry)
    return {
        "round": found,
        "entries": entries,
        "groups": groups,
        "notice_open": notice.notice_open(found, today),
        "today": today,
        "state_labels": STATE_LABELS,
        "status_labels": rounds.STATUS_LABELS,
        "kind_label": kind_label,
        "values": dict.fromkeys(OBJECTION_FIELDS, ""),
        "field_errors": {},
        "error": None,
    }


async def public_round(request: Request) -> Response:
    context = await _public_context(request, _int_param(request, "rid"))
    return render(request, "commendation/public.html", context)


async def public_list_csv(request: Request) -> Response:
    found = await rounds.get_public_round(_int_param(request, "rid"))
    nominations = await ranking.nominations_of(found.id, statuses=ranking.public_statuses(found))
    table = final.nomination_rows(nominations, private=False)
    return Response(
        exports.csv_bytes(*table),
        media_type=exports.CSV_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="commendation-{found.id}.csv"'},
    )


async def file_objection(request: Request) -> Response:
    form = await read_form(request)
    round_id = _int_param(request, "rid")
    try:
        objection = validate_form(CommendationObjectionCreate, form)
        await notice.file_objection(
            round_id=round_id,
            nomination_id=objection.nomination_id,
            name=objection.name,
            contact=objection.contact,
            content=objection.content,
            source=client_source(request),
        )
    except FupinError as exc:
        if isinstance(exc, NotFound):
            raise
        context = await _public_context(request, round_id)
        context["values"] |= _texts(form)
        context["error"] = exc
        context["field_errors"] = {e.field: e.message for e in getattr(exc, "errors", [])}
        return render(request, "commendation/public.html", context, status_code=exc.status)
    return redirect(
        request,
        f"/commendation/{round_id}",
        flash=_("您的异议已收到。我们将按您留下的联系方式核实和答复；您的姓名和联系方式不会公开。"),
    )


# --- office -------------------------------------------------------------------------------


async def office_index(request: Request) -> Response:
    current = rounds.require_view_private(require_login(request))
    return render(
        request,
        "commendation/office_index.html",
        {
            "rounds": await rounds.list_rounds(public=False),
            "state_labels": STATE_LABELS,
            "can_manage": can(current, "commendation.manage"),
        },
    )


def _new_round_context(values: dict[str, Any], error: FupinError | None = None) -> dict[str, Any]:
    return {
        "values": _round_values(values),
        "choices": [(a, s, _choice_label(a, s)) for a, s in CATEGORY_CHOICES],
        "error": error,
        "field_errors": {e.field: e.message for e in getattr(error, "errors", [])} if error else {},
        "this_year": today_cn().year,
    }


async def office_new(request: Request) -> Response:
    require(require_login(request), "commendation.manage")
    year = today_cn().year
    values = {
        "first_year": str(year - 5),
        "last_year": str(year - 1),
        "notice_working_days": "5",
        "objection_channel": _("国务院扶贫开发领导小组办公室，电话 12317"),
    }
    return render(request, "commendation/office_new.html", _new_round_context(values))


async def office_create(request: Request) -> Response:
    """The new-round form: the round's fields, and each category whose box is ticked; every
    problem of the form is shown at once."""
    current = require(require_login(request), "commendation.manage")
    form = await read_form(request)
    errors: list[FieldError] = []
    fields: CommendationRoundForm | None = None
    categories: list[rounds.CategoryInput] = []
    try:
        fields = validate_form(CommendationRoundForm, form)
    except InvalidInput as exc:
        errors.extend(exc.errors)
    for award_type, scope in CATEGORY_CHOICES:
        prefix = f"{award_type}_{scope}_"
        if form.get(f"{prefix}include") != "1":
            continue
        try:
            categories.append(_category_input(_prefixed(form, prefix), award_type, scope))
        except InvalidInput as exc:
            errors.extend(exc.errors)
    try:
        if errors or fields is None:
            raise InvalidInput(errors=errors, code=errors[0].code)
        created = await rounds.create_round(
            actor=current,
            title=fields.title,
            first_year=fields.first_year,
            last_year=fields.last_year,
            categories=categories,
            notice_working_days=fields.notice_working_days,
            objection_channel=fields.objection_channel,
        )
    except InvalidInput as exc:
        return render(
            request,
            "commendation/office_new.html",
            _new_round_context(_texts(form), exc),
            status_code=exc.status,
        )
    return redirect(request, f"/commendation/office/{created.id}", flash=_("表彰轮次已创建。"))


async def _office_context(request: Request, round_id: int) -> dict[str, Any]:
    current = rounds.require_view_private(require_login(request))
    found = await rounds.get_round(round_id)
    categories = await rounds.categories_of(found.id)
    nominations = await ranking.nominations_of(found.id)
    objections = await notice.list_objections(found.id)
    by_category: dict[int, list[Any]] = {c.id: [] for c in categories}
    for n in nominations:
        by_category.setdefault(n.category_id, []).append(n)
    today = today_cn()
    return {
        "round": found,
        "categories": categories,
        "by_category": by_category,
        "objections": objections,
        "open_objections": sum(1 for o in objections if o.state == "open"),
        "can_manage": can(current, "commendation.manage"),
        "state_labels": STATE_LABELS,
        "status_labels": rounds.STATUS_LABELS,
        "objection_state_labels": rounds.OBJECTION_STATE_LABELS,
        "category_label": rounds.category_label,
        "reason_text": ranking.reason_text,
        "kind_label": kind_label,
        "choices": [(a, s, _choice_label(a, s)) for a, s in CATEGORY_CHOICES],
        "today": today,
        "notice_over": found.notice_end is not None and today > found.notice_end,
        "values": _category_values({}),
        "error": None,
    }


async def office_round(request: Request) -> Response:
    context = await _office_context(request, _int_param(request, "rid"))
    return render(request, "commendation/office_round.html", context)


async def _office_action(request: Request, action: str) -> Response:
    current = require(require_login(request), "commendation.manage")
    form = await read_form(request)
    round_id = _int_param(request, "rid")
    messages = {
        "rank": _("已按确认记录生成排名和推荐名单。"),
        "notice": _("推荐名单已公示。"),
        "final": _("表彰名单已公布。"),
        "close": _("表彰轮次已结束。"),
        "reopen": _("已退回草稿，可修改类别和条件后重新计算排名。"),
        "cancel": _("本轮表彰已取消，其年度可用于新的表彰轮次。"),
    }
    try:
        if action == "rank":
            await ranking.rank(actor=current, round_id=round_id)
        elif action == "notice":
            # The form's "notice_start" is the API's "start".
            start = validate_form(CommendationNoticeStart, {"start": form.get("notice_start")})
            await notice.publish_notice(actor=current, round_id=round_id, start=start.start)
        elif action == "final":
            await final.publish_final(actor=current, round_id=round_id)
        elif action == "reopen":
            await rounds.reopen_round(actor=current, round_id=round_id)
        elif action == "cancel":
            data = validate_form(CommendationCancel, form)
            await rounds.cancel_round(actor=current, round_id=round_id, reason=data.reason)
        else:
            await final.close_round(actor=current, round_id=round_id)
    except FupinError as exc:
        if isinstance(exc, NotFound) or exc.status in (401, 403):
            raise
        context = await _office_context(request, round_id)
        context["error"] = exc
        if action == "cancel":  # the reason typed comes back in its (open) form
            reason = form.get("reason")
            context["cancel_reason"] = reason if isinstance(reason, str) else ""
        return render(request, "commendation/office_round.html", context, status_code=exc.status)
    return redirect(request, f"/commendation/office/{round_id}", flash=messages[action])


async def office_rank(request: Request) -> Response:
    return await _office_action(request, "rank")


async def office_notice(request: Request) -> Response:
    return await _office_action(request, "notice")


async def office_final(request: Request) -> Response:
    return await _office_action(request, "final")


async def office_close(request: Request) -> Response:
    return await _office_action(request, "close")


async def office_reopen(request: Request) -> Response:
    return await _office_action(request, "reopen")


async def office_cancel(request: Request) -> Response:
    return await _office_action(request, "cancel")


async def office_save_category(request: Request) -> Response:
    current = require(require_login(request), "commendation.manage")
    form = await read_form(request)
    round_id = _int_param(request, "rid")
    try:
        category = validate_form(CommendationCategoryChoiceForm, form)
        await rounds.save_category(
            actor=current,
            round_id=round_id,
            category=_category_input(category, *category.award_line),
        )
    except FupinError as exc:
        if isinstance(exc, NotFound) or exc.status in (401, 403):
            raise
        context = await _office_context(request, round_id)
        context["error"] = exc
        context["values"] = _category_values(_texts(form))
        return render(request, "commendation/office_round.html", context, status_code=exc.status)
    return redirect(request, f"/commendation/office/{round_id}", flash=_("类别已保存。"))


async def office_remove_category(request: Request) -> Response:
    current = require(require_login(request), "commendation.manage")
    await read_form(request)
    round_id = _int_param(request, "rid")
    try:
        await rounds.remove_category(
            actor=current, round_id=round_id, category_id=_int_param(request, "cid")
        )
    except FupinError as exc:
        if isinstance(exc, NotFound) or exc.status in (401, 403):
            raise
        context = await _office_context(request, round_id)
        context["error"] = exc
        return render(request, "commendation/office_round.html", context, status_code=exc.status)
    return redirect(request, f"/commendation/office/{round_id}", flash=_("类别已删除。"))


async def office_nomination(request: Request) -> Response:
    current = rounds.require_view_private(require_login(request))
    found = await rounds.get_round(_int_param(request, "rid"))
    nomination = await ranking.get_nomination(found.id, _int_param(request, "nid"))
    return render(
        request,
        "commendation/office_nomination.html",
        {
            "round": found,
            "n": nomination,
            "f": nomination.figures or {},
            "e": nomination.evidence or {},
            "status_labels": rounds.STATUS_LABELS,
            "category_label": rounds.category_label,
            "reason_text": ranking.reason_text,
            "kind_label": kind_label,
            "indicators": INDICATOR_BY_CODE,
            "can_manage": can(current, "commendation.manage"),
        },
    )


async def office_objections(request: Request) -> Response:
    context = await _office_context(request, _int_param(request, "rid"))
    return render(request, "commendation/office_objections.html", context)


async def office_resolve(request: Request) -> Response:
    current = require(require_login(request), "commendation.manage")
    form = await read_form(request)
    objection_id = _int_param(request, "oid")
    round_id = _int_param(request, "rid")
    try:
        finding = validate_form(CommendationResolution, form)
        objection = await notice.resolve_objection(
            actor=current,
            objection_id=objection_id,
            upheld=finding.decision == "upheld",
            resolution=finding.resolution,
        )
        if objection.round_id != round_id:  # pragma: no cover - links always match
            raise NotFound(_("异议不存在。"))
    except FupinError as exc:
        if isinstance(exc, NotFound) or exc.status in (401, 403):
            raise
        context = await _office_context(request, round_id)
        context["error"] = exc
        # The refused resolution comes back in its objection's form, as typed.
        context["refused_objection"] = objection_id
        resolution = form.get("resolution")
        context["resolution_text"] = resolution if isinstance(resolution, str) else ""
        return render(
            request, "commendation/office_objections.html", context, status_code=exc.status
        )
    return redirect(
        request, f"/commendation/office/{round_id}/objections", flash=_("异议处理结果已记录。")
    )


async def office_export(request: Request) -> Response:
    rounds.require_view_private(require_login(request))
    found = await rounds.get_round(_int_param(request, "rid"))
    fmt = request.path_params["fmt"]
    if fmt not in ("csv", "xlsx"):
        raise NotFound(_("不支持的下载格式。"))
    table = final.nomination_rows(await ranking.nominations_of(found.id), private=True)
    name = f"commendation-{found.id}-office"
    headers = {
        "Content-Disposition": f'attachment; filename="{name}.{fmt}"',
        "Cache-Control": "no-store",
    }
    if fmt == "csv":
        return Response(
            exports.csv_bytes(*table), media_type=exports.CSV_MEDIA_TYPE, headers=headers
        )
    content = await exports.xlsx_bytes(*table, sheet_title=_("推荐名单"))
    return Response(content, media_type=exports.XLSX_MEDIA_TYPE, headers=headers)


routes = [
    page("/commendation", public_index, name="commendation", action=PUBLIC),
    # Office routes first: "/commendation/office" must not be read as a round id.
    page(
        "/commendation/office",
        office_index,
        name="commendation_office",
        action="commendation.view_private",
    ),
    page(
        "/commendation/office/new",
        office_new,
        methods=["GET"],
        name="commendation_new",
        action="commendation.manage",
    ),
    page(
        "/commendation/office/new",
        office_create,
        methods=["POST"],
        name="commendation_create",
        action="commendation.manage",
    ),
    page(
        "/commendation/office/{rid:id}",
        office_round,
        name="commendation_office_round",
        action="commendation.view_private",
    ),
    page(
        "/commendation/office/{rid:id}/categories",
        office_save_category,
        methods=["POST"],
        action="commendation.manage",
    ),
    page(
        "/commendation/office/{rid:id}/categories/{cid}/delete",
        office_remove_category,
        methods=["POST"],
        action="commendation.manage",
    ),
    page(
        "/commendation/office/{rid:id}/rank",
        office_rank,
        methods=["POST"],
        action="commendation.manage",
    ),
    page(
        "/commendation/office/{rid:id}/notice",
        office_notice,
        methods=["POST"],
        action="commendation.manage",
    ),
    page(
        "/commendation/office/{rid:id}/final",
        office_final,
        methods=["POST"],
        action="commendation.manage",
    ),
    page(
        "/commendation/office/{rid:id}/close",
        office_close,
        methods=["POST"],
        action="commendation.manage",
    ),
    page(
        "/commendation/office/{rid:id}/reopen",
        office_reopen,
        methods=["POST"],
        action="commendation.manage",
    ),
    page(
        "/commendation/office/{rid:id}/cancel",
        office_cancel,
        methods=["POST"],
        action="commendation.manage",
    ),
    page(
        "/commendation/office/{rid:id}/nominations/{nid:id}",
        office_nomination,
        action="commendation.view_private",
    ),
    page(
        "/commendation/office/{rid:id}/objections",
        office_objections,
        action="commendation.view_private",
    ),
    page(
        "/commendation/office/{rid:id}/objections/{oid:id}/resolve",
        office_resolve,
        methods=["POST"],
        action="commendation.manage",
    ),
    page(
        "/commendation/office/{rid:id}/export.{fmt}",
        office_export,
        action="commendation.view_private",
    ),
    page("/commendation/{rid:id}", public_round, name="commendation_round", action=PUBLIC),
    page("/commendation/{rid:id}/list.csv", public_list_csv, action=PUBLIC),
    page("/commendation/{rid:id}/objections", file_objection, methods=["POST"], action=PUBLIC),
]
