"""The crawl frontier kept in the store, as a Scrapy spider middleware.

- At start, article URLs left pending by an earlier crawl (killed, or failed transiently) are requested first.
- Every article request a spider yields is recorded before it is sent; URLs already stored or skipped are not
  fetched again (unless the spider asks for a refresh).
- Feeds get conditional-GET headers from their stored ETag / Last-Modified, and the new validators are saved only
  after every entry of the feed has been recorded, so a crash can never hide entries behind a 304.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response

from pipelines.crawl_store import store_for


class FrontierMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.admitted: set[str] = set()  # article URLs requested in this crawl

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FrontierMiddleware:
        return cls(crawler)

    @property
    def store(self):  # type: ignore[no-untyped-def]
        return store_for(self.crawler)

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        spider = self.crawler.spider
        if spider.source.kind == "telegram":  # type: ignore[union-attr]
            spider.last_post_id = self.store.telegram_last_post_id(spider.source.id)  # type: ignore[union-attr]
        for row in self.store.pending(spider.source.id):  # type: ignore[union-attr]
            self.crawler.stats.inc_value("monitor/resumed")
            self.admitted.add(row["url"])
            yield spider.article_request(  # type: ignore[union-attr]
                row["url"],
                discovered_from=row["discovered_from"],
                feed_title=row["feed_title"],
                feed_published_at=row["feed_published_at"],
            )
        async for item in start:
            if isinstance(item, Request) and item.meta.get("conditional"):
                self._add_validators(item)
            yield item

    def _add_validators(self, request: Request) -> None:
        state = self.store.fetch_state(request.url)
        if state is None:
            return
        if state["etag"]:
            request.headers[b"If-None-Match"] = state["etag"]
        if state["last_modified"]:
            request.headers[b"If-Modified-Since"] = state["last_modified"]

    def _admit(self, item: Any, response: Response) -> bool:
        if isinstance(item, Request) and item.meta.get("conditional"):
            self._add_validators(item)  # sitemaps listed by a sitemap index
        if not (isinstance(item, Request) and item.meta.get("article")):
            return True
        if item.url in self.admitted:
            return False
        state = self.store.discover(
            item.url,
            self.crawler.spider.source.id,  # type: ignore[union-attr]
            discovered_from=item.meta.get("discovered_from"),
            feed_title=item.meta.get("feed_title"),
            feed_published_at=item.meta.get("feed_published_at"),
        )
        if state == "pending" or item.meta.get("refresh"):
            self.admitted.add(item.url)
            return True
        self.crawler.stats.inc_value("monitor/already_known")
        return False

    def _finish(self, response: Response) -> None:
        if not response.meta.get("conditional") or response.meta.get("broken"):
            return
        source_id = self.crawler.spider.source.id  # type: ignore[union-attr]
        if response.status in (200, 304):
            self.store.record_fetch(
                response.url,
                source_id,
                response.status,
                etag=_header(response, b"ETag"),
                last_modified=_header(response, b"Last-Modified"),
            )

    def process_spider_output(self, response: Response, result: Iterable[Any], spider: object = None):  # type: ignore[no-untyped-def]
        for item in result:
            if self._admit(item, response):
                yield item
        self._finish(response)

    async def process_spider_output_async(  # type: ignore[no-untyped-def]
        self, response: Response, result: AsyncIterator[Any], spider: object = None
    ):
        async for item in result:
            if self._admit(item, response):
                yield item
        self._finish(response)


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
