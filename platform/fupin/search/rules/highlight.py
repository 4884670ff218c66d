"""Highlighting that is safe to render: the text is HTML-escaped, then ``<mark>`` is put around
the matched spans. Both backends compute *spans* (embedded: where the query words occur;
Meilisearch: its ``_matchesPosition`` byte offsets) and render them here, so a need whose title
contains ``<script>`` shows it as text on every backend (docs/domain.md §5: output escaped).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from markupsafe import Markup, escape

Span = tuple[int, int]  # [start, end) in characters


def find_spans(text: str, words: Iterable[str]) -> list[Span]:
    """Every occurrence of every word in ``text``, case-insensitively."""
    haystack = text.lower()
    if len(haystack) != len(text):  # a few characters change length when lowered
        haystack = text
    spans: list[Span] = []
    for word in words:
        if not word:
            continue
        start = haystack.find(word)
        while start != -1:
            spans.append((start, start + len(word)))
            start = haystack.find(word, start + len(word))
    return spans


def byte_spans_to_chars(text: str, positions: Sequence[dict[str, int]]) -> list[Span]:
    """Meilisearch's ``_matchesPosition`` entries ({start, length} in UTF-8 bytes) -> char spans."""
    raw = text.encode("utf-8")
    spans: list[Span] = []
    for pos in positions:
        start, length = pos.get("start"), pos.get("length")
        if not isinstance(start, int) or not isinstance(length, int) or start < 0 or length < 0:
            continue
        if start + length > len(raw):
            continue
        a = len(raw[:start].decode("utf-8", errors="ignore"))
        b = len(raw[: start + length].decode("utf-8", errors="ignore"))
        if b > a:
            spans.append((a, b))
    return spans


def merge_spans(spans: Iterable[Span]) -> list[Span]:
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def render(text: str, spans: Iterable[Span], crop: int | None = None, marker: str = "…") -> Markup:
    """Escape ``text`` and wrap the spans in <mark>. With ``crop``, keep about ``crop`` characters
    starting a little before the first match (or from the start), adding ``marker`` where text
    was cut."""
    merged = merge_spans(spans)
    lo, hi = 0, len(text)
    if crop is not None and len(text) > crop:
        first = merged[0][0] if merged else 0
        lo = max(0, min(first - crop // 5, len(text) - crop))
        hi = lo + crop
    mark = str(escape(marker))
    out: list[str] = [mark if lo > 0 else ""]
    pos = lo
    for start, end in merged:
        start, end = max(start, lo), min(end, hi)
        if start >= end:
            continue
        out.append(str(escape(text[pos:start])))
        out.append(f"<mark>{escape(text[start:end])}</mark>")
        pos = end
    out.append(str(escape(text[pos:hi])))
    if hi < len(text):
        out.append(mark)
    return Markup("".join(out))
