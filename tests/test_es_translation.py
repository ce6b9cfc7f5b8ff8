"""AST -> Elasticsearch/OpenSearch bool query, the request body and its response, bulk retries (pure; the live
engines run the contract in test_search_contract.py)."""

from __future__ import annotations

import json
import socket
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

sys.path[:0] = [str(Path(__file__).resolve().parents[1])]

from indexer.query import And, MatchAll, Not, Or, Query, Term, parse  # noqa: E402
from indexer.search.document import SearchRequest  # noqa: E402
from indexer.search.dsl import INDEX_SETTINGS, MAPPINGS, read_response, search_body  # noqa: E402
from indexer.search.dsl import to_dsl as to_es_query  # noqa: E402
from indexer.search.elasticsearch_backend import ElasticsearchBackend  # noqa: E402
from indexer.search.errors import SearchBackendError, SearchBackendUnavailable  # noqa: E402
from indexer.search.opensearch_backend import OpenSearchBackend  # noqa: E402
from indexer.search.resolver import KeyResolver  # noqa: E402


class DictResolver:
    def __init__(self, table: dict[tuple[str, str], set[str]]) -> None:
        self.table = table

    def resolve(self, field: str, value: str) -> frozenset[str]:
        return frozenset(self.table.get((field, value.lower()), set()))


RESOLVER = DictResolver(
    {
        ("person", "jemilev"): {"person:mustafa-dzhemilev"},
        ("place", "bakhchisaray"): {"place:bakhchysarai", "place:bakhchysarai-district"},
    }
)


def es(text: str) -> dict:
    return to_es_query(parse(text), RESOLVER)


def text_clauses(kind: str, value: str) -> list[dict]:
    return [
        {kind: {f"{field}{sub}": {"query": value, "boost": 2.0 if field == "title" else 1.0}}}
        for field in ("title", "body", "quotes")
        for sub in ("", ".folded", ".ru", ".uk")
    ]


def should(clauses: list[dict]) -> dict:
    return {"bool": {"should": clauses, "minimum_should_match": 1}}


def folded_phrase(value: str) -> dict:
    return should(
        [
            {"match_phrase": {"title.folded": {"query": value, "boost": 2.0}}},
            {"match_phrase": {"body.folded": {"query": value, "boost": 1.0}}},
            {"match_phrase": {"quotes.folded": {"query": value, "boost": 1.0}}},
        ]
    )


def filt(clause: dict) -> dict:
    return {"bool": {"filter": [clause]}}


# ------------------------------------------------------------------------------------------- translation
def test_term_matches_stemmed_folded_russian_and_ukrainian_fields_title_boosted():
    assert es("Searches") == should(text_clauses("match", "Searches"))


def test_multi_word_term_is_a_phrase_on_folded_fields():
    assert es("Rostov-on-Don") == folded_phrase("Rostov-on-Don")


def test_phrase_uses_folded_fields():
    assert es('"mass searches"') == folded_phrase("mass searches")


def test_prefix_is_folded_and_lowercased():
    assert es("Bağça*") == should(
        [
            {"prefix": {"title.folded": {"value": "bagca", "boost": 2.0}}},
            {"prefix": {"body.folded": {"value": "bagca", "boost": 1.0}}},
            {"prefix": {"quotes.folded": {"value": "bagca", "boost": 1.0}}},
        ]
    )


def test_entity_filters_resolve_to_canonical_ids():
    assert es("person:Jemilev") == filt({"terms": {"persons": ["person:mustafa-dzhemilev"]}})
    assert es("place:Bakhchisaray") == filt(
        {"terms": {"places": ["place:bakhchysarai", "place:bakhchysarai-district"]}}
    )


def test_unknown_entity_matches_nothing():
    assert es("org:nobody") == {"match_none": {}}


def test_key_resolver_ids():
    q = to_es_query(parse('person:"Ivan  Pétrov"'), KeyResolver())
    assert q == filt({"terms": {"persons": ["person:~ivan-petrov"]}})


def test_type_filter_uses_actual_events_unless_modality_any():
    assert es("type:search") == filt({"term": {"event_types": {"value": "search"}}})
    assert es("type:search modality:any") == filt({"term": {"event_types_any": {"value": "search"}}})


def test_source_lang_has_filters():
    assert es("source:qha") == filt({"term": {"source": {"value": "qha"}}})
    assert es("lang:RU") == filt({"term": {"lang": {"value": "ru"}}})
    assert es("has:quote") == filt({"term": {"has_quote": {"value": True}}})


