"""From the store to the search index: documents, the configured backend, incremental indexing, rebuilds.

The store is the system of record; the index is derived from it. An article whose NLP results are saved is
``enriched``; ``index_pending`` puts such articles into the index in batches (one commit per batch) and only then
marks them ``indexed``, so a backend that is down loses nothing: the articles stay ``enriched`` and are indexed
on the next run. A re-enriched article goes back to ``enriched`` and its document is replaced (same id).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import settings as config
from indexer.search.document import IndexDocument
from indexer.search.errors import SearchBackend, SearchBackendError
from indexer.search.resolver import EntityResolver
from indexer.store import Store
from nlp.gazetteer import load_gazetteer
from pipelines.resolver import GazetteerResolver

__all__ = [
    "BACKENDS",
    "SearchConfigError",
    "backend_from_settings",
    "document_for",
    "index_dir_for",
    "index_pending",
    "parse_published",
    "reindex_all",
]

BACKENDS = ("tantivy", "elasticsearch")
LABEL_COLUMNS = {"PERSON": "persons", "GPE": "places", "LOC": "places", "ORG": "orgs"}
#: statuses whose enrichment belongs in the index
INDEXABLE = ("enriched", "indexed")


class SearchConfigError(SearchBackendError):
    """The search settings are incomplete or wrong (unknown backend, Elasticsearch without a URL)."""


# ---------------------------------------------------------------------------------------------- documents
def parse_published(value: str | None) -> datetime | None:
    """An ISO date or datetime from the store as an aware UTC datetime (a date is midnight UTC); bad -> None."""
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = datetime.combine(date.fromisoformat(text[:10]), datetime.min.time())
        except ValueError:
            return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


def document_for(store: Store, article_id: str) -> IndexDocument | None:
    """The index document of one stored article and its NLP results (None if there is no such article)."""
    article = store.article(article_id)
    if article is None:
        return None
    rows = store.enrichment_rows(article_id)
    entities: dict[str, list[str]] = {"persons": [], "places": [], "orgs": []}
    for m in rows["mentions"]:
        column = LABEL_COLUMNS.get(m["label"])
        if column:
            entities[column].append(m["entity_id"])
    events = rows["events"]
    quotes = [q["text"] for q in rows["quotes"] if q["text"]]
    return IndexDocument(
        id=article.id,
        title=article.title or "",
        body=article.text or "",
        quotes=tuple(quotes),
        source=article.source_id or "",
        lang=article.lang or "",
        url=article.url or "",
        published_at=parse_published(article.published_at),
        persons=_unique(entities["persons"]),
        places=_unique(entities["places"]),
        orgs=_unique(entities["orgs"]),
        event_types=_unique(e["type"] for e in events if e["modality"] == "actual"),
        event_types_any=_unique(e["type"] for e in events),
        has_quote=bool(quotes),
        about_crimea=store.about_crimea(article.id),
    )


# ------------------------------------------------------------------------------------------------ backend
def index_dir_for(db_path: str | Path, index_dir: str | Path | None = None) -> Path:
    """The Tantivy index directory: ``index_dir`` if set, else ``<db stem>.index`` beside the database."""
    if index_dir:
        return Path(index_dir)
    db = Path(db_path)
    return db.with_name(f"{db.stem}.index")


def backend_from_settings(
    db_path: str | Path | None = None,
    store: Store | None = None,
    *,
    kind: str | None = None,
    index_dir: str | Path | None = None,
    elasticsearch_url: str | None = None,
    resolver: EntityResolver | None = None,
    rebuild: bool = False,
) -> SearchBackend:
    """The configured search backend (settings: SEARCH_BACKEND, INDEX_DIR, ELASTICSEARCH_URL, DB).

    Arguments override the settings. Without a ``resolver``, entity filters resolve through the gazetteer and
    (when ``store`` is given) the store's linked entities. ``rebuild`` (for ``reindex``) lets Tantivy replace an
    index built with an older schema instead of refusing to open it.
    """
    kind = (kind or config.SEARCH_BACKEND or "tantivy").strip().lower()
    if resolver is None:
        resolver = GazetteerResolver(store, load_gazetteer())
    if kind == "tantivy":
        from indexer.search.tantivy_backend import TantivyBackend

        path = index_dir_for(db_path or config.DB, index_dir if index_dir is not None else config.INDEX_DIR)
        return TantivyBackend(path, resolver, replace_incompatible=rebuild)
    if kind == "elasticsearch":
        url = (elasticsearch_url if elasticsearch_url is not None else config.ELASTICSEARCH_URL).strip()
        if not url:
            raise SearchConfigError(
                "CRIMEA_MONITOR_SEARCH_BACKEND=elasticsearch needs CRIMEA_MONITOR_ELASTICSEARCH_URL "
                "(e.g. http://127.0.0.1:9200)"
            )
        from indexer.search.elasticsearch_backend import ElasticsearchBackend

        return ElasticsearchBackend(url, resolver)
    raise SearchConfigError(
        f"unknown search backend {kind!r} in CRIMEA_MONITOR_SEARCH_BACKEND; use one of: {', '.join(BACKENDS)}"
    )


# --------------------------------------------------------------------------------------------- indexing
def index_pending(
    store: Store,
    backend: SearchBackend,
    batch_size: int = 500,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Index every ``enriched`` article, ``batch_size`` per commit, then mark them ``indexed``. Returns how many.

    Raises ``SearchBackendUnavailable`` (or another ``SearchBackendError``) from the backend; articles of the
    failed batch stay ``enriched``, so nothing is lost.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    done = 0
    skip: set[str] = set()  # articles re-enriched while their batch was indexed: next run
    while True:
        ids = [i for i in store.article_ids_with_status("enriched", limit=batch_size + len(skip)) if i not in skip]
        ids = ids[:batch_size]
        if not ids:
            return done
        before = store.enriched_stamps(ids)
        docs = [doc for doc in (document_for(store, i) for i in ids) if doc is not None]
        backend.index(docs)
        after = store.enriched_stamps(ids)
        unchanged = [i for i in ids if i in before and after.get(i) == before[i]]
        store.mark_indexed(unchanged)
        skip.update(i for i in ids if i not in unchanged)
        done += len(docs)
        if progress is not None:
            progress(len(docs))


def indexable_ids(store: Store) -> list[str]:
    ids: list[str] = []
    for status in INDEXABLE:
        ids.extend(store.article_ids_with_status(status))
    return ids


def _documents(store: Store, ids: list[str], progress: Callable[[int], None] | None) -> Iterator[IndexDocument]:
    for article_id in ids:
        doc = document_for(store, article_id)
        if doc is not None:
            yield doc
        if progress is not None:
            progress(1)


def reindex_all(
    store: Store,
    backend: SearchBackend,
    progress: Callable[[int], None] | None = None,
    total: Callable[[int], None] | None = None,
) -> tuple[int, float]:
    """Rebuild the index from the store; returns (documents, seconds).

    Elasticsearch builds a new versioned index and swaps the alias; Tantivy replaces every document in one
    commit (searchers see the old index until then). Other backends are cleared and refilled. Every enriched
    article is marked ``indexed`` afterwards.
    """
    started = time.perf_counter()
    ids = indexable_ids(store)
    if total is not None:
        total(len(ids))
    stamps = store.enriched_stamps(ids) if ids else {}
    count = 0

    def counted() -> Iterator[IndexDocument]:
        nonlocal count
        for doc in _documents(store, ids, progress):
            count += 1
            yield doc

    rebuild = getattr(backend, "reindex", None)
    if callable(rebuild):
        rebuild(counted())
    else:
        backend.clear()
        backend.index(counted())
    if stamps:
        after = store.enriched_stamps(list(stamps))
        store.mark_indexed([i for i, stamp in stamps.items() if after.get(i) == stamp])
    return count, time.perf_counter() - started
