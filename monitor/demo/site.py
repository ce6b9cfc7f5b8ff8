"""The local demo site: four fictional outlets serving the demo corpus on 127.0.0.1, traps included.

- Crimea Herald: RSS 2.0 feed; its feed also links a 404, a redirect chain, a redirect loop, an oversized page, a
  PDF, a page too short to be an article, and a link off the allowed domains.
- Peninsula Watch: Atom feed with tracking parameters on its links, a print version of one story (same text under
  another URL), and a second, broken feed.
- Black Sea Daily: sitemap index -> news sitemap + gzipped archive sitemap; a page disallowed by robots.txt; a
  syndicated near-copy of a Crimea Herald story.
- Steppe Courier: no feed, listing pages only; Russian/Ukrainian stories, one served as windows-1251, and a slow page.
- Two Telegram channels (one English, one Russian) in the markup of Telegram's public web preview, ``/s/NAME``
  (paged with ``?before=ID``). The first request of a channel's newest page shows its first stage; every later one
  the second, where one post was edited, one deleted and one is new.

Every response carries an ETag and answers If-None-Match with 304, as well-behaved servers do.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape as xml_escape

from monitor.demo import telegram, templates
from monitor.demo.corpus import OUTLETS, DemoArticle, load_corpus

logger = logging.getLogger(__name__)

_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
SYNDICATION_NOTE = (
    "This story was first published by Crimea Herald and is republished under a content-sharing agreement."
)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64  # listen() backlog, set before the constructor binds: crawlers open many connections


class DemoSite:
    """Start with ``with DemoSite() as site:``; ``site.base_url`` is where it listens."""

    def __init__(
        self,
        port: int = 0,
        slow_seconds: float = 8.0,
        huge_bytes: int = 6 * 1024 * 1024,
        article_delay: float = 0.0,
        channel_page_size: int = 4,
    ) -> None:
        self.channel_page_size = channel_page_size  # posts per preview page (Telegram shows about twenty)
        self._second_stage_at: dict[str, str] = {}
        self.slow_seconds = slow_seconds
        self.article_delay = article_delay  # seconds added to every article page (tests that kill a crawl)
        self.huge_bytes = huge_bytes
        self.articles = load_corpus()
        self.by_outlet: dict[str, list[DemoArticle]] = {o: [] for o in OUTLETS}
        for article in self.articles:
            self.by_outlet[article.outlet].append(article)
        self.hits: dict[str, int] = {}
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", port), _handler_for(self))
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> DemoSite:
        self._thread = threading.Thread(target=self._server.serve_forever, name="demo-site", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> DemoSite:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def count(self, path: str) -> None:
        with self._lock:
            self.hits[path] = self.hits.get(path, 0) + 1

    # --- the demo's sources file -------------------------------------------------------------------------------
    def sources_toml(self) -> str:
        base = self.base_url
        return f"""# Sources of the local demo site (generated; fictional outlets on 127.0.0.1).
[[source]]
id = "demo-crimea-herald"
name = "Crimea Herald (demo)"
kind = "feed"
start_urls = ["{base}/crimea-herald/rss.xml"]
language = "en"
interval = "10m"
allowed_domains = ["127.0.0.1"]

[[source]]
id = "demo-peninsula-watch"
name = "Peninsula Watch (demo)"
kind = "feed"
start_urls = ["{base}/peninsula-watch/atom.xml", "{base}/peninsula-watch/feed-broken.xml"]
language = "en"
interval = "10m"
allowed_domains = ["127.0.0.1"]

[[source]]
id = "demo-black-sea-daily"
name = "Black Sea Daily (demo)"
kind = "sitemap"
start_urls = ["{base}/black-sea-daily/sitemap-index.xml"]
language = "en"
interval = "30m"
allowed_domains = ["127.0.0.1"]
article_pattern = "/black-sea-daily/"

