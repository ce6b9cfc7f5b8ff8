"""AST -> Elasticsearch bool query, and the Elasticsearch backend's plumbing against a fake client."""

from __future__ import annotations

import json
import socket
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

sys.path[:0] = [str(Path(__file__).resolve().parents[1])]

from indexer.query import And, MatchAll, Not, Or, Query, Term, parse  # noqa: E402
from indexer.search import elasticsearch_backend as esb  # noqa: E402
from indexer.search.document import IndexDocument, SearchRequest  # noqa: E402
from indexer.search.elasticsearch_backend import MAPPINGS, ElasticsearchBackend, to_es_query  # noqa: E402
from indexer.search.errors import SearchBackend, SearchBackendUnavailable  # noqa: E402
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
        {kind: {"title": {"query": value, "boost": 2.0}}},
        {kind: {"title.folded": {"query": value, "boost": 2.0}}},
        {kind: {"body": {"query": value, "boost": 1.0}}},
        {kind: {"body.folded": {"query": value, "boost": 1.0}}},
        {kind: {"quotes": {"query": value, "boost": 1.0}}},
        {kind: {"quotes.folded": {"query": value, "boost": 1.0}}},
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
def test_term_matches_stemmed_and_folded_fields_title_boosted():
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
        assert props[name]["fields"]["folded"]["analyzer"] == "folded"
    assert "keyword" in props["title"]["fields"]
    for name in ("persons", "places", "orgs", "event_types", "event_types_any", "source", "lang", "id"):
        assert props[name]["type"] == "keyword"
    assert props["published_at"]["type"] == "date"
    folded = esb.INDEX_SETTINGS["analysis"]["analyzer"]["folded"]
    assert "asciifolding" in folded["filter"]


# -------------------------------------------------------------------------------------- backend plumbing
class FakeIndices:
    def __init__(self, log: list) -> None:
        self.log = log
        self.aliases: dict[str, set[str]] = {}  # index -> aliases
        self.templates: dict[str, dict] = {}

    def put_index_template(self, name, **body):
        self.templates[name] = body

    def exists_alias(self, name):
        return any(name in a for a in self.aliases.values())

    def get_alias(self, name):
        return {index: {"aliases": {name: {}}} for index, a in self.aliases.items() if name in a}

    def create(self, index, aliases=None):
        self.log.append(("create", index))
        self.aliases[index] = set(aliases or {})

    def update_aliases(self, actions):
        self.log.append(("update_aliases", actions))
        for action in actions:
            ((op, spec),) = action.items()
            if op == "add":
                self.aliases[spec["index"]].add(spec["alias"])
            else:
                self.aliases[spec["index"]].discard(spec["alias"])

    def delete(self, index, ignore_unavailable=False):
        self.log.append(("delete", index))
        self.aliases.pop(index, None)

    def refresh(self, index):
        self.log.append(("refresh", index))

    def exists(self, index):
        return index in self.aliases


class FakeClient:
    def __init__(self) -> None:
        self.log: list = []
        self.indices = FakeIndices(self.log)
        self.search_kwargs: dict = {}

    def search(self, **kwargs):
        self.search_kwargs = kwargs
        return {
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
                        "highlight": {"body.folded": ["in <b>Bağçasaray</b> &lt;x&gt;"]},
                    },
                    {"_id": "d2", "_score": 1.0, "_source": {"id": "d2", "body": "a <b> c"}},
                ],
            },
            "aggregations": {
                "source": {"buckets": [{"key": "qha", "doc_count": 5}, {"key": "krymr", "doc_count": 2}]},
                "lang": {"buckets": [{"key": "en", "doc_count": 7}]},
                "type": {"buckets": []},
                "person": {"buckets": []},
                "place": {"buckets": []},
                "org": {"buckets": []},
                "month": {"buckets": [{"key_as_string": "2024-03", "key": 0, "doc_count": 7}]},
            },
        }

    def count(self, index):
        return {"count": 3}


