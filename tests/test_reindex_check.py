"""``reindex --check`` / ``--repair``: the index reconciled with the store, on Tantivy, Elasticsearch and OpenSearch
(real nodes from the session fixtures)."""

from __future__ import annotations

import uuid

import pytest

from indexer.search.document import IndexDocument
from indexer.store import Store
from pipelines.index import IndexDiff, backend_from_settings, check_index, index_pending, repair_index
from tests.conftest import run_cli
from tests.test_index_pipeline import build_store
from tests.test_search_contract import cluster_backend

BACKENDS = ["tantivy", "elasticsearch", "opensearch"]


@pytest.fixture(params=BACKENDS)
def store_and_backend(request, tmp_path):
    db = tmp_path / "m.db"
    build_store(db)
    with Store.open(db) as store:
        if request.param == "tantivy":
            backend = backend_from_settings(db, store, kind="tantivy", index_dir=str(tmp_path / "index"))
        else:
            backend = cluster_backend(request.param, request.getfixturevalue(f"{request.param}_url"))
        try:
            yield store, backend
        finally:
            if request.param != "tantivy":
                backend.drop()
            backend.close()


def test_check_lists_the_difference_and_repair_fixes_only_it(store_and_backend):
    store, backend = store_and_backend
    assert check_index(store, backend) == IndexDiff(missing=["a1", "a2", "a3", "a4"], extra=[])
    index_pending(store, backend)
    assert check_index(store, backend).clean
    backend.delete(["a2"])
    backend.index([IndexDocument(id="stray", title="Not in the store", body="x")])
    diff = check_index(store, backend)
    assert diff == IndexDiff(missing=["a2"], extra=["stray"])

    sent: list[str] = []
    index = backend.index

    def spy(docs, *args, **kwargs):
        docs = list(docs)
        sent.extend(d.id for d in docs)
        return index(docs, *args, **kwargs)

    backend.index = spy
    assert repair_index(store, backend) == diff
    assert sent == ["a2"]
    assert check_index(store, backend).clean
    assert sorted(backend.ids()) == ["a1", "a2", "a3", "a4"]
    assert store.article_ids_with_status("enriched") == []


@pytest.mark.parametrize("kind", ["tantivy", "elasticsearch"])
def test_cli_check_exits_nonzero_until_repaired(request, tmp_path, kind):
    db = tmp_path / "m.db"
    build_store(db)
    env = {"CRIMEA_MONITOR_SEARCH_BACKEND": kind}
    if kind == "elasticsearch":
        env["CRIMEA_MONITOR_ELASTICSEARCH_URL"] = request.getfixturevalue("elasticsearch_url")
        env["CRIMEA_MONITOR_SEARCH_INDEX"] = f"crimea-monitor-test-{uuid.uuid4().hex[:8]}"
    check = run_cli(["reindex", "--check"], db, **env)
    assert check.returncode == 1, check.stderr
    assert check.stdout.splitlines() == ["missing\ta1", "missing\ta2", "missing\ta3", "missing\ta4"]
    assert "4 missing from the index, 0 extra" in check.stderr and "Traceback" not in check.stderr
    repair = run_cli(["reindex", "--repair"], db, **env)
    assert repair.returncode == 0, repair.stderr
    assert "repaired: indexed 4 missing, deleted 0 extra" in repair.stderr
    again = run_cli(["reindex", "--check"], db, **env)
    assert again.returncode == 0, again.stderr
    assert again.stdout == "" and "the index matches the store (4 documents)" in again.stderr
