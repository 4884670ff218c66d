"""Contract tests of the Meilisearch adapter: the exact requests it sends and how it reads answers
and errors, against a fake whose every request/response is checked with Meilisearch's own
OpenAPI document + overlay (meili_fake.py, tests/contracts/)."""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fupin.search.adapters import SearchError, SearchQuery, SearchQueryError, SearchUnavailable
from fupin.search.adapters.meili import MeiliBackend, build_filter, quote_filter_value
from fupin.search.rules.documents import FIELDS, derived_fields
from fupin.search.rules.settings_data import default_settings, meili_settings_body
from tests.search.fupin_search_corpus import BY_ID, CORPUS
from tests.search.meili_fake import FakeMeili, FakeServer, error

S = default_settings()
KEY = "test-key"
TASK_PATH = re.compile(r"/tasks/\d+")


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer(FakeMeili()) as running:
        yield running


@pytest.fixture
def fake(server: FakeServer) -> Iterator[FakeMeili]:
    server.fake.reset()
    yield server.fake
    assert server.fake.violations == [], "a request or response broke Meilisearch's API contract"


@pytest.fixture
async def meili(server: FakeServer, fake: FakeMeili) -> AsyncIterator[MeiliBackend]:
    async with MeiliBackend(server.url, KEY, task_timeout_ms=5000) as backend:
        yield backend


@pytest.fixture
async def ready(meili: MeiliBackend, fake: FakeMeili) -> MeiliBackend:
    await meili.ensure_index()
    fake.calls.clear()
    return meili


def paths(fake: FakeMeili) -> list[str]:
    return [c.method + " " + TASK_PATH.sub("/tasks/N", c.path) for c in fake.calls]


# ---- settings -------------------------------------------------------------------------------


async def test_ensure_index_creates_the_index_and_applies_the_settings_of_search_folder(
    meili: MeiliBackend, fake: FakeMeili
) -> None:
    assert await meili.ensure_index() is False
    assert paths(fake)[:3] == ["GET /indexes/needs", "POST /indexes", "GET /tasks/N"]
    assert fake.requests("POST", "/indexes")[0].body == {"uid": "needs", "primaryKey": "id"}
    patch = fake.requests("PATCH", "/indexes/needs/settings")
    assert len(patch) == 1
    assert patch[0].body == meili_settings_body(S)
    assert patch[0].body["localizedAttributes"] == [
        {"attributePatterns": ["*"], "locales": ["cmn"]}
    ]
    assert paths(fake)[-1] == "GET /tasks/N"  # settings task awaited
    assert all(c.headers.get("authorization") == f"Bearer {KEY}" for c in fake.calls)
    fake.calls.clear()
    assert await meili.ensure_index() is True
    assert fake.requests("POST", "/indexes") == []


# ---- documents ------------------------------------------------------------------------------


async def test_upsert_sends_public_documents_and_deletes_the_others(
    ready: MeiliBackend, fake: FakeMeili
) -> None:
    docs = [BY_ID[1], dict(BY_ID[2], state="draft")]
    await ready.upsert(docs, wait=True)
    add = fake.requests("POST", "/indexes/needs/documents")
    assert len(add) == 1 and add[0].query == {"primaryKey": "id"}
    assert add[0].body == [{**BY_ID[1], **derived_fields(BY_ID[1], S)}]
    assert "凉山州" in add[0].body[0]["region_aliases"]
    assert add[0].body[0]["raising"] == 1  # published, money still open: a business tie-break
    delete = fake.requests("POST", "/indexes/needs/documents/delete-batch")
    assert len(delete) == 1 and delete[0].body == ["2"]
    assert len(fake.requests("GET", r"/tasks/\d+")) == 2  # both tasks awaited: read-your-writes


async def test_upsert_without_wait_returns_before_the_tasks_and_wait_for_pending_awaits_them(
    ready: MeiliBackend, fake: FakeMeili
) -> None:
    await ready.upsert(CORPUS[:3])
    await ready.delete([4])
    assert fake.requests("GET", r"/tasks/\d+") == []
    await ready.wait_for_pending()
    assert len(fake.requests("GET", r"/tasks/\d+")) == 2


