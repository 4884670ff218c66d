"""Every matching test starts without a cached open-needs snapshot (it is per process)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fupin.matching.service import recommendations


@pytest.fixture(autouse=True)
def no_snapshot() -> Iterator[None]:
    recommendations.forget_snapshot()
    yield
    recommendations.forget_snapshot()
