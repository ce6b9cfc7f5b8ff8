"""Store -> index: documents from enriched articles, incremental indexing, entity resolution, rebuilds.

Real SQLite store and a real Tantivy index in tmp_path; NLP results are hand-made ``Enrichment`` records (the
NLP stage is tested on its own), saved with ``Store.save_enrichment`` exactly as the enrichment worker does.
"""

from __future__ import annotations

import hashlib
import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest

from indexer.search.document import SearchRequest
from indexer.search.errors import SearchBackendUnavailable
from indexer.search.tantivy_backend import TantivyBackend
from indexer.store import Store
from items import Enrichment, Event, Mention, Quote, Relevance, Victim
from nlp.gazetteer import load_gazetteer
from pipelines.index import (
    SearchConfigError,
    backend_from_settings,
    document_for,
    index_dir_for,
    index_pending,
    parse_published,
    reindex_all,
)
from pipelines.resolver import GazetteerResolver, entity_profile

DZHEMILEV = "person:mustafa-dzhemilev"
BAKHCHYSARAI = "place:bakhchysarai"
PETROV = "person:~ivan-petrov"


# --------------------------------------------------------------------------------------------- the corpus
def _mention(text: str, body: str, label: str, entity_id: str, name: str, nth: int = 0) -> Mention:
    start = -1
    for _ in range(nth + 1):
        start = body.index(text, start + 1)
    return Mention(start=start, end=start + len(text), label=label, text=text, entity_id=entity_id, name=name)


def _event(kind: str, trigger: str, body: str, modality: str = "actual", victims=()) -> Event:
    start = body.index(trigger)
    return Event(
        type=kind, trigger=trigger, start=start, end=start + len(trigger), sentence=body, modality=modality,
        victims=[Victim(text, entity_id) for text, entity_id in victims],
    )


def _quote(text: str, body: str, speaker: str | None, speaker_id: str | None) -> Quote:
    start = body.index(text)
    return Quote(text=text, speaker_text=speaker, speaker_id=speaker_id, cue="say", kind="direct", start=start,
                 end=start + len(text))


A1_BODY = (
    'Mustafa Jemilev said that Crimean Tatars are being deported again. "They want us gone from our land," '
    "Jemilev told the meeting in Kyiv."
)
A2_BODY = (
    "FSB officers searched the homes of three Crimean Tatars in Bakhchysarai. Dzhemilev condemned the raid. "
    "Police denied that anyone was detained."
)
A3_BODY = "Джемилев заявил, что жителям Симферополя грозят штрафы за дискредитацию армии."
A4_BODY = (
    "Ivan Petrov, a citizen journalist, was detained in Simferopol on Monday. Petrov was taken to the FSB "
    "building. Attackers posted [red]boom[/red] <script>alert(1)</script> on his page."
)

ARTICLES = {
    "a1": dict(title="Crimean Tatars meet in Kyiv", body=A1_BODY, source="qha", lang="en",
               published="2024-03-12T10:00:00+02:00"),
    "a2": dict(title="Homes searched in Bakhchysarai", body=A2_BODY, source="krymr", lang="en",
               published="2024-04-02"),
    "a3": dict(title="Джемилев о штрафах", body=A3_BODY, source="krymr", lang="ru", published="2024-05-20T08:00:00"),
    "a4": dict(title="=HYPERLINK(\"http://evil\") Journalist detained", body=A4_BODY, source="zmina", lang="en",
               published="2025-01-07T09:30:00Z"),
}