@pytest.fixture
def fake(monkeypatch):
    client = FakeClient()
    bulk_calls: list = []

    def fake_streaming_bulk(client_, actions, **kwargs):
        batch = list(actions)
        bulk_calls.append((batch, kwargs))
        for _ in batch:
            yield True, {}

    monkeypatch.setattr(esb.helpers, "streaming_bulk", fake_streaming_bulk)
    backend = ElasticsearchBackend("http://es.invalid:9200", RESOLVER, index_prefix="cm", client=client)
    return backend, client, bulk_calls


DOCS = [
    IndexDocument(id="d1", title="t", body="b", published_at=datetime(2024, 3, 12, 9, tzinfo=UTC)),
    IndexDocument(id="d2", title="t2", body="b2"),
]


def test_backend_follows_protocol(fake):
    backend, _, _ = fake
    assert isinstance(backend, SearchBackend)


def test_index_goes_through_the_alias_with_retries(fake):
    backend, client, bulk_calls = fake
    assert backend.index(DOCS) == 2
    assert client.indices.templates["cm-template"]["index_patterns"] == ["cm-v*"]
    ((batch, kwargs),) = bulk_calls
    assert [a["_id"] for a in batch] == ["d1", "d2"]
    assert {a["_index"] for a in batch} == {"cm"}
    assert batch[0]["_source"]["published_at"] == "2024-03-12T09:00:00+00:00"
    assert kwargs["max_retries"] >= 1 and kwargs["chunk_size"] > 0 and kwargs["initial_backoff"] > 0


def test_reindex_swaps_alias_atomically_and_drops_old_index(fake):
    backend, client, bulk_calls = fake
    backend.index(DOCS)
    (old,) = backend._indices()
    new = backend.reindex(DOCS)
    assert new != old and new.startswith("cm-v")
    assert backend._indices() == [new]
    swaps = [entry for entry in client.log if entry[0] == "update_aliases"]
    assert swaps == [
        (
            "update_aliases",
            [
                {"remove": {"index": old, "alias": "cm"}},
                {"add": {"index": new, "alias": "cm", "is_write_index": True}},
            ],
        )
    ]
    assert client.log.index(swaps[0]) < client.log.index(("delete", old))
    assert {a["_index"] for a in bulk_calls[-1][0]} == {new}


def test_search_request_and_response(fake):
    backend, client, _ = fake
    result = backend.search(SearchRequest("bagcasaray", limit=2, offset=4, sort="date", facets=True))
    kwargs = client.search_kwargs
    assert kwargs["index"] == "cm"
    assert kwargs["from_"] == 4 and kwargs["size"] == 2
    assert kwargs["sort"][0] == {"published_at": {"order": "desc", "missing": "_last"}}
    assert kwargs["highlight"]["encoder"] == "html"
    assert kwargs["aggs"]["month"]["date_histogram"]["calendar_interval"] == "month"
    assert "query_string" not in json.dumps(kwargs["query"])
    assert result.total == 7
    first, second = result.hits
    assert first.snippet_html == "in <b>Bağçasaray</b> &lt;x&gt;"
    assert first.published_at == datetime(2024, 3, 12, 9, tzinfo=UTC)
    assert first.event_types == ("search",)
    assert second.snippet_html == "a &lt;b&gt; c"  # no highlight: escaped body start
    assert result.facets["source"] == [("qha", 5), ("krymr", 2)]
    assert result.facets["month"] == [("2024-03", 7)]


def test_no_facets_unless_requested(fake):
    backend, client, _ = fake
    assert backend.search(SearchRequest("x")).facets == {}
    assert "aggs" not in client.search_kwargs


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_connection_error_is_search_backend_unavailable():
    backend = ElasticsearchBackend(f"http://127.0.0.1:{_closed_port()}", RESOLVER, request_timeout=2)
    with pytest.raises(SearchBackendUnavailable) as info:
        backend.search(SearchRequest("fsb"))
    message = str(info.value)
    assert "\n" not in message
    assert "unavailable" in message and "127.0.0.1" in message
