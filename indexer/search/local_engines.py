"""Real Elasticsearch and OpenSearch nodes on 127.0.0.1, from the Maven project in deploy/search-engines.

For development (``make es``, ``make opensearch``), the tests and the benchmark: ``build()`` runs Maven once (and
again only when a pom or a Java file changed), ``start()`` launches a JVM that prints ``READY <url>...`` once its
nodes answer, ``stop()`` sends SIGTERM (the launcher closes its nodes and deletes their data), ``kill()`` sends
SIGKILL (a crash; the data directory is removed here).

``python -m indexer.search.local_engines elasticsearch [--nodes 3]`` starts one for manual use and prints its URL.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "ENGINES",
    "EngineError",
    "LocalEngine",
    "build",
    "free_port",
    "launch",
    "ready",
    "start",
    "start_cluster",
    "tools_available",
]

ENGINES_DIR = Path(__file__).resolve().parents[2] / "deploy" / "search-engines"
ENGINES = {
    "elasticsearch": "org.crimeamonitor.engines.es.ElasticsearchNodes",
    "opensearch": "org.crimeamonitor.engines.os.OpenSearchNodes",
}
_STAMP = ENGINES_DIR / ".built"


class EngineError(RuntimeError):
    """An engine could not be built or started (the message carries the end of its output)."""


def tools_available() -> bool:
    return bool(shutil.which("java") and shutil.which("mvn"))


def _sources() -> list[Path]:
    return [
        p
        for p in ENGINES_DIR.rglob("*")
        if p.suffix in (".java", ".xml") and "target" not in p.relative_to(ENGINES_DIR).parts
    ]


def build() -> None:
    """Compile the launchers and gather their classpaths (target/lib), unless that is already up to date."""
    libs_present = all((ENGINES_DIR / kind / "target" / "lib").is_dir() for kind in ENGINES)
    if _STAMP.exists() and libs_present:
        built = _STAMP.stat().st_mtime
        if all(p.stat().st_mtime <= built for p in _sources()):
            return
    done = subprocess.run(
        ["mvn", "-q", "-B", "-Dstyle.color=never", "package"],
        cwd=ENGINES_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise EngineError(f"mvn package failed in {ENGINES_DIR}:\n{(done.stdout + done.stderr)[-3000:]}")
    _STAMP.touch()


def _classpath(kind: str) -> str:
    target = ENGINES_DIR / kind / "target"
    return os.pathsep.join([str(target / "classes"), str(target / "lib" / "*")])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LocalEngine:
    """One launcher JVM (one or more nodes)."""

    kind: str
    process: subprocess.Popen
    log_path: Path
    urls: list[str] = field(default_factory=list)
    data_dir: Path | None = None
    nodes: int = 1

    @property
    def url(self) -> str:
        return self.urls[0]

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def _cleanup(self) -> None:
        if self.data_dir is not None and self.data_dir.exists():
            shutil.rmtree(self.data_dir, ignore_errors=True)
        self.log_path.unlink(missing_ok=True)

    def stop(self, timeout: float = 60) -> None:
        """SIGTERM: the nodes close and the launcher deletes their data."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._cleanup()

    def kill(self) -> None:
        """SIGKILL: the nodes die as in a crash or an out-of-memory kill."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._cleanup()

    def __enter__(self) -> LocalEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _launch(kind: str, nodes: int, heap: str, settings: dict[str, str]) -> LocalEngine:
    if kind not in ENGINES:
        raise EngineError(f"unknown engine {kind!r}; use one of: {', '.join(ENGINES)}")
    fd, log_name = tempfile.mkstemp(prefix=f"crimea-monitor-{kind}-", suffix=".log")
    cmd = [
        "java",
        f"-Xms{heap}",
        f"-Xmx{heap}",
        "-XX:+UseSerialGC",  # small heaps, few cores: the serial collector costs least
        "-cp",
        _classpath(kind),
        ENGINES[kind],
        str(nodes),
        *(f"-E{k}={v}" for k, v in settings.items()),
    ]
    # its own session: a Ctrl-C meant for the caller reaches the JVM as the caller's SIGTERM, in order
    process = subprocess.Popen(cmd, stdout=fd, stderr=subprocess.STDOUT, start_new_session=True)
    os.close(fd)
    return LocalEngine(kind, process, Path(log_name))


def _wait_ready(engine: LocalEngine, deadline: float) -> None:
    while time.monotonic() < deadline:
        for line in engine.log_tail(1_000_000).splitlines():
            if line.startswith("DATA "):
                engine.data_dir = Path(line[5:].strip())
            if line.startswith("READY "):
                engine.urls = line.split()[1:]
                return
        if engine.process.poll() is not None:
            tail = engine.log_tail()
            engine.stop()
            raise EngineError(f"{engine.kind} exited with {engine.process.returncode}:\n{tail}")
        time.sleep(0.2)
    tail = engine.log_tail()
    engine.stop()
    raise EngineError(f"{engine.kind} did not start in time:\n{tail}")


def wait_health(url: str, nodes: int, status: str = "yellow", timeout: float = 60) -> dict:
    """Block until the cluster at ``url`` has ``nodes`` nodes and at least ``status``."""
    query = f"wait_for_nodes={nodes}&wait_for_status={status}&timeout={int(timeout)}s"
    with urllib.request.urlopen(f"{url}/_cluster/health?{query}", timeout=timeout + 10) as resp:
        return json.load(resp)


def launch(kind: str, nodes: int = 1, heap: str = "512m", **settings: str) -> LocalEngine:
    """Start ``nodes`` nodes of ``kind`` in one JVM without waiting for them (``ready()`` waits)."""
    build()
    engine = _launch(kind, nodes, heap, settings)
    engine.nodes = nodes
    return engine


def ready(engine: LocalEngine, timeout: float = 240) -> LocalEngine:
    """Wait until a launched engine's cluster answers."""
    if not engine.urls:
        _wait_ready(engine, time.monotonic() + timeout)
        wait_health(engine.url, engine.nodes)
    return engine


