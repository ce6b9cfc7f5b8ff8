"""Downloader middlewares of our own."""

from __future__ import annotations

import asyncio

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.utils.httpobj import urlparse_cached


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware, but each retry waits ``RETRY_BACKOFF_BASE * 2**n`` seconds (capped) first.

    Scrapy re-queues a failed request at once; a struggling server deserves a pause before we ask again.
    """

    def __init__(self, settings) -> None:  # type: ignore[no-untyped-def]
        super().__init__(settings)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE", 1.0)
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX", 60.0)

    async def _pause(self, retry: Request) -> None:
        attempt = int(retry.meta.get("retry_times", 1))
        delay = min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1))
        if delay > 0:
            await asyncio.sleep(delay)

    async def process_response(self, request: Request, response: Response, spider=None):  # type: ignore[override]
        result = super().process_response(request, response)
        if isinstance(result, Request):
            await self._pause(result)
        return result

    async def process_exception(self, request: Request, exception: Exception, spider=None):  # type: ignore[override]
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            await self._pause(result)
        return result


# host -> connections it may still get; one per process, shared by the crawlers of all its sources
_HOST_SLOTS: dict[str, asyncio.Semaphore] = {}
_HELD = "_host_connection"


class HostLimitMiddleware:
    """At most HOST_MAX_CONNECTIONS downloads at once per host, across every source of the crawl process.

    Scrapy's CONCURRENT_REQUESTS_PER_DOMAIN counts per downloader slot, and slots (keyed by host name) belong to one
    crawler's downloader; each source has a crawler of its own, so hundreds of sources on one host would each open
    their own connections to it, and a burst of them ends in refused connections and retries.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HostLimitMiddleware:
        limit = crawler.settings.getint("HOST_MAX_CONNECTIONS", 0)
        if limit <= 0:
            raise NotConfigured
        return cls(limit)

    async def process_request(self, request: Request, spider=None) -> None:  # type: ignore[no-untyped-def]
        host = urlparse_cached(request).hostname or ""
        semaphore = _HOST_SLOTS.get(host)
        if semaphore is None:
            semaphore = _HOST_SLOTS[host] = asyncio.Semaphore(self.limit)
        await semaphore.acquire()
        request.meta[_HELD] = host

    def _release(self, request: Request) -> None:
        host = request.meta.pop(_HELD, None)
        if host is not None:
            _HOST_SLOTS[host].release()

    def process_response(self, request: Request, response: Response, spider=None) -> Response:  # type: ignore[no-untyped-def]
        self._release(request)
        return response

    def process_exception(self, request: Request, exception: Exception, spider=None) -> None:  # type: ignore[no-untyped-def]
        self._release(request)
