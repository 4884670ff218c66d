"""Admin pages: create participants and users, read the audit log."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fupin.accounts.models import KINDS, ROLES
from fupin.accounts.service import participants
from fupin.accounts.service import users as accounts
from fupin.core.models import AuditLog
from fupin.core.policy import can, require
from fupin.core.web import client_ip, page_args, read_form, redirect, render, require_login
from fupin.errors import InvalidInput
from fupin.i18n import _

ROLE_LABELS = {
    "national_admin": "国家扶贫办管理员",
    "province_office": "省扶贫办",
    "county_officer": "县扶贫办干部",
    "village_worker": "村级信息员",
    "participant_member": "参与方成员",
    "auditor": "审计",
}


async def admin_home(request: Request) -> Response:
    current = require(require_login(request), "admin.access")
    return render(
        request,
        "accounts/admin.html",
        {
            "can_participants": can(current, "participant.create"),
            "can_audit": can(current, "audit.read"),
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


def _user_form(
    request: Request, values: dict, error: InvalidInput | None = None, status: int = 200
) -> Response:
    return render(
        request,
        "accounts/user_form.html",
        {"values": values, "roles": ROLES, "role_labels": ROLE_LABELS, "error": error},
        status_code=status,
    )


async def user_new(request: Request) -> Response:
    require(require_login(request), "user.create")
    return _user_form(request, dict.fromkeys(USER_FIELDS, ""))


async def user_create(request: Request) -> Response:
    current = require(require_login(request), "user.create")
    form = await read_form(request)
    values = {k: str(form.get(k, "")) for k in USER_FIELDS}
    try:
        pid = int(values["participant_id"]) if values["participant_id"].strip() else None
    except ValueError:
        return _user_form(
            request, values, InvalidInput(_("参与方编号必须是整数。"), field="participant_id"), 422
        )
    try:
        await accounts.create_user(
            actor=current,
            username=values["username"],
            password=str(form.get("password", "")),
            role=values["role"],
            display_name=values["display_name"],
            region_code=values["region_code"] or None,
            participant_id=pid,
            ip=client_ip(request),
        )
    except InvalidInput as exc:
        return _user_form(request, values, exc, exc.status)
    return redirect(request, "/admin", flash=_("账号已创建。"))


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
    Route("/admin", admin_home, name="admin"),
    Route(
        "/admin/participants/new", participant_new, methods=["GET"], name="admin_participant_new"
    ),
    Route(
        "/admin/participants", participant_create, methods=["POST"], name="admin_participant_create"
    ),
    Route("/admin/users/new", user_new, methods=["GET"], name="admin_user_new"),
    Route("/admin/users", user_create, methods=["POST"], name="admin_user_create"),
    Route("/admin/audit", audit_log, name="admin_audit"),
]