def _enrichments() -> dict[str, tuple[Enrichment, dict[str, tuple[str, str]]]]:
    relevant = Relevance(about_crimea=True, score=0.9, reasons=["test"])
    names = {
        DZHEMILEV: ("PERSON", "Mustafa Dzhemilev"),
        BAKHCHYSARAI: ("GPE", "Bakhchysarai"),
        "place:simferopol": ("GPE", "Simferopol"),
        "place:kyiv": ("GPE", "Kyiv"),
        "org:fsb": ("ORG", "Federal Security Service"),
        "group:crimean-tatars": ("NORP", "Crimean Tatars"),
        PETROV: ("PERSON", "Ivan Petrov"),
    }
    a1 = Enrichment(
        relevance=relevant,
        mentions=[
            _mention("Mustafa Jemilev", A1_BODY, "PERSON", DZHEMILEV, "Mustafa Dzhemilev"),
            _mention("Crimean Tatars", A1_BODY, "NORP", "group:crimean-tatars", "Crimean Tatars"),
            _mention("Jemilev", A1_BODY, "PERSON", DZHEMILEV, "Mustafa Dzhemilev", nth=1),
            _mention("Kyiv", A1_BODY, "GPE", "place:kyiv", "Kyiv"),
        ],
        events=[_event("deportation", "deported", A1_BODY, victims=[("Crimean Tatars", None)])],
        quotes=[_quote("They want us gone from our land,", A1_BODY, "Jemilev", DZHEMILEV)],
    )
    a2 = Enrichment(
        relevance=relevant,
        mentions=[
            _mention("FSB", A2_BODY, "ORG", "org:fsb", "Federal Security Service"),
            _mention("Bakhchysarai", A2_BODY, "GPE", BAKHCHYSARAI, "Bakhchysarai"),
            _mention("Dzhemilev", A2_BODY, "PERSON", DZHEMILEV, "Mustafa Dzhemilev"),
        ],
        events=[
            _event("search", "searched", A2_BODY),
            _event("detention", "detained", A2_BODY, modality="denied"),
        ],
    )
    a3 = Enrichment(
        relevance=relevant,
        mentions=[
            _mention("Джемилев", A3_BODY, "PERSON", DZHEMILEV, "Mustafa Dzhemilev"),
            _mention("Симферополя", A3_BODY, "GPE", "place:simferopol", "Simferopol"),
        ],
        events=[_event("fine", "штрафы", A3_BODY, modality="threatened")],
    )
    a4 = Enrichment(
        relevance=relevant,
        mentions=[
            _mention("Ivan Petrov", A4_BODY, "PERSON", PETROV, "Ivan Petrov"),
            _mention("Simferopol", A4_BODY, "GPE", "place:simferopol", "Simferopol"),
            _mention("Petrov", A4_BODY, "PERSON", PETROV, "Ivan Petrov", nth=1),
            _mention("FSB", A4_BODY, "ORG", "org:fsb", "Federal Security Service"),
        ],
        events=[_event("detention", "detained", A4_BODY, victims=[("Ivan Petrov", PETROV)])],
    )
    return {aid: (enr, names) for aid, enr in {"a1": a1, "a2": a2, "a3": a3, "a4": a4}.items()}


def save_articles(store: Store, which: tuple[str, ...] = tuple(ARTICLES)) -> None:
    for aid in which:
        a = ARTICLES[aid]
        store.save_article(
            {
                "id": aid,
                "url": f"https://example.org/{a['source']}/{aid}",
                "source_id": a["source"],
                "title": a["title"],
                "text": a["body"],
                "author": None,
                "lang": a["lang"],
                "published_at": a["published"],
                "fetched_at": "2025-02-01T00:00:00+00:00",
                "content_hash": hashlib.sha256(a["body"].encode()).hexdigest(),
                "minhash": b"",
                "shingle_count": 0,
                "near_duplicate_of": None,
                "near_duplicate_score": None,
            },
            [],
        )


def enrich(store: Store, which: tuple[str, ...] = tuple(ARTICLES)) -> None:
    gazetteer = load_gazetteer()
    enrichments = _enrichments()
    for aid in which:
        result, names = enrichments[aid]
        store.save_enrichment(aid, result, names, gazetteer_ids={i for i in names if i in gazetteer})


def build_store(db: Path, which: tuple[str, ...] = tuple(ARTICLES)) -> None:
    """A store at ``db`` holding the corpus, enriched (not yet indexed)."""
    with Store.open(db) as store:
        save_articles(store, which)
        enrich(store, which)


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------------------------- fixtures
@pytest.fixture
def store(tmp_path):
    build_store(tmp_path / "monitor.db")
    with Store.open(tmp_path / "monitor.db") as s:
        yield s


