"""ONE contract for every search backend: a fixture corpus, queries with exact expected hits and facet counts.

tests/test_search_contract.py runs it on Tantivy always and on Elasticsearch when
CRIMEA_MONITOR_ELASTICSEARCH_URL is set. A backend is anything with index/delete/count/clear/search
(``indexer.search.errors.SearchBackend``).
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from typing import ClassVar

import pytest

from indexer.query import QuerySyntaxError
from indexer.search.document import IndexDocument, SearchRequest, SearchResult
from indexer.search.errors import SearchBackend
from indexer.search.resolver import KeyResolver, normalise_key


# ------------------------------------------------------------------------------------------------ resolver
class AliasResolver:
    """Stands in for the gazetteer's resolver: known aliases -> canonical ids, else the '~' form."""

    ALIASES: ClassVar[dict[tuple[str, str], str]] = {
        ("person", "mustafa-jemilev"): "person:mustafa-dzhemilev",
        ("person", "mustafa-dzhemilev"): "person:mustafa-dzhemilev",
        ("person", "dzhemilev"): "person:mustafa-dzhemilev",
        ("person", "джемилев"): "person:mustafa-dzhemilev",
        ("person", "server-mustafayev"): "person:server-mustafayev",
        ("place", "bakhchisaray"): "place:bakhchysarai",
        ("place", "bakhchysarai"): "place:bakhchysarai",
        ("place", "bagcasaray"): "place:bakhchysarai",
        ("place", "simferopol"): "place:simferopol",
        ("place", "kerch"): "place:kerch",
        ("org", "fsb"): "org:fsb",
        ("org", "фсб"): "org:fsb",
        ("org", "mejlis"): "org:mejlis",
    }

    def __init__(self) -> None:
        self.fallback = KeyResolver()

    def resolve(self, field: str, value: str) -> frozenset[str]:
        known = self.ALIASES.get((field, normalise_key(value)))
        if known:
            return frozenset({known})
        return self.fallback.resolve(field, value)


# -------------------------------------------------------------------------------------------------- corpus
def _doc(
    n: int,
    title: str,
    body: str,
    source: str,
    lang: str,
    day: str | None,
    *,
    quotes: tuple[str, ...] = (),
    persons: tuple[str, ...] = (),
    places: tuple[str, ...] = (),
    orgs: tuple[str, ...] = (),
    types: tuple[str, ...] = (),
    any_types: tuple[str, ...] | None = None,
    about: bool = True,
) -> IndexDocument:
    return IndexDocument(
        id=f"d{n:02d}",
        title=title,
        body=body,
        quotes=quotes,
        source=source,
        lang=lang,
        url=f"https://example.org/{source}/d{n:02d}",
        published_at=datetime.fromisoformat(day).replace(hour=9, tzinfo=UTC) if day else None,
        persons=persons,
        places=places,
        orgs=orgs,
        event_types=types,
        event_types_any=types if any_types is None else any_types,
        has_quote=bool(quotes),
        about_crimea=about,
    )