async def test_a_failed_task_is_our_error_not_the_engines(
    ready: MeiliBackend, fake: FakeMeili
) -> None:
    fake.fail_task_types.add("documentAdditionOrUpdate")
    with pytest.raises(SearchError) as err:
        await ready.upsert([BY_ID[1]], wait=True)
    assert "fake failure" not in str(err.value)


async def test_count_reads_index_stats(ready: MeiliBackend, fake: FakeMeili) -> None:
    await ready.upsert(CORPUS, wait=True)
    assert await ready.count() == len(CORPUS)


# ---- search payload -------------------------------------------------------------------------


async def test_search_sends_filters_facets_sort_pages_and_asks_for_match_positions(
    ready: MeiliBackend, fake: FakeMeili
) -> None:
    query = SearchQuery(
        text="  凉山 饮水！ ",
        filters={"province": ["四川省", "云南省"], "amount_band": ["<1万"]},
        sort="deadline",
        page=2,
        per_page=10,
        facets=["county", "category"],
    )
    await ready.search(query)
    call, *_fallback = fake.requests("POST", "/indexes/needs/search")
    body = call.body
    assert body["q"] == "凉山 饮水"  # words only: no Meilisearch query syntax can get through
    assert body["filter"] == ['province IN ["四川省", "云南省"]', 'amount_band IN ["<1万"]']
    assert body["facets"] == ["county", "category"]
    assert body["sort"] == ["deadline_ts:asc"]
    assert (body["page"], body["hitsPerPage"]) == (2, 10)
    assert body["attributesToRetrieve"] == list(FIELDS)
    assert body["showMatchesPosition"] is True
    assert body["matchingStrategy"] == "all"
    assert not body.get("attributesToHighlight")  # highlighting is ours (escaped), see meili.py


async def test_blank_query_is_a_placeholder_search_newest_first(
    ready: MeiliBackend, fake: FakeMeili
) -> None:
    await ready.search(SearchQuery())
    (call,) = fake.requests("POST", "/indexes/needs/search")
    assert call.body["q"] is None and call.body["filter"] is None
    assert call.body["sort"] == ["published_ts:desc"]


async def test_punctuation_only_query_sends_nothing(ready: MeiliBackend, fake: FakeMeili) -> None:
    result = await ready.search(SearchQuery(text="？！😀", facets=["state"]))
    assert (result.total, result.hits, result.facets) == (0, [], {"state": {}})
    assert fake.calls == []


async def test_invalid_queries_are_refused_before_any_request(
    ready: MeiliBackend, fake: FakeMeili
) -> None:
    for query in (SearchQuery(text="x" * 201), SearchQuery(facets=["nope"]), SearchQuery(sort="x")):
        with pytest.raises(SearchQueryError):
            await ready.search(query)
    assert fake.calls == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("x' OR state = 'draft", "state IN [\"x' OR state = 'draft\"]"),
        ('x" OR state = "draft', 'state IN ["x\\" OR state = \\"draft"]'),
        ("a\\", 'state IN ["a\\\\"]'),
    ],
)
async def test_filter_values_are_quoted_so_they_cannot_change_the_filter(
    ready: MeiliBackend, fake: FakeMeili, value: str, expected: str
) -> None:
    await ready.search(SearchQuery(filters={"state": [value]}))
    (call,) = fake.requests("POST", "/indexes/needs/search")
    assert call.body["filter"] == [expected]


def meili_read_quoted(source: str) -> tuple[str, str]:
    """Meilisearch's reading of a double-quoted value (crates/filter-parser/src/value.rs:
    quoted_by, then unescape of \\" and the unescaper crate's \\\\): returns (value, rest)."""
    assert source[0] == '"'
    i, escaped_quote = 1, False
    while source[i] != '"':
        if source[i] == "\\":
            escaped_quote |= source[i + 1] == '"'
            i += 1
        i += 1
    raw, rest = source[1:i], source[i + 1 :]
    if escaped_quote:
        raw = raw.replace('\\"', '"')
    return re.sub(r"\\(.)", r"\1", raw), rest


