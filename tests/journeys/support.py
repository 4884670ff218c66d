"""What every journey checks on every page it visits: the page answered, axe-core finds no
critical or serious accessibility violation, nothing runs off a phone's screen sideways, and a
screenshot is kept under test-artifacts/journeys/<journey>/."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from axe_playwright_python.async_playwright import Axe

from tests.support.browser import artifacts

DEMO_PASSWORD = "fupin-demo-2026"
#: The impacts a journey refuses (axe-core's scale: minor, moderate, serious, critical).
REFUSED = ("critical", "serious")
AXE = Axe()
#: Money as a headline reads it: 万元 or 亿元, or exact yuan under 1万元 (never 84,285.7万元).
HEADLINE_MONEY = re.compile(
    r"^-?(\d{1,4}(\.\d{1,2})?万元|\d+(\.\d{1,2})?亿元|¥\d{1,3}(,\d{3})*(\.\d\d)?)$"
)


async def axe_violations(page: Any) -> list[str]:
    """The critical and serious axe-core violations on the page, one line each."""
    results = await AXE.run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + ", ".join(str(n["target"]) for n in v["nodes"][:5])
        for v in results.response["violations"]
        if v["impact"] in REFUSED
    ]


@dataclass
class Journey:
    """One user's walk: a Playwright page, the server's base URL, where the screenshots go."""

    page: Any
    base: str
    name: str
    phone: bool = False
    shots: list[str] = field(default_factory=list)

    @property
    def out(self) -> Path:
        return artifacts(f"journeys/{self.name}")

    async def login(self, username: str) -> None:
        await self.page.goto(f"{self.base}/login")
        await self.page.fill("input[name=username]", username)
        await self.page.fill("input[name=password]", DEMO_PASSWORD)
        await self.page.click("form[action='/login'] button[type=submit]")
        await self.page.wait_for_load_state("networkidle")

    async def visit(self, path: str, shot: str, *, status: int = 200) -> str:
        """Open ``path`` and check it (see ``check``); returns the page's visible text."""
        response = await self.page.goto(f"{self.base}{path}")
        assert response is not None and response.status == status, (
            path,
            response and response.status,
        )
        return await self.check(shot)

    async def check(self, shot: str) -> str:
        """The page now shown: no critical or serious axe violation, no sideways scrolling on
        a phone, and a screenshot (full page) named ``shot``."""
        await self.page.wait_for_load_state("networkidle")
        url = self.page.url
        problems = await axe_violations(self.page)
        assert not problems, f"{url}:\n" + "\n".join(problems)
        if self.phone:
            width = await self.page.evaluate("document.documentElement.scrollWidth")
            viewport = self.page.viewport_size["width"]
            assert width <= viewport, f"{url} is {width} px wide on a {viewport} px screen"
        await self.page.screenshot(path=str(self.out / shot), full_page=True)
        self.shots.append(shot)
        return str(await self.page.inner_text("body"))

    async def figures(self) -> dict[str, str]:
        """The headline cards: label → figure."""
        return dict(
            await self.page.eval_on_selector_all(
                ".figure",
                "els => els.map(e => [e.querySelector('span')?.innerText.trim() ?? '',"
                " e.querySelector('strong')?.innerText.trim() ?? ''])",
            )
        )

    async def box(self, selector: str) -> dict[str, float]:
        found = await self.page.locator(selector).first.bounding_box()
        assert found is not None, selector
        return dict(found)


def assert_headline_money(figure: str) -> None:
    assert HEADLINE_MONEY.match(figure), f"headline money {figure!r}: not 万元/亿元 or ¥ under 1万"