CORPUS: tuple[IndexDocument, ...] = (
    _doc(1, "FSB searched homes in Bağçasaray",
         "Officers searched the homes of four Crimean Tatars in Bağçasaray early on Tuesday morning.",
         "qha", "en", "2024-01-10", places=("place:bakhchysarai",), orgs=("org:fsb",), types=("search",)),
    _doc(2, "Three men detained after raid",
         "After the raid in Bagcasaray, three men were detained and taken to the FSB building in Simferopol.",
         "qha", "en", "2024-01-15", places=("place:bakhchysarai", "place:simferopol"), orgs=("org:fsb",),
         types=("detention",)),
    _doc(3, "Court sentences Server Mustafayev",
         "A Russian military court sentenced Server Mustafayev to 14 years in a strict-regime colony.",
         "krymr", "en", "2024-02-02", persons=("person:server-mustafayev",), types=("sentence",)),
    _doc(4, "Dzhemilev: repression continues",
         "Mustafa Dzhemilev said the occupation authorities continue the repression of Crimean Tatars.",
         "qha", "en", "2024-02-20", quotes=("The repression in Crimea is not slowing down",),
         persons=("person:mustafa-dzhemilev",)),
    _doc(5, "FSB denies torture claims",
         "The FSB denied that the detainee was tortured during interrogation in Simferopol.",
         "krymr", "en", "2024-03-05", places=("place:simferopol",), orgs=("org:fsb",),
         any_types=("torture",)),
    _doc(6, "Жителя Симферополя оштрафовали", "Жителя Симферополя оштрафовали за дискредитацию армии.",
         "krymr", "ru", "2024-03-12", places=("place:simferopol",), types=("fine",)),
    _doc(7, "Crimean Solidarity website defaced",
         "Attackers injected <script>alert('x')</script> into the Crimean Solidarity website.",
         "zmina", "en", "2024-03-20", orgs=("org:crimean-solidarity",)),
    _doc(8, "Mejlis members fear searches",
         "Members of the Mejlis said they fear searches could follow the summons.",
         "qha", "en", "2024-04-01", orgs=("org:mejlis",), any_types=("search",)),
    _doc(9, "Citizen journalist fined",
         "A citizen journalist was fined 40,000 rubles for discrediting the army.",
         "zmina", "en", "2024-04-15", types=("fine",)),
    _doc(10, "Lawyer deported from Crimea",
         "The lawyer was deported under Article 18.8 and barred from entering Crimea for five years.",
         "ohchr", "en", "2024-05-02", types=("deportation", "ban")),
    _doc(11, "Detainees transferred to Rostov-on-Don",
         "Four detainees were transferred to the SIZO in Rostov-on-Don last week.",
         "krymr", "en", "2024-05-10", types=("transfer",)),
    _doc(12, "Mosque raided in Simferopol",
         "Police searched a mosque in Simferopol during Friday prayers.",
         "krymr", "en", "2024-05-15", places=("place:simferopol",), types=("search",)),
    _doc(13, "UN condemns deportations",
         "The OHCHR condemned the deportation of Crimean residents to Russia.",
         "ohchr", "en", "2024-05-20", orgs=("org:ohchr",), types=("deportation",)),
    _doc(14, "Prisoner moved to colony", "He was moved to a colony with a strict regime near Rostov.",
         "krymr", "en", "2024-05-28"),
    _doc(15, "Activist fined for social media post",
         "An activist in Kerch was fined for a post criticising the war.",
         "zmina", "en", "2024-06-01", places=("place:kerch",), types=("fine",)),
    _doc(16, "Dzhemilev addresses the Mejlis",
         "Speaking in Kyiv, Mustafa Dzhemilev told the Mejlis that pressure on Crimean Tatars has grown.",
         "qha", "en", "2024-06-10", quotes=("Pressure on our people has grown",),
         persons=("person:mustafa-dzhemilev",), orgs=("org:mejlis",)),
    _doc(17, "Заява Меджлісу", "Меджліс засудив затримання кримських татар.",
         "qha", "uk", "2024-06-18", orgs=("org:mejlis",), types=("detention",)),
    _doc(18, "Man abducted in Dzhankoi",
         "A man went missing in Dzhankoi; relatives say he was abducted by unknown men.",
         "krymr", "en", "2024-06-25", places=("place:dzhankoi",), types=("disappearance",)),
    _doc(19, "Conscription summons in Sevastopol",
         "Residents of Sevastopol received mobilisation summons for the Russian army.",
         "zmina", "en", "2024-07-03", places=("place:sevastopol",), types=("conscription",)),
    _doc(20, "Homes of Mejlis deputies not searched, lawyer says",
         "A lawyer said the homes of Mejlis deputies were not searched this week.",
         "qha", "en", "2024-07-09", orgs=("org:mejlis",), any_types=("search",)),
    _doc(21, "Property confiscated in Yalta",
         "Authorities confiscated the house of a Ukrainian citizen in Yalta.",
         "ohchr", "en", "2024-07-15", places=("place:yalta",), types=("property_seizure",)),
    _doc(22, "Crimean Tatar activist detained at checkpoint",
         "An activist was detained at the Chonhar checkpoint and questioned for six hours.",
         "krymr", "en", "2024-07-22", types=("detention",)),
    _doc(23, "Ivan Petrov fined again", "Local resident Ivan Petrov was fined for a pro-Ukrainian song.",
         "zmina", "en", "2024-08-01", persons=("person:~ivan-petrov",), types=("fine",)),
    _doc(24, "Report on Qırım human rights", "The annual report on Qırım documents 194 cases of persecution.",
         "ohchr", "en", "2024-08-12"),
    _doc(25, "Death in custody in Simferopol SIZO",
         "A detainee died in custody in the Simferopol SIZO, his lawyer said.",
         "krymr", "en", "2024-08-20", places=("place:simferopol",), types=("death",)),
    _doc(26, "Interview with a former political prisoner",
         "A former prisoner described the conditions in the colony and the pressure on his family.",
         "zmina", "en", "2024-09-02", quotes=("Every day they tried to break us",)),
    _doc(27, "Undated archive note", "An undated note about detentions in Bakhchysarai.",
         "archive", "en", None, places=("place:bakhchysarai",), types=("detention",)),
    _doc(28, "Kerch court extends custody", "A court in Kerch extended the custody of two Crimean Tatars.",
         "krymr", "en", "2024-09-15", places=("place:kerch",), types=("custody",)),
    _doc(29, "Ban on Hizb ut-Tahrir upheld", "The court upheld the ban and declared the group extremist.",
         "ohchr", "en", "2024-10-01", types=("ban",), about=False),
    _doc(30, "Refugees leave the peninsula",
         "Hundreds of refugees fled the peninsula after the mobilisation.",
         "zmina", "en", "2024-10-20", types=("displacement",)),
)  # fmt: skip


