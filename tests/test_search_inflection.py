"""Russian and Ukrainian search over inflection (Tantivy) and case-insensitive entity filters."""

from __future__ import annotations

import pytest

from indexer.search.document import IndexDocument, SearchRequest
from indexer.search.resolver import KeyResolver
from indexer.search.tantivy_backend import TantivyBackend
from nlp.gazetteer import load_gazetteer
from pipelines.resolver import GazetteerResolver

DOCS = [
    IndexDocument(id="ru1", title="Обыски в Бахчисарае", body="Силовики провели обыски у крымских татар.", lang="ru"),
    IndexDocument(id="ru2", title="Итоги месяца", body="Зафиксировано семь обысков и два задержания.", lang="ru"),
    IndexDocument(id="ru3", title="Снова в Строгоновке", body="Утром дома активистов обыскали.", lang="ru"),
    IndexDocument(id="uk1", title="Обшуки в Джанкої", body="Співробітники ФСБ провели обшуки.", lang="uk"),
    IndexDocument(id="uk2", title="Затримання", body="Будинок обшукали, власника затримали.", lang="uk"),
    IndexDocument(id="uk3", title="Судак", body="Відпочивальники повернулися до Судака.", lang="uk"),
    IndexDocument(id="en1", title="Searches in Bakhchysarai", body="Officers searched five homes.", lang="en"),
]


@pytest.fixture(scope="module")
def backend(tmp_path_factory):
    index = TantivyBackend(tmp_path_factory.mktemp("inflection"), KeyResolver())
    index.index(DOCS)
    yield index
    index.close()


def _ids(backend: TantivyBackend, query: str) -> set[str]:
    return {hit.id for hit in backend.search(SearchRequest(query, limit=50)).hits}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("обыск", {"ru1", "ru2", "ru3"}),  # обыски, обысков, обыскали
        ("обыскали", {"ru3"}),  # a verb stem finds its own forms only
        ("обшук", {"uk1", "uk2"}),  # обшуки, обшукали
        ("суд", set()),  # a short stem is no prefix: "Судак" is a town, not a court
        ("searches", {"en1"}),  # English stemming unchanged
    ],
)
def test_cyrillic_words_match_their_inflected_forms(backend, query, expected):
    assert _ids(backend, query) == expected


def test_place_and_person_filters_accept_any_case_and_script():
    resolver = GazetteerResolver(None, load_gazetteer())
    assert "place:bakhchysarai" in resolver.resolve("place", "Бахчисарае")
    assert "place:simferopol" in resolver.resolve("place", "Сімферополі")
    assert "place:simferopol" in resolver.resolve("place", "Aqmescit")
