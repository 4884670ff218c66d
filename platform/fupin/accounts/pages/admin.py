"""Admin pages: create participants and accounts; list, reset, deactivate, reactivate and sign
out the accounts an office manages; read the audit log."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from fupin.accounts.models import KINDS, User
from fupin.accounts.rules import CREATABLE_ROLES, browser_label
from fupin.accounts.service import links, participants, sessions
from fupin.accounts.service import users as accounts
from fupin.core.models import AuditLog
from fupin.core.policy import Actor, can, place_scope, require
from fupin.core.routing import page
from fupin.core.web import client_ip, page_args, read_form, redirect, render, require_login
from fupin.errors import InvalidInput
from fupin.i18n import _
from fupin.regions import service as regions
from fupin.regions.models import Region

ROLE_LABELS = {
    "national_admin": "国家扶贫办管理员",
    "province_office": "省扶贫办",
    "county_officer": "县扶贫办干部",
    "village_worker": "村级信息员",
    "participant_member": "参与方成员",
    "auditor": "审计",
    "supervisor": "扶贫监督员",
}


async def admin_home(request: Request) -> Response:
    current = require(require_login(request), "admin.access")
    return render(
        request,
        "accounts/admin.html",
        {
            "can_participants": can(current, "participant.create"),
            "can_audit": can(current, "audit.read"),
            "can_users": can(current, "user.manage"),
        },
    )


#: The fields of the two forms (a blank form shows them all empty).
PARTICIPANT_FIELDS = ("kind", "name", "uscc", "id_number", "region_code", "description")
USER_FIELDS = ("username", "display_name", "role", "region_code", "participant_id")


def _participant_form(
    request: Request, values: dict, error: InvalidInput | None = None
) -> Response:
    return render(
        request,
        "accounts/participant_form.html",
        {"values": values, "kinds": KINDS, "kind_label": participants.kind_label, "error": error},
        status_code=error.status if error else 200,
    )


async def participant_new(request: Request) -> Response:
    require(require_login(request), "participant.create")
    return _participant_form(request, dict.fromkeys(PARTICIPANT_FIELDS, ""))


async def participant_create(request: Request) -> Response:
    current = require(require_login(request), "participant.create")
    form = await read_form(request)
    values = {k: str(form.get(k, "")) for k in PARTICIPANT_FIELDS}
    try:
        created = await participants.create_participant(
            actor=current,
            kind=values["kind"],
            name=values["name"],
            uscc=values["uscc"],
            id_number=values["id_number"],
            region_code=values["region_code"],
            description=values["description"],
            pepper=str(request.app.state.settings.secret_key),
            ip=client_ip(request),
        )
    except InvalidInput as exc:
        values["id_number"] = ""  # never echo an ID number back into a page
        return _participant_form(request, values, exc)
    return redirect(request, f"/participants/{created.id}", flash=_("参与方已创建。"))


async def _user_form(
    request: Request,
    current: Actor,
    values: dict,
    error: InvalidInput | None = None,
    status: int = 200,
) -> Response:
    # The village picker (works without JavaScript): a GET search that lists the villages of
    # the office's county or province whose name contains place_q, to choose as region_code.
    place_q = (request.query_params.get("place_q") or "").strip()[:64]
    places = await regions.search_villages(place_q, place_scope(current)) if place_q else []
    chosen = str(values.get("region_code") or "")
    if chosen and chosen not in {p.code for p in places}:
        places = [*(await Region.filter(code=chosen, level="village")), *places]
    return render(
        request,
        "accounts/user_form.html",
        {
            "place_q": place_q,
            "places": places,
            "values": values,
            # Only the roles below the office's own (accounts.rules.CREATABLE_ROLES).
            "roles": CREATABLE_ROLES.get(current.role, ()),
            "role_labels": ROLE_LABELS,
            "error": error,
        },
        status_code=status,
    )


def _link_page(request: Request, issued: links.IssuedLink, *, created: bool) -> Response:
    """The set-password link, shown once, in this answer only (never stored, never in the
    session cookie): the office passes it on to the person, who sets their own password."""
    settings = request.app.state.settings
    return render(
        request,
        "accounts/user_link.html",
        {
            "account": issued.user,
            "link": links.url_for(settings.base_url, issued.token),
            "purpose": issued.purpose,
            "created": created,
            "hours": settings.password_link_seconds // 3600,
        },
    )


async def user_new(request: Request) -> Response:
    current = require(require_login(request), "user.create")
    return await _user_form(request, current, dict.fromkeys(USER_FIELDS, ""))


async def user_create(request: Request) -> Response:
    current = require(require_login(request), "user.create")
    form = await read_form(request)
    values = {k: str(form.get(k, "")) for k in USER_FIELDS}
    try:
        pid = int(values["participant_id"]) if values["participant_id"].strip() else None
    except ValueError:
        return await _user_form(
            request,
            current,
            values,
            InvalidInput(_("参与方编号必须是整数。"), field="participant_id"),
            422,
        )
    try:
        issued = await links.create_account(
            actor=current,
            username=values["username"],
            role=values["role"],
            display_name=values["display_name"],
            region_code=values["region_code"] or None,
            participant_id=pid,
            lifetime_seconds=request.app.state.settings.password_link_seconds,
            ip=client_ip(request),
        )
    except InvalidInput as exc:
        return await _user_form(request, current, values, exc, exc.status)
    return _link_page(request, issued, created=True)


async def user_list(request: Request) -> Response:
    current = require(require_login(request), "user.manage")
    page, per_page = page_args(request, default_per_page=50)
    q = request.query_params.get("q", "")[:64]
    rows, total = await accounts.manageable_users(current, q=q, page=page, per_page=per_page)
    return render(
        request,
        "accounts/users.html",
        {
            "users": rows,
            "total": total,
            "listing": {"page": page, "per_page": per_page, "total": total},
            "q": q,
            "role_labels": ROLE_LABELS,
        },
    )


async def user_detail(request: Request) -> Response:
    current = require(require_login(request), "user.manage")
    user = await accounts.get_manageable(current, int(request.path_params["user_id"]))
    settings = request.app.state.settings
    creator = await User.get_or_none(id=user.created_by_id) if user.created_by_id else None
    return render(
        request,
        "accounts/user.html",
        {
            "account": user,
            "creator": creator,
            "sessions": await sessions.active_for(
                user.id, idle_seconds=settings.session_idle_seconds
            ),
            "browser_label": browser_label,
            "role_labels": ROLE_LABELS,
        },
    )


async def user_password_link(request: Request) -> Response:
    current = require(require_login(request), "user.manage")
    await read_form(request)
    issued = await links.issue(
        actor=current,
        user_id=int(request.path_params["user_id"]),
        lifetime_seconds=request.app.state.settings.password_link_seconds,
        ip=client_ip(request),
    )
    return _link_page(request, issued, created=False)


async def _set_active(request: Request, active: bool) -> Response:
    current = require(require_login(request), "user.manage")
    await read_form(request)
    user = await accounts.set_active(
        actor=current,
        user_id=int(request.path_params["user_id"]),
        active=active,
        ip=client_ip(request),
    )
    flash = _("账号已启用。") if active else _("账号已停用，其登录会话已全部结束。")
    return redirect(request, f"/admin/users/{user.id}", flash=flash)


async def user_deactivate(request: Request) -> Response:
    return await _set_active(request, False)


async def user_activate(request: Request) -> Response:
    return await _set_active(request, True)


async def user_sign_out(request: Request) -> Response:
    current = require(require_login(request), "user.manage")
    await read_form(request)
    user_id = int(request.path_params["user_id"])
    count = await accounts.sign_out_everywhere(
        actor=current, user_id=user_id, ip=client_ip(request)
    )
    return redirect(
        request, f"/admin/users/{user_id}", flash=_("已结束该账号的 %(n)d 个会话。", n=count)
    )


async def audit_log(request: Request) -> Response:
    current = require(require_login(request), "audit.read")
    page, per_page = page_args(request, default_per_page=50)
    query = AuditLog.all()
    if current.role == "province_office":
        # Province offices read what their own province's users did.
        query = query.filter(actor__region__province_code=current.province_code)
    total = await query.count()
    entries = await query.order_by("-id").offset((page - 1) * per_page).limit(per_page)
    return render(
        request,
        "accounts/audit.html",
        {"entries": entries, "total": total, "page": page, "per_page": per_page},
    )


routes = [
    page("/admin", admin_home, name="admin", action="admin.access"),
    page(
        "/admin/participants/new",
        participant_new,
        methods=["GET"],
        name="admin_participant_new",
        action="participant.create",
    ),
    page(
        "/admin/participants",
        participant_create,
        methods=["POST"],
        name="admin_participant_create",
        action="participant.create",
    ),
    page(
        "/admin/users/new", user_new, methods=["GET"], name="admin_user_new", action="user.create"
    ),
    page(
        "/admin/users",
        user_create,
        methods=["POST"],
        name="admin_user_create",
        action="user.create",
    ),
    page("/admin/users", user_list, methods=["GET"], name="admin_users", action="user.manage"),
    page(
        "/admin/users/{user_id:id}",
        user_detail,
        methods=["GET"],
        name="admin_user",
        action="user.manage",
    ),
    page(
        "/admin/users/{user_id:id}/password-link",
        user_password_link,
        methods=["POST"],
        name="admin_user_password_link",
        action="user.manage",
    ),
    page(
        "/admin/users/{user_id:id}/deactivate",
        user_deactivate,
        methods=["POST"],
        name="admin_user_deactivate",
        action="user.manage",
    ),
    page(
        "/admin/users/{user_id:id}/activate",
        user_activate,
        methods=["POST"],
        name="admin_user_activate",
        action="user.manage",
    ),
    page(
        "/admin/users/{user_id:id}/sign-out",
        user_sign_out,
        methods=["POST"],
        name="admin_user_sign_out",
        action="user.manage",
    ),
    page("/admin/audit", audit_log, name="admin_audit", action="audit.read"),
]
