"""A scaled-up demo site for benchmarks: N distinct article pages of realistic size behind one sitemap.

Each page mixes paragraphs of the demo corpus (seeded, so every run serves the same pages) and carries the
navigation, inline scripts and styles of a real news page (~60 KB, as measured on real outlets).
"""

from __future__ import annotations

import random
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from monitor.demo import templates
from monitor.demo.corpus import DemoArticle, load_corpus

_PADDING = (
    "<nav class='mega'>" + "".join(f"<a href='/section/{i}/'>Section {i}</a>" for i in range(300)) + "</nav>"
    "<style>" + ".x{color:#123456;margin:0 auto;padding:4px}" * 400 + "</style>"
    "<script>var analytics = {" + ",".join(f"k{i}: {i}" for i in range(2500)) + "};</script>"
)


def make_pages(count: int, seed: int = 7) -> list[tuple[str, bytes]]:
    rng = random.Random(seed)
    corpus = [a for a in load_corpus() if a.lang == "en"]
    paragraphs = [p for a in corpus for p in a.paragraphs]
    pages = []
    for n in range(count):
        base = corpus[n % len(corpus)]
        body = rng.sample(paragraphs, 6)
        article = DemoArticle(
            id=f"b{n}", outlet="crimea-herald", slug=f"{base.slug}-{n}", title=f"{base.title} ({n})",
            author=base.author, published_at=base.published_at + timedelta(hours=n), lang="en",
            text="\n\n".join(body), fictional=True, gold={},
        )
        path = f"/news/{n}/{article.slug}.html"
        html = templates.herald(article, [], lambda a: "/", "").replace("</body>", _PADDING + "</body>")
        pages.append((path, html.encode()))
    return pages


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # read by listen() in the constructor: 16 concurrent connections overflow the default 5


class BenchSite:
    def __init__(self, count: int) -> None:
        self.pages = dict(make_pages(count))
        self._server = _Server(("127.0.0.1", 0), self._handler())

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def sitemap(self) -> bytes:
        urls = "".join(f"<url><loc>{self.base_url}{p}</loc></url>" for p in self.pages)
        return (f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                f"{urls}</urlset>").encode()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                if self.path == "/robots.txt":
                    body, ctype = b"User-agent: *\nAllow: /\n", "text/plain"
                elif self.path == "/sitemap.xml":
                    body, ctype = site.sitemap(), "application/xml"
                elif self.path in site.pages:
                    body, ctype = site.pages[self.path], "text/html; charset=utf-8"
                else:
                    body, ctype = b"not found", "text/plain"
                self.send_response(200 if ctype != "text/plain" or self.path == "/robots.txt" else 404)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler

    def __enter__(self) -> BenchSite:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