def start(kind: str, nodes: int = 1, heap: str = "512m", timeout: float = 240, **settings: str) -> LocalEngine:
    """Start ``nodes`` nodes of ``kind`` in one JVM; returns once the cluster answers."""
    return ready(launch(kind, nodes, heap, **settings), timeout)


def start_cluster(kind: str, nodes: int = 3, heap: str = "512m", timeout: float = 300) -> list[LocalEngine]:
    """A cluster of ``nodes`` JVMs, one node each, so that one can be killed like a crashed machine."""
    build()
    names = [f"{kind}-{i + 1}" for i in range(nodes)]
    ports = [free_port() for _ in names]
    seeds = ",".join(f"127.0.0.1:{p}" for p in ports)
    engines = []
    try:
        for name, port in zip(names, ports, strict=True):
            settings = {
                "node.name": name,
                "cluster.name": f"crimea-monitor-{kind}-cluster",
                "transport.port": str(port),
                "discovery.seed_hosts": seeds,
                "cluster.initial_master_nodes": ",".join(names),
            }
            engines.append(_launch(kind, 1, heap, settings))
        deadline = time.monotonic() + timeout
        for engine in engines:
            _wait_ready(engine, deadline)
        wait_health(engines[0].url, nodes, timeout=max(10, deadline - time.monotonic()))
    except BaseException:
        for engine in engines:
            engine.stop()
        raise
    return engines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Start a local Elasticsearch or OpenSearch for development.")
    parser.add_argument("kind", nargs="?", choices=sorted(ENGINES))
    parser.add_argument("--nodes", type=int, default=1, choices=(1, 3))
    parser.add_argument("--heap", default="1g")
    parser.add_argument("--build", action="store_true", help="only build (download once into ~/.m2) and exit")
    args = parser.parse_args(argv)
    try:
        if args.build:
            build()
            return 0
        if args.kind is None:
            parser.error("name an engine: elasticsearch or opensearch")
        engine = start(args.kind, args.nodes, args.heap)
    except EngineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    variable = "ELASTICSEARCH_URL" if args.kind == "elasticsearch" else "OPENSEARCH_URL"
    print(f"{args.kind} is up: {' '.join(engine.urls)}")
    print(f"  CRIMEA_MONITOR_SEARCH_BACKEND={args.kind} CRIMEA_MONITOR_{variable}={','.join(engine.urls)}")
    print("Ctrl-C stops it and deletes its data.", flush=True)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # `kill` stops it as cleanly as Ctrl-C
    try:
        while engine.process.poll() is None:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        engine.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
