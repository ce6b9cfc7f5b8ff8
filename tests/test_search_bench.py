"""bench/search_bench.py times the engine, not the request cache: distinct requests, the same ones for FTS5.

Only the bench's query set and its cache accounting are checked here, on a tiny corpus; the timings themselves are
the bench's business (``make bench``).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bench.search_bench import FTS_INDEXES, FTS_SCHEMA, Fts, generate, measure, shapes
from indexer.search.tantivy_backend import TantivyBackend
from nlp.gazetteer import load_gazetteer
from pipelines.resolver import GazetteerResolver

N = 30


@pytest.fixture(scope="module")
def bench_shapes(tmp_path_factory):
    from bench.search_bench import fts_insert

    work: Path = tmp_path_factory.mktemp("bench")
    resolver = GazetteerResolver(None, load_gazetteer())
    backend = TantivyBackend(work / "tantivy", resolver)
    docs = list(generate(150))
    backend.index(docs, batch_size=len(docs))
    conn = sqlite3.connect(work / "fts.db")
    conn.executescript(FTS_SCHEMA)
    fts_insert(conn, docs, 0)
    conn.executescript(FTS_INDEXES)
    yield backend, shapes(backend, Fts(conn), resolver, 20240312, N)
    backend.close()
    conn.close()


def test_every_shape_times_distinct_requests_on_both_engines(bench_shapes):
    _backend, found = bench_shapes
    assert [s.name for s in found] == ["one term", "phrase", "2 terms AND + date + type",
                                       "person filter via aliases", "all facets"]
    for shape in found:
        assert len({call.request for call in shape.ours}) == len(shape.ours) == N, shape.name
        assert len(shape.fts) == N, shape.name


def test_the_timed_requests_miss_the_cache_and_the_count_shows_it(bench_shapes):
    _backend, found = bench_shapes
    shape = found[0]
    *_, from_cache = measure(shape.ours, runs=N - 5, warmup=5, cached=lambda n: shape.ours[n].cached())
    assert from_cache == 0
    # one request repeated: after the first call the cache answers every one, and the count says so
    repeated = [shape.ours[0]]
    *_, from_cache = measure(repeated, runs=10, warmup=1, cached=lambda n: repeated[n].cached())
    assert from_cache == 10


def test_both_engines_agree_on_the_hits(bench_shapes):
    _backend, found = bench_shapes
    for shape in found:
        if shape.name == "phrase":  # tokenisers differ at the edges (hyphens, apostrophes)
            continue
        ours = [call() for call in shape.ours[:10]]
        theirs = [call() for call in shape.fts[:10]]
        assert ours == theirs, shape.name
