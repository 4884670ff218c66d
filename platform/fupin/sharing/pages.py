"""The sharing platform's pages: the Atom feeds and their index, the open-data snapshots (files
at stable URLs, the data dictionary), and the webhook endpoints' management pages."""

from __future__ import annotations

import os
from email.utils import parsedate_to_datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from fupin.core.categories import CATEGORIES, CATEGORY_CODES, category_label
from fupin.core.policy import PUBLIC
from fupin.core.routing import page
from fupin.core.schemas import PageQuery, validate_form
from fupin.core.web import client_ip, field_errors, read_form, redirect, render, require_login
from fupin.errors import FupinError, InvalidInput, NotFound
from fupin.i18n import _
from fupin.sharing.rules.events import EVENT_TYPES, event_label
from fupin.sharing.rules.feeds import (
    ATOM_MEDIA_TYPE,
    atom_bytes,
    etag,
    http_date,
    not_modified,
)
from fupin.sharing.rules.opendata import LICENCE, MANIFEST, MEDIA_TYPES, valid_day
from fupin.sharing.rules.signing import SIGNATURE_HEADER
from fupin.sharing.schemas import WebhookEndpointInput
from fupin.sharing.service import endpoints as webhooks
from fupin.sharing.service import opendata
from fupin.sharing.service.feeds import build_feed, feed_path
from fupin.sharing.service.sources import FEEDS, FeedFilter, FeedSource

# --- feeds ---------------------------------------------------------------------------------------


def _filter(request: Request) -> FeedFilter:
    """?province= ?county= ?category=, each ignored unless well-formed (a feed URL with a typo
    still answers, unnarrowed by it)."""
    params = request.query_params
    code = lambda v: v if v.isdigit() and 2 <= len(v) <= 12 else ""  # noqa: E731
    category = params.get("category", "")
    return FeedFilter(
        province=code(params.get("province", "")),
        county=code(params.get("county", "")),
        category=category if category in CATEGORIES else "",
    )


def conditional(request: Request, body: bytes, media_type: str, last_modified: Any) -> Response:
    """The body with its validators, or 304 when the reader's copy is current."""
    tag = etag(body)
    headers = {
        "ETag": tag,
        "Last-Modified": http_date(last_modified),
        "Cache-Control": "public, max-age=300",
    }
    if not_modified(
        if_none_match=request.headers.get("if-none-match"),
        if_modified_since=request.headers.get("if-modified-since"),
        current_etag=tag,
        last_modified=last_modified,
    ):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


def _feed_handler(source: FeedSource) -> Any:
    async def handler(request: Request) -> Response:
        settings = request.app.state.settings
        feed = await build_feed(source.name, _filter(request), settings.base_url)
        return conditional(request, atom_bytes(feed), ATOM_MEDIA_TYPE, feed.updated)

    handler.__name__ = f"feed_{source.name}"
    return handler


async def feed_index(request: Request) -> Response:
    return render(
        request,
        "sharing/feeds.html",
        {
            "feeds": [(s, feed_path(s.name)) for s in FEEDS],
            "categories": CATEGORY_CODES,
            "category_label": category_label,
        },
    )


# --- open data -----------------------------------------------------------------------------------


def _root(request: Request) -> Any:
    return request.app.state.settings.open_data_dir


async def open_data_index(request: Request) -> Response:
    root = _root(request)
    days = opendata.snapshot_days(root)
    newest = opendata.read_manifest(root, days[0]) if days else None
    return render(
        request,
        "sharing/open_data.html",
        {
            "days": days[:60],
            "manifest": newest,
            "datasets": [d.spec for d in opendata.DATASETS],
            "licence": LICENCE,
        },
    )


async def open_data_latest(request: Request) -> Response:
    day = opendata.latest(_root(request))
    if day is None:
        raise NotFound(_("还没有开放数据快照。"))
    name = request.path_params.get("name", MANIFEST)
    if name not in opendata.file_names():
        raise NotFound(_("没有这个文件。"))
    # 302: "latest" moves every day; the dated URL it points to never changes.
    return RedirectResponse(f"/open-data/{day.isoformat()}/{name}", status_code=302)


