"""The store a crawl writes to: one connection per crawler, shared by its pipelines and middleware."""

from __future__ import annotations

from scrapy import signals
from scrapy.crawler import Crawler

from indexer.store import Store


def store_for(crawler: Crawler) -> Store:
    store = getattr(crawler, "_monitor_store", None)
    if store is None:
        store = Store.open(crawler.settings.get("DB"))
        crawler._monitor_store = store  # type: ignore[attr-defined]

        def close(spider: object) -> None:
            store.close()
            crawler._monitor_store = None  # type: ignore[attr-defined]

        crawler.signals.connect(close, signal=signals.spider_closed, weak=False)
    return store
