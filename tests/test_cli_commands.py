"""The crawl-side commands a monitor uses: init, sources check, articles list/show, and retries with back-off."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from indexer.store import Store
from monitor.demo.site import DemoSite
from tests.conftest import crawl_json, run_cli, write_sources


@pytest.fixture(scope="module")
def crawled_db(tmp_path_factory):
    directory = tmp_path_factory.mktemp("cli")
    with DemoSite(slow_seconds=4.0) as site:
        sources = write_sources(site, directory)
        db = directory / "m.db"
        crawl_json(db, sources, "--source", "demo-peninsula-watch")
        yield site, db, sources


def test_init_creates_the_store_and_checks_sources(tmp_path: Path):
    result = run_cli(["init"], tmp_path / "new" / "m.db")
    assert result.returncode == 0, result.stderr
    assert "schema version" in result.stdout and "16 enabled" in result.stdout.replace("sources, ", "")
    with Store.open(tmp_path / "new" / "m.db") as store:
        assert store.schema_version() >= 2


def test_sources_check_fetches_each_start_url(crawled_db):
    _site, db, sources = crawled_db
    good = run_cli(["sources", "check", "-s", "demo-crimea-herald", "-s", "demo-black-sea-daily"], db, sources)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "entries" in good.stdout and "sitemap" in good.stdout
    broken = run_cli(["sources", "check", "-s", "demo-peninsula-watch"], db, sources)
    assert broken.returncode == 1
    assert "not a readable feed" in broken.stdout


def test_sources_check_reports_an_unreachable_server(tmp_path: Path):
    sources = tmp_path / "s.toml"
    sources.write_text('[[source]]\nid = "gone"\nname = "Gone"\nkind = "feed"\n'
                       'start_urls = ["http://127.0.0.1:9/feed.xml"]\n', encoding="utf-8")
    result = run_cli(["sources", "check", "--timeout", "2"], tmp_path / "m.db", sources)
    assert result.returncode == 1 and "refused" in result.stdout.lower()


def test_articles_list_and_show(crawled_db):
    site, db, _ = crawled_db
    listed = run_cli(["articles", "list", "--json", "--limit", "100"], db)
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert len(rows) == len(site.by_outlet["peninsula-watch"])
    assert all(r["source_id"] == "demo-peninsula-watch" and r["status"] == "fetched" for r in rows)
    article_id = rows[0]["id"]
    shown = run_cli(["articles", "show", article_id, "--json"], db)
    data = json.loads(shown.stdout)
    assert data["id"] == article_id and data["text"] and data["snapshots"][0]["sha256"]
    raw = run_cli(["articles", "show", article_id, "--raw"], db)
    assert "<html" in raw.stdout and "Peninsula Watch" in raw.stdout
    missing = run_cli(["articles", "show", "nope"], db)
    assert missing.returncode == 1 and "no article with id 'nope'" in missing.stderr


class _Flaky(BaseHTTPRequestHandler):
    """Answers 503 to the first two requests for the article, then the page; remembers when each came."""

    times: ClassVar[list[float]] = []
    page = b""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/robots.txt":
            body, status, ctype = b"User-agent: *\nAllow: /\n", 200, "text/plain"
        elif self.path == "/feed.xml":
            link = f"http://127.0.0.1:{self.server.server_address[1]}/story.html"
            body = (f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>Story</title>'
                    f"<link>{link}</link></item></channel></rss>").encode()
            status, ctype = 200, "application/rss+xml"
        else:
            _Flaky.times.append(time.monotonic())
            status = 503 if len(_Flaky.times) <= 2 else 200
            body, ctype = (_Flaky.page if status == 200 else b"busy"), "text/html; charset=utf-8"
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_server_errors_are_retried_with_growing_pauses(tmp_path: Path):
    site = DemoSite()
    _Flaky.page, _ = site.article_page(site.articles[1])
    _Flaky.times = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        sources = tmp_path / "s.toml"
        sources.write_text('[[source]]\nid = "flaky"\nname = "Flaky"\nkind = "feed"\n'
                           f'start_urls = ["http://127.0.0.1:{server.server_address[1]}/feed.xml"]\n', encoding="utf-8")
        result = run_cli(["crawl", "--json"], tmp_path / "m.db", sources,
                         CRIMEA_MONITOR_RETRY_TIMES="2", CRIMEA_MONITOR_RETRY_BACKOFF_BASE="0.5")
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)[0]
    assert report["new"] == 1 and report["errors"] == {}
    assert len(_Flaky.times) == 3
    first_pause, second_pause = _Flaky.times[1] - _Flaky.times[0], _Flaky.times[2] - _Flaky.times[1]
    assert first_pause >= 0.5 and second_pause >= 1.0  # base * 2**n


def test_site_spider_follows_listing_pages_to_a_bounded_depth(tmp_path: Path):
    with DemoSite(slow_seconds=4.0) as site:
        sources = write_sources(site, tmp_path)
        pages = site.listing_pages()
        assert len(pages) >= 2, "the demo outlet without a feed needs more than one listing page"
        shallow = crawl_json(tmp_path / "a.db", sources, "-s", "demo-steppe-courier")
        assert shallow["demo-steppe-courier"]["new"] == len(site.by_outlet["steppe-courier"])
        first_page_only = run_cli(["crawl", "--json", "-s", "demo-steppe-courier"], tmp_path / "b.db", sources,
                                  CRIMEA_MONITOR_SITE_MAX_DEPTH="0")
    report = json.loads(first_page_only.stdout)[0]
    assert report["new"] == len(pages[0])


class _Feeds(BaseHTTPRequestHandler):
    """RSS 0.91 and RSS 1.0 (RDF) feeds, each linking one article page."""

    pages: ClassVar[dict[str, bytes]] = {}

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        feeds = {
            "/rss091.xml": (f'<?xml version="1.0"?><rss version="0.91"><channel><title>Old</title>'
                            f"<item><title>One</title><link>{base}/one.html</link></item></channel></rss>"),
            "/rss10.rdf": ('<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
                           'xmlns="http://purl.org/rss/1.0/"><channel rdf:about="x"><title>RDF</title></channel>'
                           f'<item rdf:about="{base}/two.html"><title>Two</title><link>{base}/two.html</link></item>'
                           "</rdf:RDF>"),
        }
        if self.path in feeds:
            body, ctype, status = feeds[self.path].encode(), "application/xml", 200
        elif self.path in _Feeds.pages:
            body, ctype, status = _Feeds.pages[self.path], "text/html; charset=utf-8", 200
        else:
            body, ctype, status = b"User-agent: *\nAllow: /\n", "text/plain", 200 if self.path == "/robots.txt" else 404
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_rss_091_and_rss_10_feeds_are_read(tmp_path: Path):
    site = DemoSite()
    _Feeds.pages = {
        "/one.html": site.article_page(site.articles[3])[0],
        "/two.html": site.article_page(site.articles[4])[0],
    }
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Feeds)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        sources = tmp_path / "s.toml"
        sources.write_text('[[source]]\nid = "old"\nname = "Old formats"\nkind = "feed"\n'
                           f'start_urls = ["{base}/rss091.xml", "{base}/rss10.rdf"]\n', encoding="utf-8")
        reports = crawl_json(tmp_path / "m.db", sources)
    finally:
        server.shutdown()
        server.server_close()
    assert reports["old"]["new"] == 2 and reports["old"]["errors"] == {}
