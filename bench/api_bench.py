"""API load benchmark: 50 concurrent clients for 30 s against ``/api/search`` over loopback.

    python -m bench.api_bench                       # 100,000 synthetic documents (index built first, minutes)
    python -m bench.api_bench --docs 10000 --seconds 10 --dir /tmp/api-bench   # keep the index for re-runs

The corpus is the search benchmark's (``bench.search_bench.generate``: seeded, ~400 words per article, entities,
events, quotes, 2014-2026), indexed into the Tantivy index beside an empty store. The server is the real
``crimea-monitor serve`` in a subprocess on 127.0.0.1; the clients are keep-alive HTTP/1.1 connections driven by
one asyncio loop (a few microseconds per request, so the load generator is not what is measured), each cycling
through the search benchmark's query shapes: one term, a phrase, two terms + date + type, a person filter through
aliases, and a query with all facets. Printed: requests/s, p50/p95/p99 latency, errors, and p95 per shape; the goal is
p95 <= 100 ms with zero errors.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from bench.search_bench import SEED, generate

GOAL_P95_MS = 100.0


def queries(seed: int, distinct: int) -> list[tuple[str, str]]:
    """(shape, path) pairs in the shapes of bench.search_bench at the API's page size.

    ``distinct`` requests (repeats possible, as in real use) are drawn from the corpus vocabulary (news words,
    phrases, persons of the gazetteer in their Latin spellings, years, pages 1-3), so that the backend's request
    cache helps only as much as repeated requests would in real use; with a small ``distinct`` the run shows the
    cache's effect instead.
    """
    from bench.search_bench import NEWS, PHRASES, vocabulary

    rng = random.Random(seed)
    voc = vocabulary(seed)
    people = [spelling for _id, spellings in voc.names["person"][:60] for spelling in spellings]
    types = ["search", "detention", "sentence", "fine", "charge", "custody", "deportation", "transfer"]
    shapes = ["one term", "phrase", "2 terms + date + type", "person via aliases", "all facets"]
    paths: list[tuple[str, str]] = []
    for n in range(distinct):
        shape = shapes[n % len(shapes)]
        if shape == "one term":
            q = rng.choice(NEWS)
        elif shape == "phrase":
            q = f'"{rng.choice(PHRASES)}"'
        elif shape == "2 terms + date + type":
            year = rng.randint(2014, 2025)
            dates = f"date:{year}-01-01..{year + 1}-06-30"
            q = f"{rng.choice(NEWS)} AND {rng.choice(NEWS)} {dates} type:{rng.choice(types)}"
        elif shape == "person via aliases":
            q = f'person:"{rng.choice(people)}"'
        else:  # all facets, over a word or two: the sidebar of a typical search
            q = rng.choice(NEWS) if rng.random() < 0.3 else f"{rng.choice(NEWS)} {rng.choice(NEWS)}"
        params: dict[str, object] = {"q": q, "limit": 10, "offset": 10 * rng.randint(0, 2)}
        if shape == "all facets":
            params = {"q": q, "limit": 10, "facets": "true"}
        paths.append((shape, "/api/search?" + urlencode(params)))
    rng.shuffle(paths)
    return paths


def build_index(work: Path, n_docs: int, seed: int) -> Path:
    """The store and its Tantivy index in ``work`` (reused when it already holds ``n_docs`` documents)."""
    from indexer.search.tantivy_backend import TantivyBackend
    from indexer.store import Store
    from nlp.gazetteer import load_gazetteer
    from pipelines.index import index_dir_for
    from pipelines.resolver import GazetteerResolver

    db = work / "bench.db"
    Store.open(db).close()
    backend = TantivyBackend(index_dir_for(db), GazetteerResolver(None, load_gazetteer()))
    have = backend.count()
    if have == n_docs:
        print(f"index: reusing {have:,} documents in {index_dir_for(db)}")
        return db
    if have:
        backend.clear()
    started = time.perf_counter()
    docs = generate(n_docs, seed)
    done = 0
    while done < n_docs:
        chunk = list(itertools.islice(docs, 5_000))
        backend.index(chunk, batch_size=len(chunk))
        done += len(chunk)
        if sys.stdout.isatty():
            print(f"  indexed {done:,} / {n_docs:,}", end="\r", flush=True)
    # as `crimea-monitor index` does: wait for Tantivy's background merges, else the index keeps the last chunks as
    # a dozen small segments that the indexing CLI would have merged (~13 % more search cost per request)
    backend.close()
    print(f"index: {n_docs:,} synthetic documents built in {time.perf_counter() - started:.0f} s")
    return db


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(db: Path, port: int, workers: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRIMEA_MONITOR_")}
    # reads without a login: the bench measures search, not session lookups
    env.update(CRIMEA_MONITOR_DB=str(db), CRIMEA_MONITOR_SEARCH_BACKEND="tantivy", CRIMEA_MONITOR_PUBLIC_READ="true")
    process = subprocess.Popen(
        [sys.executable, "-m", "monitor", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited: {process.stderr.read().decode(errors='replace')[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"GET /api/search?q=court HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                if s.recv(12).startswith(b"HTTP/1.1 200"):
                    return process
        except OSError:
            pass
        time.sleep(0.2)
    process.kill()
    raise SystemExit("the server did not answer within 60 s")


async def _request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str) -> int:
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    status = int((await reader.readline()).split(b" ", 2)[1])
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    await reader.readexactly(length)
    return status


async def _client(port: int, work: list[tuple[str, str]], start: int, until: float,
                  samples: list[tuple[str, float]], errors: list[str]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    i = start
    try:
        while time.perf_counter() < until:
            shape, path = work[i % len(work)]
            i += 1
            t0 = time.perf_counter()
            try:
                status = await _request(reader, writer, path)
            except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                continue
            elapsed = time.perf_counter() - t0
            if status != 200:
                errors.append(f"HTTP {status} for {path}")
            else:
                samples.append((shape, elapsed))
    finally:
        writer.close()


async def load(port: int, clients: int, seconds: float, work: list[tuple[str, str]]
               ) -> tuple[list[tuple[str, float]], list[str], float]:
    samples: list[tuple[str, float]] = []
    errors: list[str] = []
    started = time.perf_counter()
    until = started + seconds
    # each client starts in its own stretch of the list, so clients do not repeat each other's requests
    stride = max(1, len(work) // clients)
    await asyncio.gather(*(_client(port, work, k * stride, until, samples, errors) for k in range(clients)))
    return samples, errors, time.perf_counter() - started


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))] * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.api_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=100_000, help="corpus size (default 100,000)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (default 50)")
    parser.add_argument("--seconds", type=float, default=30.0, help="load duration (default 30)")
    parser.add_argument("--workers", type=int, default=2,
                        help="server processes (default 2, one per core here; each has its own listening socket, "
                             "so the kernel spreads the keep-alive connections over them by hash)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--distinct", type=int, default=20_000,
                        help="requests drawn for the clients to cycle through (default 20,000: few cache hits)")
    parser.add_argument("--dir", type=Path, default=None, help="work directory kept between runs (default: temp)")
    args = parser.parse_args(argv)
    if args.dir is not None:
        args.dir.mkdir(parents=True, exist_ok=True)
        return run(args, args.dir)
    with tempfile.TemporaryDirectory(prefix="api-bench-") as tmp:
        return run(args, Path(tmp))


def run(args: argparse.Namespace, work: Path) -> int:
    db = build_index(work, args.docs, args.seed)
    port = free_port()
    server = start_server(db, port, args.workers)
    try:
        paths = queries(args.seed, args.distinct)
        asyncio.run(load(port, min(args.clients, 8), 3.0, paths))  # warm-up: caches, page-ins, lazy loads
        samples, errors, elapsed = asyncio.run(load(port, args.clients, args.seconds, paths))
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
    times = [t for _, t in samples]
    if not times:
        print(f"no successful request; errors: {errors[:5]}")
        return 1
    p95 = pct(times, 0.95)
    print(f"api bench: {args.docs:,} documents, {len(set(paths)):,} distinct requests cycled through, "
          f"{args.clients} clients, {elapsed:.1f} s over loopback, "
          f"{args.workers} server process(es)")
    print(f"requests: {len(times) + len(errors):,}  ok {len(times):,}  errors {len(errors)}  "
          f"throughput {len(times) / elapsed:,.0f} requests/s")
    print(f"latency ms: p50 {pct(times, 0.5):.1f}  p95 {p95:.1f}  p99 {pct(times, 0.99):.1f}  "
          f"mean {statistics.fmean(times) * 1000:.1f}  max {max(times) * 1000:.1f}")
    by_shape: dict[str, list[float]] = {}
    for shape, t in samples:
        by_shape.setdefault(shape, []).append(t)
    for shape, values in sorted(by_shape.items()):
        print(f"  {shape:<24} n {len(values):>7,}  p50 {pct(values, 0.5):7.1f}  p95 {pct(values, 0.95):7.1f}")
    for message in sorted(set(errors))[:5]:
        print(f"  error: {message}")
    ok = p95 <= GOAL_P95_MS and not errors
    print(f"goal: p95 <= {GOAL_P95_MS:.0f} ms and zero errors: {'ok' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
