"""robots.txt fetched once per origin for ROBOTS_CACHE_SECONDS, however many sources share the host.

Scrapy's RobotsTxtMiddleware keeps robots.txt per crawler, and every source is crawled by a crawler of its own: 400
feeds on one host cost 400 requests for the same file in every crawl. Here the parsed file is shared by all crawlers
of the process (one request in flight per origin, the others wait for it) and kept in the store, so later crawls
and other processes reuse it until it is older than ROBOTS_CACHE_SECONDS. Scrapy's rules are kept: a robots.txt
that cannot be fetched allows everything and is asked for again by the next crawl; whatever the server answers is
parsed as Scrapy parses it.
"""

from __future__ import annotations

import asyncio
import logging
import time

from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request
from scrapy.http.request import NO_CALLBACK
from scrapy.robotstxt import RobotParser
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler

from pipelines.crawl_store import store_for

logger = logging.getLogger(__name__)

# origin -> (time it was fetched or looked up, the parser or the lookup in flight); one per process
_SHARED: dict[str, tuple[float, RobotParser | asyncio.Future[RobotParser | None] | None]] = {}


class SharedRobotsTxtMiddleware(RobotsTxtMiddleware):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.ttl = crawler.settings.getint("ROBOTS_CACHE_SECONDS", 86400)

    async def robot_parser(self, request: Request) -> RobotParser | None:  # type: ignore[override]
        parts = urlparse_cached(request)
        origin = f"{parts.scheme}://{parts.netloc}"
        entry = _SHARED.get(origin)
        if entry is None or time.time() - entry[0] > self.ttl:
            lookup: asyncio.Future[RobotParser | None] = asyncio.get_running_loop().create_future()
            _SHARED[origin] = (time.time(), lookup)
            try:
                parser = await self._load(origin)
            except BaseException:
                _SHARED.pop(origin, None)
                lookup.set_result(None)
                raise
            _SHARED[origin] = (_SHARED.get(origin, (time.time(), None))[0], parser)
            lookup.set_result(parser)
            return parser
        value = entry[1]
        if isinstance(value, asyncio.Future):
            return await asyncio.shield(value)
        return value

    async def _load(self, origin: str) -> RobotParser | None:
        store = store_for(self.crawler)
        row = store.robots_txt(origin)
        if row is not None and time.time() - float(row["fetched_at"]) <= self.ttl:
            self._stats.inc_value("robotstxt/from_cache")
            return self._parse(bytes(row["body"]))
        robots_request = Request(
            f"{origin}/robots.txt",
            priority=self.DOWNLOAD_PRIORITY,
            meta={"dont_obey_robotstxt": True},
            callback=NO_CALLBACK,
        )
        self._stats.inc_value("robotstxt/request_count")
        try:
            response = await self.crawler.engine.download_async(robots_request)  # type: ignore[union-attr]
        except Exception as exc:
            if not isinstance(exc, IgnoreRequest):
                logger.warning("robots.txt of %s not fetched (%s: %s); everything allowed this crawl",
                               origin, type(exc).__name__, exc)
                self._stats.inc_value(f"robotstxt/exception_count/{type(exc)}")
            return None
        self._stats.inc_value("robotstxt/response_count")
        self._stats.inc_value(f"robotstxt/response_status_count/{response.status}")
        if response.status < 500:  # a server error is transient: ask again next crawl
            store.save_robots_txt(origin, response.status, response.body, time.time())
        return self._parse(response.body)

    def _parse(self, body: bytes) -> RobotParser:
        return build_from_crawler(self._parserimpl, self.crawler, body)