@pytest.fixture
def backend(store, tmp_path):
    return backend_from_settings(tmp_path / "monitor.db", store, kind="tantivy", index_dir="")


def ids(backend, query: str, **kwargs) -> set[str]:
    return {h.id for h in backend.search(SearchRequest(query, limit=100, **kwargs)).hits}


# ------------------------------------------------------------------------------------------------ tests
def test_document_for_builds_the_index_document(store):
    doc = document_for(store, "a1")
    assert doc is not None
    assert doc.title == "Crimean Tatars meet in Kyiv"
    assert doc.body == A1_BODY
    assert doc.source == "qha" and doc.lang == "en" and doc.url == "https://example.org/qha/a1"
    assert doc.published_at == datetime(2024, 3, 12, 8, 0, tzinfo=UTC)  # +02:00 -> UTC
    assert doc.persons == (DZHEMILEV,)  # two mentions, one id
    assert doc.places == ("place:kyiv",)
    assert doc.orgs == ()  # NORP is not an org
    assert doc.quotes == ("They want us gone from our land,",)
    assert doc.has_quote
    assert doc.event_types == ("deportation",)

    doc2 = document_for(store, "a2")
    assert doc2.event_types == ("search",)  # the denied detention is not an actual event
    assert doc2.event_types_any == ("search", "detention")
    assert doc2.places == (BAKHCHYSARAI,) and doc2.orgs == ("org:fsb",)
    assert doc2.published_at == datetime(2024, 4, 2, tzinfo=UTC)
    assert not doc2.has_quote
    assert document_for(store, "nope") is None


def test_parse_published():
    assert parse_published("2024-05-20T08:00:00") == datetime(2024, 5, 20, 8, tzinfo=UTC)
    assert parse_published("2025-01-07T09:30:00Z") == datetime(2025, 1, 7, 9, 30, tzinfo=UTC)
    assert parse_published("2024-05-20 garbage") == datetime(2024, 5, 20, tzinfo=UTC)
    assert parse_published("yesterday") is None
    assert parse_published(None) is None


def test_index_pending_indexes_enriched_in_batches_and_marks_them(store, backend):
    assert store.article_ids_with_status("enriched") == ["a1", "a2", "a3", "a4"]
    commits = []
    assert index_pending(store, backend, batch_size=3, progress=commits.append) == 4
    assert commits == [3, 1]  # one commit per batch
    assert store.article_ids_with_status("enriched") == []
    assert sorted(store.article_ids_with_status("indexed")) == ["a1", "a2", "a3", "a4"]
    assert backend.count() == 4
    assert index_pending(store, backend) == 0  # nothing left


@pytest.mark.parametrize("spelling", ["Dzhemilev", "Jemilev", "Джемилев", "Mustafa Cemilev", "Джемільов"])
def test_person_spellings_find_the_same_articles(store, backend, spelling):
    index_pending(store, backend)
    assert ids(backend, f'person:"{spelling}"') == {"a1", "a2", "a3"}


def test_place_transliteration_finds_bakhchysarai(store, backend):
    index_pending(store, backend)
    assert ids(backend, "place:Bakhchisaray") == {"a2"}
    assert ids(backend, "place:Бахчисарай") == {"a2"}
    assert ids(backend, "place:Simferopol") == {"a3", "a4"}


def test_type_counts_actual_events_unless_modality_any(store, backend):
    index_pending(store, backend)
    assert ids(backend, "type:detention") == {"a4"}
    assert ids(backend, "type:detention modality:any") == {"a2", "a4"}
    assert ids(backend, "type:fine") == set()
    assert ids(backend, "type:fine modality:any") == {"a3"}
    facets = backend.search(SearchRequest("crimean OR detained OR deported", facets=True)).facets
    assert dict(facets["type"]) == {"deportation": 1, "search": 1, "detention": 1}


def test_done_when_queries_find_the_seed_like_article(store, backend):
    index_pending(store, backend)
    assert ids(backend, '"Crimean Tatars" type:deportation') == {"a1"}
    assert "a1" in ids(backend, "person:Dzhemilev")