@settings(max_examples=200)
@given(st.text(alphabet=st.sampled_from(list("ab\\\"' []ORAND=,")), max_size=20))
def test_quoted_filter_values_read_back_as_the_same_single_value(value: str) -> None:
    read, rest = meili_read_quoted(quote_filter_value(value) + " AND x")
    assert read == value and rest == " AND x"


def test_filter_attribute_names_are_never_taken_from_users() -> None:
    with pytest.raises(ValueError):
        build_filter({"state = 'x' OR id": ["1"]})


# ---- reading answers ------------------------------------------------------------------------


async def test_hits_facets_and_total_are_read_and_highlights_are_escaped(
    ready: MeiliBackend, fake: FakeMeili
) -> None:
    doc = dict(BY_ID[64])
    title = doc["title"]  # 巴什村<script>alert(1)</script>饮水 & 道路
    start = len(title[: title.index("饮水")].encode())
    fake.search_responses.append(
        {
            "hits": [{**doc, "_matchesPosition": {"title": [{"start": start, "length": 6}]}}],
            "hitsPerPage": 20,
            "page": 1,
            "totalPages": 1,
            "totalHits": 1,
            "facetDistribution": {"contiguous_area": {"": 40, "西藏区": 3, "四省藏区": 7}},
        }
    )
    result = await ready.search(SearchQuery(text="饮水", facets=["contiguous_area"]))
    assert result.total == 1
    assert result.facets == {"contiguous_area": {"四省藏区": 7, "西藏区": 3}}
    (hit,) = result.hits
    assert hit["id"] == 64 and "_matchesPosition" not in hit
    assert hit["_highlight"]["title"] == (
        "巴什村&lt;script&gt;alert(1)&lt;/script&gt;<mark>饮水</mark> &amp; 道路"
    )


async def test_no_hit_for_every_word_searches_again_for_most_words_and_says_so(
    ready: MeiliBackend, fake: FakeMeili
) -> None:
    empty = {"hits": [], "hitsPerPage": 20, "page": 1, "totalPages": 0, "totalHits": 0}
    one = {**empty, "hits": [BY_ID[17]], "totalPages": 1, "totalHits": 1}
    fake.search_responses.extend([empty, one])
    result = await ready.search(SearchQuery(text="小学 体育馆"))
    first, second = fake.requests("POST", "/indexes/needs/search")
    assert first.body["matchingStrategy"] == "all"
    assert second.body["matchingStrategy"] == S.fallback_matching_strategy == "frequency"
    assert second.body["q"] == first.body["q"] == "小学 体育馆"
    assert result.partial and [h["id"] for h in result.hits] == [17]


async def test_a_compound_typed_as_one_string_does_not_fall_back(
    ready: MeiliBackend, fake: FakeMeili
) -> None:
    fake.search_responses.append(
        {"hits": [], "hitsPerPage": 20, "page": 1, "totalPages": 0, "totalHits": 0}
    )
    result = await ready.search(SearchQuery(text="道路硬化工程"))
    assert len(fake.requests("POST", "/indexes/needs/search")) == 1
    assert not result.partial and result.total == 0


def test_ranking_rules_end_with_the_business_tie_breaks_and_items_are_searchable() -> None:
    from fupin.search.rules.settings_data import meili_settings_body

    body = meili_settings_body(S)
    assert body["rankingRules"][-2:] == ["raising:desc", "deadline_ts:asc"]
    assert body["searchableAttributes"][0] == "title"
    assert body["searchableAttributes"].index("items") < body["searchableAttributes"].index(
        "description"
    )
    assert set(body["synonyms"]["学校"]) >= {"小学", "中心校"}
    assert "学校" not in body["synonyms"]["小学"]  # one way: 小学 食堂 is not a 中学 canteen


