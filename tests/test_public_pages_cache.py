"""Public pages are cacheable and set no cookie; pages with a form, or for a signed-in person,
are never stored by a proxy.

An anonymous GET of a page without a form gets no session cookie (the CSRF token is created
only when a template prints it), ``Cache-Control: public`` and an ETag that a revalidation
answers with 304. A page with a form (the login page) still gets its token, in a cookie, and
is private; so is every page of a signed-in person.
"""

from __future__ import annotations

import httpx

from tests.needs.support import make_need

ANONYMOUS_PAGES = ("/", "/needs", "/needs?province=530000", "/regions", "/ledger")


def _anonymous(app: object) -> httpx.AsyncClient:
    """A first visit: no cookie at all (the suite's anonymous client carries a session)."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),  # type: ignore[arg-type]
        base_url="http://testserver",
        follow_redirects=False,
    )


async def test_anonymous_public_pages_set_no_cookie_and_can_be_cached(world, app) -> None:
    need = await make_need(world, "published")
    async with _anonymous(app) as client:
        for path in (*ANONYMOUS_PAGES, f"/needs/{need.id}"):
            page = await client.get(path)
            assert page.status_code == 200, path
            assert "set-cookie" not in page.headers, path
            assert page.headers["cache-control"].startswith("public"), path
            assert "Cookie" in page.headers["vary"], path
            etag = page.headers["etag"]
            again = await client.get(path, headers={"If-None-Match": etag})
            assert again.status_code == 304 and again.content == b"", path
            assert again.headers["etag"] == etag
            changed = await client.get(path, headers={"If-None-Match": '"other"'})
            assert changed.status_code == 200 and changed.text == page.text


async def test_a_page_with_a_form_gets_its_token_and_is_never_stored(app) -> None:
    async with _anonymous(app) as client:
        login = await client.get("/login")
        assert login.status_code == 200
        assert "fupin_session=" in login.headers["set-cookie"]
        assert login.headers["cache-control"] == "private, no-store"
        assert "etag" not in login.headers
        # the token the form carries is the session's: the login post passes the CSRF check
        token = login.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        post = await client.post("/login", data={"csrf_token": token, "username": "x"})
        assert post.status_code != 403


async def test_signed_in_pages_are_private(world, client_as) -> None:
    await make_need(world, "published")
    page = await client_as("county_officer").get("/needs")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "private, no-store"
    assert "etag" not in page.headers
    revalidated = await client_as("county_officer").get("/needs", headers={"If-None-Match": "*"})
    assert revalidated.status_code == 200
