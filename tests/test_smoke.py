"""The foundation pages render for the public and for each role."""

from __future__ import annotations

import pytest

PUBLIC_PAGES = [
    "/",
    "/regions",
    "/regions/530000",
    "/regions/532627",
    "/regions/poverty-counties",
    "/participants",
    "/pairs",
    "/login",
]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
async def test_public_page_renders(client_as, path: str) -> None:
    response = await client_as(None).get(path)
    assert response.status_code == 200, response.text[:500]
    assert "扶贫" in response.text


async def test_unknown_page_is_a_styled_404(client) -> None:
    response = await client.get("/no/such/page")
    assert response.status_code == 404
    assert "页面不存在" in response.text and "fupin.css" in response.text
