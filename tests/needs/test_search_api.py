"""``GET /api/v1/needs`` with ``q`` (or a search-only facet): hits, facet counts and total from the
search service, documented in the OpenAPI document; bad input never a 500; and a need published
through the API is found within 2 seconds with the real worker loop running."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

import httpx
import pytest
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from fupin.app import API_MODULES
from fupin.core.clock import today_cn
from fupin.core.openapi import build_document
from fupin.needs.service.search_worker import outbox_worker
from fupin.search.adapters import SearchUnavailable
from fupin.settings import Settings
from tests.needs.search_support import drain, make_need
from tests.support.world import CSRF, World

SCHOOL = "为村小学新建学生食堂一间，购置厨具餐桌，解决六十名留守儿童午餐问题。"


@pytest.fixture
async def corpus(app: Any, world: World) -> dict[str, int]:
    needs = {
        "water": await make_need(world, "石门村饮水安全巩固工程", target_yuan=8_000),
        "water_other": await make_need(world, "新庄村饮水水窖修建", other_county=True),
        "school": await make_need(
            world,
            "新庄村小学食堂建设",
            category="education",
            description=SCHOOL,
            other_county=True,
        ),
        "returned": await make_need(world, "石门村饮水工程退回稿", state="returned"),
    }
    await drain(app)
    return needs


def check_against_openapi(response: httpx.Response) -> None:
    """The response is what the OpenAPI document promises (openapi-core)."""
    spec = OpenAPI.from_dict(build_document(API_MODULES))
    request = MockRequest(
        "http://testserver", "get", "/api/v1/needs", args=dict(response.request.url.params)
    )
    spec.validate_response(
        request,
        MockResponse(
            response.content, status_code=response.status_code, content_type="application/json"
        ),
    )


async def test_search_answers_with_hits_highlights_total_and_facet_counts(
    client: httpx.AsyncClient, corpus: dict[str, int]
) -> None:
    response = await client.get("/api/v1/needs", params={"q": "饮水"})
    assert response.status_code == 200
    body = response.json()
    assert {i["id"] for i in body["items"]} == {corpus["water"], corpus["water_other"]}
    assert body["total"] == 2 and body["page"] == 1 and body["per_page"] == 20
    assert body["facets"]["province"] == {"云南省": 1, "四川省": 1}
    assert set(body["facets"]) == {
        "province",
        "county",
        "category",
        "state",
        "contiguous_area",
        "amount_band",
    }
    water = next(i for i in body["items"] if i["id"] == corpus["water"])
    assert water["highlight"]["title"] == "石门村<mark>饮水</mark>安全巩固工程"
    assert water["open_fen"] == 800_000
    check_against_openapi(response)


async def test_facet_filters_narrow_and_take_codes_or_names(
    client: httpx.AsyncClient, corpus: dict[str, int]
) -> None:
    by_name = await client.get("/api/v1/needs", params={"q": "饮水", "province": "四川省"})
    by_code = await client.get("/api/v1/needs", params={"q": "饮水", "province": "510000"})
    assert [i["id"] for i in by_name.json()["items"]] == [corpus["water_other"]]
    assert by_code.json() == by_name.json()
    both = await client.get(
        "/api/v1/needs", params=[("category", "education"), ("category", "drinking_water")]
    )
    assert both.json()["total"] == 3, "several values of one facet: ORed, answered by search"
    counted = await client.get("/api/v1/needs", params={"q": "", "facets": "category"})
    assert counted.json()["facets"] == {"category": {"drinking_water": 2, "education": 1}}


async def test_without_q_the_database_list_still_answers(
    client: httpx.AsyncClient, corpus: dict[str, int]
) -> None:
    response = await client.get("/api/v1/needs", params={"county": "532627"})
    assert response.status_code == 200
    assert "facets" not in response.json()
    assert [i["id"] for i in response.json()["items"]] == [corpus["water"]]


#: (query parameters, expected status, the field a 422 names; None: an empty result;
#: PARTIAL: words only, no need holds all of them, so needs holding most, flagged partial)
PARTIAL = "(partial)"
BAD_INPUT: list[tuple[dict[str, str], int, str | None]] = [
    ({"q": "饮水" * 1000 + "a" * 8000}, 422, "q"),  # 10,000 characters
    ({"q": "饮水", "sort": "bogus"}, 422, "sort"),
    ({"q": "饮水", "facets": "bogus"}, 422, "facets"),
    ({"q": "饮水", "facets": "province,title"}, 422, "facets"),
    ({"q": "饮水", "page": "x"}, 422, "page"),
    ({"q": "饮水", "page": "0"}, 422, "page"),
    ({"q": "饮水", "per_page": "1000"}, 422, "per_page"),
    (
        {"q": "饮水", "county": "县" * 300},
        422,
        "county[0]",
    ),  # the first value of the repeatable filter
    ({"q": "饮水", "province": "\x00"}, 422, "province"),
    ({"q": "饮水", "province": '云南省" OR state = "returned'}, 200, None),
    ({"q": "饮水", "amount_band": '<1万"] OR id > 0 OR category IN ["'}, 200, None),
    ({"q": "饮水", "state": "returned"}, 200, None),
    ({"q": "！？。，、……"}, 200, None),
    ({"q": "😀🎉🙏"}, 200, None),
    ({"q": "title:饮水 AND (id:[0 TO 9] OR *)"}, 200, PARTIAL),
    ({"q": "饮水", "contiguous_area": "乌蒙山区"}, 200, None),
]


async def test_bad_input_is_a_named_error_or_an_empty_result_never_a_500(
    client: httpx.AsyncClient, corpus: dict[str, int]
) -> None:
    for params, status, field in BAD_INPUT:  # one world for the whole table (fast)
        response = await client.get("/api/v1/needs", params=params)
        assert response.status_code == status, (params, response.text[:300])
        body = response.json()
        if field == PARTIAL:  # the syntax is words (title, 饮水, and, id…), never a query
            assert body["partial"] is True, params
            assert {i["id"] for i in body["items"]} == {corpus["water"], corpus["water_other"]}
        elif field:
            assert body["error"]["field"] == field, params
            assert body["error"]["message"], params
        else:
            assert body["items"] == [] and body["total"] == 0, params
        for word in ("tantivy", "Traceback", "ValueError", "meilisearch"):
            assert word not in response.text, params


async def test_an_engine_that_is_down_is_a_503_with_our_words(
    app: Any, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(query: object) -> None:
        raise SearchUnavailable("connection refused 10.0.0.5:7700")

    monkeypatch.setattr(app.state.search.backend, "search", broken)
    response = await client.get("/api/v1/needs", params={"q": "饮水"})
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "search_unavailable"
    assert "搜索暂时不可用" in error["message"] and "10.0.0.5" not in response.text


async def test_a_need_published_through_the_api_is_found_within_two_seconds(
    app: Any, db: Settings, world: World, client_as: Any
) -> None:
    officer = client_as("county_officer")
    officer.headers["X-CSRF-Token"] = CSRF
    public = client_as(None)
    worker = asyncio.create_task(outbox_worker(app, db))  # the real background loop
    try:
        created = await officer.post(
            "/api/v1/needs",
            json={
                "region_code": world.village.code,
                "category": "drinking_water",
                "title": "石门村集中供水站建设",
                "description": "新建集中供水站一座，配套净化消毒设备，保障全村四百余人安全饮水。",
                "target_fen": 35_000_000,
                "beneficiary_households": 96,
                "beneficiary_people": 410,
                "deadline": (today_cn() + timedelta(days=90)).isoformat(),
            },
        )
        assert created.status_code == 201, created.text
        need_id = created.json()["id"]
        for action in ("submit", "publish"):
            done = await officer.post(
                f"/api/v1/needs/{need_id}/transitions", json={"action": action}
            )
            assert done.status_code == 200, done.text
        published = time.monotonic()
        found_after = None
        while time.monotonic() - published < 5:  # bounded; the bar is 2 s
            response = await public.get("/api/v1/needs", params={"q": "供水站"})
            if [i["id"] for i in response.json()["items"]] == [need_id]:
                found_after = time.monotonic() - published
                break
            await asyncio.sleep(0.05)
        assert found_after is not None and found_after <= 2.0, found_after

        # Withdrawn through the API: gone from the index itself once the worker ran.
        withdrawn = await officer.post(
            f"/api/v1/needs/{need_id}/transitions",
            json={"action": "withdraw", "reason": "已由县财政资金解决"},
        )
        assert withdrawn.status_code == 200, withdrawn.text
        gone = False
        for _ in range(100):  # bounded: up to 5 s
            if await app.state.search.backend.count() == 0:
                gone = True
                break
            await asyncio.sleep(0.05)
        assert gone
        response = await public.get("/api/v1/needs", params={"q": "供水站"})
        assert response.json()["items"] == []
    finally:
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)


async def test_no_need_with_every_word_answers_most_words_with_a_note(
    client: httpx.AsyncClient, corpus: dict[str, int]
) -> None:
    response = await client.get("/api/v1/needs", params={"q": "小学 体育馆"})
    assert response.status_code == 200
    body = response.json()
    assert [i["id"] for i in body["items"]] == [corpus["school"]]
    assert body["partial"] is True
    assert body["note"] == "没有同时包含所有词的结果，以下为部分匹配"
    assert body["facets"]["category"] == {"education": 1}, "facets count the partial hits"
    check_against_openapi(response)
    every_word = (await client.get("/api/v1/needs", params={"q": "小学 食堂"})).json()
    assert every_word["partial"] is False and every_word["note"] is None