def ids(*numbers: int) -> set[str]:
    return {f"d{n:02d}" for n in numbers}


# query -> exact set of matching ids (every hit fits on one page of 50)
HIT_CASES: list[tuple[str, set[str]]] = [
    # diacritics-insensitive, both ways
    ("bagcasaray", ids(1, 2)),
    ("Bağçasaray", ids(1, 2)),
    ("qirim", ids(24)),
    # stemming
    ("searches", ids(1, 8, 12, 20)),
    ("fined", ids(9, 15, 23)),
    # quotes are searchable
    ("slowing", ids(4)),
    ("crimea", ids(4, 10)),
    # phrases vs words
    ('"strict regime colony"', ids(3)),
    ("strict regime colony", ids(3, 14)),
    ("Rostov-on-Don", ids(11)),
    ("rostov", ids(11, 14)),
    ("crimean tatars", ids(1, 4, 16, 22, 28)),
    # prefix
    ("deport*", ids(10, 13)),
    ("Deport*", ids(10, 13)),
    # relevance: the note on the ban upheld somewhere (29) is not about Crimea
    ("upheld about:crimea", set()),
    ("upheld about:any", ids(29)),
    ("type:ban about:crimea", ids(10)),
    ("upheld -about:crimea", ids(29)),
    # NOT / -term / OR / parentheses
    ("fined -journalist", ids(15, 23)),
    ("fined NOT journalist", ids(15, 23)),
    ("(fined OR deported) source:zmina", ids(9, 15, 23)),
    ("type:detention -simferopol", ids(17, 22, 27)),
    ("sizo OR qirim", ids(11, 24, 25)),
    # non-Latin scripts
    ("Меджліс", ids(17)),
    ("lang:ru", ids(6)),
    ("lang:uk", ids(17)),
    # dates: month, day, range, open ends
    ("date:2024-03", ids(5, 6, 7)),
    ("date:2024-03-12", ids(6)),
    ("date:2024-05-02..2024-05-15", ids(10, 11, 12)),
    ("date:..2024-01-31", ids(1, 2)),
    ("date:2024-10-01..", ids(29, 30)),
    ("fined date:2024-05..", ids(15, 23)),
    # event types: actual events vs every mention
    ("type:search", ids(1, 12)),
    ("type:search modality:any", ids(1, 8, 12, 20)),
    ("type:torture", set()),
    ("type:torture modality:any", ids(5)),
    # quotes, entities through the resolver
    ("has:quote", ids(4, 16, 26)),
    ('person:"Mustafa Jemilev"', ids(4, 16)),
    ("person:Джемилев", ids(4, 16)),
    ('person:"Ivan Petrov"', ids(23)),
    ("place:Bakhchisaray", ids(1, 2, 27)),
    ("org:FSB type:detention", ids(2)),
    ("org:mejlis -has:quote", ids(8, 17, 20)),
    ("person:nobody", set()),
]

