"""The embedded search backend: a Tantivy index in a directory beside the store.

The query AST is translated into ``tantivy.Query`` objects built with the constructors (term, phrase, regex,
term-set, range, boolean, boost); user text never goes through Tantivy's query-string parser.

Text fields exist twice: ``title``/``body``/``quotes`` with the English stemming analyzer ("en_stem") and
``*_folded`` copies with a lowercase + ASCII-folding analyzer (no stemming). A word matches either copy (so
"searches" finds "searched" and "bagcasaray" finds "Bağçasaray"); phrases and prefixes use the folded copies.
"""

from __future__ import annotations

import html
import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import tantivy

from indexer.query import (
    About,
    And,
    DateRange,
    Field,
    Has,
    MatchAll,
    Node,
    Not,
    Or,
    Phrase,
    Prefix,
    Query,
    Term,
    parse,
)
from indexer.search.document import IndexDocument, SearchHit, SearchRequest, SearchResult
from indexer.search.errors import SearchBackendError
from indexer.search.resolver import EntityResolver

__all__ = ["TantivyBackend", "escape_regex"]

FOLDED = "crimea_folded"
TITLE_BOOST = 2.0
FACET_SIZE = 20
SNIPPET_CHARS = 220
HIGHLIGHT_PREFIX_TERMS = 64
SEARCH_CACHE_SIZE = 512  # recent search results kept until the next commit
WRITER_HEAP = 128_000_000  # shared by the writer threads
WRITER_THREADS = max(1, min(4, os.cpu_count() or 1))
MONTH_BUCKETS = 12 * 200  # every month of two centuries: the month facet is never truncated

TEXT_FIELDS = ("title", "body", "quotes")
ENTITY_COLUMNS = {"person": "persons", "place": "places", "org": "orgs"}
KEYWORD_FACETS = {
    "source": "source",
    "lang": "lang",
    "type": "event_types",
    "person": "persons",
    "place": "places",
    "org": "orgs",
}
_KEYWORD_FIELDS = ("id", "source", "lang", "persons", "places", "orgs", "event_types", "event_types_any")
_REGEX_META = set('\\.+*?()|[]{}^$#&-~"<>@')


def escape_regex(text: str) -> str:
    """Escape every regex metacharacter of Tantivy's (Rust) regex syntax."""
    return "".join("\\" + ch if ch in _REGEX_META else ch for ch in text)


def _stem_analyzer() -> tantivy.TextAnalyzer:
    # the same chain as Tantivy's built-in "en_stem", used to analyse query words
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )


def _folded_analyzer() -> tantivy.TextAnalyzer:
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .build()
    )


def build_schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw")
    for name in TEXT_FIELDS:
        # stemmed copies need no positions (phrases and prefixes use the folded copies): indexing ~1.7x faster
        sb.add_text_field(name, stored=True, tokenizer_name="en_stem", index_option="freq")
        sb.add_text_field(f"{name}_folded", stored=False, tokenizer_name=FOLDED)
    sb.add_text_field("url", stored=True, tokenizer_name="raw")
    for name in _KEYWORD_FIELDS[1:]:
        sb.add_text_field(name, stored=True, fast=True, tokenizer_name="raw")
    sb.add_boolean_field("has_quote", stored=True, indexed=True, fast=True)
    sb.add_boolean_field("about_crimea", stored=True, indexed=True, fast=True)
    sb.add_date_field("published_at", stored=True, indexed=True, fast=True)
    # "YYYY-MM" of published_at: the month facet is a terms aggregation on it (a 1-day date histogram over
    # years of archive costs ~20x more)
    sb.add_text_field("month", stored=False, fast=True, tokenizer_name="raw")
    return sb.build()


#: files Tantivy writes into an index directory (only these are removed when an old index is replaced)
_INDEX_FILE_SUFFIXES = (".idx", ".term", ".pos", ".store", ".fast", ".fieldnorm", ".del")
_INDEX_FILE_NAMES = ("meta.json", ".managed.json")


