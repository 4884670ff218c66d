"""Server-side SVG charts: well-formed, escaped, scaled from zero, readable without a network."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fupin.pairs.rules import charts

SVG = "{http://www.w3.org/2000/svg}"
EVIL = '<script>alert("x")</script> & "quoted" \'single\''


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def test_bar_chart_escapes_labels_and_draws_one_bar_per_row() -> None:
    svg = charts.bar_chart(chart_id="c1", title=EVIL, labels=[EVIL, "乙"], values=[300, 100])
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    root = _parse(svg)
    assert root.get("role") == "img" and root.get("aria-labelledby") == "c1-t c1-d"
    bars = list(root.iter(f"{SVG}rect"))
    assert len(bars) == 2
    widths = [int(r.get("width")) for r in bars]
    assert widths[0] == 3 * widths[1]  # proportional, from zero
    assert root.find(f"{SVG}title").text == EVIL


def test_stacked_bar_segments_add_up_to_the_row_total() -> None:
    svg = charts.stacked_bar_chart(
        chart_id="c2",
        title="t",
        labels=["甲", "乙"],
        series=[charts.Series("a", [50, 0]), charts.Series(EVIL, [50, 25])],
        fmt=charts.compact_fen,
    )
    root = _parse(svg)
    rects = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert len(rects) == 3  # zero-width segments are not drawn
    assert "&lt;script&gt;" in svg and "<script>" not in svg


def test_line_chart_has_one_line_per_series_and_a_point_per_period() -> None:
    svg = charts.line_chart(
        chart_id="c3",
        title="月度",
        x_labels=[f"{m:02d}" for m in range(1, 13)],
        series=[charts.Series("认捐", list(range(12))), charts.Series("到账", [5] * 12)],
        fmt=charts.compact_fen,
    )
    root = _parse(svg)
    assert len(list(root.iter(f"{SVG}polyline"))) == 2
    assert len(list(root.iter(f"{SVG}circle"))) == 24


def test_charts_without_data_say_so() -> None:
    for svg in (
        charts.bar_chart(chart_id="e1", title="t", labels=[], values=[]),
        charts.line_chart(
            chart_id="e2", title="t", x_labels=["1"], series=[charts.Series("a", [0])]
        ),
        charts.stacked_bar_chart(chart_id="e3", title="t", labels=["a"], series=[]),
    ):
        assert "暂无数据" in svg
        _parse(svg)


def test_charts_reference_nothing_outside_the_page() -> None:
    svg = charts.line_chart(
        chart_id="c4", title="t", x_labels=["a", "b"], series=[charts.Series("s", [1, 2])]
    )
    assert "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "<script" not in svg and "href" not in svg


def test_mismatched_series_are_a_programming_error() -> None:
    with pytest.raises(ValueError):
        charts.line_chart(
            chart_id="x", title="t", x_labels=["a"], series=[charts.Series("s", [1, 2])]
        )


@pytest.mark.parametrize(
    ("fen", "text"),
    [
        (0, "¥0"),
        (99_99, "¥99.99"),
        (1_000_000, "1万元"),
        (12_345_678_900, "1.23亿元"),
        (-5_000_000, "-5万元"),
        (621_750_000, "622万元"),
    ],
)
def test_compact_amounts_for_axis_labels(fen, text) -> None:
    assert charts.compact_fen(fen) == text


@settings(max_examples=80, deadline=None)
@given(st.integers(min_value=0, max_value=10**15))
def test_nice_axis_end_covers_the_value_within_a_factor_of_two_and_a_half(value) -> None:
    top = charts.nice_max(value)
    assert top >= max(value, 1)
    assert value == 0 or top <= value * 5 // 2 + 1


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(max_size=30), min_size=1, max_size=8), st.data())
def test_any_label_text_gives_well_formed_svg(labels, data) -> None:
    values = data.draw(
        st.lists(
            st.integers(min_value=0, max_value=10**9), min_size=len(labels), max_size=len(labels)
        )
    )
    labels = ["".join(ch for ch in label if ch.isprintable()) for label in labels]
    svg = charts.bar_chart(chart_id="p", title="t", labels=labels, values=values)
    _parse(svg)


@pytest.mark.parametrize("largest", [9_000, 9_000_000, 99_000_000_000, 900_000_000_000_000])
def test_axis_labels_with_their_unit_stay_inside_the_drawing(largest) -> None:
    svg = charts.line_chart(
        chart_id="c",
        title="t",
        x_labels=["01", "02"],
        series=[charts.Series("认捐", [0, largest])],
        fmt=charts.compact_fen,
    )
    ticks = [t for t in _parse(svg).iter(f"{SVG}text") if t.get("text-anchor") == "end"]
    assert len(ticks) == 5
    for tick in ticks:
        assert tick.text and (tick.text.endswith("元") or tick.text.startswith("¥"))
        assert int(tick.get("x", "0")) >= charts._label_width(tick.text, 13), tick.text


def test_bar_values_with_their_unit_stay_inside_the_drawing() -> None:
    def english(fen: int) -> str:
        return f"¥{fen / 100_000_000_000:.2f} billion"

    svg = charts.bar_chart(
        chart_id="c", title="t", labels=["甲", "乙"], values=[843_000_000_000, 100], fmt=english
    )
    texts = [t for t in _parse(svg).iter(f"{SVG}text") if t.get("fill") == "#333"]
    assert texts
    for text in texts:
        width = charts._label_width(text.text or "", charts.FONT)
        assert int(text.get("x", "0")) + width <= charts.WIDTH, text.text
