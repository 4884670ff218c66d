"""An anonymous donor leaks on no public page, Atom feed, open-data file, export or API response (docs/domain.md §1: "anonymity
fails when one surface still leaks the name"; §3.7: the public ledger carries commitments).

The walk takes every GET route of the app (pages and API, collected from the app itself, so a
route added later is walked too), fills path parameters with the ids of the objects involved,
and reads each one as the public and as another donor — once before the anonymous donor gives,
once after. The donor exists publicly (the participant directory names it), so the test checks
what giving changes: no response may show the donor's name, id or credit code more often than
before, and no response may show the donor together with the anonymous amount.
"""

from __future__ import annotations

import re
from collections import Counter

import httpx
from starlette.routing import Mount, Route

from fupin.accounts.models import Pair, Participant
from fupin.core.clock import today_cn
from fupin.money.models import Donation, Pledge, Receipt, RecipientOrg
from fupin.money.service import donations, pledges, receipts
from fupin.sharing.service import opendata
from tests.conftest import TEST_SECRET
from tests.money.support import WAN, build_money, due, make_need
from tests.support.contract import CONTRACT_HOOKS
from tests.support.world import (
    CSRF,
    SESSION_KEY,
    make_user,
    session_cookie,
    start_session,
    valid_uscc,
)

ANON_ID = 987654321
ANON_NAME = "隐名测试捐赠企业"
ANON_USCC = valid_uscc("91530100MA6K7Q8R2")
ANON_AMOUNT = 1_234_567  # fen: ¥12,345.67, an amount nothing else on the site has
AMOUNT_MARKERS = ("1234567", "12,345.67", "12345.67")
VIEWERS = (None, "other_participant_member")


def _get_routes(app) -> list[str]:  # type: ignore[no-untyped-def]
    found: list[str] = []

    def walk(routes, prefix: str = "") -> None:  # type: ignore[no-untyped-def]
        for route in routes:
            if isinstance(route, Mount):
                if route.path != "/static":
                    walk(route.routes, prefix + route.path)
            elif isinstance(route, Route) and "GET" in (route.methods or {"GET"}):
                found.append(prefix + route.path)

    walk(app.routes)
    return found


_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")


def _candidates(path: str, name: str, ids: dict[str, list[str]]) -> list[str]:
    before = path[: path.index("{" + name)].rstrip("/").rsplit("/", 1)[-1]
    by_segment = {
        "needs": "need",
        "pledges": "pledge",
        "donations": "donation",
        "receipts": "receipt",
        "recipients": "recipient",
        "participants": "participant",
        "tax": "participant",
        "pairs": "pair",
        "regions": "region",
        "province": "region",
        "county": "region",
        "lang": "lang",
    }
    if name == "year":
        return [str(today_cn().year)]
    if name == "fmt":
        return ["csv", "json"]
    if name == "lang":
        return ["zh"]
    kind = by_segment.get(before)
    if kind is None and name in ("pid", "participant_id"):
        kind = "participant"
    return ids.get(kind or "", ids["any"])


def _urls(paths: list[str], ids: dict[str, list[str]]) -> list[str]:
    urls: list[str] = []
    for path in paths:
        variants = [path]
        for match in _PARAM.finditer(path):
            name = match.group(1)
            variants = [
                v.replace(match.group(0), value, 1)
                for v in variants
                for value in _candidates(path, name, ids)
            ]
        urls.extend(variants)
    return sorted(set(urls))


async def _read_all(app, world, urls: list[str]) -> dict[tuple[str | None, str], str]:  # type: ignore[no-untyped-def]
    """Read every URL as each viewer. A page that fails (5xx) is recorded as what it returned:
    failing pages are test_permissions' business, this walk only looks for leaks."""
    seen: dict[tuple[str | None, str], str] = {}
    for viewer in VIEWERS:
        session: dict[str, object] = {"csrf": CSRF}
        if viewer is not None:
            session[SESSION_KEY] = await start_session(world.users[viewer])
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
            base_url="http://testserver",
            cookies={"fupin_session": session_cookie(TEST_SECRET, session)},
            event_hooks=CONTRACT_HOOKS,
        ) as client:
            for url in urls:
                response = await client.get(url)
                seen[(viewer, url)] = response.content.decode("utf-8", "replace")
    return seen


def _donor_marks(text: str) -> Counter[str]:
    return Counter(
        {
            "name": text.count(ANON_NAME),
            "id": len(re.findall(rf"(?<![0-9a-f]){ANON_ID}(?![0-9a-f])", text)),
            "uscc": text.count(ANON_USCC),
        }
    )