@pytest.mark.parametrize(
    ("status", "code", "kind", "expected", "field"),
    [
        (400, "invalid_search_filter", "invalid_request", SearchQueryError, "filters"),
        (400, "invalid_search_sort", "invalid_request", SearchQueryError, "sort"),
        (500, "internal", "internal", SearchUnavailable, None),
        (404, "index_not_found", "invalid_request", SearchUnavailable, None),
        (401, "invalid_api_key", "auth", SearchError, None),
    ],
)
async def test_engine_errors_become_our_errors_without_engine_text(
    ready: MeiliBackend,
    fake: FakeMeili,
    status: int,
    code: str,
    kind: str,
    expected: type[Exception],
    field: str | None,
) -> None:
    fake.fail_next[("POST", "/indexes/needs/search")] = error(
        status, code, "ENGINE SECRET DETAIL", kind
    )
    with pytest.raises(expected) as err:
        await ready.search(SearchQuery(text="饮水"))
    assert type(err.value) is expected
    assert "ENGINE" not in str(err.value) and "meili" not in str(err.value).lower()
    if field is not None:
        assert err.value.field == field  # type: ignore[attr-defined]


async def test_connection_refused_is_unavailable_and_health_is_false() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}"
    async with MeiliBackend(url, KEY) as backend:
        assert await backend.health() is False
        with pytest.raises(SearchUnavailable):
            await backend.search(SearchQuery(text="饮水"))
        with pytest.raises(SearchUnavailable):
            await backend.upsert([BY_ID[1]])
        with pytest.raises(SearchUnavailable):
            await backend.ensure_index()


async def test_health_reads_the_health_route(ready: MeiliBackend, fake: FakeMeili) -> None:
    assert await ready.health() is True
    assert paths(fake) == ["GET /health"]


# ---- rebuild --------------------------------------------------------------------------------


async def test_rebuild_fills_a_twin_index_then_swaps_and_drops_the_old_one(
    ready: MeiliBackend, fake: FakeMeili
) -> None:
    await ready.upsert(CORPUS[:2], wait=True)
    fake.calls.clear()
    token = await ready.start_rebuild()
    twin = f"needs_rebuild_{token}"
    assert fake.requests("POST", "/indexes")[0].body == {"uid": twin, "primaryKey": "id"}
    assert fake.requests("PATCH", f"/indexes/{twin}/settings")[0].body == meili_settings_body(S)
    await ready.rebuild_add(token, CORPUS[:30])
    await ready.rebuild_add(token, CORPUS[30:])
    assert len(fake.requests("POST", f"/indexes/{twin}/documents")) == 2
    assert fake.requests("POST", "/swap-indexes") == []
    await ready.finish_rebuild(token)
    (swap,) = fake.requests("POST", "/swap-indexes")
    assert swap.body == [{"indexes": ["needs", twin]}]
    assert fake.requests("DELETE", f"/indexes/{twin}")
    assert len(fake.indexes["needs"]["docs"]) == len(CORPUS) and twin not in fake.indexes


async def test_aborted_rebuild_drops_the_twin(ready: MeiliBackend, fake: FakeMeili) -> None:
    token = await ready.start_rebuild()
    await ready.abort_rebuild(token)
    assert set(fake.indexes) == {"needs"}


# ---- the contract check itself --------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [{"q": "饮水", "limit": "20"}, {"q": "饮水", "bogus": 1}, {"q": "饮水", "facets": "county"}],
    ids=["limit-as-string", "unknown-parameter", "facets-as-string"],
)
async def test_the_fake_rejects_requests_the_real_server_would_reject(
    server: FakeServer, fake: FakeMeili, body: dict
) -> None:
    fake.indexes["needs"] = {
        "uid": "needs",
        "primaryKey": "id",
        "createdAt": "",
        "updatedAt": "",
        "settings": {},
        "docs": {},
    }
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{server.url}/indexes/needs/search",
            json=body,
            headers={"Authorization": f"Bearer {KEY}"},
        )
    assert response.status_code == 400
    assert len(fake.violations) == 1 and "request POST /indexes/needs/search" in fake.violations[0]
    fake.violations.clear()  # expected here; every other test must end with none


async def test_the_fake_flags_responses_that_break_the_contract(
    ready: MeiliBackend, fake: FakeMeili
) -> None:
    from starlette.responses import JSONResponse

    fake.fail_next[("POST", "/indexes/needs/search")] = JSONResponse({"message": "no code"}, 400)
    with pytest.raises(SearchError):
        await ready.search(SearchQuery(text="饮水"))
    assert len(fake.violations) == 1 and fake.violations[0].startswith("response POST")
    fake.violations.clear()  # expected here
