"""Supervision alerts (docs/domain.md §3.10): five lists an office or supervisor works
through, each with a documented threshold (``rules.alerts.ALERTS``), a CSV and a count.

Every list is read in the actor's area (policy ``supervision.view``): the whole country, its
province, or its county; an office may narrow it to a place inside. Amounts are integer fen.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fupin.accounts.models import Pair, Participant
from fupin.core import exports
from fupin.core.cache import GenerationCache
from fupin.core.clock import now, today_cn
from fupin.core.policy import Actor, Scope, can, require
from fupin.core.sql import dialect
from fupin.core.sql import rows as sql_rows
from fupin.db import read_snapshot
from fupin.disclosure.rules.alerts import (
    ALERTS,
    CONCENTRATION_MIN_VILLAGES,
    MAX_DAYS,
    MAX_PCT_X100,
    Alert,
    top_share_pct_x100,
)
from fupin.errors import InvalidInput, NotAuthenticated, NotFound
from fupin.i18n import _
from fupin.regions.models import Region

#: Rows listed at most per alert (the count is of them all).
LIST_LIMIT = 500


@dataclass
class AlertList:
    alert: Alert
    threshold: int
    columns: list[tuple[str, str, str]]
    rows: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0

    @property
    def code(self) -> str:
        return self.alert.code

    def csv(self) -> bytes:
        return exports.csv_bytes(self.columns, self.rows)


@dataclass(frozen=True)
class Area:
    """Where the lists are read: everywhere, a province or a county."""

    level: str  # national | province | county
    code: str = ""
    name: str = ""

    def condition(self, alias: str = "n") -> tuple[str, list[Any]]:
        if self.level == "province":
            return f"{alias}.province_code = ?", [self.code]
        if self.level == "county":
            return f"{alias}.county_code = ?", [self.code]
        return "1=1", []


async def area_for(actor: Actor | None, code: str | None = None) -> Area:
    """The actor's area, or the place ``code`` inside it (a province or county)."""
    if actor is None:
        raise NotAuthenticated(_("请先登录。"))
    require(actor, "supervision.view")
    if code:
        region = await Region.get_or_none(code=code)
        if region is None or region.level not in ("province", "county"):
            raise NotFound(_("地区不存在或不是省、县。"), field="region")
        county = region.code if region.level == "county" else ""
        require(
            actor,
            "supervision.view",
            Scope(region_code=region.code, county_code=county, province_code=region.province_code),
        )
        return Area(region.level, region.code, region.name)
    if actor.role in ("national_admin", "auditor"):
        return Area("national", "", _("全国"))
    if actor.county_code and actor.role in ("county_officer", "supervisor"):
        region = await Region.get_or_none(code=actor.county_code)
        return Area("county", actor.county_code, region.name if region else actor.county_code)
    region = await Region.get_or_none(code=actor.province_code)
    return Area("province", actor.province_code, region.name if region else actor.province_code)


def threshold_of(code: str, value: int | None) -> int:
    alert = ALERTS[code]
    if value is None:
        return alert.threshold
    bound = MAX_PCT_X100 if alert.unit == "pct_x100" else MAX_DAYS
    if not 0 <= value <= bound:
        raise InvalidInput(_("阈值超出范围（0–%(n)d）。", n=bound), field="threshold")
    return value


