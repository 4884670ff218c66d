"""The sharing tests receive webhooks on 127.0.0.1 (allowed outside production by
FUPIN_WEBHOOK_ALLOW_LOOPBACK) and wait at most one second for an answer."""

from __future__ import annotations

import pytest

from fupin.settings import Settings


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.replace(webhook_allow_loopback=True, webhook_timeout_seconds=1.0)
