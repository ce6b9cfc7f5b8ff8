"""A second crawl of an unchanged site costs 304s and stores nothing; a crawl killed midway resumes without loss."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from indexer.store import Store
from monitor.demo.corpus import load_corpus
from monitor.demo.site import DemoSite
from tests.conftest import cli_env, crawl_json, write_sources


def _article_hits(site: DemoSite) -> dict[str, int]:
    paths = {site.url_for(a) for a in site.articles}
    return {p: n for p, n in site.hits.items() if p in paths}


def test_second_crawl_of_unchanged_site_stores_nothing_new(tmp_path: Path):
    with DemoSite(slow_seconds=4.0) as site:
        sources = write_sources(site, tmp_path)
        db = tmp_path / "m.db"
        first = crawl_json(db, sources)
        with Store.open(db) as store:
            rows_before = store.conn.execute("SELECT id, content_hash, fetched_at FROM articles").fetchall()
        hits_before = _article_hits(site)
        second = crawl_json(db, sources)
        hits_after = _article_hits(site)
        with Store.open(db) as store:
            rows_after = store.conn.execute("SELECT id, content_hash, fetched_at FROM articles").fetchall()

    assert sum(r["new"] for r in first.values()) == len(rows_before) > 60
    for report in second.values():
        assert (report["new"], report["updated"], report["duplicates"]) == (0, 0, 0), report
    # the RSS feed, the Atom feed and both sitemaps listed by the sitemap index answered 304
    assert second["demo-crimea-herald"]["feeds_unchanged"] == 1
    assert second["demo-peninsula-watch"]["feeds_unchanged"] == 1
    assert second["demo-peninsula-watch"]["errors"] == {"broken feed": 1}  # still broken: reported again
    assert second["demo-black-sea-daily"]["feeds_unchanged"] == 2
    # no article page was downloaded again: a 304 (or an already stored URL) costs nothing more
    assert hits_after == hits_before
    assert [tuple(r) for r in rows_after] == [tuple(r) for r in rows_before]
    # the slow page stayed queued and was tried again, without duplicating anything
    assert second["demo-steppe-courier"]["resumed"] == 1


def _session_processes(session: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "-s", str(session)], capture_output=True, text=True, check=False)
    return [int(pid) for pid in out.stdout.split()]


def _count(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=1) as conn:
            return conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def test_sigkill_midway_then_rerun_loses_nothing_and_duplicates_nothing(tmp_path: Path):
    corpus = load_corpus()
    with DemoSite(slow_seconds=4.0, article_delay=0.25) as site:
        sources = write_sources(site, tmp_path)
        db = tmp_path / "m.db"
        env = cli_env(db, sources, CRIMEA_MONITOR_CONCURRENT_REQUESTS="2")
        process = subprocess.Popen(
            [sys.executable, "-m", "monitor", "crawl", "--json"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        deadline = time.monotonic() + 120
        while _count(db) < 10 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.1)
        stored_at_kill = _count(db)
        os.kill(process.pid, signal.SIGKILL)  # the crawler alone, mid-batch, as the OOM killer would
        process.wait(timeout=30)
        # its extraction workers notice and exit instead of living on
        deadline = time.monotonic() + 10
        while _session_processes(process.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _session_processes(process.pid) == []
        assert 10 <= stored_at_kill < len(corpus), "the kill must land in the middle of the crawl"
        with Store.open(db) as store:
            assert store.frontier_counts().get("pending", 0) > 0, "discovered URLs survive the kill as pending"
        site.article_delay = 0
        reports = crawl_json(db, sources)

    with Store.open(db) as store:
        originals = store.conn.execute("SELECT COUNT(*) FROM articles WHERE near_duplicate_of IS NULL").fetchone()[0]
        total = store.conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        pending = store.conn.execute("SELECT url FROM frontier WHERE state = 'pending'").fetchall()
        for article in corpus:
            n = store.conn.execute(
                "SELECT COUNT(*) FROM articles WHERE instr(text, ?) > 0 AND near_duplicate_of IS NULL",
                (article.paragraphs[1],),
            ).fetchone()[0]
            assert n == 1, article.id
    assert originals == len(corpus)
    assert total == len(corpus) + 1  # + the syndicated near-copy
    assert [row[0].rsplit("/", 1)[1] for row in pending] == ["999-slow-report.html"]
    assert sum(r["resumed"] for r in reports.values()) >= 1
