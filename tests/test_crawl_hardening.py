"""Pages and feeds that used to lose data, served by a real HTTP server on 127.0.0.1 and crawled twice.

Several feed sources share the one host (as real outlets share a platform), so the same crawl also shows robots.txt
fetched once per host and the connection cap per host across sources.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit
from xml.sax.saxutils import escape

import pytest

from indexer.store import Store
from monitor.demo.corpus import load_corpus
from tests.conftest import run_cli

SLOW_SOURCES = ("hostile-c", "hostile-d", "hostile-e")  # feeds of slow pages, for the per-host connection cap
NAV_TITLE = "Write a Reply or Comment…"


@dataclass
class Page:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    delay: float = 0.0


def _html(title: str, paragraphs: list[str], *, canonical: str = "", h1: str | None = None, og_title: str = "",
          xhtml: bool = False) -> bytes:
    head = f"<title>{escape(title)}</title>"
    head += f'<link rel="canonical" href="{escape(canonical)}"/>' if canonical else ""
    head += f'<meta property="og:title" content="{escape(og_title)}"/>' if og_title else ""
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    page = (f'<html lang="en"><head>{head}</head><body><h1 class="entry-title">{escape(h1 or title)}</h1>'
            f"<article>{body}</article></body></html>")
    if xhtml:
        page = ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
                '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n'
                + page.replace("<html ", '<html xmlns="http://www.w3.org/1999/xhtml" ', 1))
    return page.encode()


def _table_layout(lead: str, paragraphs: list[str]) -> bytes:
    """An old-style page: a teaser in <article>, the story in a layout table (trafilatura's fast mode sees the
    teaser only)."""
    return (f"<html><head><title>Table story</title></head><body><article><p>{escape(lead)}</p></article>"
            f"<table><tr><td>{'<br/>'.join(escape(p) for p in paragraphs)}</td></tr></table></body></html>").encode()


def _rss(entries: list[tuple[str, str | None]]) -> bytes:
    items = "".join(
        f"<item><title>{escape(title)}</title>{f'<link>{escape(link)}</link>' if link else ''}"
        f"<description>{escape(title)}</description></item>"
        for title, link in entries
    )
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Feed</title>'
            f"<link>http://127.0.0.1/</link><description>test</description>{items}</channel></rss>").encode()


class HostileSite:
    def __init__(self) -> None:
        self.pages: dict[str, Page] = {}
        self.hits: dict[str, int] = {}
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.stories = [a for a in load_corpus() if a.lang == "en"]
        self._build()

    def story(self, n: int) -> list[str]:
        return list(self.stories[n].paragraphs)

    def _build(self) -> None:
        b = self.base
        self.pages["/robots.txt"] = Page(b"User-agent: *\nDisallow: /private/\n", "text/plain")
        self.pages["/a/xhtml-story.html"] = Page(_html("XHTML story", self.story(0), xhtml=True),
                                                 "application/xhtml+xml; charset=utf-8")
        self.pages["/a/no-text.html"] = Page(b"<html><head><title>Nothing</title></head><body></body></html>")
        for n, slug in enumerate(("root-1", "root-2")):
            self.pages[f"/a/{slug}.html"] = Page(_html(slug, self.story(1 + n), canonical=f"{b}/"))
        for n, slug in enumerate(("tpl-1", "tpl-2")):
            self.pages[f"/a/{slug}.html"] = Page(_html(slug, self.story(3 + n), canonical="$REGULAR_HTML_URL"))
        real = f"{b}/a/real-story.html"
        self.pages["/a/real-story.html"] = Page(_html("Real story", self.story(5), canonical=real))
        self.pages["/a/amp/real-story.html"] = Page(_html("Real story", self.story(5), canonical=real))
        self.pages["/a/news story ü.html"] = Page(_html("Spaced story", self.story(6)))
        self.table_story = self.story(7)
        lead = "The group published a statement about the searches in Simferopol this morning. " * 3
        self.pages["/a/table-story.html"] = Page(_table_layout(lead.strip(), self.table_story))
        self.statement = ("Statement: the Crimean Human Rights Group condemns the detention of three Crimean Tatar "
                          "activists in Bakhchysarai today and demands their immediate release.")
        self.pages["/a/statement.html"] = Page(_html("Statement on the detentions", [self.statement]))
        self.pages["/a/nav-title.html"] = Page(_html("Searches in Dzhankoi", self.story(8), h1=NAV_TITLE))
        feed_a = [("xhtml", f"{b}/a/xhtml-story.html"), ("no text", f"{b}/a/no-text.html"),
                  ("root 1", f"{b}/a/root-1.html"), ("root 2", f"{b}/a/root-2.html"),
                  ("tpl 1", f"{b}/a/tpl-1.html"), ("tpl 2", f"{b}/a/tpl-2.html"),
                  ("amp", f"{b}/a/amp/real-story.html"), ("real", real),
                  ("spaced", f"{b}/a/news story ü.html"), ("table", f"{b}/a/table-story.html"),
                  ("statement", f"{b}/a/statement.html"), ("nav", f"{b}/a/nav-title.html"),
                  ("removed", f"{b}/a/removed.html"), ("no link at all", None),
                  ("partner", f"http://localhost:{self.server.server_address[1]}/a/partner.html")]
        self.pages["/a/feed.xml"] = Page(_rss(feed_a), "application/rss+xml")
        self.pages["/b/empty.xml"] = Page(_rss([]), "application/rss+xml")
        self.pages["/b/broken.xml"] = Page(b"<html><body><p>Moved to our new site.</p></body></html>", "text/html")
        self.pages["/private/feed.xml"] = Page(_rss([("x", f"{b}/a/real-story.html")]), "application/rss+xml")
        for n, source in enumerate(SLOW_SOURCES):
            links = []
            for k in range(4):
                path = f"/{source}/slow-{k}.html"
                self.pages[path] = Page(_html(f"{source} {k}", self.story(9 + n * 4 + k)), delay=0.25)
                links.append((path, b + path))
            self.pages[f"/{source}/feed.xml"] = Page(_rss(links), "application/rss+xml")

    def sources_toml(self, ids: tuple[str, ...] | None = None) -> str:
        feeds = {"hostile-a": ["/a/feed.xml"], "hostile-b": ["/b/empty.xml"],
                 **{s: [f"/{s}/feed.xml"] for s in SLOW_SOURCES}, "hostile-broken": ["/b/broken.xml"],
                 "hostile-private": ["/private/feed.xml"]}
        out = []
        for source_id, paths in feeds.items():
            if ids is not None and source_id not in ids:
                continue
            urls = ", ".join(f'"{self.base}{p}"' for p in paths)
            out.append(f'[[source]]\nid = "{source_id}"\nname = "{source_id}"\nkind = "feed"\n'
                       f'start_urls = [{urls}]\nallowed_domains = ["127.0.0.1"]\n')
        return "\n".join(out)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                path = unquote(urlsplit(self.path).path)
                with site._lock:
                    site.hits[path] = site.hits.get(path, 0) + 1
                    site.in_flight += 1
                    site.max_in_flight = max(site.max_in_flight, site.in_flight)
                try:
                    page = site.pages.get(path)
                    if page is not None and page.delay:
                        time.sleep(page.delay)
                    status, body, kind = (200, page.body, page.content_type) if page else (404, b"gone", "text/plain")
                    self.send_response(status)
                    self.send_header("Content-Type", kind)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                finally:
                    with site._lock:
                        site.in_flight -= 1

        return Handler

    def __enter__(self) -> HostileSite:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _crawl(db: Path, sources: Path) -> dict[str, dict]:
    # connections capped at 2 per host while each source's own (per-crawler) limit allows 16
    result = run_cli(["crawl", "--json"], db, sources, CRIMEA_MONITOR_HOST_MAX_CONNECTIONS="2")
    assert result.returncode == 0, result.stderr[-3000:]
    return {report["source_id"]: report for report in json.loads(result.stdout)}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory) -> Iterator[tuple[HostileSite, Store, dict, dict, int]]:
    directory = tmp_path_factory.mktemp("hostile")
    with HostileSite() as site:
        sources = directory / "sources.toml"
        sources.write_text(site.sources_toml(("hostile-a", "hostile-b", *SLOW_SOURCES)), encoding="utf-8")
        db = directory / "m.db"
        first = _crawl(db, sources)
        robots_after_first = site.hits.get("/robots.txt", 0)
        second = _crawl(db, sources)
        store = Store.open(db)
        yield site, store, first, second, robots_after_first
        store.close()


def _article(store: Store, paragraph: str) -> list[dict]:
    rows = store.conn.execute("SELECT * FROM articles WHERE instr(text, ?) > 0", (paragraph,)).fetchall()
    return [dict(r) for r in rows]


def test_xhtml_page_is_stored_and_fetched_pages_that_make_no_article_keep_their_raw_html(crawled):
    site, store, _first, _second, _ = crawled
    (row,) = _article(store, site.story(0)[1])
    assert row["url"] == f"{site.base}/a/xhtml-story.html" and row["title"] == "XHTML story"
    entry = store.frontier_entry(f"{site.base}/a/no-text.html")
    assert (entry["state"], entry["reason"]) == ("skipped", "no text")
    record, raw = store.raw_page(entry["raw_page_id"])
    assert raw == site.pages["/a/no-text.html"].body and record["http_status"] == 200
    removed = store.frontier_entry(f"{site.base}/a/removed.html")  # a 404 page is evidence of the removal
    assert removed["reason"] == "http 404"
    assert store.raw_page(removed["raw_page_id"])[1] == b"gone"


def test_pages_sharing_a_bad_canonical_stay_apart_and_a_good_canonical_is_trusted(crawled):
    site, store, _first, _second, _ = crawled
    for n, slug in zip((1, 2, 3, 4), ("root-1", "root-2", "tpl-1", "tpl-2"), strict=True):
        rows = _article(store, site.story(n)[1])
        assert [r["url"] for r in rows] == [f"{site.base}/a/{slug}.html"], slug
        assert rows[0]["text"].count(site.story(n)[1]) == 1
    (real,) = _article(store, site.story(5)[1])  # the AMP copy with the same text names the real URL
    assert real["url"] == f"{site.base}/a/real-story.html"
    urls = {u["url"] for u in store.article_urls(real["id"])}
    assert f"{site.base}/a/amp/real-story.html" in urls


def test_link_with_spaces_and_non_ascii_has_one_frontier_row_and_is_fetched_once(crawled):
    site, store, _first, second, _ = crawled
    rows = store.conn.execute("SELECT url, state FROM frontier WHERE url LIKE '%story%' AND url LIKE '%news%'")
    assert [tuple(r) for r in rows] == [(f"{site.base}/a/news%20story%20%C3%BC.html", "done")]
    assert site.hits["/a/news story ü.html"] == 1
    assert second["hostile-a"]["resumed"] == 0


def test_short_results_are_extracted_again_and_short_statements_are_kept(crawled):
    site, store, _first, _second, _ = crawled
    (table,) = _article(store, site.table_story[0])
    assert all(p in table["text"] for p in site.table_story)
    (statement,) = _article(store, site.statement)
    assert len(statement["text"]) < 300


def test_navigation_heading_is_not_the_title(crawled):
    site, store, _first, _second, _ = crawled
    (row,) = _article(store, site.story(8)[1])
    assert row["title"] == "Searches in Dzhankoi"


def test_robots_txt_is_fetched_once_per_host_across_sources_and_crawls(crawled):
    site, _store, _first, _second, robots_after_first = crawled
    assert robots_after_first == 1  # five sources on one host, one robots.txt
    assert site.hits["/robots.txt"] == 1  # and the second crawl took it from the store


def test_connections_per_host_are_capped_across_sources(crawled):
    site, _store, first, _second, _ = crawled
    assert sum(first[s]["new"] for s in SLOW_SOURCES) == 12
    assert site.max_in_flight <= 2


def test_entries_without_link_are_counted_and_off_domain_links_reported_once(crawled):
    _site, store, first, second, _ = crawled
    status = run_cli(["status"], Path(store.path))
    assert status.returncode == 0, status.stderr
    assert "feed entry without link 1" in status.stdout
    assert first["hostile-a"]["skipped"]["feed entry without link"] == 1
    assert second["hostile-a"]["skipped"]["feed entry without link"] == 1
    assert first["hostile-a"]["skipped"]["off allowed domains"] == 1
    assert "off allowed domains" not in second["hostile-a"]["skipped"]
    assert first["hostile-b"]["errors"] == {}  # a valid feed without entries is no error


def test_sources_check_reads_feeds_as_the_crawl_does_and_obeys_robots(tmp_path: Path):
    with HostileSite() as site:
        sources = tmp_path / "sources.toml"
        sources.write_text(site.sources_toml(), encoding="utf-8")
        empty = run_cli(["sources", "check", "-s", "hostile-b"], tmp_path / "m.db", sources)
        assert empty.returncode == 0, empty.stdout + empty.stderr
        assert "valid feed, 0 entries" in empty.stdout
        bad = run_cli(["sources", "check", "-s", "hostile-broken", "-s", "hostile-private"], tmp_path / "m.db",
                      sources)
    assert bad.returncode == 1
    assert "not a readable feed" in bad.stdout and "disallowed by robots.txt" in bad.stdout
    assert site.hits.get("/private/feed.xml", 0) == 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_second_demo_crawl_stores_nothing_and_fetches_no_article(tmp_path: Path):
    db = tmp_path / "m.db"
    env = {"CRIMEA_MONITOR_DEMO_PORT": str(_free_port())}
    runs = []
    for _ in range(2):
        result = run_cli(["crawl", "--demo", "--json", "-s", "demo-crimea-herald"], db, **env)
        assert result.returncode == 0, result.stderr[-3000:]
        (report,) = json.loads(result.stdout)
        with Store.open(db) as store:
            runs.append((report, store.frontier_counts()))
    (first, frontier_first), (second, frontier_second) = runs
    assert first["new"] > 20
    assert (second["fetched"], second["new"], second["duplicates"], second["feeds_unchanged"]) == (0, 0, 0, 1)
    assert frontier_second == frontier_first
