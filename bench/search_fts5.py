"""SQLite FTS5 over the same bigrams, for comparison only (search/README.md explains the choice).

Same analysis as the embedded backend (fupin.search.rules.text): bigram tokens joined by spaces under
FTS5's ``unicode61`` tokenizer, a query word = an FTS5 phrase (a substring), synonyms ORed,
words ANDed, one-character words on a unigram column. docs/stack.md §3.2 measured the straightforward
SQL (ORDER BY bm25 LIMIT + COUNT + GROUP BY per facet: p95 104 ms at 100k with ONE facet).
This is the faster shape: ONE pass over the matches (FTS first, CROSS JOIN docs, TECH §3.3)
returning rank and facet columns, then top-k, total and the six facet counts in Python.
"""

from __future__ import annotations

import heapq
import json
import sqlite3
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from fupin.search.adapters import SearchQuery
from fupin.search.rules import highlight
from fupin.search.rules.base import validate_query
from fupin.search.rules.documents import region_aliases
from fupin.search.rules.settings_data import EMBEDDED_FIELDS, default_settings
from fupin.search.rules.text import QueryParser, bigrams, index_tokens, is_han, unigram_tokens

FACETS = ("province", "county", "category", "state", "contiguous_area", "amount_band")
SORT_SQL = {
    "deadline": ("deadline_ts", False),
    "open_amount": ("open_fen", True),
    "newest": ("published_ts", True),
}


class Fts5Bigram:
    def __init__(self, path: Path) -> None:
        self.settings = default_settings()
        self.parser = QueryParser(self.settings)
        self.db = sqlite3.connect(path)
        self.db.executescript(
            f"""
            CREATE TABLE docs (id INTEGER PRIMARY KEY, {", ".join(FACETS)},
                               deadline_ts INTEGER, open_fen INTEGER, published_ts INTEGER, doc TEXT);
            CREATE VIRTUAL TABLE fts USING fts5({", ".join(EMBEDDED_FIELDS)}, uni,
                                                 tokenize='unicode61');
            """
        )

    def build(self, docs: Iterable[dict[str, Any]]) -> None:
        fields = self.settings.embedded_fields
        with self.db:
            for doc in docs:
                source = {**doc, "region_aliases": region_aliases(doc, self.settings)}
                texts = {n: " ".join(str(source[a]) for a in fields[n]) for n in EMBEDDED_FIELDS}
                self.db.execute(
                    "INSERT INTO docs VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        doc["id"],
                        *(doc[f] for f in FACETS),
                        doc["deadline_ts"],
                        doc["open_fen"],
                        doc["published_ts"],
                        json.dumps(doc, ensure_ascii=False),
                    ),
                )
                self.db.execute(
                    "INSERT INTO fts(rowid, title, category, regions, description, uni) VALUES (?,?,?,?,?,?)",
                    (
                        doc["id"],
                        *(" ".join(index_tokens(texts[n])) for n in EMBEDDED_FIELDS),
                        " ".join(sorted(unigram_tokens(" ".join(texts.values())))),
                    ),
                )

    @staticmethod
    def _phrase(word: str) -> str:
        if is_han(word) and len(word) == 1:
            return f'uni : "{word}"'
        return '{title category regions description} : "' + " ".join(bigrams(word)) + '"'

    def search(self, query: SearchQuery) -> dict[str, Any]:
        valid = validate_query(query, self.settings)
        parsed = self.parser.parse(valid.text)
        where, params = [], []
        if parsed.terms:
            match = " AND ".join(
                "(" + " OR ".join(self._phrase(w) for w in t.alternatives) + ")"
                for t in parsed.terms
            )
            where.append("fts MATCH ?")
            params.append(match)
        for name, values in valid.filters.items():
            where.append(f"d.{name} IN ({','.join('?' * len(values))})")
            params.extend(values)
        cols = f"d.id, d.deadline_ts, d.open_fen, d.published_ts, {', '.join('d.' + f for f in FACETS)}"
        if parsed.terms:
            sql = (
                f"SELECT {cols}, bm25(fts, 4.0, 2.0, 2.5, 1.0, 0.0) FROM fts CROSS JOIN docs d "
                f"ON d.id = fts.rowid WHERE {' AND '.join(where)}"
            )
        else:
            sql = f"SELECT {cols}, 0 FROM docs d" + (
                f" WHERE {' AND '.join(where)}" if where else ""
            )
        rows = self.db.execute(sql, params).fetchall()
        facets = {
            f: Counter(r[4 + i] for r in rows) for i, f in enumerate(FACETS) if f in valid.facets
        }
        k = valid.offset + valid.per_page
        sort = valid.sort if (valid.sort != "relevance" or parsed.terms) else "newest"
        if sort == "relevance":
            top = heapq.nsmallest(k, rows, key=lambda r: r[-1])
        else:
            col, desc = SORT_SQL[sort]
            idx = {"deadline_ts": 1, "open_fen": 2, "published_ts": 3}[col]
            top = (heapq.nlargest if desc else heapq.nsmallest)(k, rows, key=lambda r: r[idx])
        ids = [r[0] for r in top[valid.offset :]]
        docs = (
            {
                i: json.loads(d)
                for i, d in self.db.execute(
                    f"SELECT id, doc FROM docs WHERE id IN ({','.join('?' * len(ids))})", ids
                )
            }
            if ids
            else {}
        )
        words = parsed.highlight_words()
        hits = []
        for i in ids:
            doc = docs[i]
            doc["_highlight"] = {
                "title": highlight.render(doc["title"], highlight.find_spans(doc["title"], words)),
                "description": highlight.render(
                    doc["description"], highlight.find_spans(doc["description"], words), crop=120
                ),
            }
            hits.append(doc)
        return {
            "hits": hits,
            "total": len(rows),
            "facets": {f: dict(c.most_common(100)) for f, c in facets.items()},
        }
