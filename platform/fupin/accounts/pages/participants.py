"""Participant directory and profile pages."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from fupin.accounts.models import KINDS
from fupin.accounts.service import participants
from fupin.core.policy import PUBLIC
from fupin.core.routing import page
from fupin.core.web import actor, page_args, render


async def directory(request: Request) -> Response:
    page, per_page = page_args(request)
    kind = request.query_params.get("kind") or None
    q = request.query_params.get("q") or None
    listing = await participants.list_participants(kind=kind, q=q, page=page, per_page=per_page)
    return render(
        request,
        "accounts/participants.html",
        {
            "listing": listing,
            "kinds": KINDS,
            "kind": kind,
            "q": q or "",
            "kind_label": participants.kind_label,
        },
    )


async def profile(request: Request) -> Response:
    participant = await participants.get_participant(request.path_params["pid"])
    current = actor(request)
    private = participants.may_see_identity(current, participant)
    context: dict[str, Any] = {
        "participant": participant,
        "pairs": await participants.pairs_of(participant),
        "private": private,
        "kind_label": participants.kind_label,
        "giving": None,
    }
    # The giving history comes from money, above accounts: a panel composed by the app.
    for panel in getattr(request.app.state, "participant_page_panels", []):
        context.update(await panel(participant))
    return render(request, "accounts/participant.html", context)


routes = [
    page("/participants", directory, name="participants", action=PUBLIC),
    page("/participants/{pid:id}", profile, name="participant", action=PUBLIC),
]
