"""The search backend for scale: an Elasticsearch cluster fed from the store.

Layout: an index template ``{prefix}-template`` (explicit mappings) applies to versioned indices
``{prefix}-v{timestamp}``; the alias ``{prefix}`` points at exactly one of them. ``reindex(docs)`` builds a
new version and swaps the alias in one atomic ``update_aliases`` call, so searches never see a half-built
index.

Queries: ``to_es_query`` translates the same AST the Tantivy backend uses into a bool query. User values only
ever travel as string values inside term/terms/match/match_phrase/prefix/range bodies, never in query_string.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import elastic_transport
from elasticsearch import ApiError, Elasticsearch, helpers

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
from indexer.search.errors import SearchBackendError, SearchBackendUnavailable
from indexer.search.resolver import EntityResolver, fold

__all__ = ["INDEX_SETTINGS", "MAPPINGS", "ElasticsearchBackend", "to_es_query"]

TITLE_BOOST = 2.0
FACET_SIZE = 20
SNIPPET_CHARS = 220
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
_WORD = re.compile(r"[^\W_]+")

INDEX_SETTINGS: dict[str, Any] = {
    "number_of_shards": 1,
    "analysis": {
        "analyzer": {
            "folded": {"type": "custom", "tokenizer": "standard", "filter": ["lowercase", "asciifolding"]},
        }
    },
}


def _text(keyword_above: int | None) -> dict[str, Any]:
    fields: dict[str, Any] = {"folded": {"type": "text", "analyzer": "folded"}}
    if keyword_above:
        fields["keyword"] = {"type": "keyword", "ignore_above": keyword_above}
    return {"type": "text", "analyzer": "english", "fields": fields}


MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "id": {"type": "keyword"},
        "title": _text(512),
        "body": _text(None),
        "quotes": _text(1024),
        "url": {"type": "keyword", "index": False},
        "source": {"type": "keyword"},
        "lang": {"type": "keyword"},
        "persons": {"type": "keyword"},
        "places": {"type": "keyword"},
        "orgs": {"type": "keyword"},
        "event_types": {"type": "keyword"},
        "event_types_any": {"type": "keyword"},
        "has_quote": {"type": "boolean"},
        "about_crimea": {"type": "boolean"},
        "published_at": {"type": "date"},
    },
}


# -------------------------------------------------------------------------------------- AST -> ES (pure)
def _boost(field: str) -> float:
    return TITLE_BOOST if field.startswith("title") else 1.0


def _should(clauses: list[dict]) -> dict:
    return {"bool": {"should": clauses, "minimum_should_match": 1}}


def _phrase(text: str) -> dict:
    return _should(
        [{"match_phrase": {f"{f}.folded": {"query": text, "boost": _boost(f)}}} for f in TEXT_FIELDS]
    )


def _filter(clause: dict) -> dict:
    # filter context: decides membership, scores 0 (as the Tantivy backend's constant-score filters)
    return {"bool": {"filter": [clause]}}


def to_es_query(query: Query, resolver: EntityResolver) -> dict:
    """Translate a parsed query into an Elasticsearch query (a dict); pure, no I/O."""
    return _node(query.root, query.modality_any, resolver)


def _node(node: Node, modality_any: bool, resolver: EntityResolver) -> dict:
    if isinstance(node, Term):
        if len(_WORD.findall(node.text)) > 1:  # "Rostov-on-Don": its words in order
            return _phrase(node.text)
        clauses = []
        for f in TEXT_FIELDS:
            for name in (f, f"{f}.folded"):
                clauses.append({"match": {name: {"query": node.text, "boost": _boost(f)}}})
        return _should(clauses)
    if isinstance(node, Phrase):
        return _phrase(node.text)
    if isinstance(node, Prefix):
        value = fold(node.text)
        return _should(
            [{"prefix": {f"{f}.folded": {"value": value, "boost": _boost(f)}}} for f in TEXT_FIELDS]
        )
    if isinstance(node, Field):
        if node.name in ENTITY_COLUMNS:
            ids = sorted(resolver.resolve(node.name, node.value))
            if not ids:
                return {"match_none": {}}
            return _filter({"terms": {ENTITY_COLUMNS[node.name]: ids}})
        if node.name == "type":
            column = "event_types_any" if modality_any else "event_types"
            return _filter({"term": {column: {"value": node.value}}})
        if node.name in ("source", "lang"):
            return _filter({"term": {node.name: {"value": node.value}}})
        raise TypeError(f"unknown field {node.name!r}")
    if isinstance(node, DateRange):
        if node.start is None and node.end is None:
            return _filter({"exists": {"field": "published_at"}})
        body: dict[str, Any] = {"format": "yyyy-MM-dd", "time_zone": "UTC"}
        if node.start is not None:
            body["gte"] = node.start.isoformat()
        if node.end is not None and node.end < date.max:
            body["lt"] = (node.end + timedelta(days=1)).isoformat()
        elif node.end is not None:
            body["lte"] = node.end.isoformat()
        return _filter({"range": {"published_at": body}})
    if isinstance(node, Has):
        return _filter({"term": {"has_quote": {"value": True}}})
    if isinstance(node, About):
        if node.what == "any":
            return {"match_all": {}}
        return _filter({"term": {"about_crimea": {"value": True}}})
    if isinstance(node, MatchAll):
        return {"match_all": {}}
    if isinstance(node, Not):
        return {"bool": {"must": [{"match_all": {}}], "must_not": [_node(node.item, modality_any, resolver)]}}
    if isinstance(node, And):
        must = [_node(i, modality_any, resolver) for i in node.items if not isinstance(i, Not)]
        must_not = [_node(i.item, modality_any, resolver) for i in node.items if isinstance(i, Not)]
        out: dict[str, Any] = {"must": must or [{"match_all": {}}]}
        if must_not:
            out["must_not"] = must_not
        return {"bool": out}
    if isinstance(node, Or):
        return _should([_node(i, modality_any, resolver) for i in node.items])
    raise TypeError(f"not a query node: {node!r}")


def _aggs(modality_any: bool) -> dict:
    aggs: dict[str, Any] = {}
    for facet, column in KEYWORD_FACETS.items():
        if facet == "type" and modality_any:
            column = "event_types_any"
        aggs[facet] = {"terms": {"field": column, "size": FACET_SIZE}}
    aggs["month"] = {
        "date_histogram": {
            "field": "published_at",
            "calendar_interval": "month",
            "format": "yyyy-MM",
            "min_doc_count": 1,
            "time_zone": "UTC",
        }
    }
    return aggs


def _source(doc: IndexDocument) -> dict:
    return {
        "id": doc.id,
        "title": doc.title,
        "body": doc.body,
        "quotes": list(doc.quotes),
        "url": doc.url,
        "source": doc.source,
        "lang": doc.lang,
        "persons": list(doc.persons),
        "places": list(doc.places),
        "orgs": list(doc.orgs),
        "event_types": list(doc.event_types),
        "event_types_any": list(doc.event_types_any),
        "has_quote": bool(doc.has_quote),
        "about_crimea": bool(doc.about_crimea),
        "published_at": doc.published_at.isoformat() if doc.published_at else None,
    }


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


# ---------------------------------------------------------------------------------------------- backend
class ElasticsearchBackend:
    """Search backend over an Elasticsearch cluster (versioned indices behind an alias)."""

    def __init__(
        self,
        url: str,
        resolver: EntityResolver,
        index_prefix: str = "crimea-monitor",
        *,
        client: Elasticsearch | None = None,
        request_timeout: float = 10.0,
        chunk_size: int = 500,
        max_retries: int = 3,
    ) -> None:
        self.url = url
        self.resolver = resolver
        self.prefix = index_prefix
        self.alias = index_prefix
        self.template = f"{index_prefix}-template"
        self.chunk_size = chunk_size
        self.max_retries = max_retries
        self.client = client or Elasticsearch(
            url, request_timeout=request_timeout, max_retries=2, retry_on_timeout=True
        )
        self._ready = False

    # -------------------------------------------------------------------------------------- plumbing
    def _call(self, what: str, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (elastic_transport.ConnectionError, elastic_transport.ConnectionTimeout) as exc:
            detail = _reason(exc)
            raise SearchBackendUnavailable(
                f"Elasticsearch at {self.url} is unavailable ({what}): {detail}"
            ) from exc
        except helpers.BulkIndexError as exc:
            raise SearchBackendError(f"Elasticsearch {what}: {len(exc.errors)} documents failed") from exc
        except ApiError as exc:
            status = exc.meta.status
            raise SearchBackendError(f"Elasticsearch {what} failed: {exc.message} ({status})") from exc

    def _new_index_name(self) -> str:
        return f"{self.prefix}-v{datetime.now(UTC).strftime('%Y%m%dt%H%M%S%f')}"

    def ensure(self) -> None:
        """Install the index template and, on first use, a versioned index behind the alias."""
        if self._ready:
            return
        self._call(
            "put index template",
            self.client.indices.put_index_template,
            name=self.template,
            index_patterns=[f"{self.prefix}-v*"],
            priority=100,
            template={"settings": INDEX_SETTINGS, "mappings": MAPPINGS},
        )
        if not self._call("check alias", self.client.indices.exists_alias, name=self.alias):
            self._call(
                "create index",
                self.client.indices.create,
                index=self._new_index_name(),
                aliases={self.alias: {"is_write_index": True}},
            )
        self._ready = True

    def _indices(self) -> list[str]:
        if not self._call("check alias", self.client.indices.exists_alias, name=self.alias):
            return []
        return sorted(self._call("get alias", self.client.indices.get_alias, name=self.alias).keys())

    def _actions(self, docs: Iterable[IndexDocument], index: str) -> Iterator[dict]:
        for doc in docs:
            yield {"_op_type": "index", "_index": index, "_id": doc.id, "_source": _source(doc)}

    def _bulk(self, actions: Iterable[dict], chunk_size: int | None = None) -> int:
        done = 0
        for ok, _item in helpers.streaming_bulk(
            self.client,
            actions,
            chunk_size=chunk_size or self.chunk_size,
            max_retries=self.max_retries,
            initial_backoff=1,
            max_backoff=30,
            raise_on_error=True,
            ignore_status=(404,),
        ):
            done += 1 if ok else 0
        return done

    # --------------------------------------------------------------------------------------- writing
    def index(self, docs: Iterable[IndexDocument], batch_size: int | None = None) -> int:
        """Add or replace documents (by id) in the index behind the alias."""
        self.ensure()
        done = self._call("bulk index", self._bulk, self._actions(docs, self.alias), batch_size)
        self._call("refresh", self.client.indices.refresh, index=self.alias)
        return done

    def reindex(self, docs: Iterable[IndexDocument]) -> str:
        """Build a new versioned index from ``docs``, swap the alias to it atomically, drop the old one(s)."""
        self.ensure()
        new = self._new_index_name()
        self._call("create index", self.client.indices.create, index=new)
        try:
            self._call("bulk index", self._bulk, self._actions(docs, new))
            self._call("refresh", self.client.indices.refresh, index=new)
        except Exception:
            self.client.indices.delete(index=new, ignore_unavailable=True)
            raise
        old = self._indices()
        actions: list[dict] = [{"remove": {"index": name, "alias": self.alias}} for name in old]
        actions.append({"add": {"index": new, "alias": self.alias, "is_write_index": True}})
        self._call("swap alias", self.client.indices.update_aliases, actions=actions)
        for name in old:
            self._call("delete old index", self.client.indices.delete, index=name, ignore_unavailable=True)
        return new

    def delete(self, ids: Iterable[str]) -> None:
        self.ensure()
        actions = ({"_op_type": "delete", "_index": self.alias, "_id": i} for i in ids)
        self._call("bulk delete", self._bulk, actions)
        self._call("refresh", self.client.indices.refresh, index=self.alias)

    def clear(self) -> None:
        self.ensure()
        self._call(
            "clear",
            self.client.delete_by_query,
            index=self.alias,
            query={"match_all": {}},
            refresh=True,
            conflicts="proceed",
        )

    def close(self) -> None:
        self.client.close()

    def count(self) -> int:
        self.ensure()
        return int(self._call("count", self.client.count, index=self.alias)["count"])

    def drop(self) -> None:
        """Delete every versioned index, the alias and the template (tests, teardown)."""
        for name in self._indices():
            self._call("delete index", self.client.indices.delete, index=name, ignore_unavailable=True)
        self._call(
            "delete template",
            self.client.options(ignore_status=404).indices.delete_index_template,
            name=self.template,
        )
        self._ready = False

    # ---------------------------------------------------------------------------------------- search
    def search(self, request: SearchRequest) -> SearchResult:
        query = parse(request.query)
        self.ensure()
        kwargs: dict[str, Any] = {
            "index": self.alias,
            "query": to_es_query(query, self.resolver),
            "from_": request.offset,
            "size": request.limit,
            "track_total_hits": True,
            "highlight": {
                "encoder": "html",
                "pre_tags": ["<b>"],
                "post_tags": ["</b>"],
                "fields": {
                    # no_match_size: the (escaped) start of the body when no term matched
                    "body": {
                        "number_of_fragments": 1,
                        "fragment_size": SNIPPET_CHARS,
                        "no_match_size": SNIPPET_CHARS,
                    },
                    "body.folded": {"number_of_fragments": 1, "fragment_size": SNIPPET_CHARS},
                },
            },
            "source_excludes": ["body", "quotes", "event_types_any"],
        }
        if request.sort == "date":
            kwargs["sort"] = [
                {"published_at": {"order": "desc", "missing": "_last"}},
                {"id": {"order": "asc"}},
            ]
        if request.facets:
            kwargs["aggs"] = _aggs(query.modality_any)
        resp = self._call("search", self.client.search, **kwargs)
        hits = []
        for h in resp["hits"]["hits"]:
            src = h.get("_source", {})
            hits.append(
                SearchHit(
                    id=src.get("id", h["_id"]),
                    score=float(h.get("_score") or 0.0),
                    title=src.get("title", ""),
                    url=src.get("url", ""),
                    source=src.get("source", ""),
                    lang=src.get("lang", ""),
                    published_at=_parse_date(src.get("published_at")),
                    event_types=tuple(src.get("event_types", ())),
                    snippet_html=_snippet(h.get("highlight", {}), src.get("body", "")),
                )
            )
        facets: dict[str, list[tuple[str, int]]] = {}
        if request.facets:
            aggs = resp.get("aggregations", {})
            for facet in KEYWORD_FACETS:
                pairs = [(str(b["key"]), int(b["doc_count"])) for b in aggs.get(facet, {}).get("buckets", [])]
                facets[facet] = sorted(pairs, key=lambda kv: (-kv[1], kv[0]))
            facets["month"] = [
                (b["key_as_string"], int(b["doc_count"]))
                for b in aggs.get("month", {}).get("buckets", [])
                if b["doc_count"]
            ]
        return SearchResult(hits=hits, total=int(resp["hits"]["total"]["value"]), facets=facets)


def _reason(exc: Exception) -> str:
    """The root cause of a connection error in a few words ("[Errno 111] Connection refused")."""
    text = " ".join(str(exc).split())
    found = re.search(r"\[Errno -?\d+\][^)'\"]*", text)
    if found:
        return found.group(0).strip()
    if isinstance(exc, elastic_transport.ConnectionTimeout) or "timed out" in text.lower():
        return "timed out"
    return text[:160] or type(exc).__name__


def _snippet(highlight: dict, body: str) -> str:
    best = ""
    for name in ("body", "body.folded"):
        fragments = highlight.get(name) or []
        if fragments and (not best or fragments[0].count("<b>") > best.count("<b>")):
            best = fragments[0]
    if best:
        return best
    text = body[:SNIPPET_CHARS]
    if len(body) > SNIPPET_CHARS:
        text = text.rsplit(" ", 1)[0] + " …"
    return html.escape(text, quote=False)