@pytest.mark.parametrize(
    ("text", "body"),
    [
        ("date:2024-01-01..2024-06-30", {"gte": "2024-01-01", "lt": "2024-07-01"}),
        ("date:..2024-06-30", {"lt": "2024-07-01"}),
        ("date:2024-01-01..", {"gte": "2024-01-01"}),
        ("date:2024-03-12", {"gte": "2024-03-12", "lt": "2024-03-13"}),
        ("date:2024-02", {"gte": "2024-02-01", "lt": "2024-03-01"}),
        ("date:2024-12", {"gte": "2024-12-01", "lt": "2025-01-01"}),
    ],
)
def test_date_ranges(text, body):
    assert es(text) == filt({"range": {"published_at": {"format": "yyyy-MM-dd", "time_zone": "UTC", **body}}})


def test_and_or_not_structure():
    a, b, c = (should(text_clauses("match", w)) for w in "abc")
    assert es("a b") == {"bool": {"must": [a, b]}}
    assert es("a -b") == {"bool": {"must": [a], "must_not": [b]}}
    assert es("-a -b") == {"bool": {"must": [{"match_all": {}}], "must_not": [a, b]}}
    assert es("a OR b") == should([a, b])
    assert es("NOT a") == {"bool": {"must": [{"match_all": {}}], "must_not": [a]}}
    assert es("a b OR c") == should([{"bool": {"must": [a, b]}}, c])
    assert es("NOT a OR b") == should([{"bool": {"must": [{"match_all": {}}], "must_not": [a]}}, b])


def test_match_all_and_nested_not():
    assert to_es_query(Query(MatchAll()), RESOLVER) == {"match_all": {}}
    q = Query(Or((Not(Term("x")), And((Term("y"), Not(Not(Term("z"))))))))
    out = to_es_query(q, RESOLVER)
    assert json.loads(json.dumps(out)) == out


def test_no_query_string_even_for_lucene_syntax_in_values():
    out = json.dumps(es('"title:x OR *" source:"a OR b"'))
    assert "query_string" not in out
    assert '"title:x OR *"' in out and '"a OR b"' in out


def test_mappings_are_explicit():
    props = MAPPINGS["properties"]
    assert MAPPINGS["dynamic"] == "strict"
    for name in ("title", "body", "quotes"):
        assert props[name]["analyzer"] == "english"
        fields = props[name]["fields"]
        assert fields["folded"]["analyzer"] == "folded"
        assert fields["ru"]["analyzer"] == "russian"
        assert fields["uk"]["analyzer"] == "ukrainian_words"
    assert "keyword" in props["title"]["fields"]
    for name in ("persons", "places", "orgs", "event_types", "event_types_any", "source", "lang", "id"):
        assert props[name]["type"] == "keyword"
    assert props["published_at"]["type"] == "date"
    analysis = INDEX_SETTINGS["analysis"]
    assert "asciifolding" in analysis["analyzer"]["folded"]["filter"]
    assert "ukrainian_stop" in analysis["analyzer"]["ukrainian_words"]["filter"]
    assert "що" in analysis["filter"]["ukrainian_stop"]["stopwords"]


# ------------------------------------------------------------------------------------ request and response
RESPONSE = {
    "hits": {
        "total": {"value": 7},
        "hits": [
            {
                "_id": "d1",
                "_score": 1.5,
                "_source": {
                    "id": "d1",
                    "title": "T",
                    "body": "plain <body>",
                    "url": "u",
                    "source": "qha",
                    "lang": "en",
                    "published_at": "2024-03-12T09:00:00+00:00",
                    "event_types": ["search"],
                },
                "highlight": {"body": ["<b>in</b> x"], "body.folded": ["<b>in</b> <b>Bağçasaray</b> &lt;x&gt;"]},
            },
            {"_id": "d2", "_score": 1.0, "_source": {"id": "d2", "body": "a <b> c"}},
        ],
    },
    "aggregations": {
        "source": {"buckets": [{"key": "krymr", "doc_count": 2}, {"key": "qha", "doc_count": 5}]},
        "lang": {"buckets": [{"key": "en", "doc_count": 7}]},
        "type": {"buckets": []},
        "person": {"buckets": []},
        "place": {"buckets": []},
        "org": {"buckets": []},
        "month": {"buckets": [{"key_as_string": "2024-03", "key": 0, "doc_count": 7}]},
    },
}


