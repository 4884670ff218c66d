"""What the money pages share: reading a posted form, the hidden idempotency key that makes a
money-creating form record once (a double click or a resubmitted page records nothing twice),
and the participant's pages' guard."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from starlette.requests import Request

from fupin.core import web
from fupin.core.policy import Actor
from fupin.core.web import require_login
from fupin.errors import FupinError, PermissionDenied
from fupin.i18n import _
from fupin.money.service import idempotency


def new_key() -> str:
    """A fresh idempotency key for a form about to be shown."""
    return secrets.token_urlsafe(24)


def form_values(form: Mapping[str, Any], names: Iterable[str] | None = None) -> dict[str, str]:
    """The text of each named field (every text field when ``names`` is None), trimmed, "" when
    absent: what the schema validates (``core.schemas.validate_form``) and what a refused form
    shows again."""
    names = form.keys() if names is None else names
    return {
        name: value.strip() if isinstance(value := form.get(name, ""), str) else ""
        for name in names
    }


async def run_once(
    actor: Actor,
    key: str | None,
    operation: str,
    values: Mapping[str, str],
    action: Callable[[], Awaitable[str]],
) -> str:
    """Run a money-creating form's ``action`` once per idempotency key (the form's text, less
    the key, is what a resubmission must repeat); returns where to go next."""

    async def run() -> tuple[int, Any]:
        return 303, {"redirect": await action()}

    payload = {name: value for name, value in values.items() if name != "idempotency_key"}
    outcome = await idempotency.run_once(
        key=key, actor=actor, operation=operation, payload=payload, action=run
    )
    return str(outcome.body["redirect"])


#: Where the services name a field by its API name and the forms by another.
FORM_FIELD = {"amount_fen": "amount"}


def field_errors(error: FupinError | None) -> dict[str, str]:
    """``core.web.field_errors`` with money's form names (``amount`` for ``amount_fen``)."""
    return web.field_errors(error, FORM_FIELD)


def participant_actor(request: Request) -> Actor:
    actor = require_login(request)
    if actor.participant_id is None:
        raise PermissionDenied(_("此页面供参与方（捐赠方）的成员使用。"))
    return actor
