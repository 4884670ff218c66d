"""The needs list serves donors: by default needs still raising money come first (not cards
showing "缺口 ¥0.00"), with sorts by gap, deadline, newest and closeness to funding; a text query
on /needs goes the one search path, /search (the list matched titles only)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from fupin.core.clock import today_cn
from fupin.needs.models import Need


async def _need(
    world, title: str, *, target: int, pledged: int, state: str, days: int, hour: int
) -> Need:  # type: ignore[no-untyped-def]
    return await Need.create(
        region_id=world.village.code,
        county_code=world.village.county_code,
        province_code=world.village.province_code,
        category="roads",
        title=title,
        description="测试",
        target_fen=target,
        pledged_fen=pledged,
        deadline=today_cn() + timedelta(days=days),
        state=state,
        published_at=datetime(2025, 1, 1, hour, tzinfo=UTC),
    )


def _order(html: str) -> list[int]:
    grid = html.split('class="need-grid"', 1)[1].split("</section>", 1)[0]
    return [int(i) for i in re.findall(r'<h3><a href="/needs/(\d+)">', grid)]


@pytest.mark.both_databases
async def test_needs_still_raising_money_come_first_with_donor_sorts(client_as, world) -> None:
    # the newest needs are funded or past their deadline: a "newest" list shows them first
    half = await _need(world, "半数", target=1000, pledged=500, state="published", days=30, hour=1)
    little = await _need(world, "少许", target=1000, pledged=100, state="published", days=5, hour=2)
    most = await _need(world, "大半", target=4000, pledged=3600, state="published", days=60, hour=3)
    funded = await _need(world, "已满", target=1000, pledged=1000, state="funded", days=2, hour=4)
    overdue = await _need(world, "过期", target=9000, pledged=0, state="published", days=-1, hour=5)
    done = await _need(world, "完成", target=1000, pledged=1000, state="completed", days=1, hour=6)
    raising = {half.id, little.id, most.id}
    client = client_as(None)

    default = _order((await client.get("/needs")).text)
    assert set(default[:3]) == raising, default
    assert default[:3] == [most.id, little.id, half.id]  # then newest first
    assert set(default[3:]) == {funded.id, done.id}  # past its deadline: expired, not listed
    assert overdue.id not in default

    page = await client.get("/needs")
    options = re.findall(r'<option value="(\w+)"[^>]*>', page.text.split('name="sort"', 1)[1])[:5]
    assert options == ["raising", "open_amount", "deadline", "closest", "newest"]

    by_gap = _order((await client.get("/needs?sort=open_amount")).text)
    assert by_gap[:3] == [little.id, half.id, most.id]  # gaps ¥9, ¥5, ¥4: raising only
    by_deadline = _order((await client.get("/needs?sort=deadline")).text)
    assert by_deadline[:3] == [little.id, half.id, most.id]
    closest = _order((await client.get("/needs?sort=closest")).text)
    assert closest[:3] == [most.id, half.id, little.id]  # 90 %, 50 %, 10 % pledged
    newest = _order((await client.get("/needs?sort=newest")).text)
    assert newest == [done.id, funded.id, most.id, little.id, half.id]
    assert (await client.get("/needs?sort=random")).status_code == 422


async def test_a_text_query_on_the_list_goes_to_the_search(client_as, world) -> None:
    client = client_as(None)
    response = await client.get("/needs?q=广南县&category=roads&province=530000&sort=deadline")
    assert response.status_code == 303
    target = urlsplit(response.headers["location"])
    assert target.path == "/search"
    assert parse_qs(target.query) == {
        "q": ["广南县"],
        "category": ["roads"],
        "province": ["530000"],
        "sort": ["deadline"],
    }
    # the default donor order has no search twin: the search's relevance decides
    plain = await client.get("/needs?q=饮水&sort=raising")
    assert parse_qs(urlsplit(plain.headers["location"]).query) == {"q": ["饮水"]}
    assert (await client.get("/needs?q=")).status_code == 200  # an empty box is the list


@pytest.mark.both_databases
async def test_pages_across_the_raising_boundary_follow_one_order(world) -> None:
    from fupin.needs.service import reading

    for hour in range(7):
        await _need(
            world,
            f"在筹{hour}",
            target=1000,
            pledged=hour * 100,
            state="published",
            days=10 + hour,
            hour=hour,
        )
    for hour in range(7, 12):
        await _need(
            world, f"已满{hour}", target=1000, pledged=1000, state="funded", days=3, hour=hour
        )
    await _need(world, "过期", target=9000, pledged=0, state="published", days=-1, hour=12)
    for sort in ("raising", "open_amount", "deadline", "closest", "newest"):
        whole = await reading.list_needs(reading.NeedFilters(sort=sort, per_page=100))
        expected = [n.id for n in whole.items]
        assert whole.total == len(expected) == 12
        paged: list[int] = []
        for page in range(1, 8):  # past the end too: empty pages
            part = await reading.list_needs(
                reading.NeedFilters(sort=sort, page=page, per_page=2), card=True, count_ahead=3
            )
            paged += [n.id for n in part.items]
            assert part.total == min(12, (page - 1) * 2 + 3)
            assert part.more == ((page - 1) * 2 + 3 < 12)
        assert paged == expected, sort
