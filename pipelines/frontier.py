"""The crawl frontier kept in the store, as a Scrapy spider middleware.

- At start, article URLs left pending by an earlier crawl (killed, or failed transiently) are requested first.
- Every article request a spider yields is recorded before it is sent, under one form of its URL (percent-escaped,
  as fetched); URLs already stored or skipped are not fetched again (unless the spider asks for a refresh), and a
  link skipped for good (off the allowed domains) is reported once, not on every crawl.
- Feeds get conditional-GET headers from their stored ETag / Last-Modified, and the new validators are saved only
  after every entry of the feed has been recorded, so a crash can never hide entries behind a 304.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response

from crawlers.urls import frontier_url
from items import FetchFailure
from pipelines.crawl_store import store_for


class FrontierMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.admitted: set[str] = set()  # article URLs requested in this crawl
        self.refused: set[str] = set()  # article URLs refused without a request in this crawl

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
            url = frontier_url(row["url"])
            if url != row["url"]:  # a row from before URLs were normalised
                self.store.rename_frontier_url(row["url"], url)
            if url in self.admitted:
                continue
            self.crawler.stats.inc_value("monitor/resumed")
            self.admitted.add(url)
            yield spider.article_request(  # type: ignore[union-attr]
                url,
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
        if isinstance(item, FetchFailure) and item.permanent and not item.is_feed:
            return self._first_report(item)
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

    def _first_report(self, failure: FetchFailure) -> bool:
        """A link refused before any request (off the allowed domains) is recorded and counted once; a feed that
        keeps listing it does not make it news again on every crawl."""
        if failure.url in self.admitted:
            return True  # the outcome of a request of this crawl (a 404, robots.txt ...): always recorded
        if failure.url in self.refused:
            return False
        self.refused.add(failure.url)
        known = self.store.frontier_entry(failure.url)
        if known is not None and known["state"] == "skipped" and known["reason"] == failure.reason:
            self.crawler.stats.inc_value("monitor/already_known")
            return False
        return True

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
