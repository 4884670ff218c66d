"""The platform's one clock. The platform's day is China's (UTC+8, no daylight saving): a pledge
made at 01:00 on 1 January in Beijing belongs to the new year whatever the server's time zone,
so nothing asks the server for its local date. Instants are stored in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")


def now() -> datetime:
    """This instant, timezone-aware (UTC)."""
    return datetime.now(UTC)


def today_cn(at: datetime | None = None) -> date:
    """China's calendar date now, or at the instant ``at``."""
    return (at or now()).astimezone(CHINA_TZ).date()


def in_china(at: datetime) -> datetime:
    """An instant as China's wall-clock time (for display and for grouping by day or month)."""
    return at.astimezone(CHINA_TZ)
