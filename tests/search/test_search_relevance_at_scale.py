"""The hard relevance set (relevance_set.py) on the embedded engine: 2,000 demo needs plus the
set's own, at least 120 graded queries; the suite holds the pass rate at 95 % or more and
reports nDCG@10 (``python -m tests.search.relevance_set`` prints the failures)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from fupin.search.adapters.embedded import EmbeddedBackend
from tests.search.relevance_set import (
    CASES,
    DEMO_NEEDS,
    KEY,
    NEEDS,
    corpus,
    run,
    summary,
)

PASS_RATE = 0.95
#: Measured 0.970 when the set was written; a drop below this is a ranking regression.
NDCG_FLOOR = 0.93


def test_the_set_is_large_graded_and_covers_every_kind_of_query() -> None:
    assert len(CASES) >= 120
    kinds = Counter(c.kind for c in CASES)
    assert {"place", "place+topic", "synonym", "topic", "category", "question"} <= set(kinds)
    assert kinds["question"] >= 10 and kinds["synonym"] >= 10
    for case in CASES:
        assert case.must or case.where is not None, case.query
        assert set(case.must) | set(case.should) | set(case.must_not) <= set(KEY), case.query
    docs = corpus()
    assert len(docs) == DEMO_NEEDS + len(NEEDS)
    assert len({d["id"] for d in docs}) == len(docs)
    assert sum(1 for d in docs if d["items"]) > DEMO_NEEDS // 3, "demo needs carry item lists"


async def test_pass_rate_and_ndcg_on_the_demo_corpus(tmp_path: Path) -> None:
    async with EmbeddedBackend(tmp_path / "index") as backend:
        await backend.ensure_index()
        await backend.upsert(list(corpus()), wait=True)
        outcomes = await run(backend)
    rate, ndcg = summary(outcomes)
    failed = [(o.case.query, o.why) for o in outcomes if not o.passed]
    print(f"relevance set: {len(outcomes)} queries, pass {rate:.1%}, nDCG@10 {ndcg:.3f}")
    assert rate >= PASS_RATE, failed
    assert ndcg >= NDCG_FLOOR, (ndcg, failed)
