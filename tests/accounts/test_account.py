"""A user creates an API token on their account page, uses it, and revokes it."""

from __future__ import annotations

import base64
import re

import pytest

from fupin.accounts.models import ApiToken
from tests.support.world import CSRF


@pytest.mark.both_databases
async def test_token_created_on_the_account_page_works_until_revoked(client_as, world) -> None:
    client = client_as("national_admin")
    created = await client.post("/account/tokens", data={"csrf_token": CSRF, "name": "erp"})
    assert created.status_code == 200  # shown in the answer that created it (issue: point 5)
    token = re.search(r"<code>(fp_[^<]+)</code>", created.text).group(1)
    api = client_as(None)
    ok = await api.get("/api/v1/participants", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200
    row = await ApiToken.get(name="erp")
    revoked = await client.post(f"/account/tokens/{row.id}/revoke", data={"csrf_token": CSRF})
    assert revoked.status_code == 303
    refused = await api.get("/api/v1/participants", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401


async def test_token_is_shown_only_once(client_as, world) -> None:
    client = client_as("auditor")
    first = await client.post("/account/tokens", data={"csrf_token": CSRF, "name": "x"})
    token = re.search(r"<code>(fp_[^<…]+)</code>", first.text).group(1)
    assert len(token) > 20
    second = await client.get("/account")
    assert token not in second.text


async def test_cannot_revoke_another_users_token(client_as, world) -> None:
    from fupin.accounts.service import users as accounts

    await accounts.create_api_token(user=world.users["auditor"], name="theirs")
    row = await ApiToken.get(name="theirs")
    response = await client_as("county_officer").post(
        f"/account/tokens/{row.id}/revoke", data={"csrf_token": CSRF}
    )
    assert response.status_code == 404
    assert (await ApiToken.get(id=row.id)).revoked_at is None


def _cookie_text(response) -> str:  # type: ignore[no-untyped-def]
    """Every Set-Cookie of a response, the signed session's payload decoded."""
    texts = []
    for header in response.headers.get_list("set-cookie"):
        value = header.split(";", 1)[0].split("=", 1)[1]
        payload = value.split(".", 1)[0]
        texts.append(header)
        if payload:
            texts.append(base64.b64decode(payload + "=" * (-len(payload) % 4)).decode("latin-1"))
    return "\n".join(texts)


async def test_a_new_token_travels_only_in_the_answer_never_in_the_cookie(client_as, world) -> None:
    """Replaying the session cookie must never show a token again (the issue's point 5)."""
    client = client_as("county_officer")
    await client.get("/account")
    created = await client.post("/account/tokens", data={"csrf_token": CSRF, "name": "once"})
    token = re.search(r"<code>(fp_[^<…]+)</code>", created.text).group(1)
    assert token not in _cookie_text(created)
    assert all(token not in c.value for c in client.cookies.jar)
    assert token not in (await client.get("/account")).text
