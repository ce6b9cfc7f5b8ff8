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


def store_with_corpus(db: Path, limit: int | None = None) -> list[str]:
    """Put demo-corpus articles straight into a store (as a crawl would), without crawling; returns their ids."""
    from indexer.store import Store
    from monitor.demo.corpus import load_corpus

    ids = []
    with Store.open(db) as store:
        for article in load_corpus()[:limit]:
            record, bands = corpus_record(article, f"http://127.0.0.1/{article.outlet}/{article.slug}")
            store.save_article(record, bands)
            ids.append(record["id"])
    return ids


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