def test_search_body():
    request = SearchRequest("bagcasaray", limit=2, offset=4, sort="date", facets=True)
    body = search_body(request, parse(request.query), RESOLVER)
    assert body["from"] == 4 and body["size"] == 2 and body["track_total_hits"] is True
    assert body["sort"][0] == {"published_at": {"order": "desc", "missing": "_last"}}
    assert body["highlight"]["encoder"] == "html"
    assert set(body["highlight"]["fields"]) == {"body", "body.folded", "body.ru", "body.uk"}
    assert body["aggs"]["month"]["date_histogram"]["calendar_interval"] == "month"
    assert body["_source"] == {"excludes": ["body", "quotes", "event_types_any"]}
    plain = search_body(SearchRequest("x"), parse("x"), RESOLVER)
    assert "aggs" not in plain and "sort" not in plain


def test_read_response():
    result = read_response(RESPONSE, SearchRequest("x", facets=True))
    assert result.total == 7
    first, second = result.hits
    assert first.snippet_html == "<b>in</b> <b>Bağçasaray</b> &lt;x&gt;"  # the fragment marking most words
    assert first.published_at == datetime(2024, 3, 12, 9, tzinfo=UTC)
    assert first.event_types == ("search",)
    assert second.snippet_html == "a &lt;b&gt; c"  # no highlight: escaped body start
    assert result.facets["source"] == [("qha", 5), ("krymr", 2)]
    assert result.facets["month"] == [("2024-03", 7)]
    assert read_response(RESPONSE, SearchRequest("x")).facets == {}


# ------------------------------------------------------------------------------------------ bulk retries
class FlakyCluster:
    """Answers bulk items from a script of statuses per id (the last one repeats)."""

    def __init__(self, script: dict[str, list[int]]) -> None:
        self.script = script
        self.sent: list[list[str]] = []

    def send(self, actions: list[dict]):
        self.sent.append([a["_id"] for a in actions])
        for action in actions:
            statuses = self.script.get(action["_id"], [201])
            status = statuses.pop(0) if len(statuses) > 1 else statuses[0]
            item = {"_id": action["_id"], "status": status}
            if status >= 300:
                item["error"] = {"type": "unavailable_shards_exception", "reason": f"no primary for {action['_id']}"}
            yield 200 <= status < 300, {action["_op_type"]: item}


def flaky_backend(script: dict[str, list[int]], max_retries: int = 3):
    backend = ElasticsearchBackend(
        "http://127.0.0.1:9",
        RESOLVER,
        client=SimpleNamespace(),
        chunk_size=2,
        max_retries=max_retries,
        retry_backoff=0,
    )
    cluster = FlakyCluster(script)
    backend._send = cluster.send
    return backend, cluster


def _actions(*ids: str, op: str = "index") -> list[dict]:
    return [{"_op_type": op, "_index": "cm", "_id": i, "_source": {}} for i in ids]


def test_bulk_resends_only_items_refused_while_a_shard_has_no_primary():
    backend, cluster = flaky_backend({"b": [503, 503, 201], "c": [429, 201]})
    assert backend._bulk(_actions("a", "b", "c")) == 3
    assert cluster.sent == [["a", "b"], ["b"], ["b"], ["c"], ["c"]]


def test_bulk_gives_up_after_max_retries_and_says_why():
    backend, cluster = flaky_backend({"b": [503]}, max_retries=2)
    with pytest.raises(SearchBackendError, match=r"1 documents failed.*no primary for b"):
        backend._bulk(_actions("a", "b"))
    assert cluster.sent == [["a", "b"], ["b"], ["b"]]


def test_bulk_does_not_retry_a_rejected_document():
    backend, cluster = flaky_backend({"a": [400]})
    with pytest.raises(SearchBackendError, match="1 documents failed"):
        backend._bulk(_actions("a", "b"))
    assert cluster.sent == [["a", "b"]]


def test_deleting_a_missing_id_is_not_an_error():
    backend, _ = flaky_backend({"gone": [404]})
    assert backend._bulk(_actions("gone", op="delete")) == 1


# ------------------------------------------------------------------------------------------------ errors
def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("backend_class", [ElasticsearchBackend, OpenSearchBackend])
def test_connection_error_is_search_backend_unavailable(backend_class):
    backend = backend_class(f"http://127.0.0.1:{_closed_port()}", RESOLVER, request_timeout=2)
    with pytest.raises(SearchBackendUnavailable) as info:
        backend.search(SearchRequest("fsb"))
    message = str(info.value)
    assert "\n" not in message
    assert "unavailable" in message and "127.0.0.1" in message
