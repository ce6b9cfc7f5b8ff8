"""The query DSL that Elasticsearch and OpenSearch share: index settings and mappings, the translation of the query
language's AST, the search request body and the reading of its response. Pure: no client, no I/O.

User values only ever travel as string values inside term/terms/match/match_phrase/prefix/range bodies, never in
query_string.

Languages: every text field is analysed four ways. The main field uses the built-in ``english`` analyzer
(stemming: "searches" finds "searched"); ``.ru`` the built-in ``russian`` analyzer (Snowball stemming of Russian
words); ``.folded`` lower-cases and strips accents for every script ("Bagcasaray" finds "Bağçasaray"). Neither
engine ships a Ukrainian analyzer (Ukrainian needs the separate morfologik-based analysis-ukrainian plugin, which
many hosted clusters lack), so ``.uk`` lower-cases and drops Ukrainian function words: Ukrainian words match in
the form written (or through a prefix query, ``затрим*``), not by lemma.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

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
)
from indexer.search.document import IndexDocument, SearchHit, SearchRequest, SearchResult
from indexer.search.resolver import EntityResolver, fold

__all__ = [
    "INDEX_SETTINGS",
    "MAPPINGS",
    "document_source",
    "read_response",
    "search_body",
    "to_dsl",
]

TITLE_BOOST = 2.0
FACET_SIZE = 20
SNIPPET_CHARS = 220
TEXT_FIELDS = ("title", "body", "quotes")
#: sub-fields a word is looked up in besides the main (English-stemmed) field
WORD_SUBFIELDS = ("folded", "ru", "uk")
ENTITY_COLUMNS = {"person": "persons", "place": "places", "org": "orgs"}
KEYWORD_FACETS = {
    "source": "source",
    "lang": "lang",
    "type": "event_types",
    "person": "persons",
    "place": "places",
    "org": "orgs",
}
#: body fields whose highlight may become the snippet (the one marking most words wins)
SNIPPET_FIELDS = ("body", "body.folded", "body.ru", "body.uk")
_WORD = re.compile(r"[^\W_]+")

UKRAINIAN_STOPWORDS = [
    "а", "але", "або", "без", "би", "б", "в", "у", "вже", "від", "він", "вона", "вони", "воно", "ви", "де", "для",
    "до", "же", "ж", "з", "із", "зі", "за", "і", "й", "їх", "її", "його", "коли", "ми", "на", "над", "не", "ні",
    "по", "під", "при", "про", "та", "так", "також", "те", "ти", "то", "той", "це", "цей", "ця", "через",
    "чи", "що", "щоб", "як", "який", "яка", "які", "я",
]  # fmt: skip

INDEX_SETTINGS: dict[str, Any] = {
    "number_of_shards": 1,
    "analysis": {
        "filter": {"ukrainian_stop": {"type": "stop", "stopwords": sorted(set(UKRAINIAN_STOPWORDS))}},
        "analyzer": {
            "folded": {"type": "custom", "tokenizer": "standard", "filter": ["lowercase", "asciifolding"]},
            "ukrainian_words": {"type": "custom", "tokenizer": "standard", "filter": ["lowercase", "ukrainian_stop"]},
        },
    },
}


def _text(keyword_above: int | None) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "folded": {"type": "text", "analyzer": "folded"},
        "ru": {"type": "text", "analyzer": "russian"},
        "uk": {"type": "text", "analyzer": "ukrainian_words"},
    }
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


# -------------------------------------------------------------------------------------------- AST -> DSL
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


def to_dsl(query: Query, resolver: EntityResolver) -> dict:
    """Translate a parsed query into an Elasticsearch/OpenSearch query (a dict); pure, no I/O."""
    return _node(query.root, query.modality_any, resolver)


def _node(node: Node, modality_any: bool, resolver: EntityResolver) -> dict:
    if isinstance(node, Term):
        if len(_WORD.findall(node.text)) > 1:  # "Rostov-on-Don": its words in order
            return _phrase(node.text)
        clauses = []
        for f in TEXT_FIELDS:
            for name in (f, *(f"{f}.{sub}" for sub in WORD_SUBFIELDS)):
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


def search_body(request: SearchRequest, query: Query, resolver: EntityResolver) -> dict[str, Any]:
    """The body of a ``_search`` request for one search request."""
    body: dict[str, Any] = {
        "query": to_dsl(query, resolver),
        "from": request.offset,
        "size": request.limit,
        "track_total_hits": True,
        "highlight": {
            "encoder": "html",
            "pre_tags": ["<b>"],
            "post_tags": ["</b>"],
            "fields": {
                # no_match_size: the (escaped) start of the body when no term matched
                "body": {"number_of_fragments": 1, "fragment_size": SNIPPET_CHARS, "no_match_size": SNIPPET_CHARS},
                **{
                    name: {"number_of_fragments": 1, "fragment_size": SNIPPET_CHARS}
                    for name in SNIPPET_FIELDS[1:]
                },
            },
        },
        "_source": {"excludes": ["body", "quotes", "event_types_any"]},
    }
    if request.sort == "date":
        body["sort"] = [
            {"published_at": {"order": "desc", "missing": "_last"}},
            {"id": {"order": "asc"}},
        ]
    if request.facets:
        body["aggs"] = _aggs(query.modality_any)
    return body


def document_source(doc: IndexDocument) -> dict:
    """The ``_source`` of one indexed document."""
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


# ----------------------------------------------------------------------------------------- the response
def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def snippet(highlight: dict, body: str) -> str:
    """The highlighted fragment marking most words; else the escaped start of ``body``."""
    best = ""
    for name in SNIPPET_FIELDS:
        fragments = highlight.get(name) or []
        if fragments and (not best or fragments[0].count("<b>") > best.count("<b>")):
            best = fragments[0]
    if best:
        return best
    text = body[:SNIPPET_CHARS]
    if len(body) > SNIPPET_CHARS:
        text = text.rsplit(" ", 1)[0] + " …"
    return html.escape(text, quote=False)


def read_response(resp: dict, request: SearchRequest) -> SearchResult:
    """A ``_search`` response as the backends' common result."""
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
                snippet_html=snippet(h.get("highlight", {}), src.get("body", "")),
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