async def _ids(m, second_need, pair) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    found = {
        "need": [str(m.need.id), str(second_need.id)],
        "pledge": [str(i) for i in await Pledge.all().values_list("id", flat=True)],
        "donation": [str(i) for i in await Donation.all().values_list("id", flat=True)],
        "receipt": [str(i) for i in await Receipt.all().values_list("id", flat=True)],
        "recipient": [str(i) for i in await RecipientOrg.all().values_list("id", flat=True)],
        "participant": [str(ANON_ID), str(m.world.participants["social_org"].id)],
        "pair": [str(pair.id)] if pair else ["1"],
        "region": ["532627", m.world.village.code, "530000"],
    }
    found["any"] = sorted({"1", "2", *found["pledge"], *found["donation"], *found["receipt"]})
    return found


async def test_an_anonymous_donor_is_revealed_by_no_page_feed_export_or_api(app, world) -> None:
    from fupin.accounts.models import User
    from fupin.accounts.service import users as accounts

    m = await build_money(world)
    donor = await Participant.create(
        id=ANON_ID, kind="enterprise", name=ANON_NAME, uscc=ANON_USCC, region_id="530000"
    )
    await make_user("participant_member", "anon_member", participant=donor.id)
    anon_actor = await accounts.actor_for(await User.get(username="anon_member"))
    # Named money around it, so the pages under test have content.
    named = await pledges.make_pledge(
        actor=m.other_donor, need_id=m.need.id, amount_fen=20 * WAN, due_date=due()
    )
    await donations.record_donation(
        actor=m.officer,
        recipient_id=m.county_gov.id,
        pledge_id=named.id,
        amount_fen=20 * WAN,
        received_on=today_cn(),
        confirm=True,
    )
    second_need = await make_need(world.village, title="匿名测试专用需求")
    pair = await Pair.filter(helped_region_id="532627").first()
    paths = _get_routes(app)
    assert "/ledger/export.jsonl" in paths and "/api/v1/ledger/export" in paths
    paths += [
        "/api/v1/ledger/export?format=csv",
        "/api/v1/ledger?per_page=100",
        "/ledger?per_page=100",
    ]

    before = await _read_all(app, world, _urls(paths, await _ids(m, second_need, pair)))

    # Anonymous money: a pledge, its donation confirmed and receipted; a stand-alone gift.
    pledge = await pledges.make_pledge(
        actor=anon_actor,
        need_id=second_need.id,
        amount_fen=ANON_AMOUNT,
        due_date=due(),
        anonymous=True,
    )
    paid = await donations.record_donation(
        actor=m.officer,
        recipient_id=m.county_gov.id,
        pledge_id=pledge.id,
        amount_fen=ANON_AMOUNT,
        received_on=today_cn(),
        confirm=True,
    )
    await receipts.issue_receipt(actor=m.officer, donation_id=paid.id)
    await donations.record_donation(
        actor=m.foundation_member,
        recipient_id=m.foundation.id,
        need_id=m.need.id,
        donor_id=ANON_ID,
        amount_fen=ANON_AMOUNT,
        received_on=today_cn(),
        anonymous=True,
        confirm=True,
    )

    # The day's open-data snapshot, written after the gift: every file is walked too.
    settings = app.state.settings
    await opendata.generate(settings.open_data_dir, settings.base_url)
    snapshot = [f"/open-data/{today_cn().isoformat()}/{name}" for name in opendata.file_names()]
    urls = _urls(paths, await _ids(m, second_need, pair)) + snapshot
    assert len(urls) > 60
    assert {"/feeds/needs.atom", "/feeds/funded.atom", "/feeds/ledger.atom"} <= set(urls)
    after = await _read_all(app, world, urls)
    pledge_file = after[(None, f"/open-data/{today_cn().isoformat()}/pledges.jsonl")]
    assert str(ANON_AMOUNT) in pledge_file, "the walk read the anonymous pledge's row"
    leaks = []
    for key, text in after.items():
        viewer, url = key
        # A URL of an object that did not exist before read as nothing then (it was a 404).
        grew = _donor_marks(text) - _donor_marks(before.get(key, ""))
        if grew:
            leaks.append(
                f"{url} as {viewer or 'public'}: {dict(grew)} more after the anonymous gift"
            )
        if sum(_donor_marks(text).values()) and any(mark in text for mark in AMOUNT_MARKERS):
            leaks.append(f"{url} as {viewer or 'public'}: the donor next to the anonymous amount")
    assert not leaks, "\n".join(leaks)
    # The donor's public page has a giving history, and none of the anonymous money is in it
    # (tests/money/test_public_giving.py mixes named and anonymous gifts).
    for viewer in VIEWERS:
        page = after[(viewer, f"/participants/{ANON_ID}")]
        giving = page[page.index('id="giving"') :]
        assert "还没有公开的捐赠记录" in giving
        assert f'href="/needs/{second_need.id}"' not in giving
    # The walk did reach the anonymous money (public need pages, ledger, exports show the amount).
    assert sum(any(mark in text for mark in AMOUNT_MARKERS) for text in after.values()) >= 4
