"""RSS 0.9x/1.0/2.0 and Atom feeds, parsed by feedparser from the body Scrapy downloaded.

Feeds are polled with conditional GET: the FrontierMiddleware adds If-None-Match / If-Modified-Since from the stored
state, and a 304 answer ends the poll at once.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

from scrapy.http import Response

from crawlers.feeds import entry_link, feed_problem, parse_feed
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
        parsed = parse_feed(
            response.body, response.headers.get(b"Content-Type", b"").decode("latin-1"), response.url
        )
        problem = feed_problem(parsed)
        if problem is not None:
            self.logger.warning("feed %s of source %s is broken: %s", response.url, self.source.id, problem)
            response.meta["broken"] = True  # keep no validators: fetch it again next time and report it again
            yield FetchFailure(self.source.id, response.url, "broken feed", permanent=False, is_feed=True)
            return
        self.crawler.stats.inc_value("monitor/feeds_parsed")
        if not parsed.entries:
            self.logger.info("feed %s of source %s has no entries", response.url, self.source.id)
        for entry in parsed.entries:
            link = entry_link(entry)
            if not link:
                # counted, so a feed whose entries carry no links shows in the crawl summary and `status`
                self.crawler.stats.inc_value("monitor/skipped/feed entry without link")
                continue
            yield self.article_request(
                response.urljoin(link),
                discovered_from=response.url,
                feed_title=entry.get("title"),
                feed_published_at=_iso(entry.get("published_parsed") or entry.get("updated_parsed")),
            )
