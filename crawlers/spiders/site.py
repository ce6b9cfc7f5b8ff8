"""News sites without a feed: listing pages are followed to a bounded depth, article links picked by pattern."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

from scrapy.http import Response, TextResponse
from scrapy.linkextractors import LinkExtractor

from crawlers.spiders.base import SourceSpider


class SiteSpider(SourceSpider):
    name = "site"
    kind = "site"

    def _bind_source(self, sources_file: str | None) -> None:
        super()._bind_source(sources_file)
        pattern = self.source.article_pattern
        if not pattern:
            raise ValueError(f"source {self.source.id!r} of kind 'site' needs an article_pattern")
        self.article_re = re.compile(pattern)
        # Domains are checked by Source.allows: LinkExtractor's allow_domains compares host:port, not host.
        self.article_links = LinkExtractor(allow=pattern, unique=True)
        self.listing_links = LinkExtractor(deny=pattern, unique=True)

    async def start(self) -> AsyncIterator[Any]:
        for url in self.source.start_urls:
            yield self.listing_request(url, self.parse_listing, depth=0)

    def parse_listing(self, response: Response) -> Iterator[Any]:
        if not isinstance(response, TextResponse):
            return
        depth = int(response.meta.get("depth", 0))
        for link in self.article_links.extract_links(response):
            yield self.article_request(link.url, discovered_from=response.url)
        if depth >= self.settings.getint("SITE_MAX_DEPTH", 2):
            return
        for link in self.listing_links.extract_links(response):
            if not self.source.allows(link.url):
                continue
            request = self.listing_request(link.url, self.parse_listing, depth=depth + 1)
            request.dont_filter = False  # listing pages link to each other; visit each once per crawl
            yield request