[[source]]
id = "demo-steppe-courier"
name = "Steppe Courier (demo)"
kind = "site"
start_urls = ["{base}/steppe-courier/"]
language = "ru"
interval = "30m"
allowed_domains = ["127.0.0.1"]
article_pattern = "/steppe-courier/article/\\\\d+-"
"""

    def channel_sources_toml(self) -> str:
        """The demo's two Telegram channels as sources (``crawl --demo`` and ``run --demo`` add them)."""
        return "".join(
            f"""
[[source]]
id = "{name.replace('_', '-')}"
name = "{channel.title}"
kind = "telegram"
channel = "{name}"
start_urls = ["{self.base_url}/s/{name}"]
language = "{channel.lang}"
interval = "5m"
allowed_domains = ["127.0.0.1"]
"""
            for name, channel in telegram.CHANNELS.items()
        )

    # --- Telegram channels -------------------------------------------------------------------------------------
    def channel_stage(self, name: str) -> int:
        """0 until the channel's newest page was served twice: its first poll pages back in the first stage."""
        return 0 if self.hits.get(f"/s/{name}#head", 0) <= 1 else 1

    def demo_article_url(self, corpus_id: str) -> str | None:
        article = next((a for a in self.articles if a.id == corpus_id), None)
        return self.base_url + self.url_for(article) if article is not None else None

    def channel_now(self, name: str) -> str:
        """When the second stage's new posts were published: the moment it was first shown."""
        with self._lock:
            if self.channel_stage(name) and name not in self._second_stage_at:
                self._second_stage_at[name] = datetime.now(UTC).isoformat(timespec="seconds")
            return self._second_stage_at.get(name, "")

    def channel_page(self, name: str, before: int | None) -> bytes | None:
        if before is None:
            self.count(f"/s/{name}#head")
        html = telegram.channel_page(name, self.base_url, self.channel_stage(name), before, self.channel_page_size,
                                     self.demo_article_url, self.channel_now(name))
        return html.encode() if html is not None else None

    # --- URLs --------------------------------------------------------------------------------------------------
    def url_for(self, article: DemoArticle) -> str:
        d = article.published_at
        if article.outlet == "crimea-herald":
            return f"/crimea-herald/news/{d:%Y}/{d:%m}/{article.slug}.html"
        if article.outlet == "peninsula-watch":
            return f"/peninsula-watch/stories/{article.slug}"
        if article.outlet == "black-sea-daily":
            return f"/black-sea-daily/{d:%Y}/{d:%m}/{d:%d}/{article.slug}/"
        number = self.by_outlet["steppe-courier"].index(article) + 101
        return f"/steppe-courier/article/{number}-{article.slug}.html"

    def redirected(self) -> DemoArticle | None:
        """The Herald story the feed links only through a redirect chain."""
        herald = [a for a in self.by_outlet["crimea-herald"] if a.fictional]
        return herald[1] if len(herald) > 1 else None

    def syndicated(self) -> DemoArticle | None:
        """The Herald story Black Sea Daily republishes with small changes."""
        herald = [a for a in self.by_outlet["crimea-herald"] if a.fictional and len(a.paragraphs) >= 3]
        return herald[0] if herald else None

    def printed(self) -> DemoArticle | None:
        pw = self.by_outlet["peninsula-watch"]
        return pw[0] if pw else None

    def windows_1251(self) -> DemoArticle | None:
        for article in self.by_outlet["steppe-courier"]:
            if article.lang == "ru":
                try:
                    templates.steppe(article, [], self.url_for, "", charset="windows-1251").encode("cp1251")
                except UnicodeEncodeError:
                    continue
                return article
        return None

    # --- pages -------------------------------------------------------------------------------------------------
    def _related(self, article: DemoArticle) -> list[DemoArticle]:
        same = self.by_outlet[article.outlet]
        return [a for a in same if a is not article][-4:]

    def article_page(self, article: DemoArticle) -> tuple[bytes, str]:
        canonical = self.base_url + self.url_for(article)
        related = self._related(article)
        if article.outlet == "crimea-herald":
            return templates.herald(article, related, self.url_for, canonical).encode(), "utf-8"
        if article.outlet == "peninsula-watch":
            return templates.peninsula(article, related, self.url_for, canonical).encode(), "utf-8"
        if article.outlet == "black-sea-daily":
            return templates.black_sea(article, related, self.url_for, canonical).encode(), "utf-8"
        if article is self.windows_1251():
            html = templates.steppe(article, related, self.url_for, canonical, charset="windows-1251")
            return html.encode("cp1251"), "windows-1251"
        return templates.steppe(article, related, self.url_for, canonical).encode(), "utf-8"

    def rss(self) -> bytes:
        base = self.base_url
        items = []
        redirected = self.redirected()
        for article in reversed(self.by_outlet["crimea-herald"]):
            link = base + self.url_for(article)
            if article is redirected:
                link = f"{base}/crimea-herald/go/{article.slug}"
            items.append((article.title, link, article.published_at, article.paragraphs[0][:200]))
        when = self.articles[-1].published_at if self.articles else None
        traps = [
            ("This story was removed", f"{base}/crimea-herald/news/2026/11/deleted-story.html"),
            ("Story that moved", f"{base}/crimea-herald/loop/a"),
            ("Full archive of our reports", f"{base}/crimea-herald/news/2026/11/full-report-archive.html"),
            ("Annual report 2026 (PDF)", f"{base}/crimea-herald/files/annual-report-2026.pdf"),
            ("Live updates", f"{base}/crimea-herald/live/updates.html"),
            ("Partner story", f"http://localhost:{self.port}/crimea-herald/news/partner-story.html"),
        ]
        body = [
            f"<item><title>{xml_escape(t)}</title><link>{xml_escape(u)}</link>"
            f"<guid isPermaLink=\"true\">{xml_escape(u)}</guid>"
            f"<pubDate>{format_datetime(d)}</pubDate><description>{xml_escape(s)}</description></item>"
            for t, u, d, s in items
        ]
        body += [f"<item><title>{xml_escape(t)}</title><link>{xml_escape(u)}</link></item>" for t, u in traps]
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>Crimea Herald</title>'
            f"<link>{base}/crimea-herald/</link><description>Demo data, fictional.</description>"
            f"<lastBuildDate>{format_datetime(when) if when else ''}</lastBuildDate>" + "".join(body)
            + "</channel></rss>"
        ).encode()

    def atom(self) -> bytes:
        base = self.base_url
        entries = []
        for article in reversed(self.by_outlet["peninsula-watch"]):
            link = f"{base}{self.url_for(article)}?utm_source=atom&utm_medium=feed#comments"
            entries.append((article.title, link, article.published_at, article.id))
        printed = self.printed()
        if printed is not None:
            entries.append((f"Print: {printed.title}", f"{base}/peninsula-watch/print/{printed.slug}",
                            printed.published_at, printed.id + "-print"))
        body = "".join(
            f'<entry><title>{xml_escape(t)}</title><link rel="alternate" href="{xml_escape(u)}"/>'
            f"<id>urn:demo:{i}</id><updated>{d.isoformat()}</updated><published>{d.isoformat()}</published>"
            "</entry>"
            for t, u, d, i in entries
        )
        updated = self.articles[-1].published_at.isoformat() if self.articles else "2026-01-01T00:00:00Z"
        return (
            '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>Peninsula Watch</title><id>urn:demo:peninsula-watch</id><updated>{updated}</updated>"
            f'<link rel="self" href="{base}/peninsula-watch/atom.xml"/>{body}</feed>'
        ).encode()

    def sitemap_index(self) -> bytes:
        base = self.base_url
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<sitemap><loc>{base}/black-sea-daily/sitemap-news.xml</loc></sitemap>"
            f"<sitemap><loc>{base}/black-sea-daily/sitemap-archive.xml.gz</loc></sitemap>"
            "</sitemapindex>"
        ).encode()

    def _black_sea_split(self) -> tuple[list[DemoArticle], list[DemoArticle]]:
        articles = self.by_outlet["black-sea-daily"]
        half = len(articles) // 2
        return articles[half:], articles[:half]  # newest in the news sitemap, older ones in the archive

    def sitemap_news(self) -> bytes:
        base = self.base_url
        recent, _ = self._black_sea_split()
        urls = [(base + self.url_for(a), a.published_at.isoformat(), a.title) for a in recent]
        syndicated = self.syndicated()
        if syndicated is not None:
            republished = syndicated.published_at + timedelta(days=1)
            urls.append((base + self._syndicated_path(syndicated), republished.isoformat(),
                         syndicated.title))
        urls.append((f"{base}/black-sea-daily/private/editorial-memo/", "2026-11-01T10:00:00+00:00", "Memo"))
        body = "".join(
            f"<url><loc>{xml_escape(u)}</loc><news:news><news:publication><news:name>Black Sea Daily"
            f"</news:name><news:language>en</news:language></news:publication>"
            f"<news:publication_date>{d}</news:publication_date><news:title>{xml_escape(t)}</news:title>"
            "</news:news></url>"
            for u, d, t in urls
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{body}</urlset>'
        ).encode()

    def sitemap_archive_gz(self) -> bytes:
        base = self.base_url
        _, older = self._black_sea_split()
        body = "".join(
            f"<url><loc>{base}{self.url_for(a)}</loc><lastmod>{a.published_at.date().isoformat()}</lastmod></url>"
            for a in older
        )
        xml = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}</urlset>'
        )
        return gzip.compress(xml.encode(), mtime=0)

    def _syndicated_path(self, article: DemoArticle) -> str:
        d = article.published_at + timedelta(days=1)
        return f"/black-sea-daily/{d:%Y}/{d:%m}/{d:%d}/syndicated-{article.slug}/"

    def syndicated_page(self) -> bytes:
        article = self.syndicated()
        assert article is not None
        paragraphs = article.paragraphs
        changed = DemoArticle(
            id=article.id + "-syndicated",
            outlet="black-sea-daily",
            slug="syndicated-" + article.slug,
            title=article.title + " (via Crimea Herald)",
            author=article.author,
            published_at=article.published_at + timedelta(days=1),  # republished the next day
            lang=article.lang,
            text="\n\n".join(paragraphs[:-1]),  # the copy drops the closing paragraph
            fictional=True,
            gold={},
        )
        return templates.black_sea(changed, [], self.url_for, "", prefix=SYNDICATION_NOTE).encode()

    def listing_pages(self) -> list[list[DemoArticle]]:
        articles = list(reversed(self.by_outlet["steppe-courier"]))
        return [articles[i : i + 4] for i in range(0, max(len(articles), 1), 4)]

    def listing(self, page: int) -> bytes | None:
        pages = self.listing_pages()
        if page < 1 or page > len(pages):
            return None
        items = [(self.url_for(a), a.title) for a in pages[page - 1]]
        if page == 1:
            items.append(("/steppe-courier/article/999-slow-report.html", "Special report (slow server)"))
        next_page = f"/steppe-courier/page/{page + 1}/" if page < len(pages) else None
        return templates.listing("steppe-courier", items, next_page).encode()

    def robots(self) -> bytes:
        return (
            "User-agent: *\nDisallow: /black-sea-daily/private/\nDisallow: /ads/\n\n"
            f"Sitemap: {self.base_url}/black-sea-daily/sitemap-index.xml\n"
        ).encode()

    def huge_page(self) -> bytes:
        paragraph = "<p>" + "Archive entry with many words about nothing in particular. " * 40 + "</p>\n"
        repeat = self.huge_bytes // len(paragraph) + 1
        return ("<html><body><h1>Archive</h1>" + paragraph * repeat + "</body></html>").encode()