FACET_CASES: list[tuple[str, dict[str, list[tuple[str, int]]]]] = [
    (
        "type:fine modality:any",
        {
            "source": [("zmina", 3), ("krymr", 1)],
            "lang": [("en", 3), ("ru", 1)],
            "type": [("fine", 4)],
            "person": [("person:~ivan-petrov", 1)],
            "place": [("place:kerch", 1), ("place:simferopol", 1)],
            "org": [],
            "month": [("2024-03", 1), ("2024-04", 1), ("2024-06", 1), ("2024-08", 1)],
        },
    ),
    (
        "deport* OR type:ban",
        {
            "source": [("ohchr", 3)],
            "lang": [("en", 3)],
            "type": [("ban", 2), ("deportation", 2)],
            "person": [],
            "place": [],
            "org": [("org:ohchr", 1)],
            "month": [("2024-05", 2), ("2024-10", 1)],
        },
    ),
]

BAD_QUERIES = [
    "",
    "a AND",
    "(fined",
    'person:"x',
    "foo:bar",
    "date:2024-13-01",
    "date:2024-06-01..2024-01-01",
]


# ------------------------------------------------------------------------------------------------- checks
def hit_ids(result: SearchResult) -> list[str]:
    return [hit.id for hit in result.hits]


def check_hits(backend: SearchBackend, query: str, expected: set[str]) -> None:
    result = backend.search(SearchRequest(query, limit=50))
    assert set(hit_ids(result)) == expected, query
    assert result.total == len(expected), query
    assert len(hit_ids(result)) == len(set(hit_ids(result))), query


def check_facets(backend: SearchBackend, query: str, expected: dict) -> None:
    result = backend.search(SearchRequest(query, limit=0, facets=True))
    assert result.hits == []
    assert result.total == sum(n for _, n in expected["source"])
    assert result.facets == expected, query


def check_no_facets_unless_asked(backend: SearchBackend) -> None:
    assert backend.search(SearchRequest("fined")).facets == {}


def check_count(backend: SearchBackend) -> None:
    assert backend.count() == len(CORPUS)


def check_sort_by_date(backend: SearchBackend) -> None:
    result = backend.search(SearchRequest("type:fine", sort="date"))
    assert hit_ids(result) == ["d23", "d15", "d09", "d06"]
    dates = [hit.published_at for hit in result.hits]
    assert dates == sorted(dates, reverse=True)
    assert all(d is not None and d.tzinfo is not None for d in dates)


def check_pagination(backend: SearchBackend) -> None:
    first = backend.search(SearchRequest("date:2024-01-01..", sort="date", limit=5))
    second = backend.search(SearchRequest("date:2024-01-01..", sort="date", limit=5, offset=5))
    assert first.total == second.total == len(CORPUS) - 1  # d27 has no date
    assert hit_ids(first) == ["d30", "d29", "d28", "d26", "d25"]
    assert hit_ids(second) == ["d24", "d23", "d22", "d21", "d20"]
    last = backend.search(SearchRequest("date:2024-01-01..", sort="date", limit=5, offset=25))
    assert hit_ids(last) == ["d04", "d03", "d02", "d01"]
    beyond = backend.search(SearchRequest("date:2024-01-01..", sort="date", limit=5, offset=100))
    assert beyond.hits == [] and beyond.total == len(CORPUS) - 1


