"""Dashboard tables: what the pages, their charts, the exports, the command line and the API
all show, and the tables every dashboard builds the same way (need states, money over time).

A ``Table`` has typed columns and rows of plain values keyed by the columns' keys; money is
integer fen (``yuan`` columns), percentages hundredths of a percent (``pct`` columns, None shown
as —). Keys beginning with ``_`` (``_href``, ``_status`` …) are for the pages only.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from fupin.core.categories import CATEGORIES
from fupin.i18n import _
from fupin.needs.rules import PUBLIC_STATES, STATE_LABELS
from fupin.pairs.schemas import DashboardTable, public_row


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "text"  # text | int | yuan (fen) | pct (hundredths of a percent, None = —)


@dataclass
class Table:
    name: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The table as the API writes it (``fupin.pairs.schemas.DashboardTable``)."""
        return DashboardTable.model_validate(self).model_dump()


def pct_text(value: int | None) -> str:
    """Hundredths of a percent → "12.34%"; None → "—"."""
    if value is None:
        return "—"
    whole, frac = divmod(int(value), 100)
    return f"{whole}.{frac:02d}%"


def export_columns(table: Table) -> tuple[list[tuple[str, str, str]], list[dict[str, Any]]]:
    """Columns and rows in the shape of ``fupin.core.exports`` (percentages as text)."""
    columns = [(c.key, c.label, "text" if c.kind == "pct" else c.kind) for c in table.columns]
    pct_keys = [c.key for c in table.columns if c.kind == "pct"]
    rows = []
    for row in table.rows:
        out = public_row(row)
        for key in pct_keys:
            out[key] = pct_text(row.get(key))
        rows.append(out)
    return columns, rows


def state_table(states: dict[str, dict[str, int]]) -> Table:
    columns = [Column("category", _("类别"))]
    columns += [Column(s, _(STATE_LABELS[s]), "int") for s in PUBLIC_STATES]
    columns.append(Column("total", _("合计"), "int"))
    rows = []
    for code in CATEGORIES:
        if code not in states:
            continue
        row: dict[str, Any] = {"category": _(CATEGORIES[code]), "_code": code}
        for s in PUBLIC_STATES:
            row[s] = states[code].get(s, 0)
        row["total"] = sum(states[code].values())
        rows.append(row)
    return Table("states", _("项目：按类别和状态"), columns, rows)


def month_series(rows: list[dict[str, Any]], year: int | None) -> Table:
    """Rows of (m = YYYYMM, p = pledged, r = received) as the money-over-time table: months of
    the year, or years when ``year`` is None."""
    pledged: dict[str, int] = defaultdict(int)
    received: dict[str, int] = defaultdict(int)
    for row in rows:
        y, m = divmod(int(row["m"] or 0), 100)
        key = f"{y}" if year is None else f"{y}-{m:02d}"
        pledged[key] += int(row["p"] or 0)
        received[key] += int(row["r"] or 0)
    return series_table(dict(pledged), dict(received), year)


def series_table(p: dict[str, int], r: dict[str, int], year: int | None) -> Table:
    if year is not None:
        keys = [f"{year}-{m:02d}" for m in range(1, 13)]
    else:
        found = sorted(set(p) | set(r))
        keys = [str(y) for y in range(int(found[0]), int(found[-1]) + 1)] if found else []
    rows = []
    cumulative = 0
    for key in keys:
        cumulative += r.get(key, 0)
        rows.append(
            {
                "period": key,
                "pledged_fen": p.get(key, 0),
                "received_fen": r.get(key, 0),
                "cumulative_fen": cumulative,
            }
        )
    columns = [
        Column("period", _("月份") if year is not None else _("年份")),
        Column("pledged_fen", _("认捐"), "yuan"),
        Column("received_fen", _("到账"), "yuan"),
        Column("cumulative_fen", _("累计到账"), "yuan"),
    ]
    return Table("monthly", _("资金走势") if year is None else _("逐月资金"), columns, rows)
