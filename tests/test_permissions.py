"""Every page and API route, for every role: the right ones get in, nobody gets a 500, and
every HTML form POST without a CSRF token is refused."""

from __future__ import annotations

import pytest
from starlette.routing import Mount, Route

from fupin.app import create_app
from fupin.settings import Settings
from tests.support.world import CSRF

ROLES = [
    None,
    "national_admin",
    "province_office",
    "county_officer",
    "village_worker",
    "participant_member",
    "auditor",
    "supervisor",
]

#: (path, roles that may open it). Admin pages: offices only (participants and auditors: 403).
ADMIN_MATRIX = {
    "/admin": {"national_admin", "province_office", "county_officer"},
    "/admin/participants/new": {"national_admin", "province_office"},
    "/admin/users/new": {"national_admin", "province_office", "county_officer"},
    "/admin/audit": {"national_admin", "province_office", "auditor"},
}


def _all_routes() -> list[tuple[str, str]]:
    app = create_app(Settings(env="test"), manage_database=False)
    found: list[tuple[str, str]] = []

    def walk(routes, prefix: str = "") -> None:
        for route in routes:
            if isinstance(route, Mount):
                if route.path == "/static":
                    continue
                walk(route.routes, prefix + route.path)
            elif isinstance(route, Route):
                for method in sorted(route.methods or {"GET"}):
                    if method != "HEAD":
                        found.append((method, prefix + route.path))

    walk(app.routes)
    return found


ALL_ROUTES = _all_routes()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", sorted(ADMIN_MATRIX))
async def test_admin_pages_only_for_their_roles(client_as, role, path) -> None:
    response = await client_as(role).get(path)
    if role is None:
        assert response.status_code == 303 and response.headers["location"].startswith("/login")
    elif role in ADMIN_MATRIX[path]:
        assert response.status_code == 200, response.text[:300]
    else:
        assert response.status_code == 403
        assert "没有权限" in response.text


@pytest.mark.parametrize("role", ROLES)
async def test_no_get_route_fails_for_any_role(client_as, role) -> None:
    """Walk every parameter-free GET route (pages and API) as each role: no 5xx anywhere."""
    client = client_as(role)
    checked = 0
    for method, path in ALL_ROUTES:
        if method != "GET" or "{" in path:
            continue
        response = await client.get(path)
        assert response.status_code < 500, (
            f"{path} as {role}: {response.status_code} {response.text[:300]}"
        )
        checked += 1
    assert checked >= 10


async def test_every_html_form_post_without_csrf_is_refused(client_as) -> None:
    client = client_as("national_admin")
    posts = [p for m, p in ALL_ROUTES if m == "POST" and not p.startswith("/api/") and "{" not in p]
    assert "/admin/participants" in posts and "/logout" in posts
    for path in posts:
        response = await client.post(path, data={"anything": "1"})
        assert response.status_code == 403, f"{path}: {response.status_code}"
        assert "CSRF" in response.text


async def test_form_with_csrf_token_is_accepted(client_as) -> None:
    response = await client_as("national_admin").post("/logout", data={"csrf_token": CSRF})
    assert response.status_code == 303