def test_unknown_person_resolves_through_store_mentions(store, backend):
    index_pending(store, backend)
    resolver = GazetteerResolver(store, load_gazetteer())
    assert PETROV in resolver.resolve("person", "Petrov")  # a mention text
    assert PETROV in resolver.resolve("person", "Иван Петров")  # the entity name, other script
    assert ids(backend, "person:Petrov") == {"a4"}
    assert ids(backend, 'person:"Ivan Petrov"') == {"a4"}
    assert resolver.resolve("place", "Petrov") == frozenset({"place:~petrov"})  # wrong kind: key form only


def test_resolver_sees_entities_added_later(store, tmp_path):
    resolver = GazetteerResolver(store, load_gazetteer(), refresh_seconds=0)
    assert PETROV in resolver.resolve("person", "Petrov")
    other = GazetteerResolver(None, load_gazetteer())
    assert other.resolve("person", "Jemilev") == frozenset({DZHEMILEV, "person:~jemilev"})
    with Store.open(tmp_path / "monitor.db") as writer:  # another connection adds an entity
        body = "Olena Kovalenko spoke."
        writer.save_enrichment(
            "a3",
            Enrichment(Relevance(True, 1.0), mentions=[_mention("Olena Kovalenko", body, "PERSON",
                                                                "person:~olena-kovalenko", "Olena Kovalenko")]),
            {"person:~olena-kovalenko": ("PERSON", "Olena Kovalenko")},
        )
    assert "person:~olena-kovalenko" in resolver.resolve("person", "Олена Коваленко")


def test_a_person_filter_keeps_people_whose_surnames_differ_in_a_vowel_apart(store, tmp_path):
    resolver = GazetteerResolver(store, load_gazetteer(), refresh_seconds=0)
    with Store.open(tmp_path / "monitor.db") as writer:
        body = "Ismet Dzhemalov died in Novocherkassk."
        writer.save_enrichment(
            "a3",
            Enrichment(Relevance(True, 1.0), mentions=[_mention("Ismet Dzhemalov", body, "PERSON",
                                                                "person:~ismet-dzhemalov", "Ismet Dzhemalov")]),
            {"person:~ismet-dzhemalov": ("PERSON", "Ismet Dzhemalov")},
        )
    assert "person:~ismet-dzhemalov" not in resolver.resolve("person", "Dzhemilev")
    assert "person:~ismet-dzhemalov" not in resolver.resolve("person", "Джемилев")
    assert "person:~ismet-dzhemalov" in resolver.resolve("person", "Ismet Jemalov")
    assert "person:~ismet-dzhemalov" in resolver.resolve("person", "Исмет Джемалов")


def test_reenrichment_replaces_the_document(store, backend):
    index_pending(store, backend)
    assert ids(backend, "type:detention") == {"a4"}
    body = A4_BODY
    again = Enrichment(
        relevance=Relevance(True, 0.9),
        mentions=[_mention("Ivan Petrov", body, "PERSON", PETROV, "Ivan Petrov")],
        events=[_event("sentence", "detained", body)],
    )
    store.save_enrichment("a4", again, {PETROV: ("PERSON", "Ivan Petrov")})
    assert store.article_ids_with_status("enriched") == ["a4"]
    assert index_pending(store, backend) == 1
    assert backend.count() == 4  # replaced, not added
    assert ids(backend, "type:detention") == set()
    assert ids(backend, "type:sentence") == {"a4"}
    assert ids(backend, "place:Simferopol") == {"a3"}  # the new enrichment has no Simferopol mention


def test_reindex_rebuilds_from_the_store(store, backend, tmp_path):
    index_pending(store, backend)
    backend.clear()
    assert backend.count() == 0
    seen = []
    docs, seconds = reindex_all(store, backend, progress=seen.append)
    assert docs == 4 and len(seen) == 4 and seconds >= 0
    assert backend.count() == 4
    assert ids(backend, "person:Jemilev") == {"a1", "a2", "a3"}
    # a fresh index directory, opened anew, is rebuilt the same way
    fresh = TantivyBackend(tmp_path / "fresh.index", backend.resolver)
    assert reindex_all(store, fresh)[0] == 4
    assert ids(fresh, "type:deportation") == {"a1"}


