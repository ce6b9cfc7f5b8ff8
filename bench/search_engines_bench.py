"""Live search engines against the embedded one: Tantivy, Elasticsearch (1 node) and OpenSearch (1 node).

    python -m bench.search_engines_bench              # 100,000 documents (several minutes; needs java and mvn)
    python -m bench.search_engines_bench --docs 20000 --runs 200

The same seeded synthetic corpus as ``bench.search_bench`` is indexed through each backend's ``index()`` (bulk
requests of 1,000 for the clusters, a refresh after every batch of 5,000; one commit per batch for Tantivy), then
the same set of *distinct* queries runs through ``backend.search`` on each (every query string differs, so no
result cache answers a repeat: each query carries its own date window), after a warm-up pass of as many queries.
The engines run on this machine from deploy/search-engines, one node each with a 1 GiB heap and no replica.

Printed: docs/s, p50/p95 per query shape and their ratio to Tantivy, the engines' resident memory (the JVM's
RSS; for Tantivy, the growth of this process) and index size on disk.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import resource
import statistics
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from bench.search_bench import END, SEED, START, generate
from indexer.search.document import SearchRequest
from indexer.search.errors import SearchBackend
from indexer.search.local_engines import LocalEngine, start
from indexer.search.tantivy_backend import TantivyBackend
from nlp.gazetteer import load_gazetteer
from pipelines.resolver import GazetteerResolver

BATCH = 5_000
TERMS = ["detained", "court", "mosque", "lawyer", "sentenced", "journalist", "searched", "colony", "prisoners",
         "refugees", "extremist", "interrogation", "police", "family", "officers", "hearing"]
PHRASES = ["Crimean Tatars", "human rights", "criminal case", "strict regime colony", "political prisoners",
           "citizen journalist", "occupation authorities", "Crimean Solidarity"]
PAIRS = [("court", "lawyer"), ("police", "home"), ("security", "service"), ("family", "prisoner"),
         ("activist", "detained"), ("russian", "court"), ("journalist", "phone"), ("mosque", "searched")]
TYPES = ["search", "detention", "sentence", "fine", "charge", "custody"]
PERSONS = ["Jemilev", "Dzhemilev", "Джемилев", "Chubarov", "Рефат Чубаров", "Mustafa Cemilev"]


def query_set(runs: int, seed: int) -> dict[str, list[tuple[str, bool]]]:
    """Per shape, ``runs`` distinct (query, facets) pairs: the same list for every backend."""
    rng = random.Random(seed)
    span = (END - START).days - 800

    def window(used: set[str]) -> str:
        while True:
            first = START + timedelta(days=rng.randrange(span))
            text = f"date:{first}..{first + timedelta(days=rng.randint(180, 730))}"
            if text not in used:
                used.add(text)
                return text

    shapes: dict[str, list[tuple[str, bool]]] = {}
    makers: dict[str, Callable[[int, str], tuple[str, bool]]] = {
        "one term + dates": lambda k, w: (f"{TERMS[k % len(TERMS)]} {w}", False),
        "phrase + dates": lambda k, w: (f'"{PHRASES[k % len(PHRASES)]}" {w}', False),
        "2 terms AND + dates + type": lambda k, w: (
            f"{PAIRS[k % len(PAIRS)][0]} AND {PAIRS[k % len(PAIRS)][1]} {w} type:{TYPES[k % len(TYPES)]}", False),
        "person (aliases) + dates": lambda k, w: (f'person:"{PERSONS[k % len(PERSONS)]}" {w}', False),
        "term + dates, all facets": lambda k, w: (f"{TERMS[k % len(TERMS)]} {w}", True),
    }
    for name, make in makers.items():
        used: set[str] = set()
        shapes[name] = [make(k, window(used)) for k in range(runs)]
    return shapes


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _self_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _store_mib(url: str, index: str) -> float:
    with urllib.request.urlopen(f"{url}/{index}/_stats/store", timeout=60) as resp:
        stats = json.load(resp)
    return stats["_all"]["primaries"]["store"]["size_in_bytes"] / 2**20


def _index(backend: SearchBackend, n_docs: int, seed: int) -> float:
    docs = generate(n_docs, seed)
    seconds = 0.0
    while chunk := list(itertools.islice(docs, BATCH)):
        started = time.perf_counter()
        backend.index(chunk)
        seconds += time.perf_counter() - started
    started = time.perf_counter()
    if isinstance(backend, TantivyBackend):
        backend.close()  # its background merges belong to indexing
    seconds += time.perf_counter() - started
    assert backend.count() == n_docs, backend.count()
    return seconds


def _measure(backend: SearchBackend, queries: list[tuple[str, bool]]) -> tuple[float, float]:
    # a warm-up pass of the same shapes with other strings: a JVM compiles its hot paths in the first minutes
    for text, facets in queries:
        backend.search(SearchRequest(f"{text} -zzzwarmup", limit=10, facets=facets))
    times = []
    for text, facets in queries:
        started = time.perf_counter()
        backend.search(SearchRequest(text, limit=10, facets=facets))
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, round(0.95 * len(times)) - 1)]


def run(n_docs: int, runs: int, seed: int, work: Path) -> int:
    resolver = GazetteerResolver(None, load_gazetteer())
    queries = query_set(runs, seed)
    rows: dict[str, dict] = {}
    print(f"search engines bench: {n_docs:,} synthetic articles (seed {seed}), {runs} distinct queries per shape")

    rss_before = _self_rss_mib()
    tantivy = TantivyBackend(work / "tantivy", resolver)
    seconds = _index(tantivy, n_docs, seed)
    tantivy = TantivyBackend(work / "tantivy", resolver)
    rows["tantivy"] = {
        "rate": n_docs / seconds,
        "lat": {name: _measure(tantivy, qs) for name, qs in queries.items()},
        "rss": _self_rss_mib() - rss_before,
        "disk": sum(f.stat().st_size for f in (work / "tantivy").rglob("*") if f.is_file()) / 2**20,
    }
    tantivy.close()

    for kind in ("elasticsearch", "opensearch"):
        engine: LocalEngine = start(kind, heap="1g")
        try:
            backend = _cluster_backend(kind, engine.url, resolver)
            seconds = _index(backend, n_docs, seed)
            rows[kind] = {
                "rate": n_docs / seconds,
                "lat": {name: _measure(backend, qs) for name, qs in queries.items()},
                "rss": _rss_mib(engine.process.pid),
                "disk": _store_mib(engine.url, backend.alias),
            }
            backend.close()
        finally:
            engine.stop()
    _print(rows, n_docs)
    return 0


def _cluster_backend(kind: str, url: str, resolver) -> SearchBackend:
    if kind == "elasticsearch":
        from indexer.search.elasticsearch_backend import ElasticsearchBackend

        return ElasticsearchBackend(url, resolver, "bench", chunk_size=1000, replicas=0, request_timeout=120)
    from indexer.search.opensearch_backend import OpenSearchBackend

    return OpenSearchBackend(url, resolver, "bench", chunk_size=1000, replicas=0, request_timeout=120)


def _print(rows: dict[str, dict], n_docs: int) -> None:
    base = rows["tantivy"]
    print(f"\n{'':<38}" + "".join(f"{kind:>26}" for kind in rows))
    print(f"{'indexing docs/s (ratio)':<38}" + "".join(
        f"{r['rate']:>17,.0f} ({r['rate'] / base['rate']:>5.2f})" for r in rows.values()))
    for name in base["lat"]:
        cells = []
        for r in rows.values():
            p50, p95 = r["lat"][name]
            b50, b95 = base["lat"][name]
            cells.append(f"{p50:>6.1f}/{p95:>6.1f} ({p50 / b50:>4.1f}/{p95 / b95:>4.1f})")
        print(f"{name + ' p50/p95 ms':<38}" + "".join(f"{c:>26}" for c in cells))
    print(f"{'memory RSS MiB':<38}" + "".join(f"{r['rss']:>26,.0f}" for r in rows.values()))
    print(f"{'index on disk MiB':<38}" + "".join(f"{r['disk']:>26,.0f}" for r in rows.values()))
    print(f"({n_docs:,} documents; ratios in parentheses are to Tantivy; Tantivy's memory is the growth of this "
          "process, an engine's the RSS of its JVM)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.search_engines_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=100_000, help="corpus size (default 100,000)")
    parser.add_argument("--runs", type=int, default=200, help="distinct queries per shape (default 200)")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="search-engines-bench-") as tmp:
        return run(args.docs, max(50, args.runs), args.seed, Path(tmp))


if __name__ == "__main__":
    sys.exit(main())
