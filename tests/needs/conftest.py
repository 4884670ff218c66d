"""The app's own need-search service, for the need-search tests (search_support.py has the
helpers that make needs through the use cases and drain the outbox)."""

from __future__ import annotations

from typing import Any

import pytest

from fupin.needs.service.search import SearchService
from tests.needs.search_support import service_of


@pytest.fixture
async def search(app: Any) -> SearchService:
    return service_of(app)
