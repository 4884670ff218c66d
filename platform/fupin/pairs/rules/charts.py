"""Server-side SVG charts: bar, stacked bar and line (pure; no JavaScript, no internet).

County and provincial officers open dashboards on phones over slow links (docs/domain.md §1), so a chart
is a small inline SVG drawn here: a 400-unit wide viewBox that scales to the screen, labels on
their own line above horizontal bars so long Chinese names never squeeze the bars, and every
label escaped. A chart never stands alone: the page shows the same numbers as a table beside
it (screen readers, exports, and anyone who wants the exact fen).

Pure: strings in, a string out. Amounts are integers; scaling uses integer arithmetic.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from fupin.core.display import short_money
from fupin.i18n import _, current_locale

WIDTH = 400
FONT = 15
#: Okabe–Ito palette: distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#E69F00", "#CC79A7", "#56B4E9", "#8C6D1F", "#444444")
BAR_COLOUR = "#b8312f"
MAX_LABEL_CHARS = 26
MAX_ROWS = 40

Formatter = Callable[[int], str]


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[int]


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _short(label: str, limit: int = MAX_LABEL_CHARS) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def compact_fen(fen: int) -> str:
    """Axis and bar labels: the headline rule of ``fupin.core.display`` (``622万元``,
    ``¥6.22 million``), so a chart reads like the figure cards above it (display only; tables
    carry exact amounts)."""
    return short_money(fen, current_locale.get())


def _label_width(text: str, size: int) -> int:
    """About how wide ``text`` is at font ``size`` (CJK a full em, other characters about
    0.6 em): enough to keep an axis label inside the drawing."""
    return sum(size if ord(ch) > 0x2E80 else size * 6 // 10 for ch in text)


def plain(n: int) -> str:
    return f"{n:,}"


def nice_max(value: int) -> int:
    """The smallest 1/2/5 × 10^k at or above ``value`` (axis end), at least 1."""
    if value <= 0:
        return 1
    step = 1
    while True:
        for m in (1, 2, 5):
            if m * step >= value:
                return m * step
        step *= 10


def _svg_open(chart_id: str, title: str, height: int, desc: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" role="img" '
        f'aria-labelledby="{_e(chart_id)}-t {_e(chart_id)}-d" '
        f"font-family=\"system-ui, -apple-system, 'PingFang SC', 'Noto Sans CJK SC', sans-serif\" "
        f'font-size="{FONT}">',
        f'<title id="{_e(chart_id)}-t">{_e(title)}</title>',
        f'<desc id="{_e(chart_id)}-d">{_e(desc)}</desc>',
    ]


def _empty(chart_id: str, title: str) -> str:
    parts = _svg_open(chart_id, title, 60, _("暂无数据"))
    parts.append(
        f'<text x="{WIDTH // 2}" y="34" text-anchor="middle" fill="#666">{_e(_("暂无数据"))}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def _legend(series_names: Sequence[str], y: int) -> tuple[list[str], int]:
    """Legend swatches wrapped over as many lines as needed; returns (parts, height used)."""
    parts: list[str] = []
    x, line = 0, 0
    for i, name in enumerate(series_names):
        label = _short(name, 16)
        w = 18 + FONT * len(label) + 12
        if x + w > WIDTH and x > 0:
            x, line = 0, line + 1
        yy = y + line * 20
        colour = PALETTE[i % len(PALETTE)]
        parts.append(f'<rect x="{x}" y="{yy}" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{x + 16}" y="{yy + 11}">{_e(label)}</text>')
        x += w
    return parts, (line + 1) * 20 if series_names else 0


def bar_chart(
    *,
    chart_id: str,
    title: str,
    labels: Sequence[str],
    values: Sequence[int],
    fmt: Formatter = plain,
    colours: Sequence[str] | None = None,
    references: Sequence[tuple[int, str]] = (),
) -> str:
    """Horizontal bars, one row per label (label above, bar below, value at the bar end).

    ``colours`` (one per bar) mark e.g. lagging indicators; ``references`` draw dashed vertical
    lines (e.g. 100 % of target, the share expected by now) and the axis always reaches them.
    """
    rows = list(zip(labels, values, strict=True))[:MAX_ROWS]
    if not rows or all(v <= 0 for _l, v in rows):
        return _empty(chart_id, title)
    top = nice_max(max([v for _l, v in rows] + [r for r, _t in references]))
    row_h = 40
    ref_h = 18 if references else 0
    height = ref_h + len(rows) * row_h + 8
    parts = _svg_open(chart_id, title, height, _("%(n)d 项，数值见下表。", n=len(rows)))
    # Room right of the longest bar for its value with the unit (¥8.43 billion is the longest).
    bar_area = WIDTH - max(90, max(_label_width(fmt(v), FONT) for _l, v in rows) + 8)
    for i, (label, value) in enumerate(rows):
        y = ref_h + i * row_h
        width = max(0, value) * bar_area // top
        colour = colours[i] if colours and i < len(colours) else BAR_COLOUR
        parts.append(
            f'<text x="0" y="{y + 15}"><title>{_e(label)}</title>{_e(_short(label))}</text>'
        )
        parts.append(
            f'<rect x="0" y="{y + 21}" width="{max(width, 1 if value > 0 else 0)}" height="14" '
            f'fill="{_e(colour)}" rx="2"/>'
        )
        parts.append(f'<text x="{width + 4}" y="{y + 33}" fill="#333">{_e(fmt(value))}</text>')
    for value, text in references:
        x = max(0, value) * bar_area // top
        parts.append(
            f'<line x1="{x}" y1="{ref_h - 2}" x2="{x}" y2="{height}" stroke="#555" '
            f'stroke-width="1.5" stroke-dasharray="4 3"/>'
        )
        anchor = "end" if x > WIDTH // 2 else "start"
        parts.append(
            f'<text x="{x + (-3 if anchor == "end" else 3)}" y="12" text-anchor="{anchor}" '
            f'fill="#555" font-size="12">{_e(text)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def stacked_bar_chart(
    *,
    chart_id: str,
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    fmt: Formatter = plain,
) -> str:
    """Horizontal stacked bars: one row per label, one coloured segment per series."""
    for s in series:
        if len(s.values) != len(labels):
            raise ValueError("every series needs one value per label")
    n = min(len(labels), MAX_ROWS)
    totals = [sum(max(0, s.values[i]) for s in series) for i in range(n)]
    if n == 0 or not series or max(totals) <= 0:
        return _empty(chart_id, title)
    top = nice_max(max(totals))
    legend, legend_h = _legend([s.name for s in series], 0)
    row_h = 40
    height = legend_h + 6 + n * row_h + 8
    parts = _svg_open(chart_id, title, height, _("%(n)d 项，数值见下表。", n=n))
    parts.extend(legend)
    bar_area = WIDTH - max(90, max(_label_width(fmt(t), FONT) for t in totals) + 8)
    for i in range(n):
        y = legend_h + 6 + i * row_h
        parts.append(
            f'<text x="0" y="{y + 15}"><title>{_e(labels[i])}</title>{_e(_short(labels[i]))}</text>'
        )
        x = 0
        for k, s in enumerate(series):
            value = max(0, s.values[i])
            w = value * bar_area // top
            if w > 0:
                colour = PALETTE[k % len(PALETTE)]
                parts.append(
                    f'<rect x="{x}" y="{y + 21}" width="{w}" height="14" fill="{colour}">'
                    f"<title>{_e(s.name)}: {_e(fmt(value))}</title></rect>"
                )
            x += w
        parts.append(f'<text x="{x + 4}" y="{y + 33}" fill="#333">{_e(fmt(totals[i]))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def line_chart(
    *,
    chart_id: str,
    title: str,
    x_labels: Sequence[str],
    series: Sequence[Series],
    fmt: Formatter = plain,
) -> str:
    """Lines over time (months or years), y axis from zero with four gridlines."""
    for s in series:
        if len(s.values) != len(x_labels):
            raise ValueError("every series needs one value per x label")
    n = len(x_labels)
    if n == 0 or not series or max(max(s.values, default=0) for s in series) <= 0:
        return _empty(chart_id, title)
    top = nice_max(max(max(s.values) for s in series))
    legend, legend_h = _legend([s.name for s in series], 0)
    # The axis labels carry their unit (622万元): the plot starts right of the widest one.
    widest = max(_label_width(fmt(top * k // 4), 13) for k in range(5))
    left, right, plot_top, plot_h = max(58, widest + 8), 10, legend_h + 10, 170
    plot_w = WIDTH - left - right
    height = plot_top + plot_h + 28
    parts = _svg_open(chart_id, title, height, _("%(n)d 个时间点，数值见下表。", n=n))
    parts.extend(legend)
    for k in range(5):
        y = plot_top + plot_h - plot_h * k // 4
        tick = top * k // 4
        parts.append(f'<line x1="{left}" y1="{y}" x2="{WIDTH - right}" y2="{y}" stroke="#ddd"/>')
        parts.append(
            f'<text x="{left - 4}" y="{y + 4}" text-anchor="end" fill="#555" font-size="13">{_e(fmt(tick))}</text>'
        )

    def xpos(i: int) -> int:
        return left + (plot_w * i // (n - 1) if n > 1 else plot_w // 2)

    every = max(1, -(-n // 8))  # at most ~8 x labels so they stay readable on a phone
    for i, label in enumerate(x_labels):
        if i % every == 0 or i == n - 1:
            parts.append(
                f'<text x="{xpos(i)}" y="{plot_top + plot_h + 18}" text-anchor="middle" fill="#555" font-size="13">{_e(label)}</text>'
            )
    for k, s in enumerate(series):
        colour = PALETTE[k % len(PALETTE)]
        points = []
        for i, value in enumerate(s.values):
            y = plot_top + plot_h - max(0, value) * plot_h // top
            points.append((xpos(i), y, value, x_labels[i]))
        path = " ".join(f"{x},{y}" for x, y, _v, _l in points)
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2.5" points="{path}"/>'
        )
        for x, y, value, label in points:
            parts.append(
                f'<circle cx="{x}" cy="{y}" r="3" fill="{colour}"><title>{_e(s.name)} {_e(label)}: {_e(fmt(value))}</title></circle>'
            )
    parts.append("</svg>")
    return "".join(parts)
