"""One measured crawl in this process (the reactor starts once per process): ours, bare+extract, or bare download.

Prints one JSON line: pages, seconds (engine start to stop), peak RSS of this process and of its children.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

import scrapy
from scrapy import signals
from scrapy.crawler import CrawlerProcess

FAST = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    "HOST_MAX_CONNECTIONS": 16,
    "LOG_LEVEL": "WARNING",
    "ROBOTSTXT_OBEY": True,
    "TELNETCONSOLE_ENABLED": False,
}


class BareSpider(scrapy.Spider):
    """The least code that does the job: download each page and extract its text in the callback."""

    name = "bare"

    def __init__(self, urls: list[str], extract: bool, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.urls = urls
        self.do_extract = extract

    async def start(self):  # type: ignore[no-untyped-def]
        for url in self.urls:
            yield scrapy.Request(url)

    def parse(self, response):  # type: ignore[no-untyped-def]
        if self.do_extract:
            import trafilatura

            text = trafilatura.extract(response.text, url=response.url)
            yield {"url": response.url, "chars": len(text or "")}
        else:
            yield {"url": response.url}


def _timed(process: CrawlerProcess, crawler: object) -> float:
    marks: dict[str, float] = {}
    crawler.signals.connect(lambda: marks.__setitem__("start", time.perf_counter()),  # type: ignore[attr-defined]
                            signal=signals.engine_started, weak=False)
    crawler.signals.connect(lambda: marks.__setitem__("stop", time.perf_counter()),  # type: ignore[attr-defined]
                            signal=signals.engine_stopped, weak=False)
    process.start()
    return marks["stop"] - marks["start"]


def main() -> None:
    mode, base_url, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "ours":
        from crawlers.sources import Source
        from pipelines.crawl import SPIDERS, build_settings

        db = sys.argv[4]
        settings = build_settings(db, FAST)
        source = Source(id="bench", name="bench", kind="sitemap", start_urls=(f"{base_url}/sitemap.xml",),
                        allowed_domains=("127.0.0.1",))
        process = CrawlerProcess(settings)
        crawler = process.create_crawler(SPIDERS["sitemap"])
        process.crawl(crawler, source=source)
        seconds = _timed(process, crawler)
        pages = int(crawler.stats.get_value("monitor/fetched", 0))
        import sqlite3

        stored = sqlite3.connect(db).execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    else:
        from bench.bench_site import make_pages

        urls = [base_url + path for path, _ in make_pages(count)]
        process = CrawlerProcess({**FAST, "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7"})
        crawler = process.create_crawler(BareSpider)
        process.crawl(crawler, urls=urls, extract=(mode == "bare-extract"))
        seconds = _timed(process, crawler)
        pages = int(crawler.stats.get_value("item_scraped_count", 0))
        stored = None
    print(json.dumps({
        "mode": mode, "pages": pages, "stored": stored, "seconds": round(seconds, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "peak_rss_children_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
        "cpu_main_s": round(sum(resource.getrusage(resource.RUSAGE_SELF)[:2]), 2),
        "cpu_workers_s": round(sum(resource.getrusage(resource.RUSAGE_CHILDREN)[:2]), 2),
    }))
    Path(sys.argv[0])  # keep the module importable without side effects


if __name__ == "__main__":
    main()
