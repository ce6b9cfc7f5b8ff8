"""Runs the search contract (tests/search_contract.py) on Tantivy and on real Elasticsearch and OpenSearch nodes
(session fixtures in conftest.py start them from deploy/search-engines)."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest

# the repo root (for indexer/) and tests/ (for search_contract) when the project is not installed
sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent)]

import search_contract as contract  # noqa: E402

from indexer.search.errors import SearchBackend  # noqa: E402
from indexer.search.tantivy_backend import TantivyBackend  # noqa: E402

BACKENDS = ["tantivy", "elasticsearch", "opensearch"]


def cluster_backend(kind: str, url: str):
    """A backend on its own uniquely named alias (tests share one node per engine)."""
    prefix = f"crimea-monitor-test-{uuid.uuid4().hex[:8]}"
    if kind == "elasticsearch":
        from indexer.search.elasticsearch_backend import ElasticsearchBackend

        return ElasticsearchBackend(url, contract.AliasResolver(), index_prefix=prefix)
    from indexer.search.opensearch_backend import OpenSearchBackend

    return OpenSearchBackend(url, contract.AliasResolver(), index_prefix=prefix)


def _make(request, kind: str, directory: Path):
    if kind == "tantivy":
        return TantivyBackend(directory, contract.AliasResolver()), None
    backend = cluster_backend(kind, request.getfixturevalue(f"{kind}_url"))
    return backend, backend.drop


@pytest.fixture(scope="module", params=BACKENDS)
def loaded(request, tmp_path_factory):
    """A backend holding the whole fixture corpus (read-only checks share it)."""
    backend, teardown = _make(request, request.param, tmp_path_factory.mktemp(f"{request.param}-index"))
    backend.index(contract.CORPUS, batch_size=7)  # several commits
    yield backend
    if teardown:
        teardown()


@pytest.fixture(params=BACKENDS)
def empty(request, tmp_path):
    backend, teardown = _make(request, request.param, tmp_path / "index")
    yield backend
    if teardown:
        teardown()


def test_backend_follows_protocol(loaded):
    assert isinstance(loaded, SearchBackend)


@pytest.mark.parametrize(("query", "expected"), contract.HIT_CASES, ids=[q for q, _ in contract.HIT_CASES])
def test_hits(loaded, query, expected):
    contract.check_hits(loaded, query, expected)


@pytest.mark.parametrize(
    ("query", "expected"), contract.FACET_CASES, ids=[q for q, _ in contract.FACET_CASES]
)
def test_facets(loaded, query, expected):
    contract.check_facets(loaded, query, expected)


@pytest.mark.parametrize("check", contract.CORPUS_CHECKS, ids=lambda c: c.__name__)
def test_corpus_checks(loaded, check):
    check(loaded)


def test_index_replaces_deletes_clears(empty):
    contract.check_index_replaces(empty)


def test_ids_list_the_index(empty):
    contract.check_ids(empty)


def test_tantivy_index_survives_reopen(tmp_path):
    first = TantivyBackend(tmp_path, contract.AliasResolver())
    first.index(contract.CORPUS[:5])
    again = TantivyBackend(tmp_path, contract.AliasResolver())
    assert again.count() == 5
    contract.check_hits(again, "bagcasaray", contract.ids(1, 2))


@pytest.mark.parametrize("kind", ["elasticsearch", "opensearch"])
def test_reindex_swaps_alias(request, kind):
    backend = cluster_backend(kind, request.getfixturevalue(f"{kind}_url"))
    try:
        backend.index(contract.CORPUS[:3])
        (old,) = backend._indices()
        new = backend.reindex(contract.CORPUS)
        assert new != old
        assert backend._indices() == [new]
        assert not backend.client.indices.exists(index=old)
        contract.check_count(backend)
        contract.check_hits(backend, "bagcasaray", contract.ids(1, 2))
    finally:
        backend.drop()


def test_elasticsearch_backend_on_an_opensearch_server_says_so(opensearch_url):
    from indexer.search.elasticsearch_backend import ElasticsearchBackend
    from indexer.search.errors import SearchBackendError

    backend = ElasticsearchBackend(opensearch_url, contract.AliasResolver(), index_prefix="crimea-monitor-wrong")
    with pytest.raises(SearchBackendError, match=r"is not Elasticsearch.*SEARCH_BACKEND=opensearch"):
        backend.count()