def _remove_index_files(index_dir: Path) -> None:
    """Delete an index built with another schema; refuses if the directory holds anything else."""
    files = list(index_dir.iterdir())
    strangers = [
        p.name for p in files
        if not p.is_file()
        or not (p.name.endswith(_INDEX_FILE_SUFFIXES) or p.name in _INDEX_FILE_NAMES or p.name.startswith(".tantivy-"))
    ]
    if strangers:
        raise SearchBackendError(
            f"{index_dir} holds files that are not a Tantivy index ({', '.join(sorted(strangers)[:3])}); "
            "point CRIMEA_MONITOR_INDEX_DIR at a directory of its own"
        )
    for p in files:
        p.unlink()


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


class TantivyBackend:
    """Search backend over an embedded Tantivy index stored in ``index_dir``."""

    def __init__(self, index_dir: Path, resolver: EntityResolver, *, replace_incompatible: bool = False) -> None:
        """Open (or create) the index in ``index_dir``.

        An index built with an older schema is an error that says to run ``crimea-monitor reindex``; with
        ``replace_incompatible`` (what reindex uses) it is deleted and created anew, since the store can always
        rebuild it.
        """
        self.index_dir = Path(index_dir)
        try:
            self.index_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # e.g. a read-only store that was never indexed
            raise SearchBackendError(
                f"cannot create the Tantivy index folder {self.index_dir}: {exc.strerror}"
            ) from exc
        self.resolver = resolver
        self.schema = build_schema()
        self._read_only_view: tempfile.TemporaryDirectory[str] | None = None
        try:
            self._index = tantivy.Index(self.schema, path=str(self.index_dir), reuse=True)
        except ValueError as exc:
            if "Lockfile" in str(exc) and (self.index_dir / "meta.json").is_file():
                self._index = self._open_read_only()
            elif "schema does not match" not in str(exc):
                raise SearchBackendError(f"cannot open the Tantivy index in {self.index_dir}: {exc}") from exc
            elif not replace_incompatible:
                raise SearchBackendError(
                    f"the Tantivy index in {self.index_dir} was built with an older schema; "
                    "run `crimea-monitor reindex` to rebuild it from the store"
                ) from exc
            else:
                _remove_index_files(self.index_dir)
                self._index = tantivy.Index(self.schema, path=str(self.index_dir), reuse=True)
        self._index.register_tokenizer(FOLDED, _folded_analyzer())
        self._stem = _stem_analyzer()
        self._fold = _folded_analyzer()
        self._lock = threading.Lock()
        self._open_writer: tantivy.IndexWriter | None = None
        self._cache: OrderedDict[SearchRequest, SearchResult] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._cache_generation: tuple[int, int, int] | None = None

    # ------------------------------------------------------------------------------------------ writing
    def _writer(self) -> tantivy.IndexWriter:
        if self._open_writer is not None:
            return self._open_writer
        try:
            self._open_writer = self._index.writer(heap_size=WRITER_HEAP, num_threads=WRITER_THREADS)
            return self._open_writer
        except ValueError as exc:  # e.g. another process holds the index writer lock
            raise SearchBackendError(f"cannot write the Tantivy index in {self.index_dir}: {exc}") from exc

    def _document(self, doc: IndexDocument) -> tantivy.Document:
        out = tantivy.Document()
        out.add_text("id", doc.id)
        for name, values in (("title", (doc.title,)), ("body", (doc.body,)), ("quotes", doc.quotes)):
            for value in values:
                out.add_text(name, value)
                out.add_text(f"{name}_folded", value)
        out.add_text("url", doc.url)
        out.add_text("source", doc.source)
        out.add_text("lang", doc.lang)
        for name in ("persons", "places", "orgs", "event_types", "event_types_any"):
            for value in getattr(doc, name):
                out.add_text(name, value)
        out.add_boolean("has_quote", bool(doc.has_quote))
        out.add_boolean("about_crimea", bool(doc.about_crimea))
        if doc.published_at is not None:
            out.add_date("published_at", doc.published_at)
            out.add_text("month", doc.published_at.strftime("%Y-%m"))
        return out

    def index(self, docs: Iterable[IndexDocument], batch_size: int = 1000) -> int:
        """Add or replace documents (by id); one commit per ``batch_size`` documents. Returns how many.

        The writer stays open between calls so Tantivy's segment merges go on in the background; waiting for them
        after every incremental batch made indexing 100k documents 30 % slower. ``close()`` waits for them.
        """
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        done = 0
        with self._lock:
            writer = self._writer()
            pending = 0
            for doc in docs:
                writer.delete_documents_by_term("id", doc.id)
                writer.add_document(self._document(doc))
                pending += 1
                done += 1
                if pending >= batch_size:
                    writer.commit()
                    pending = 0
            if pending:
                writer.commit()
            self._index.reload()
        return done

    def reindex(self, docs: Iterable[IndexDocument]) -> int:
        """Replace the whole index with ``docs`` in one commit: searchers see the old index until it lands."""
        done = 0
        with self._lock:
            writer = self._writer()
            try:
                writer.delete_all_documents()
                for doc in docs:
                    writer.add_document(self._document(doc))
                    done += 1
            except BaseException:
                writer.rollback()
                raise
            writer.commit()
            self._finish_writer()
            self._index.reload()
        return done

    def delete(self, ids: Iterable[str]) -> None:
        with self._lock:
            writer = self._writer()
            for doc_id in ids:
                writer.delete_documents_by_term("id", doc_id)
            writer.commit()
            self._index.reload()

    def clear(self) -> None:
        with self._lock:
            writer = self._writer()
            writer.delete_all_documents()
            writer.commit()
            self._finish_writer()
            self._index.reload()

    def _finish_writer(self) -> None:
        """Wait for the background merges and release the index's writer lock."""
        if self._open_writer is not None:
            self._open_writer.wait_merging_threads()
            self._open_writer = None

    def _open_read_only(self) -> tantivy.Index:
        """The index of a folder this process cannot write (a read-only filesystem or copy).

        Tantivy takes its file locks even to read, so it reads through a private folder of symbolic links to the
        index files, where it can keep its lock files; writing stays impossible (the files behind the links are
        read-only), and searching works as usual.
        """
        self._read_only_view = tempfile.TemporaryDirectory(prefix="crimea-monitor-index-")
        view = Path(self._read_only_view.name)
        for entry in self.index_dir.iterdir():
            if entry.is_file() and not entry.name.startswith(".tantivy-"):
                (view / entry.name).symlink_to(entry.resolve())
        try:
            return tantivy.Index(self.schema, path=str(view), reuse=True)
        except ValueError as exc:
            self._read_only_view.cleanup()
            raise SearchBackendError(f"cannot open the read-only Tantivy index in {self.index_dir}: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            self._finish_writer()
        if self._read_only_view is not None:
            self._read_only_view.cleanup()
            self._read_only_view = None

    def __enter__(self) -> TantivyBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def count(self) -> int:
        return self._index.searcher().num_docs

    # ---------------------------------------------------------------------------------------- translation
    def _fold_tokens(self, text: str) -> list[str]:
        return self._fold.analyze(text)

    def _any_field(self, fields: Iterable[str], make) -> tantivy.Query:
        clauses = []
        for name in fields:
            q = make(name)
            if name.startswith("title"):
                q = tantivy.Query.boost_query(q, TITLE_BOOST)
            clauses.append((tantivy.Occur.Should, q))
        return tantivy.Query.boolean_query(clauses)

    def _folded_phrase(self, tokens: list[str]) -> tantivy.Query:
        fields = [f"{name}_folded" for name in TEXT_FIELDS]
        if len(tokens) == 1:
            return self._any_field(fields, lambda f: tantivy.Query.term_query(self.schema, f, tokens[0]))
        return self._any_field(fields, lambda f: tantivy.Query.phrase_query(self.schema, f, tokens))

    def _filter(self, q: tantivy.Query) -> tantivy.Query:
        # filters decide membership, not ranking
        return tantivy.Query.const_score_query(q, 0.0)

    def to_tantivy(self, query: Query) -> tantivy.Query:
        """Translate a parsed query into a Tantivy query object."""
        return self._node(query.root, query.modality_any)

    def _node(self, node: Node, modality_any: bool) -> tantivy.Query:
        Q = tantivy.Query
        schema = self.schema
        if isinstance(node, Term):
            folded = self._fold_tokens(node.text)
            if not folded:
                return Q.empty_query()
            if len(folded) > 1:  # "Rostov-on-Don": its words in order
                return self._folded_phrase(folded)
            stemmed = self._stem.analyze(node.text)
            fields: list[tuple[str, str]] = []
            for name in TEXT_FIELDS:
                if stemmed:
                    fields.append((name, stemmed[0]))
                fields.append((f"{name}_folded", folded[0]))
            tokens = dict(fields)
            return self._any_field(tokens, lambda f: Q.term_query(schema, f, tokens[f]))
        if isinstance(node, Phrase):
            folded = self._fold_tokens(node.text)
            if not folded:
                return Q.empty_query()
            return self._folded_phrase(folded)
        if isinstance(node, Prefix):
            folded = self._fold_tokens(node.text)
            if len(folded) != 1:
                return Q.empty_query()
            pattern = escape_regex(folded[0]) + ".*"
            fields = [f"{name}_folded" for name in TEXT_FIELDS]
            return self._any_field(fields, lambda f: Q.regex_query(schema, f, pattern))
        if isinstance(node, Field):
            return self._filter(self._field(node, modality_any))
        if isinstance(node, DateRange):
            if node.start is None and node.end is None:
                return self._filter(Q.exists_query("published_at"))
            lower = _day_start(node.start) if node.start else None
            upper = _day_start(node.end + timedelta(days=1)) if node.end and node.end < date.max else None
            # Tantivy dates are nanoseconds in an i64 (years 1677..2262): clamp what lies outside
            if (lower and lower > tantivy.MAX_DATETIME) or (upper and upper <= tantivy.MIN_DATETIME):
                return Q.empty_query()
            lower = lower if lower and lower > tantivy.MIN_DATETIME else None
            upper = upper if upper and upper < tantivy.MAX_DATETIME else None
            if lower is None and upper is None:
                return self._filter(Q.exists_query("published_at"))
            q = Q.range_query(
                schema,
                "published_at",
                tantivy.FieldType.Date,
                lower_bound=lower,
                upper_bound=upper,
                include_lower=True,
                include_upper=upper is None,
            )
            return self._filter(q)
        if isinstance(node, Has):
            return self._filter(Q.term_query(schema, "has_quote", True))
        if isinstance(node, About):
            if node.what == "any":
                return Q.all_query()
            return self._filter(Q.term_query(schema, "about_crimea", True))
        if isinstance(node, MatchAll):
            return Q.all_query()
        if isinstance(node, Not):
            return Q.boolean_query(
                [
                    (tantivy.Occur.Must, Q.all_query()),
                    (tantivy.Occur.MustNot, self._node(node.item, modality_any)),
                ]
            )
        if isinstance(node, And):
            clauses = []
            for item in node.items:
                if isinstance(item, Not):
                    clauses.append((tantivy.Occur.MustNot, self._node(item.item, modality_any)))
                else:
                    clauses.append((tantivy.Occur.Must, self._node(item, modality_any)))
            if all(occur == tantivy.Occur.MustNot for occur, _ in clauses):
                clauses.append((tantivy.Occur.Must, Q.all_query()))
            return Q.boolean_query(clauses)
        if isinstance(node, Or):
            return Q.boolean_query(
                [(tantivy.Occur.Should, self._node(item, modality_any)) for item in node.items]
            )
        raise TypeError(f"not a query node: {node!r}")

    def _field(self, node: Field, modality_any: bool) -> tantivy.Query:
        Q = tantivy.Query
        if node.name in ENTITY_COLUMNS:
            ids = sorted(self.resolver.resolve(node.name, node.value))
            if not ids:
                return Q.empty_query()
            return Q.term_set_query(self.schema, ENTITY_COLUMNS[node.name], ids)
        if node.name == "type":
            column = "event_types_any" if modality_any else "event_types"
            return Q.term_query(self.schema, column, node.value)
        if node.name in ("source", "lang"):
            return Q.term_query(self.schema, node.name, node.value)
        raise TypeError(f"unknown field {node.name!r}")

    # ------------------------------------------------------------------------------------------- search
    def _highlight_query(self, node: Node, searcher: tantivy.Searcher) -> tantivy.Query | None:
        """The positive text parts of the query, prefixes expanded to indexed terms, for snippets."""
        Q = tantivy.Query
        if isinstance(node, (Term, Phrase)):
            return self._node(node, False)
        if isinstance(node, Prefix):
            folded = self._fold_tokens(node.text)
            if len(folded) != 1:
                return None
            terms = searcher.terms_with_prefix("body_folded", folded[0], limit=HIGHLIGHT_PREFIX_TERMS)
            if not terms:
                return None
            return Q.term_set_query(self.schema, "body_folded", [term for term, _ in terms])
        if isinstance(node, (And, Or)):
            parts = [self._highlight_query(item, searcher) for item in node.items]
            parts = [p for p in parts if p is not None]
            if not parts:
                return None
            return Q.boolean_query([(tantivy.Occur.Should, p) for p in parts])
        return None

    def _terms_only(self, node: Node) -> bool:
        """True when the positive text parts are single words (the stemmed body snippet then usually suffices)."""
        if isinstance(node, Term):
            return len(self._fold_tokens(node.text)) == 1
        if isinstance(node, (Phrase, Prefix)):
            return False
        if isinstance(node, (And, Or)):
            return all(self._terms_only(item) for item in node.items)
        return True

    def _has_stemmed_terms(self, node: Node) -> bool:
        """True when the highlight query has terms on the stemmed ``body`` field (single words).

        Phrases, prefixes and multi-token words highlight on ``body_folded`` only: a generator on ``body`` would
        tokenize and stem every hit's body (~60 us a hit) to find nothing.
        """
        if isinstance(node, Term):
            return len(self._fold_tokens(node.text)) == 1 and bool(self._stem.analyze(node.text))
        if isinstance(node, (And, Or)):
            return any(self._has_stemmed_terms(item) for item in node.items)
        return False

    def _snippet(self, generators, stored: tantivy.Document, body: str, terms_only: bool) -> str:
        best = None
        for field_name, generator in generators:
            if field_name == "body":
                doc = stored  # the stored document has the body: no copy needed
            else:
                doc = tantivy.Document()
                doc.add_text(field_name, body)
            snippet = generator.snippet_from_doc(doc)
            n = len(snippet.highlighted())
            if n and (best is None or n > best[0]):
                best = (n, snippet.to_html())
                if terms_only:  # good enough: skip the folded pass (halves the snippet cost)
                    break
        if best is not None:
            return best[1]
        text = body[:SNIPPET_CHARS]
        if len(body) > SNIPPET_CHARS:
            text = text.rsplit(" ", 1)[0] + " …"
        return html.escape(text, quote=False)

    def _generation(self) -> tuple[int, int, int] | None:
        """Identity of the last commit: Tantivy rewrites meta.json atomically on every commit, by any process."""
        try:
            st = os.stat(self.index_dir / "meta.json")
        except OSError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def search(self, request: SearchRequest) -> SearchResult:
        """Search, answering a repeated request from a small cache until the next commit changes the index.

        Like Elasticsearch's request cache: dashboards, facet sidebars and paging repeat the same requests, and a
        facet count over the whole corpus costs milliseconds each time.
        """
        generation = self._generation()
        if generation is None:
            return self._search(request)
        with self._cache_lock:
            if generation != self._cache_generation:
                self._cache.clear()
                self._cache_generation = generation
                self._index.reload()  # see the commit now, not after the reader's polling delay
            cached = self._cache.get(request)
            if cached is not None:
                self._cache.move_to_end(request)
                return cached
        result = self._search(request)
        with self._cache_lock:
            if self._cache_generation == generation:
                self._cache[request] = result
                while len(self._cache) > SEARCH_CACHE_SIZE:
                    self._cache.popitem(last=False)
        return result

    def _search(self, request: SearchRequest) -> SearchResult:
        query = parse(request.query)
        tq = self.to_tantivy(query)
        searcher = self._index.searcher()
        try:
            if request.limit == 0:
                result = searcher.search(tq, 1, count=True)
                page = []
            elif request.sort == "date":
                result = searcher.search(
                    tq,
                    request.limit,
                    count=True,
                    order_by_field="published_at",
                    offset=request.offset,
                    order=tantivy.Order.Desc,
                )
                page = [(None, addr) for _, addr in result.hits]
            else:
                result = searcher.search(tq, request.limit, count=True, offset=request.offset)
                page = result.hits
        except ValueError as exc:
            raise SearchBackendError(f"tantivy search failed: {exc}") from exc

        generators = []
        terms_only = self._terms_only(query.root)
        if page:
            hq = self._highlight_query(query.root, searcher)
            if hq is not None:
                fields = ("body", "body_folded") if self._has_stemmed_terms(query.root) else ("body_folded",)
                for field_name in fields:
                    gen = tantivy.SnippetGenerator.create(searcher, hq, self.schema, field_name)
                    gen.set_max_num_chars(SNIPPET_CHARS)
                    generators.append((field_name, gen))

        hits = []
        for score, addr in page:
            stored = searcher.doc(addr)
            body = stored.get_first("body") or ""
            hits.append(
                SearchHit(
                    id=stored.get_first("id"),
                    score=float(score) if score is not None else 0.0,
                    title=stored.get_first("title") or "",
                    url=stored.get_first("url") or "",
                    source=stored.get_first("source") or "",
                    lang=stored.get_first("lang") or "",
                    published_at=stored.get_first("published_at"),
                    event_types=tuple(stored.get_all("event_types")),
                    snippet_html=self._snippet(generators, stored, body, terms_only),
                )
            )
        facets = self._facets(searcher, tq, query.modality_any) if request.facets else {}
        return SearchResult(hits=hits, total=int(result.count or 0), facets=facets)

    def _facets(
        self, searcher: tantivy.Searcher, tq: tantivy.Query, modality_any: bool
    ) -> dict[str, list[tuple[str, int]]]:
        aggs: dict = {}
        for facet, column in KEYWORD_FACETS.items():
            if facet == "type" and modality_any:
                column = "event_types_any"
            aggs[facet] = {"terms": {"field": column, "size": FACET_SIZE}}
        aggs["month"] = {"terms": {"field": "month", "size": MONTH_BUCKETS}}
        try:
            raw = searcher.aggregate(tq, aggs)
        except ValueError as exc:
            raise SearchBackendError(f"tantivy aggregation failed: {exc}") from exc
        facets: dict[str, list[tuple[str, int]]] = {}
        for facet in KEYWORD_FACETS:
            buckets = raw.get(facet, {}).get("buckets", [])
            pairs = [(str(b["key"]), int(b["doc_count"])) for b in buckets if b["doc_count"]]
            facets[facet] = sorted(pairs, key=lambda kv: (-kv[1], kv[0]))
        months = raw.get("month", {}).get("buckets", [])
        facets["month"] = sorted((str(b["key"]), int(b["doc_count"])) for b in months if b["doc_count"])
        return facets
