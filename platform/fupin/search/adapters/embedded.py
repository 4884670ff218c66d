"""The embedded search backend (default, no server): tantivy over character bigrams.

Why tantivy and bigrams: measured on this machine, see search/README.md (100k needs: p95 of a
search with filters and facet counts in single-digit milliseconds; SQLite FTS5 with the same
bigrams was an order of magnitude slower, mostly in the facet counts). Bigrams make every
2-character word (饮水, 道路) match exactly (text.py).

On disk, ``directory`` holds one tantivy index per *generation* (``gen-<token>/``) and a
``CURRENT`` file naming the live one. A rebuild fills a new generation and then replaces
``CURRENT`` atomically (os.replace), so readers never see a half-built index; other processes
notice the new ``CURRENT`` on their next search.

Single writer: tantivy allows one IndexWriter per index directory, across processes (a second
one fails with LockBusy). In embedded mode the writer is the outbox worker (and ``fupin
reindex``, which writes a *new* generation and so does not contend); every other process only
searches. A write attempted while another process holds the writer raises SearchUnavailable,
and the outbox keeps the change for later.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import tantivy
from tantivy import Document, Index, Occur, Order, Query

from fupin.core import clock
from fupin.i18n import _
from fupin.search.rules import highlight
from fupin.search.rules.base import (
    SearchBackend,
    SearchQuery,
    SearchResult,
    SearchUnavailable,
    ValidQuery,
    empty_result,
    sort_facet_counts,
    validate_query,
)
from fupin.search.rules.documents import check_ids, derived_fields, prepare
from fupin.search.rules.settings_data import (
    EMBEDDED_FIELDS,
    SearchSettings,
    default_settings,
    normalize,
)
from fupin.search.rules.text import (
    ParsedQuery,
    QueryParser,
    Term,
    bigrams,
    index_tokens,
    is_han,
    synonym_keys,
    synonym_sets,
    unigram_tokens,
)

#: Bump when the tantivy schema or the tokenisation changes: the index is then rebuilt.
SCHEMA_VERSION = 3
TOKENIZER = "fupin_ws"
INT_FIELDS = ("deadline_ts", "open_fen", "published_ts", "raising")
#: The business tie-breaks, added to the relevance score: a need still raising money, then
#: the closer deadline (one step per horizon it falls within: two weeks, two months). Together
#: they stay below RELEVANCE_TIE, so they only reorder needs whose relevance is that close.
#: Each horizon is a range query over the deadline column of every candidate (~0.3 ms at 100k
#: needs), so there are two, not a finer ladder.
RAISING_BONUS = 0.25
DEADLINE_HORIZONS_DAYS = (14, 60)
DEADLINE_STEP = 0.05
RELEVANCE_TIE = RAISING_BONUS + DEADLINE_STEP * len(DEADLINE_HORIZONS_DAYS)


def _count(found: tantivy.SearchResult) -> int:
    """The total of a search run with ``count=True`` (tantivy's type stub does not declare it)."""
    return int(getattr(found, "count", 0) or 0)


def _tokenizer() -> tantivy.TextAnalyzer:
    # Tokens come pre-computed from text.py separated by spaces; whitespace keeps real positions,
    # so a query word is a phrase of consecutive bigrams (= a substring).
    return tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build()


def _schema(settings: SearchSettings) -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_integer_field("id", stored=True, indexed=True, fast=True)
    for name in EMBEDDED_FIELDS:
        sb.add_text_field(f"t_{name}", tokenizer_name=TOKENIZER)
    sb.add_text_field("t_uni", tokenizer_name=TOKENIZER, index_option="freq")
    # the synonym sets found in the title / in the other text (not the place names)
    sb.add_text_field("s_title", tokenizer_name=TOKENIZER, index_option="basic")
    sb.add_text_field("s_body", tokenizer_name=TOKENIZER, index_option="basic")
    for name in settings.filterable:
        sb.add_text_field(f"f_{name}", tokenizer_name="raw", fast=True)
    for name in INT_FIELDS:
        sb.add_integer_field(name, fast=True, indexed=name == "raising")
    sb.add_bytes_field("doc", stored=True)
    return sb.build()


def _fingerprint(settings: SearchSettings) -> str:
    """What the stored index depends on: a change here makes ensure_index() rebuild it."""
    parts = {
        "schema": SCHEMA_VERSION,
        "fields": {k: list(v) for k, v in settings.embedded_fields.items()},
        "filterable": list(settings.filterable),
        "suffixes": dict(settings.region_suffixes),
        "nationalities": list(settings.nationalities),
        "extra": {k: list(v) for k, v in settings.region_extra_aliases.items()},
        "synonyms": [[key, list(words)] for key, words in synonym_sets(settings)],
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


class _Generation:
    """One tantivy index directory with its (lazily opened) writer."""

    def __init__(self, path: Path, index: Index) -> None:
        self.path = path
        self.index = index
        self.writer: tantivy.IndexWriter | None = None

    def get_writer(self, heap_bytes: int) -> tantivy.IndexWriter:
        if self.writer is None:
            try:
                self.writer = self.index.writer(heap_size=heap_bytes, num_threads=1)
            except ValueError as exc:  # LockBusy: another process is the writer
                raise SearchUnavailable(_("搜索索引正由另一进程写入，请稍后再试")) from exc
        return self.writer

    def release_writer(self, wait_merges: bool = False) -> None:
        writer, self.writer = self.writer, None
        if writer is not None and wait_merges:
            writer.wait_merging_threads()
        del writer  # dropping the writer releases the directory lock


class EmbeddedBackend(SearchBackend):
    name = "embedded"

    def __init__(
        self,
        directory: Path | str,
        settings: SearchSettings | None = None,
        *,
        writer_heap_bytes: int = 64_000_000,
    ) -> None:
        super().__init__(settings or default_settings())
        self.directory = Path(directory)
        self.writer_heap_bytes = writer_heap_bytes
        self._fingerprint = _fingerprint(self.settings)
        self._schema = _schema(self.settings)
        self._live: _Generation | None = None
        self._current_stat: tuple[int, int] | None = None
        self._rebuilds: dict[str, _Generation] = {}
        self._write_lock = asyncio.Lock()
        self._parser: QueryParser | None = None
        self._synonym_sets = synonym_sets(self.settings)
        self._synonym_keys = synonym_keys(self.settings)

    # ---- lifecycle ------------------------------------------------------------------------

    @property
    def _current_file(self) -> Path:
        return self.directory / "CURRENT"

    async def open(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._parser = await asyncio.to_thread(QueryParser, self.settings)
        self._refresh_live()

    async def close(self) -> None:
        async with self._write_lock:
            for gen in self._rebuilds.values():
                gen.release_writer()
            self._rebuilds.clear()
            if self._live is not None:
                live = self._live
                await asyncio.to_thread(live.release_writer, True)
            self._live = None
            self._current_stat = None

    def _open_generation(self, path: Path) -> _Generation:
        index = Index.open(str(path))
        index.register_tokenizer(TOKENIZER, _tokenizer())  # not persisted by tantivy
        return _Generation(path, index)

    def _new_generation(self) -> tuple[str, _Generation]:
        token = uuid.uuid4().hex
        path = self.directory / f"gen-{token}"
        path.mkdir(parents=True)
        index = Index(self._schema, path=str(path), reuse=False)
        index.register_tokenizer(TOKENIZER, _tokenizer())
        meta = {"schema_version": SCHEMA_VERSION, "fingerprint": self._fingerprint}
        (path / "fupin-index.json").write_text(json.dumps(meta), encoding="utf-8")
        return token, _Generation(path, index)

    def _compatible(self, path: Path) -> bool:
        try:
            meta = json.loads((path / "fupin-index.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return meta.get("fingerprint") == self._fingerprint

    def _refresh_live(self) -> None:
        """Follow CURRENT: open the live generation, or the new one after another process
        swapped generations. One stat() per search when nothing changed."""
        try:
            st = self._current_file.stat()
        except FileNotFoundError:
            return
        stamp = (st.st_mtime_ns, st.st_ino)
        if stamp == self._current_stat and self._live is not None:
            return
        name = self._current_file.read_text(encoding="utf-8").strip()
        path = self.directory / name
        if self._live is None or self._live.path != path:
            if not self._compatible(path):
                return  # ensure_index() will replace it
            old, self._live = self._live, self._open_generation(path)
            if old is not None:
                old.release_writer()
        self._current_stat = stamp

    def _publish(self, gen: _Generation) -> None:
        """Point CURRENT at ``gen`` atomically, then drop all generations but it and the one
        it replaces (a reader in another process may still be on that one)."""
        tmp = self.directory / f"CURRENT.{uuid.uuid4().hex}.tmp"
        tmp.write_text(gen.path.name, encoding="utf-8")
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, self._current_file)
        previous = self._live
        self._live = gen
        st = self._current_file.stat()
        self._current_stat = (st.st_mtime_ns, st.st_ino)
        keep = {gen.path.name} | ({previous.path.name} if previous else set())
        keep |= {g.path.name for g in self._rebuilds.values()}
        if previous is not None:
            previous.release_writer()
        for child in self.directory.glob("gen-*"):
            if child.name not in keep:
                shutil.rmtree(child, ignore_errors=True)

    async def ensure_index(self) -> bool:
        async with self._write_lock:
            self._refresh_live()
            if self._live is not None:
                return True
            _, gen = await asyncio.to_thread(self._new_generation)
            self._publish(gen)
            return False

    def _require_live(self) -> _Generation:
        self._refresh_live()
        if self._live is None:
            raise SearchUnavailable(_("搜索索引尚未建立"))
        return self._live

    async def health(self) -> bool:
        try:
            live = self._require_live()
            await asyncio.to_thread(lambda: live.index.searcher().num_docs)
        except Exception:  # health never raises
            return False
        return True

    async def count(self) -> int:
        live = self._require_live()
        return await asyncio.to_thread(lambda: live.index.searcher().num_docs)

    # ---- writing --------------------------------------------------------------------------

    def _to_document(self, doc: Mapping[str, Any]) -> Document:
        fields = self.settings.embedded_fields
        source = {**doc, **derived_fields(doc, self.settings)}
        out = Document()
        out.add_integer("id", doc["id"])
        all_text: list[str] = []
        for name in EMBEDDED_FIELDS:
            texts = [str(source[attr]) for attr in fields[name]]
            all_text.extend(texts)
            out.add_text(f"t_{name}", " ".join(t for text in texts for t in index_tokens(text)))
        out.add_text("t_uni", " ".join(sorted(unigram_tokens(" ".join(all_text)))))
        title = normalize(str(doc["title"]))
        body = normalize(" ".join(str(doc[a]) for a in ("category_label", "items", "description")))
        for name, text in (("s_title", title), ("s_body", body)):
            keys = [k for k, words in self._synonym_sets if any(w in text for w in words)]
            out.add_text(name, " ".join(keys))
        for name in self.settings.filterable:
            out.add_text(f"f_{name}", str(doc[name]))
        for name in INT_FIELDS:
            out.add_integer(name, int(source[name]))
        out.add_bytes("doc", json.dumps(doc, ensure_ascii=False).encode("utf-8"))
        return out

    def _write_sync(self, gen: _Generation, docs: list[dict[str, Any]], ids: list[int]) -> None:
        writer = gen.get_writer(self.writer_heap_bytes)
        try:
            for i in [*ids, *(d["id"] for d in docs)]:
                writer.delete_documents_by_term("id", i)
            for doc in docs:
                writer.add_document(self._to_document(doc))
            writer.commit()
        except Exception:
            writer.rollback()
            raise
        gen.index.reload()  # read-your-writes in this process

    async def upsert(self, docs: Sequence[Mapping[str, Any]], *, wait: bool = False) -> None:
        to_index, to_delete = prepare(docs, self.settings)
        if not to_index and not to_delete:
            return
        async with self._write_lock:
            live = self._require_live()
            await asyncio.to_thread(self._write_sync, live, to_index, to_delete)

    async def delete(self, ids: Sequence[int], *, wait: bool = False) -> None:
        checked = check_ids(ids)
        if not checked:
            return
        async with self._write_lock:
            live = self._require_live()
            await asyncio.to_thread(self._write_sync, live, [], checked)

    async def wait_for_pending(self, timeout_s: float = 30.0) -> None:
        """Writes are committed and visible when upsert/delete return: nothing is pending."""

    # ---- rebuild --------------------------------------------------------------------------

    async def start_rebuild(self) -> str:
        token, gen = await asyncio.to_thread(self._new_generation)
        self._rebuilds[token] = gen
        return token

    def _rebuild(self, token: str) -> _Generation:
        try:
            return self._rebuilds[token]
        except KeyError:
            raise SearchUnavailable(_("未知的重建任务")) from None

    async def rebuild_add(self, token: str, docs: Sequence[Mapping[str, Any]]) -> None:
        gen = self._rebuild(token)
        to_index, _ = prepare(docs, self.settings)

        def add() -> None:
            writer = gen.get_writer(self.writer_heap_bytes)
            for doc in to_index:
                writer.delete_documents_by_term("id", doc["id"])
                writer.add_document(self._to_document(doc))

        await asyncio.to_thread(add)

    async def finish_rebuild(self, token: str) -> None:
        gen = self._rebuild(token)

        def commit() -> None:
            gen.get_writer(self.writer_heap_bytes).commit()
            gen.release_writer(wait_merges=True)
            gen.index.reload()

        await asyncio.to_thread(commit)
        async with self._write_lock:
            del self._rebuilds[token]
            self._publish(gen)

    async def abort_rebuild(self, token: str) -> None:
        gen = self._rebuilds.pop(token, None)
        if gen is not None:
            with contextlib.suppress(Exception):
                if gen.writer is not None:
                    gen.writer.rollback()
            gen.release_writer()
            shutil.rmtree(gen.path, ignore_errors=True)

    # ---- searching ------------------------------------------------------------------------

    # The relevance formula (search/README.md, "Ranking in the embedded engine"), one clause per
    # rule, each weighted from [embedded.ranking]:
    #   Σ over query words of  match + max(typed + F(word), synonym × S(word))
    #   + place (a word in the need's place names) + phrase (a run found as typed)
    #   + proximity (the words close together) + business tie-breaks (< RELEVANCE_TIE)
    # where F(a) = the best field's boost × (1 + bm25 × BM25 of a in it) + other_fields × the
    # same for every other field holding a, and S(word) = the title's boost when a synonym is in
    # the title, the description's when one is in the other text (indexed synonym sets).

    def _field_query(self, field: str, word: str) -> Query:
        """``word`` in one text field: a substring, through its bigrams."""
        tokens = bigrams(word)
        if len(tokens) == 1:
            return Query.term_query(self._schema, f"t_{field}", tokens[0])
        phrase: list[str | tuple[int, str]] = list(tokens)
        return Query.phrase_query(self._schema, f"t_{field}", phrase)

    def _fields_score(self, word: str, weight: float) -> Query:
        """F(word) × weight: documents holding ``word`` in any field."""
        rank = self.settings.embedded_ranking
        if is_han(word) and len(word) == 1:
            return Query.const_score_query(
                Query.term_query(self._schema, "t_uni", word), weight * 1.0
            )
        per_field = []
        for name in EMBEDDED_FIELDS:
            q = self._field_query(name, word)
            boost = self.settings.embedded_boosts[name] * weight
            per_field.append(
                Query.boolean_query(
                    [
                        (Occur.Should, Query.const_score_query(q, boost)),
                        (Occur.Should, Query.boost_query(q, boost * rank["bm25"])),
                    ]
                )
            )
        return Query.disjunction_max_query(per_field, rank["other_fields"])

    def _term_query(self, term: Term) -> Query:
        """One query word: found as typed (in any field) scores above any of its synonyms."""
        rank = self.settings.embedded_ranking
        typed = term.alternatives[: term.typed]
        synonyms = term.alternatives[term.typed :]
        bonus = Query.const_score_query(Query.all_query(), rank["typed"])
        typed_q = [
            Query.boolean_query([(Occur.Must, self._fields_score(w, 1.0)), (Occur.Must, bonus)])
            for w in typed
        ]
        alts = typed_q
        keys = self._synonym_keys.get(term.alternatives[0], ()) if synonyms else ()
        if keys:
            # Synonyms through the indexed synonym sets: one term per set, not a phrase per
            # synonym and field. In the title they score as the title's boost, elsewhere as the
            # description's, both times `synonym`.
            boosts = self.settings.embedded_boosts
            weight = rank["synonym"]
            per_field = [
                Query.const_score_query(
                    Query.boolean_query(
                        [(Occur.Should, Query.term_query(self._schema, field, k)) for k in keys]
                    ),
                    weight * boosts[boost],
                )
                for field, boost in (("s_title", "title"), ("s_body", "description"))
            ]
            alts = [*alts, Query.disjunction_max_query(per_field, rank["other_fields"])]
        found = alts[0] if len(alts) == 1 else Query.disjunction_max_query(alts, 0.0)
        matched = Query.const_score_query(Query.all_query(), rank["match"])
        return Query.boolean_query([(Occur.Must, found), (Occur.Must, matched)])

    def _place_query(self, term: Term) -> Query | None:
        """The word names one of the need's places (province … village, or a short name)."""
        words = [w for w in term.alternatives[: term.typed] if is_han(w) and len(w) >= 2]
        if not words:
            return None
        qs = [self._field_query("regions", w) for w in words]
        q = qs[0] if len(qs) == 1 else Query.boolean_query([(Occur.Should, x) for x in qs])
        return Query.const_score_query(q, self.settings.embedded_ranking["place"])

    def _phrase_query(self, phrase: str) -> Query:
        """A run typed as one string (凉山小学) found as typed, in any field."""
        fields = [self._field_query(name, phrase) for name in EMBEDDED_FIELDS]
        return Query.const_score_query(
            Query.boolean_query([(Occur.Should, q) for q in fields]),
            self.settings.embedded_ranking["phrase"],
        )

    def _proximity_query(self, parsed: ParsedQuery) -> Query | None:
        """The typed words, in the order typed, close together in the title or description."""
        words = [t.alternatives[0] for t in parsed.terms]
        tokens: list[str | tuple[int, str]] = [
            tok for w in words if len(w) > 1 or not is_han(w) for tok in bigrams(w)
        ]
        if len([w for w in words if len(w) > 1 or not is_han(w)]) < 2:
            return None
        rank = self.settings.embedded_ranking
        slop = int(rank["proximity_slop"])
        near = [
            Query.phrase_query(self._schema, f"t_{name}", tokens, slop=slop)
            for name in ("title", "description")
        ]
        return Query.const_score_query(
            Query.boolean_query([(Occur.Should, q) for q in near]), rank["proximity"]
        )

    def _business_query(self) -> Query:
        """The business tie-breaks: still raising money, then the closer deadline."""
        clauses = [
            (
                Occur.Should,
                Query.const_score_query(
                    Query.term_query(self._schema, "raising", 1), RAISING_BONUS
                ),
            )
        ]
        today = clock.today_cn()
        midnight = int(datetime(today.year, today.month, today.day, tzinfo=UTC).timestamp())
        for days in DEADLINE_HORIZONS_DAYS:
            window = Query.range_query(
                self._schema,
                "deadline_ts",
                tantivy.FieldType.Integer,
                midnight,
                midnight + days * 86_400,
            )
            clauses.append((Occur.Should, Query.const_score_query(window, DEADLINE_STEP)))
        return Query.boolean_query(clauses)

    def _build_query(self, valid: ValidQuery, parsed: ParsedQuery, *, most_words: bool) -> Query:
        """All words must match; ``most_words``: at least one, more words rank higher (the
        fallback when no need holds them all)."""
        clauses: list[tuple[Occur, Query]] = []
        terms = [self._term_query(t) for t in parsed.terms]
        if most_words and len(terms) > 1:
            clauses.append((Occur.Must, Query.boolean_query([(Occur.Should, q) for q in terms])))
        else:
            clauses.extend((Occur.Must, q) for q in terms)
        for term in parsed.terms:
            place = self._place_query(term)
            if place is not None:
                clauses.append((Occur.Should, place))
        for phrase in parsed.phrases:
            clauses.append((Occur.Should, self._phrase_query(phrase)))
        near = self._proximity_query(parsed)
        if near is not None:
            clauses.append((Occur.Should, near))
        if not parsed.terms:
            clauses.append((Occur.Must, Query.all_query()))
        elif valid.sort == "relevance":
            clauses.append((Occur.Should, self._business_query()))
        for name, values in valid.filters.items():
            facet = Query.term_set_query(self._schema, f"f_{name}", list(values))
            clauses.append((Occur.Must, Query.const_score_query(facet, 0.0)))
        return Query.boolean_query(clauses)

    def _search_sync(
        self, gen: _Generation, valid: ValidQuery, parsed: ParsedQuery
    ) -> SearchResult:
        searcher = gen.index.searcher()
        query = self._build_query(valid, parsed, most_words=False)
        sort = valid.sort
        if sort == "relevance" and parsed.is_empty:
            sort = "newest"  # browsing without words: a stable, meaningful order
        clauses = self.settings.sort_clauses(sort)
        kwargs: dict[str, Any] = {}
        if clauses:
            attr, _, direction = clauses[0].partition(":")
            kwargs = {
                "order_by_field": attr,
                "order": Order.Asc if direction == "asc" else Order.Desc,
            }
        limit = max(0, min(valid.per_page, self.settings.max_total_hits - valid.offset))
        found = searcher.search(query, limit or 1, count=True, offset=valid.offset, **kwargs)
        partial = False
        if not _count(found) and parsed.can_fall_back:
            # No need holds every word: most words instead, and the page says so.
            query = self._build_query(valid, parsed, most_words=True)
            found = searcher.search(query, limit or 1, count=True, offset=valid.offset, **kwargs)
            partial = True
        hits_addr = found.hits[:limit]
        words = parsed.highlight_words()
        hits = []
        for _score, address in hits_addr:
            doc = json.loads(searcher.doc(address).get_first("doc"))
            doc["_highlight"] = {
                "title": highlight.render(doc["title"], highlight.find_spans(doc["title"], words)),
                "description": highlight.render(
                    doc["description"],
                    highlight.find_spans(doc["description"], words),
                    crop=self.settings.crop_chars,
                    marker=self.settings.crop_marker,
                ),
            }
            hits.append(doc)
        facets: dict[str, dict[str, int]] = {}
        if valid.facets:
            size = self.settings.max_values_per_facet
            aggs = {f: {"terms": {"field": f"f_{f}", "size": size}} for f in valid.facets}
            raw = searcher.aggregate(query, aggs)
            for name in valid.facets:
                buckets = raw.get(name, {}).get("buckets", [])
                facets[name] = sort_facet_counts(
                    {b["key"]: b["doc_count"] for b in buckets if b["key"] != ""},
                    self.settings.sort_facet_values_by,
                )
        total = min(_count(found), self.settings.max_total_hits)
        return SearchResult(
            hits=hits,
            total=total,
            facets=facets,
            page=valid.page,
            per_page=valid.per_page,
            partial=partial and total > 0,
        )

    async def search(self, query: SearchQuery) -> SearchResult:
        valid = validate_query(query, self.settings)
        if self._parser is None:
            raise SearchUnavailable(_("搜索服务暂不可用"))
        parsed = self._parser.parse(valid.text)
        if valid.text and parsed.is_empty:
            return empty_result(valid)
        live = self._require_live()
        return await asyncio.to_thread(self._search_sync, live, valid, parsed)