async def open_data_file(request: Request) -> Response:
    day = valid_day(request.path_params["day"])
    name = request.path_params["name"]
    path = opendata.snapshot_file(_root(request), day, name) if day else None
    if path is None:
        raise NotFound(_("没有这个开放数据文件。"))
    media = MEDIA_TYPES["json" if name == MANIFEST else name.rsplit(".", 1)[1]]
    # A dated file never changes: readers may keep it, and revalidate it with the ETag and
    # Last-Modified Starlette derives from the file.
    response = FileResponse(
        path,
        media_type=media,
        headers={"Cache-Control": "public, max-age=86400, immutable"},
        stat_result=os.stat(path),
    )
    if not_modified(
        if_none_match=request.headers.get("if-none-match"),
        if_modified_since=request.headers.get("if-modified-since"),
        current_etag=response.headers["etag"],
        last_modified=parsedate_to_datetime(response.headers["last-modified"]),
    ):
        kept = {k: response.headers[k] for k in ("etag", "last-modified", "cache-control")}
        return Response(status_code=304, headers=kept)
    return response


# --- webhook endpoints ---------------------------------------------------------------------------

FIELDS = ("url", "description", "place_code")


def _form_values(form: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        name: (form.get(name) or "").strip() if isinstance(form.get(name), str) else ""
        for name in FIELDS
    }
    values["event_types"] = [v for v in form.getlist("event_types") if isinstance(v, str)]
    values["categories"] = [v for v in form.getlist("categories") if isinstance(v, str)]
    return values


def _choices() -> dict[str, Any]:
    return {
        "event_types": [(t, event_label(t)) for t in EVENT_TYPES],
        "category_choices": [(c, category_label(c)) for c in CATEGORY_CODES],
        "signature_header": SIGNATURE_HEADER,
    }


async def _list_page(
    request: Request,
    values: dict[str, Any] | None = None,
    *,
    error: FupinError | None = None,
    secret: str = "",
    created: Any = None,
) -> Response:
    actor = require_login(request)
    return render(
        request,
        "sharing/webhooks.html",
        {
            "endpoints": await webhooks.list_endpoints(actor),
            "values": values or {**dict.fromkeys(FIELDS, ""), "event_types": [], "categories": []},
            "error": error,
            "field_errors": field_errors(error),
            "secret": secret,
            "created": created,
            **_choices(),
        },
        status_code=error.status if error else 200,
    )


async def webhook_list(request: Request) -> Response:
    return await _list_page(request)


def _endpoint_input(values: dict[str, Any]) -> webhooks.EndpointInput:
    data = validate_form(WebhookEndpointInput, values)
    return webhooks.EndpointInput(
        url=data.url,
        description=data.description,
        event_types=list(data.event_types),
        place_code=data.place_code or "",
        categories=list(data.categories),
    )


async def webhook_create(request: Request) -> Response:
    form = await read_form(request)
    actor = require_login(request)
    values = _form_values(form)
    try:
        endpoint, secret = await webhooks.create(
            actor,
            _endpoint_input(values),
            allow_loopback=request.app.state.settings.webhook_allow_loopback,
            ip=client_ip(request),
        )
    except InvalidInput as exc:
        return await _list_page(request, values, error=exc)
    # The secret is on this answer only (not in a redirect, not in the session).
    return await _list_page(request, secret=secret, created=endpoint)


async def _detail_page(
    request: Request,
    endpoint_id: int,
    values: dict[str, Any] | None = None,
    *,
    error: FupinError | None = None,
    secret: str = "",
) -> Response:
    actor = require_login(request)
    query = validate_form(PageQuery, request.query_params)
    endpoint, rows, total = await webhooks.deliveries_of(
        actor, endpoint_id, page=query.page, per_page=query.per_page
    )
    if values is None:
        values = {
            "url": endpoint.url,
            "description": endpoint.description,
            "place_code": endpoint.place_code,
            "event_types": list(endpoint.event_types),
            "categories": list(endpoint.categories),
        }
    return render(
        request,
        "sharing/webhook.html",
        {
            "endpoint": endpoint,
            "deliveries": rows,
            "total": total,
            "values": values,
            "error": error,
            "field_errors": field_errors(error),
            "secret": secret,
            **_choices(),
        },
        status_code=error.status if error else 200,
    )


async def webhook_detail(request: Request) -> Response:
    return await _detail_page(request, request.path_params["endpoint_id"])


