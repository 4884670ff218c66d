"""The signed-in user's account page: who they act for, and their API tokens."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fupin.accounts.models import ApiToken, User
from fupin.accounts.service import users as accounts
from fupin.core.web import read_form, redirect, render, require_login
from fupin.errors import NotFound
from fupin.i18n import _


async def account(request: Request) -> Response:
    current = require_login(request)
    user = await User.get(id=current.user_id).prefetch_related("region", "participant")
    tokens = await ApiToken.filter(user_id=user.id).order_by("-id")
    new_token = request.session.pop("new_token", None)
    return render(
        request,
        "accounts/account.html",
        {"account": user, "tokens": tokens, "new_token": new_token},
    )


async def create_token(request: Request) -> Response:
    current = require_login(request)
    form = await read_form(request)
    user = await User.get(id=current.user_id)
    name = str(form.get("name", ""))[:64] or "api"
    # Shown once on the next page, then gone: only its hash is stored.
    request.session["new_token"] = await accounts.create_api_token(user=user, name=name)
    return redirect(request, "/account")


async def revoke_token(request: Request) -> Response:
    current = require_login(request)
    await read_form(request)
    token = await ApiToken.get_or_none(
        id=int(request.path_params["token_id"]), user_id=current.user_id
    )
    if token is None:
        raise NotFound(_("令牌不存在。"))
    await accounts.revoke_api_token(token=token, actor=current)
    return redirect(request, "/account", flash=_("令牌已撤销。"))


routes = [
    Route("/account", account, name="account"),
    Route("/account/tokens", create_token, methods=["POST"], name="account_token_create"),
    Route(
        "/account/tokens/{token_id:int}/revoke",
        revoke_token,
        methods=["POST"],
        name="account_token_revoke",
    ),
]
