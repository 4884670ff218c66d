"""Every matching test starts without a cached open-needs snapshot (it is per process)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fupin.matching.service import snapshot


@pytest.fixture(autouse=True)
def no_snapshot() -> Iterator[None]:
    snapshot.forget_snapshot()
    yield
    snapshot.forget_snapshot()
