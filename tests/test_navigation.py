"""Getting around: switching language keeps the page and its query (and never leaves the site),
the public honour rates are in the navigation, and the site has a favicon."""

from __future__ import annotations

import html
import re
from urllib.parse import unquote

import pytest


def _switch_link(page: str, lang: str) -> str:
    found = re.search(rf'href="(/lang/{lang}\?next=[^"]*)"', page)
    assert found, f"no link to /lang/{lang}"
    return html.unescape(found.group(1))


async def test_switching_language_keeps_the_page_and_its_query(client_as, world) -> None:
    client = client_as(None)
    page = await client.get("/search", params={"q": "饮水", "page": "1"})
    assert page.status_code == 200
    switched = await client.get(_switch_link(page.text, "en"))
    assert switched.status_code == 303
    assert unquote(switched.headers["location"]) == "/search?q=饮水&page=1"
    english = await client.get(switched.headers["location"])
    assert english.status_code == 200 and 'lang="en"' in english.text
    back = await client.get(_switch_link(english.text, "zh"))
    assert unquote(back.headers["location"]) == "/search?q=饮水&page=1"
    needs = await client.get("/needs?category=roads&sort=deadline")
    assert unquote(
        (await client.get(_switch_link(needs.text, "en"))).headers["location"]
    ).startswith("/needs?category=roads")


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/x",
        "https://evil.example/",
        "/\\evil.example",
        "\\\\evil.example",
        "http:/evil.example",
        "evil.example",
        "/ok\r\nSet-Cookie: x=1",
        "%2F%2Fevil.example",
        "",
    ],
)
async def test_the_language_switch_never_leaves_the_site(client_as, world, target: str) -> None:
    response = await client_as(None).get("/lang/en", params={"next": target})
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert response.headers["set-cookie"].startswith("fupin_lang=en")


async def test_honour_rates_are_in_the_navigation_and_the_site_has_a_favicon(
    client_as, world
) -> None:
    for who in (None, "participant_member", "county_officer"):
        home = await client_as(who).get("/")
        nav = home.text.split("<nav", 1)[1].split("</nav>", 1)[0]
        assert 'href="/honour-rates"' in nav, who
        icon = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', home.text)
        assert icon, who
    client = client_as(None)
    assert (await client.get("/honour-rates")).status_code == 200
    svg = await client.get(icon.group(1))
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text.lstrip().startswith("<svg")
    legacy = await client.get("/favicon.ico")  # browsers ask for it on pages without the link
    assert legacy.status_code in (301, 308) and legacy.headers["location"] == icon.group(1)
