"""Shared fixtures: the demo site on 127.0.0.1 and a helper that runs the CLI in a real subprocess.

Crawls run in subprocesses because Scrapy's reactor can start only once per process, and because a subprocess is
what a user runs (and what the kill-and-resume test can SIGKILL).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.demo.site import DemoSite

# Loopback needs no politeness; short timeouts keep the slow-endpoint trap quick.
FAST_CRAWL_ENV = {
    "CRIMEA_MONITOR_DOWNLOAD_DELAY": "0",
    "CRIMEA_MONITOR_AUTOTHROTTLE_ENABLED": "false",
    "CRIMEA_MONITOR_CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "CRIMEA_MONITOR_HOST_MAX_CONNECTIONS": "16",
    "CRIMEA_MONITOR_DOWNLOAD_TIMEOUT": "2",
    "CRIMEA_MONITOR_RETRY_TIMES": "1",
    "CRIMEA_MONITOR_RETRY_BACKOFF_BASE": "0.2",
    "CRIMEA_MONITOR_LOG_LEVEL": "WARNING",
    "CRIMEA_MONITOR_EXTRACT_WORKERS": "1",
}


def cli_env(db: Path, sources: Path | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRIMEA_MONITOR_")}
    env.update(FAST_CRAWL_ENV)
    env["CRIMEA_MONITOR_DB"] = str(db)
    if sources is not None:
        env["CRIMEA_MONITOR_SOURCES"] = str(sources)
    env.update(extra)
    return env


def run_cli(
    args: list[str], db: Path, sources: Path | None = None, timeout: float = 240, **extra: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        env=cli_env(db, sources, **extra),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def crawl_json(db: Path, sources: Path, *args: str) -> dict[str, dict]:
    result = run_cli(["crawl", "--json", *args], db, sources)
    assert result.returncode == 0, result.stderr[-3000:]
    return {report["source_id"]: report for report in json.loads(result.stdout)}


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright (browser tests skip when it is missing)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def demo_site():
    with DemoSite(slow_seconds=4.0) as site:
        yield site


def write_sources(site: DemoSite, directory: Path) -> Path:
    path = directory / "sources.toml"
    path.write_text(site.sources_toml(), encoding="utf-8")
    return path


def corpus_record(article, url: str) -> tuple[dict, list[int]]:  # type: ignore[no-untyped-def]
    """A demo-corpus article as the store row a crawl would write, and its LSH bands."""
    from crawlers.fingerprint import Fingerprint
    from indexer.store import article_id_for

    fingerprint = Fingerprint.of(article.text)
    record = {
        "id": article_id_for(url), "url": url, "source_id": f"demo-{article.outlet}", "title": article.title,
        "text": article.text, "author": article.author, "lang": article.lang,
        "published_at": article.published_at.isoformat(), "fetched_at": "2026-11-20T10:00:00+00:00",
        "content_hash": fingerprint.content_hash, "minhash": fingerprint.minhash,
        "shingle_count": fingerprint.shingle_count, "near_duplicate_of": None, "near_duplicate_score": None,
    }
    return record, fingerprint.bands()


def store_with_corpus(db: Path, limit: int | None = None, only: set[str] | None = None) -> list[str]:
    """Put demo-corpus articles (the first ``limit``, or those whose demo ids are ``only``) straight into a store
    (as a crawl would), without crawling; returns their ids."""
    from indexer.store import Store
    from monitor.demo.corpus import load_corpus

    ids = []
    with Store.open(db) as store:
        for article in [a for a in load_corpus() if only is None or a.id in only][:limit]:
            record, bands = corpus_record(article, f"http://127.0.0.1/{article.outlet}/{article.slug}")
            store.save_article(record, bands)
            ids.append(record["id"])
    return ids


# ------------------------------------------------------------------------------- live search engines (issue 13)
@pytest.fixture(scope="session")
def _local_engines():
    """Both engines, launched together on first use (their JVMs start in parallel), stopped at the end."""
    from indexer.search.local_engines import ENGINES, launch, tools_available

    if not tools_available():
        pytest.skip("java and mvn are needed to run a local Elasticsearch and OpenSearch")
    engines = {kind: launch(kind, heap="512m") for kind in ENGINES}  # one node each, for the whole session
    try:
        yield engines
    finally:
        for engine in engines.values():
            engine.stop()


@pytest.fixture(scope="session")
def elasticsearch_url(_local_engines):
    """A real single-node Elasticsearch 8.x on 127.0.0.1 (deploy/search-engines), shared by the session."""
    from indexer.search.local_engines import ready

    return ready(_local_engines["elasticsearch"]).url


@pytest.fixture(scope="session")
def opensearch_url(_local_engines):
    """A real single-node OpenSearch 2.19 on 127.0.0.1 (deploy/search-engines), shared by the session."""
    from indexer.search.local_engines import ready

    return ready(_local_engines["opensearch"]).url


@pytest.fixture(scope="session")
def polled_channels(tmp_path_factory):
    """The demo channels crawled twice into one store (shared by the Telegram and evidence tests)."""
    from tests.telegram_helpers import EN, channel_sources

    with DemoSite(channel_page_size=4) as site:
        directory = tmp_path_factory.mktemp("telegram")
        db = directory / "monitor.db"
        sources = channel_sources(site, directory)
        first = crawl_json(db, sources)
        head_hits = site.hits.get(f"/s/{EN}", 0)
        second = crawl_json(db, sources)
        yield {"site": site, "db": db, "sources": sources, "first": first, "second": second,
               "pages_first": head_hits, "pages_second": site.hits.get(f"/s/{EN}", 0) - head_hits}