def check_relevance(backend: SearchBackend) -> None:
    # "sizo" is in d25's title and body but only in d11's body: the title boost ranks d25 first
    result = backend.search(SearchRequest("sizo"))
    assert hit_ids(result) == ["d25", "d11"]
    assert result.hits[0].score > result.hits[1].score > 0


def _unmark(snippet: str) -> str:
    return html.unescape(snippet.replace("<b>", "").replace("</b>", ""))


def check_snippets(backend: SearchBackend) -> None:
    result = backend.search(SearchRequest("script"))
    assert hit_ids(result) == ["d07"]
    snippet = result.hits[0].snippet_html
    assert "<script>" not in snippet and "</script>" not in snippet
    assert "&lt;" in snippet
    assert re.search(r"<b>script</b>", snippet)
    assert _unmark(snippet) in CORPUS[6].body
    # only <b> tags, everything else escaped
    assert re.sub(r"</?b>", "", snippet).count("<") == 0

    hit = backend.search(SearchRequest("bagcasaray", limit=50)).hits
    by_id = {h.id: h.snippet_html for h in hit}
    assert "<b>Bağçasaray</b>" in by_id["d01"]
    assert "<b>Bagcasaray</b>" in by_id["d02"]
    stemmed = backend.search(SearchRequest("searches type:search")).hits
    assert {h.id for h in stemmed} == {"d01", "d12"}
    assert all("<b>searched</b>" in h.snippet_html for h in stemmed)


def check_hit_fields(backend: SearchBackend) -> None:
    (hit,) = backend.search(SearchRequest("date:2024-05-02")).hits
    doc = CORPUS[9]
    assert (hit.id, hit.title, hit.url, hit.source, hit.lang) == (
        doc.id,
        doc.title,
        doc.url,
        doc.source,
        doc.lang,
    )
    assert hit.published_at == doc.published_at
    assert set(hit.event_types) == {"deportation", "ban"}
    assert hit.snippet_html  # filter-only queries still get the start of the body


def check_syntax_errors(backend: SearchBackend) -> None:
    for bad in BAD_QUERIES:
        with pytest.raises(QuerySyntaxError):
            backend.search(SearchRequest(bad))


def check_index_replaces(backend: SearchBackend) -> None:
    """On an EMPTY backend: re-indexing an id replaces the document; delete and clear."""
    backend.clear()
    assert backend.count() == 0
    assert backend.index(CORPUS[:3]) == 3
    assert backend.count() == 3
    changed = IndexDocument(
        id="d01",
        title="Replaced",
        body="This body mentions a zebra only.",
        source="qha",
        lang="en",
        published_at=datetime(2024, 1, 10, tzinfo=UTC),
        event_types=("assault",),
    )
    backend.index([changed])
    assert backend.count() == 3
    assert hit_ids(backend.search(SearchRequest("zebra"))) == ["d01"]
    assert hit_ids(backend.search(SearchRequest("bagcasaray"))) == ["d02"]
    assert hit_ids(backend.search(SearchRequest("type:search"))) == []
    assert hit_ids(backend.search(SearchRequest("type:assault"))) == ["d01"]
    # the same id twice in one batch: the last one wins
    backend.index([CORPUS[0], changed, CORPUS[0]])
    assert backend.count() == 3
    assert hit_ids(backend.search(SearchRequest("zebra"))) == []
    backend.delete(["d02", "missing"])
    assert backend.count() == 2
    assert hit_ids(backend.search(SearchRequest("bagcasaray"))) == ["d01"]
    backend.clear()
    assert backend.count() == 0
    assert backend.search(SearchRequest("bagcasaray")).total == 0


CORPUS_CHECKS = [
    check_count,
    check_sort_by_date,
    check_pagination,
    check_relevance,
    check_snippets,
    check_hit_fields,
    check_syntax_errors,
    check_no_facets_unless_asked,
]