def start_demo_site(port: int, **options: float) -> DemoSite:
    """The demo site on ``port``, so that its URLs (and a store's frontier of them) are the same every run; on a
    free port when that one is taken (the store then sees the demo's URLs as new)."""
    try:
        site = DemoSite(port=port, **options)  # type: ignore[arg-type]
    except OSError as exc:
        logger.warning("demo site: port %d is not free (%s); using another, so its URLs are new to the store",
                       port, exc.strerror or exc)
        site = DemoSite(port=0, **options)  # type: ignore[arg-type]
    return site.start()


def _handler_for(site: DemoSite) -> type[BaseHTTPRequestHandler]:
    routes: dict[str, DemoArticle] = {}
    for article in site.articles:
        routes[site.url_for(article)] = article

    class Handler(BaseHTTPRequestHandler):
        server_version = "CrimeaMonitorDemo/1.0"

        def log_message(self, format: str, *args: object) -> None:
            pass  # the demo is quiet; Scrapy logs what it fetched

        def _send(self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> None:
            etag = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
            # The crawler may have given up already (size limit, timeout): expected for the traps.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                if status == 200 and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                if status == 200:
                    self.send_header("ETag", etag)
                for key, value in (extra or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

        def _redirect(self, status: int, location: str) -> None:
            self.send_response(status)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_HEAD(self) -> None:
            self.do_GET()

        def do_GET(self) -> None:
            path = self.path.split("?")[0].split("#")[0]
            site.count(path)
            html = "text/html; charset=utf-8"
            if path == "/robots.txt":
                return self._send(200, site.robots(), "text/plain; charset=utf-8")
            if path in ("/", ""):
                links = [(f"/{o}/", name) for o, name in OUTLETS.items()]
                return self._send(200, templates.listing("demo", links).encode(), html)
            if path in routes:
                if site.article_delay:
                    time.sleep(site.article_delay)
                body, charset = site.article_page(routes[path])
                return self._send(200, body, f"text/html; charset={charset}")
            if path == "/crimea-herald/rss.xml":
                return self._send(200, site.rss(), "application/rss+xml; charset=utf-8")
            if path.startswith("/crimea-herald/go/"):
                return self._redirect(301, "/crimea-herald/r/" + path.rsplit("/", 1)[1])
            if path.startswith("/crimea-herald/r/"):
                target = site.redirected()
                if target is not None and path.endswith("/" + target.slug):
                    return self._redirect(302, site.url_for(target))
            if path == "/crimea-herald/loop/a":
                return self._redirect(302, "/crimea-herald/loop/b")
            if path == "/crimea-herald/loop/b":
                return self._redirect(302, "/crimea-herald/loop/a")
            if path == "/crimea-herald/news/2026/11/full-report-archive.html":
                return self._send(200, site.huge_page(), html)
            if path == "/crimea-herald/files/annual-report-2026.pdf":
                return self._send(200, _PDF, "application/pdf")
            if path == "/crimea-herald/live/updates.html":
                body = templates.listing("crimea-herald", [("/crimea-herald/", "Refresh for updates.")])
                return self._send(200, body.encode(), html)
            if path == "/peninsula-watch/atom.xml":
                return self._send(200, site.atom(), "application/atom+xml; charset=utf-8")
            if path == "/peninsula-watch/feed-broken.xml":
                broken = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Broken</ti'
                return self._send(200, broken, "application/rss+xml")
            printed = site.printed()
            if printed is not None and path == f"/peninsula-watch/print/{printed.slug}":
                html_page = templates.peninsula(printed, [], site.url_for, "")
                return self._send(200, html_page.encode(), html)
            if path == "/black-sea-daily/sitemap-index.xml":
                return self._send(200, site.sitemap_index(), "application/xml")
            if path == "/black-sea-daily/sitemap-news.xml":
                return self._send(200, site.sitemap_news(), "application/xml")
            if path == "/black-sea-daily/sitemap-archive.xml.gz":
                return self._send(200, site.sitemap_archive_gz(), "application/x-gzip")
            syndicated = site.syndicated()
            if syndicated is not None and path == site._syndicated_path(syndicated):
                return self._send(200, site.syndicated_page(), html)
            if path.startswith("/black-sea-daily/private/"):
                return self._send(200, b"<html><body><p>Internal memo, not for crawlers.</p></body></html>", html)
            if path == "/steppe-courier/":
                return self._send(200, site.listing(1) or b"", html)
            if path.startswith("/steppe-courier/page/"):
                number = path.strip("/").rsplit("/", 1)[-1]
                body = site.listing(int(number)) if number.isdigit() else None
                if body is not None:
                    return self._send(200, body, html)
            if path.startswith("/s/"):
                query = self.path.partition("?")[2]
                before = query.removeprefix("before=") if query.startswith("before=") else None
                if before is None or before.isdigit():
                    page = site.channel_page(path[3:].strip("/"), int(before) if before else None)
                    if page is not None:
                        return self._send(200, page, html)
            parts = path.strip("/").split("/")
            if len(parts) == 2 and parts[0] in telegram.CHANNELS and parts[1].isdigit():
                page_html = telegram.post_page(parts[0], int(parts[1]), site.base_url, site.channel_stage(parts[0]),
                                               site.demo_article_url, site.channel_now(parts[0]))
                if page_html is not None:
                    return self._send(200, page_html.encode(), html)
            if path == "/steppe-courier/article/999-slow-report.html":
                time.sleep(site.slow_seconds)
                return self._send(200, b"<html><body><p>Too late.</p></body></html>", html)
            return self._send(404, b"<html><body><h1>404 Not Found</h1></body></html>", html)

    return Handler