def test_reindex_marks_enriched_as_indexed(store, backend):
    docs, _ = reindex_all(store, backend)
    assert docs == 4
    assert store.article_ids_with_status("enriched") == []


def test_fetched_but_not_enriched_articles_are_not_indexed(tmp_path):
    with Store.open(tmp_path / "m.db") as s:
        save_articles(s, ("a1", "a2"))
        enrich(s, ("a1",))
        b = backend_from_settings(tmp_path / "m.db", s, kind="tantivy", index_dir="")
        assert index_pending(s, b) == 1
        assert ids(b, "crimean") == {"a1"}


def test_elasticsearch_down_leaves_articles_enriched(store):
    url = f"http://127.0.0.1:{closed_port()}"
    backend = backend_from_settings(None, store, kind="elasticsearch", cluster_url=url)
    with pytest.raises(SearchBackendUnavailable) as info:
        index_pending(store, backend)
    message = str(info.value)
    assert url in message and "unavailable" in message and "\n" not in message
    assert store.article_ids_with_status("enriched") == ["a1", "a2", "a3", "a4"]
    assert store.article_ids_with_status("indexed") == []


def test_backend_settings_errors(store, tmp_path):
    with pytest.raises(SearchConfigError, match="CRIMEA_MONITOR_ELASTICSEARCH_URL"):
        backend_from_settings(None, store, kind="elasticsearch", cluster_url="")
    with pytest.raises(SearchConfigError, match="unknown search backend 'solr'"):
        backend_from_settings(None, store, kind="solr")
    assert index_dir_for(tmp_path / "data" / "monitor.db") == tmp_path / "data" / "monitor.index"
    assert index_dir_for(tmp_path / "monitor.db", tmp_path / "elsewhere") == tmp_path / "elsewhere"


def test_entity_profile(store):
    resolver = GazetteerResolver(store, load_gazetteer())
    (profile,) = entity_profile(store, resolver, "Jemilev")
    assert profile.id == DZHEMILEV and profile.name == "Mustafa Dzhemilev" and profile.in_gazetteer
    assert sorted(profile.aliases) == sorted(["Jemilev", "Mustafa Jemilev", "Dzhemilev", "Джемилев"])
    assert profile.mention_count == 4
    assert {a["id"] for a in profile.articles} == {"a1", "a2", "a3"}
    assert [q["text"] for q in profile.quotes] == ["They want us gone from our land,"]
    (petrov,) = entity_profile(store, resolver, "Petrov")
    assert petrov.id == PETROV and not petrov.in_gazetteer
    assert [(e["article_id"], e["type"]) for e in petrov.victim_of] == [("a4", "detention")]
    assert entity_profile(store, resolver, "Nobody Atall") == []


def test_index_with_an_older_schema_needs_reindex(store, tmp_path):
    import tantivy

    from indexer.search.errors import SearchBackendError

    old_dir = tmp_path / "monitor.index"
    old_dir.mkdir()
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True)
    old = tantivy.Index(builder.build(), path=str(old_dir))
    old.writer().commit()
    del old
    with pytest.raises(SearchBackendError, match="older schema; run `crimea-monitor reindex`"):
        backend_from_settings(tmp_path / "monitor.db", store, kind="tantivy", index_dir="")
    rebuilt = backend_from_settings(tmp_path / "monitor.db", store, kind="tantivy", index_dir="", rebuild=True)
    assert reindex_all(store, rebuilt)[0] == 4
    assert ids(rebuilt, "person:Jemilev") == {"a1", "a2", "a3"}


def test_replacing_an_old_index_never_deletes_foreign_files(tmp_path):
    import tantivy

    from indexer.search.errors import SearchBackendError

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True)
    tantivy.Index(builder.build(), path=str(tmp_path)).writer().commit()
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(SearchBackendError, match="not a Tantivy index"):
        TantivyBackend(tmp_path, GazetteerResolver(None, load_gazetteer()), replace_incompatible=True)
    assert (tmp_path / "notes.txt").exists() and (tmp_path / "meta.json").exists()
