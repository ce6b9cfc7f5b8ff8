"""Run a crawl of some sources with Scrapy and report, per source, what happened to every URL.

Scrapy's reactor starts once per process, so ``run_crawl`` is meant for a process of its own (the CLI's ``crawl``
command, or the scheduler's crawl subprocess).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawlers.sources import Source
from crawlers.spiders.feed import FeedSpider
from crawlers.spiders.site import SiteSpider
from crawlers.spiders.sitemap import SitemapSpider
from crawlers.spiders.telegram import TelegramSpider
from indexer.store import Store
from items import ArticleItem, FetchFailure

SPIDERS = {"feed": FeedSpider, "sitemap": SitemapSpider, "site": SiteSpider, "telegram": TelegramSpider}

# Settings for the local demo site: no politeness delays on loopback, short timeouts so its traps end quickly.
DEMO_OVERRIDES: dict[str, Any] = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    "HOST_MAX_CONNECTIONS": 16,
    "DOWNLOAD_TIMEOUT": 3,
    "RETRY_TIMES": 1,
    "RETRY_BACKOFF_BASE": 0.5,
}


@dataclass
class SourceReport:
    source_id: str
    name: str
    fetched: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    near_duplicates: int = 0
    already_known: int = 0
    resumed: int = 0
    feeds_unchanged: int = 0
    posts_deleted: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    finish_reason: str = ""

    @classmethod
    def from_stats(cls, source: Source, stats: dict[str, Any], finish_reason: str) -> SourceReport:
        report = cls(source.id, source.name, finish_reason=finish_reason)
        for name in ("fetched", "new", "updated", "unchanged", "duplicates", "near_duplicates", "already_known",
                     "resumed", "feeds_unchanged", "posts_deleted"):
            setattr(report, name, int(stats.get(f"monitor/{name}", 0)))
        for key, value in stats.items():
            if key.startswith("monitor/skipped/"):
                report.skipped[key.removeprefix("monitor/skipped/")] = int(value)
            elif key.startswith("monitor/errors/"):
                report.errors[key.removeprefix("monitor/errors/")] = int(value)
        return report


def build_settings(db: str, overrides: dict[str, Any] | None = None) -> Settings:
    settings = Settings()
    settings.setmodule("settings", priority="project")
    settings.set("DB", db, priority="cmdline")
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


def run_crawl(
    sources: list[Source],
    settings: Settings,
    on_item: Callable[[str, str], None] | None = None,
) -> list[SourceReport]:
    """Crawl the sources concurrently, one Scrapy crawler each; block until all are done.

    ``on_item(source_id, outcome)`` is called for every article page and failure, for progress displays.
    """
    db = settings.get("DB")
    with Store.open(db) as store:  # migrations run here, before any crawler opens the store
        run_id = store.start_run([s.id for s in sources])
    process = CrawlerProcess(settings)
    crawlers = []
    for source in sources:
        crawler = process.create_crawler(SPIDERS[source.kind])
        if on_item is not None:
            _connect_progress(crawler, source.id, on_item)
        crawlers.append((source, crawler))
        process.crawl(crawler, source=source)
    process.start()
    reports = []
    for source, crawler in crawlers:
        stats = crawler.stats.get_stats() if crawler.stats else {}
        reports.append(SourceReport.from_stats(source, stats, str(stats.get("finish_reason", ""))))
    with Store.open(db) as store:
        store.finish_run(run_id, {r.source_id: r.__dict__ for r in reports})
    return reports


def _connect_progress(crawler: Any, source_id: str, on_item: Callable[[str, str], None]) -> None:
    def scraped(item: object, **_: Any) -> None:
        if isinstance(item, ArticleItem):
            on_item(source_id, item.outcome)
        elif isinstance(item, FetchFailure):
            on_item(source_id, "skipped" if item.permanent else "error")

    def dropped(item: object, **_: Any) -> None:
        on_item(source_id, "skipped")

    crawler.signals.connect(scraped, signal=signals.item_scraped, weak=False)
    crawler.signals.connect(dropped, signal=signals.item_dropped, weak=False)