async def webhook_update(request: Request) -> Response:
    form = await read_form(request)
    actor = require_login(request)
    endpoint_id = request.path_params["endpoint_id"]
    values = _form_values(form)
    try:
        await webhooks.update(
            actor,
            endpoint_id,
            _endpoint_input(values),
            allow_loopback=request.app.state.settings.webhook_allow_loopback,
            ip=client_ip(request),
        )
    except InvalidInput as exc:
        return await _detail_page(request, endpoint_id, values, error=exc)
    return redirect(request, f"/webhooks/{endpoint_id}", flash=_("接收地址已保存。"))


async def webhook_rotate(request: Request) -> Response:
    actor = require_login(request)
    endpoint_id = request.path_params["endpoint_id"]
    _endpoint, secret = await webhooks.rotate_secret(actor, endpoint_id, ip=client_ip(request))
    return await _detail_page(request, endpoint_id, secret=secret)


async def webhook_enable(request: Request) -> Response:
    actor = require_login(request)
    endpoint_id = request.path_params["endpoint_id"]
    await webhooks.set_active(actor, endpoint_id, True, ip=client_ip(request))
    return redirect(request, f"/webhooks/{endpoint_id}", flash=_("接收地址已启用。"))


async def webhook_pause(request: Request) -> Response:
    actor = require_login(request)
    endpoint_id = request.path_params["endpoint_id"]
    await webhooks.set_active(actor, endpoint_id, False, ip=client_ip(request))
    return redirect(request, f"/webhooks/{endpoint_id}", flash=_("接收地址已暂停。"))


async def webhook_delete(request: Request) -> Response:
    actor = require_login(request)
    await webhooks.delete(actor, request.path_params["endpoint_id"], ip=client_ip(request))
    return redirect(request, "/webhooks", flash=_("接收地址已删除。"))


async def webhook_redeliver(request: Request) -> Response:
    actor = require_login(request)
    endpoint_id = request.path_params["endpoint_id"]
    await webhooks.redeliver(
        actor, endpoint_id, request.path_params["delivery_id"], ip=client_ip(request)
    )
    return redirect(request, f"/webhooks/{endpoint_id}", flash=_("已重新排队投递。"))


async def webhook_delivery(request: Request) -> Response:
    actor = require_login(request)
    delivery, log = await webhooks.delivery_log(
        actor, request.path_params["endpoint_id"], request.path_params["delivery_id"]
    )
    return render(
        request,
        "sharing/delivery.html",
        {"delivery": delivery, "log": log, "endpoint_id": request.path_params["endpoint_id"]},
    )


MANAGE = "webhook.manage"

routes = [
    page("/feeds", feed_index, name="feeds", action=PUBLIC),
    *[page(f"/feeds/{source.name}.atom", _feed_handler(source), action=PUBLIC) for source in FEEDS],
    page("/open-data", open_data_index, name="open_data", action=PUBLIC),
    page("/open-data/latest", open_data_latest, action=PUBLIC),
    page("/open-data/latest/{name}", open_data_latest, action=PUBLIC),
    page("/open-data/{day}/{name}", open_data_file, action=PUBLIC),
    page("/webhooks", webhook_list, methods=["GET"], name="webhooks", action=MANAGE),
    page("/webhooks", webhook_create, methods=["POST"], action=MANAGE),
    page("/webhooks/{endpoint_id:id}", webhook_detail, methods=["GET"], action=MANAGE),
    page("/webhooks/{endpoint_id:id}", webhook_update, methods=["POST"], action=MANAGE),
    page("/webhooks/{endpoint_id:id}/rotate", webhook_rotate, methods=["POST"], action=MANAGE),
    page("/webhooks/{endpoint_id:id}/enable", webhook_enable, methods=["POST"], action=MANAGE),
    page("/webhooks/{endpoint_id:id}/pause", webhook_pause, methods=["POST"], action=MANAGE),
    page("/webhooks/{endpoint_id:id}/delete", webhook_delete, methods=["POST"], action=MANAGE),
    page(
        "/webhooks/{endpoint_id:id}/deliveries/{delivery_id:id}",
        webhook_delivery,
        methods=["GET"],
        action=MANAGE,
    ),
    page(
        "/webhooks/{endpoint_id:id}/deliveries/{delivery_id:id}/redeliver",
        webhook_redeliver,
        methods=["POST"],
        action=MANAGE,
    ),
]
