"""RSS 0.9x/1.0/2.0 and Atom feeds, parsed by feedparser from the body Scrapy downloaded.

Feeds are polled with conditional GET: the FrontierMiddleware adds If-None-Match / If-Modified-Since from the stored
state, and a 304 answer ends the poll at once.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import feedparser
from scrapy.http import Response

from crawlers.spiders.base import SourceSpider
from items import FetchFailure


def _iso(struct: time.struct_time | None) -> str | None:
    if not struct:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", struct)


class FeedSpider(SourceSpider):
    name = "feed"
    kind = "feed"

    async def start(self) -> AsyncIterator[Any]:
        for url in self.source.start_urls:
            yield self.listing_request(url, self.parse_feed, conditional=True)

    def parse_feed(self, response: Response) -> Iterator[Any]:
        if response.status == 304:
            self.crawler.stats.inc_value("monitor/feeds_unchanged")
            return
        parsed = feedparser.parse(
            response.body,
            response_headers={
                "content-type": response.headers.get(b"Content-Type", b"").decode("latin-1"),
                "content-location": response.url,
            },
        )
        if parsed.bozo and not parsed.entries:
            problem = str(getattr(parsed, "bozo_exception", "")).splitlines()[0][:200] or "not a feed"
            self.logger.warning("feed %s of source %s is broken: %s", response.url, self.source.id, problem)
            response.meta["broken"] = True  # keep no validators: fetch it again next time and report it again
            yield FetchFailure(self.source.id, response.url, "broken feed", permanent=False, is_feed=True)
            return
        self.crawler.stats.inc_value("monitor/feeds_parsed")
        for entry in parsed.entries:
            link = entry.get("link") or next(
                (link.get("href") for link in entry.get("links", []) if link.get("rel") == "alternate"), None
            )
            if not link:
                continue
            yield self.article_request(
                response.urljoin(link),
                discovered_from=response.url,
                feed_title=entry.get("title"),
                feed_published_at=_iso(entry.get("published_parsed") or entry.get("updated_parsed")),
            )