def _stamp(value: Any) -> datetime | None:
    """A timestamp as the database hands it back (text on SQLite) → an aware datetime."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.fromisoformat(str(value).replace("T", " "))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _date_param(value: date) -> Any:
    return value if dialect() == "postgres" else value.isoformat()


# ---- the five lists ------------------------------------------------------------------------------


def _stalled_condition(area: Area, cutoff: datetime) -> tuple[str, list[Any]]:
    """The stalled needs of the area as SQL over ``need n``, for the list and its count alike:
    funded (or started) needs that are not among those with a lifecycle event or a file since
    the cutoff. Each of those two tables is read once, by its (time, need) index, not probed
    once per need — a need's last step is stalled exactly when neither its last event nor its
    last file is as recent as the cutoff."""
    where, params = area.condition()
    return (
        f"n.state IN ('funded', 'in_progress') AND {where} "
        "AND n.id NOT IN (SELECT e.need_id FROM need_event e WHERE e.at >= ?) "
        "AND n.id NOT IN (SELECT a.need_id FROM attachment a WHERE a.created_at >= ?)",
        [*params, cutoff, cutoff],
    )


async def stalled_needs(area: Area, days: int) -> AlertList:
    """Funded (or started) needs whose last step — a lifecycle event or a file — is older than
    ``days``. The dates are tested in SQL (``_stalled_condition``) and the list stops at
    ``LIST_LIMIT`` in SQL: only the listed needs are read, and only they are probed for their
    last step (by the (need, time) indexes), not every funded need of the country."""
    cutoff = now() - timedelta(days=days)
    condition, params = _stalled_condition(area, cutoff)
    found = await sql_rows(
        "SELECT n.id AS id, n.title AS title, n.state AS state, "
        "r.name AS place, n.received_fen AS received, "
        "(SELECT MAX(e.at) FROM need_event e WHERE e.need_id = n.id) AS last_event, "
        "(SELECT MAX(a.created_at) FROM attachment a WHERE a.need_id = n.id) AS last_file "
        f"FROM need n JOIN region r ON r.code = n.region_id WHERE {condition} "
        f"ORDER BY n.id LIMIT {LIST_LIMIT}",
        params,
    )
    total = len(found) if len(found) < LIST_LIMIT else await _stalled_count(area, cutoff)
    rows = []
    for r in found:
        stamps = [s for s in (_stamp(r["last_event"]), _stamp(r["last_file"])) if s is not None]
        last = max(stamps) if stamps else None
        rows.append(
            {
                "need_id": int(r["id"]),
                "title": r["title"],
                "place": r["place"],
                "state": r["state"],
                "received_fen": int(r["received"] or 0),
                "last_progress": last,
                "idle_days": (now() - last).days if last else None,
            }
        )
    columns = [
        ("need_id", _("需求编号"), "int"),
        ("title", _("项目"), "text"),
        ("place", _("地点"), "text"),
        ("state", _("状态"), "text"),
        ("received_fen", _("到账"), "yuan"),
        ("last_progress", _("最后进展"), "datetime"),
        ("idle_days", _("无进展天数"), "int"),
    ]
    return AlertList(ALERTS["stalled_needs"], days, columns, rows, total)


def _in_area(area: Area) -> tuple[str, str, list[Any]]:
    """The join to the need and the area's condition on it (the callers test the state).

    The whole country joins nothing and tests the state plainly: the alert index, whose first
    column it is, answers. A province or county starts from its needs (the need.province_code /
    county_code indexes) and reaches their rows by need; there the state is tested as
    ``state || ''``, an expression no index serves, so neither planner walks the whole alert
    index for one county (measured on SQLite at 300k donations: 1.4 s instead of 34 ms)."""
    if area.level == "national":
        return "", "", []
    where, params = area.condition()
    return "JOIN need n ON n.id = d.need_id ", f"AND {where} ", params


def explain_donations_without_receipt(area: Area, days: int) -> list[tuple[str, str, list[Any]]]:
    """The statements ``donations_without_receipt`` runs — (label, SQL, parameters) — for
    reading their plans (bench/alerts.py). Index-friendly: the donation index
    ``(state, received_on, kind, reverses_id, amount_fen, need_id)`` answers every test but the
    two probes (receipt.live_for_id and donation.reverses_id, both unique); nothing is joined
    for a row the list does not show (the need's title and the recipient's name are read for
    the listed rows only), and the list walks the index in its order, stopping at
    ``LIST_LIMIT``."""
    join, where, params = _in_area(area)
    state = "d.state = " if area.level == "national" else "d.state || '' = "
    cutoff = _date_param(today_cn() - timedelta(days=days))
    condition = (
        f"WHERE {state}'confirmed' AND d.received_on < ? AND d.reverses_id IS NULL "
        "AND d.amount_fen > 0 AND (d.kind = 'cash' OR d.fair_value_evidence <> '') "
        "AND NOT EXISTS (SELECT 1 FROM receipt c WHERE c.live_for_id = d.id) "
        "AND NOT EXISTS (SELECT 1 FROM donation x WHERE x.reverses_id = d.id) "
        f"{where}"
    )
    return [
        (
            "rows",
            "SELECT d.id AS id, d.need_id AS need_id, d.amount_fen AS amount, "
            "d.received_on AS received_on, "
            "(SELECT t.title FROM need t WHERE t.id = d.need_id) AS title, "
            "(SELECT o.name FROM recipient_org o WHERE o.id = d.recipient_id) AS recipient "
            f"FROM donation d {join}{condition}ORDER BY d.received_on, d.id LIMIT {LIST_LIMIT}",
            [cutoff, *params],
        ),
        ("count", f"SELECT COUNT(*) AS k FROM donation d {join}{condition}", [cutoff, *params]),
    ]


async def donations_without_receipt(area: Area, days: int) -> AlertList:
    """Confirmed donations (not reversals, not reversed, receiptable) without a live receipt
    ``days`` after they were received."""
    (_rows, listed, values), (_count, counting, same) = explain_donations_without_receipt(
        area, days
    )
    found = await sql_rows(listed, values)
    counted = await sql_rows(counting, same)
    today = today_cn()
    rows = [
        {
            "donation_id": int(r["id"]),
            "need_id": int(r["need_id"]),
            "title": r["title"],
            "recipient": r["recipient"],
            "amount_fen": int(r["amount"] or 0),
            "received_on": _day(r["received_on"]),
            "waiting_days": (today - (_day(r["received_on"]) or today)).days,
        }
        for r in found
    ]
    columns = [
        ("donation_id", _("捐赠编号"), "int"),
        ("need_id", _("需求编号"), "int"),
        ("title", _("项目"), "text"),
        ("recipient", _("受赠方"), "text"),
        ("amount_fen", _("金额"), "yuan"),
        ("received_on", _("到账日期"), "date"),
        ("waiting_days", _("已等待天数"), "int"),
    ]
    return AlertList(
        ALERTS["donations_without_receipt"], days, columns, rows, int(counted[0]["k"] or 0)
    )


async def receipts_without_official_numbers(area: Area, days: int) -> AlertList:
    """Live platform receipts whose donation still has no official 票据 number ``days`` after
    the receipt was issued."""
    join, where, params = _in_area(area)
    state = "c.state = " if area.level == "national" else "c.state || '' = "
    cutoff = _date_param(today_cn() - timedelta(days=days))
    # The receipt index (state, issued_on, donation_id) finds the country's old live receipts,
    # each probing its donation by key; an area reaches them by its needs' donations.
    condition = (
        f"WHERE {state}'issued' AND c.issued_on < ? AND d.official_receipt_number = '' {where}"
    )
    tables = f"receipt c JOIN donation d ON d.id = c.donation_id {join}"
    found = await sql_rows(
        "SELECT c.id AS id, c.number AS number, c.issued_on AS issued_on, c.amount_fen AS amount, "
        "c.payer_name AS payer, d.id AS donation_id, "
        "(SELECT t.title FROM need t WHERE t.id = d.need_id) AS title "
        f"FROM {tables}{condition}ORDER BY c.issued_on, c.id LIMIT {LIST_LIMIT}",
        [cutoff, *params],
    )
    counted = await sql_rows(f"SELECT COUNT(*) AS k FROM {tables}{condition}", [cutoff, *params])
    today = today_cn()
    rows = [
        {
            "receipt_id": int(r["id"]),
            "number": r["number"],
            "donation_id": int(r["donation_id"]),
            "title": r["title"],
            "amount_fen": int(r["amount"] or 0),
            "issued_on": _day(r["issued_on"]),
            "waiting_days": (today - (_day(r["issued_on"]) or today)).days,
        }
        for r in found
    ]
    columns = [
        ("receipt_id", _("收据编号"), "int"),
        ("number", _("收据号"), "text"),
        ("donation_id", _("捐赠编号"), "int"),
        ("title", _("项目"), "text"),
        ("amount_fen", _("金额"), "yuan"),
        ("issued_on", _("开具日期"), "date"),
        ("waiting_days", _("已等待天数"), "int"),
    ]
    return AlertList(
        ALERTS["receipts_without_official_numbers"],
        days,
        columns,
        rows,
        int(counted[0]["k"] or 0),
    )


async def concentration(area: Area, threshold_pct_x100: int, year: int | None = None) -> AlertList:
    """Counties where the top 10 % of asking villages got more than the threshold's share of the
    year's money (the dashboards' definition; counties with few asking villages left out)."""
    year = year or today_cn().year
    where, params = area.condition()
    money = await sql_rows(
        "SELECT n.county_code AS county, n.region_id AS village, "
        "CAST(SUM(n.received_fen) AS BIGINT) AS amount FROM rollup_village_money n "
        f"WHERE n.year = ? AND {where} GROUP BY n.county_code, n.region_id",
        [year, *params],
    )
    # A village's code is its 12 digits (regions.rules.is_village_code): the need table's
    # (county_code, region_id, state, published_at) index answers alone, with no probe of the
    # 620,573-row region table per need (100k needs on SQLite: 522 ms with the join), and in
    # its order: each county's villages come one after another, so they are counted without
    # sorting every public need in a temporary B-tree, as a DISTINCT over the needs found by
    # state did (70–100 ms → 20–30 ms). The state is tested as ``state || ''``, which no index
    # serves, so that the planner walks the county order instead of the state's.
    asking = await sql_rows(
        "SELECT n.county_code AS county, COUNT(DISTINCT n.region_id) AS k FROM need n "
        "WHERE length(n.region_id) = 12 AND n.published_at IS NOT NULL "
        "AND n.state || '' IN ('published', 'funded', 'in_progress', 'completed', 'closed', "
        f"'expired') AND {where} GROUP BY n.county_code",
        params,
    )
    by_county: dict[str, list[int]] = defaultdict(list)
    for r in money:
        if int(r["amount"] or 0) > 0:
            by_county[str(r["county"])].append(int(r["amount"]))
    asking_by = {str(r["county"]): int(r["k"] or 0) for r in asking}
    names = dict(await Region.filter(code__in=list(by_county)).values_list("code", "name"))
    rows = []
    for county, amounts in by_county.items():
        villages = max(asking_by.get(county, 0), len(amounts))
        if villages < CONCENTRATION_MIN_VILLAGES:
            continue
        padded = amounts + [0] * (villages - len(amounts))
        share, top = top_share_pct_x100(padded)
        if share > threshold_pct_x100:
            rows.append(
                {
                    "county_code": county,
                    "county": names.get(county, county),
                    "villages": villages,
                    "top_villages": top,
                    "received_fen": sum(amounts),
                    "top_share": f"{share // 100}.{share % 100:02d}%",
                    "_share": share,
                }
            )
    rows.sort(key=lambda r: -r["_share"])
    columns = [
        ("county_code", _("县代码"), "text"),
        ("county", _("县"), "text"),
        ("villages", _("提出需求的村"), "int"),
        ("top_villages", _("前 10% 的村数"), "int"),
        ("received_fen", _("当年到账"), "yuan"),
        ("top_share", _("前 10% 的村所占份额"), "text"),
    ]
    return AlertList(ALERTS["concentration"], threshold_pct_x100, columns, rows, len(rows))


async def overdue_pledges(area: Area, days: int) -> AlertList:
    """Pledges ``days`` past their due date and not fully paid (open or lapsed), by pair."""
    where, params = area.condition()
    cutoff = today_cn() - timedelta(days=days)
    found = await sql_rows(
        "SELECT p.pair_id AS pair_id, COUNT(*) AS k, CAST(SUM(p.amount_fen) AS BIGINT) AS due, "
        "CAST(SUM(p.paid_fen) AS BIGINT) AS paid, MIN(p.due_date) AS oldest FROM pledge p "
        "JOIN need n ON n.id = p.need_id "
        "WHERE p.state IN ('pledged', 'partially_paid', 'lapsed') AND p.paid_fen < p.amount_fen "
        f"AND p.due_date < ? AND {where} GROUP BY p.pair_id",
        [_date_param(cutoff), *params],
    )
    pair_ids = [int(r["pair_id"]) for r in found if r["pair_id"] is not None]
    pairs = {p.id: p for p in await Pair.filter(id__in=pair_ids)}
    helpers = dict(
        await Participant.filter(id__in=[p.helper_id for p in pairs.values()]).values_list(
            "id", "name"
        )
    )
    helped = dict(
        await Region.filter(code__in=[p.helped_region_id for p in pairs.values()]).values_list(
            "code", "name"
        )
    )
    rows: list[dict[str, Any]] = []
    for r in found:
        pair = pairs.get(int(r["pair_id"])) if r["pair_id"] is not None else None
        label = (
            f"{helpers.get(pair.helper_id, '')} → {helped.get(pair.helped_region_id, '')}"
            if pair
            else _("未归属结对")
        )
        due, paid = int(r["due"] or 0), int(r["paid"] or 0)
        rows.append(
            {
                "pair_id": pair.id if pair else None,
                "pair": label,
                "pledges": int(r["k"] or 0),
                "due_fen": due,
                "paid_fen": paid,
                "unpaid_fen": due - paid,
                "oldest_due": _day(r["oldest"]),
            }
        )
    rows.sort(key=lambda r: -r["unpaid_fen"])
    columns = [
        ("pair_id", _("结对编号"), "int"),
        ("pair", _("结对"), "text"),
        ("pledges", _("逾期认捐笔数"), "int"),
        ("due_fen", _("认捐金额"), "yuan"),
        ("paid_fen", _("已到账"), "yuan"),
        ("unpaid_fen", _("未兑现"), "yuan"),
        ("oldest_due", _("最早到期日"), "date"),
    ]
    return AlertList(ALERTS["overdue_pledges"], days, columns, rows, len(rows))


async def alert_list(
    area: Area, code: str, threshold: int | None = None, year: int | None = None
) -> AlertList:
    if code not in ALERTS:
        raise NotFound(_("没有这个预警。"), field="alert")
    value = threshold_of(code, threshold)
    if code == "stalled_needs":
        return await stalled_needs(area, value)
    if code == "donations_without_receipt":
        return await donations_without_receipt(area, value)
    if code == "receipts_without_official_numbers":
        return await receipts_without_official_numbers(area, value)
    if code == "concentration":
        return await concentration(area, value, year)
    return await overdue_pledges(area, value)


async def all_alerts(area: Area) -> list[AlertList]:
    """Every list at its default threshold (the dashboards' counts)."""
    return [await alert_list(area, code) for code in ALERTS]


async def counts(actor: Actor | None, code: str | None = None) -> dict[str, int]:
    area = await area_for(actor, code)
    return {found.code: found.total for found in await all_alerts(area)}


# ---- counts for the dashboards ----------------------------------------------------------------


@dataclass(frozen=True)
class AlertCount:
    """One alert's count at its default threshold, as a dashboard shows it (linked to the list)."""

    alert: Alert
    total: int

    @property
    def code(self) -> str:
        return self.alert.code


async def stalled_needs_count(area: Area, days: int) -> int:
    """How many needs ``stalled_needs`` lists, counted in SQL on the list's own condition
    (``_stalled_condition``), without reading their rows."""
    return await _stalled_count(area, now() - timedelta(days=days))


async def _stalled_count(area: Area, cutoff: datetime) -> int:
    condition, params = _stalled_condition(area, cutoff)
    found = await sql_rows(f"SELECT COUNT(*) AS k FROM need n WHERE {condition}", params)
    return int(found[0]["k"] or 0)


async def alert_counts(area: Area, year: int | None = None) -> list[AlertCount]:
    """Every alert's count at its default threshold, as ``all_alerts`` totals them, without
    reading the rows of the long lists: the stalled needs are counted in SQL; the other lists
    already count in SQL, or are aggregates (by county, by pair) small enough to read."""
    out = []
    for code, alert in ALERTS.items():
        if code == "stalled_needs":
            total = await stalled_needs_count(area, alert.threshold)
        else:
            total = (await alert_list(area, code, year=year)).total
        out.append(AlertCount(alert, total))
    return out


#: The dashboards' counts computed by this process, for the data generation they were read at
#: (``fupin.core.cache``); keyed by area and day, so a threshold in days moves with the calendar
#: (and at most ``ttl_seconds`` behind the clock within a day).
COUNTS: GenerationCache[list[AlertCount]] = GenerationCache(max_entries=256)


async def dashboard_counts(area: Area) -> list[AlertCount]:
    """The counts a dashboard shows, read in one snapshot (on SQLite a read-only connection of
    its own: the site goes on meanwhile) and kept until the next write anywhere."""
    async with read_snapshot():
        return await COUNTS.get_or_compute((area, today_cn()), lambda: alert_counts(area))


async def dashboard_counts_for(actor: Actor | None, code: str | None) -> list[AlertCount] | None:
    """The counts a region dashboard (page or API) shows its caller: those of the caller's
    area, or of the dashboard's province or county ``code``; None for a caller who may not see
    supervision — the dashboard is shown without them, not refused."""
    if actor is None or not can(actor, "supervision.view"):
        return None
    return await dashboard_counts(await area_for(actor, code))
