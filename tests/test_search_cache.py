"""The Tantivy backend's request cache: repeated requests are answered from it, and any commit (by this process or
another writer) is seen by the next search."""

from __future__ import annotations

from pathlib import Path

from indexer.search.document import SearchRequest
from indexer.search.resolver import KeyResolver
from indexer.search.tantivy_backend import TantivyBackend
from tests.search_contract import _doc


def test_commits_by_another_writer_invalidate_the_cache(tmp_path: Path):
    writer = TantivyBackend(tmp_path / "index", KeyResolver())
    writer.index([_doc(1, "FSB searches homes", "Officers searched four homes in Stroganovka.", "a", "en",
                       "2026-10-01", types=("search",))])
    writer.close()
    reader = TantivyBackend(tmp_path / "index", KeyResolver())  # as the web server opens it, in its own process
    request = SearchRequest("searched", facets=True)
    first = reader.search(request)
    assert [h.id for h in first.hits] == ["d01"]
    assert reader.search(request) is first  # answered from the cache
    writer.index([_doc(2, "More searches", "Police searched the mosque in Kamenka.", "b", "en", "2026-10-02",
                       types=("search",))])
    after = reader.search(request)
    assert after is not first
    assert {h.id for h in after.hits} == {"d01", "d02"}
    assert dict(after.facets["source"]) == {"a": 1, "b": 1}
    writer.close()
