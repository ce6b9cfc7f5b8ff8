"""Sitemaps: sitemap indexes, news sitemaps and gzipped sitemaps, through Scrapy's SitemapSpider."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from scrapy.http import Response
from scrapy.spiders import SitemapSpider as ScrapySitemapSpider
from scrapy.spiders.sitemap import regex

from crawlers.spiders.base import SourceSpider


class SitemapSpider(SourceSpider, ScrapySitemapSpider):
    name = "sitemap"
    kind = "sitemap"
    sitemap_rules = (("", "parse_article"),)

    def _bind_source(self, sources_file: str | None) -> None:
        super()._bind_source(sources_file)
        self.sitemap_urls = list(self.source.start_urls)
        # SitemapSpider compiles its rules in __init__, before the source is known; compile them again.
        self._cbs = [(regex(self.source.article_pattern or ""), self.parse_article)]

    async def start(self):  # type: ignore[override]
        # The top level is always fetched: an unchanged sitemap index can still point at changed sitemaps.
        for url in self.sitemap_urls:
            yield self.listing_request(url, self._parse_sitemap)

    def _parse_sitemap(self, response: Response) -> Iterable[Any]:
        if response.status == 304:
            self.crawler.stats.inc_value("monitor/feeds_unchanged")
            return
        found = 0
        for request in super()._parse_sitemap(response):
            if request.callback == self.parse_article:
                found += 1
                yield self.article_request(request.url, discovered_from=response.url)
            else:
                yield self.listing_request(request.url, self._parse_sitemap, conditional=True)
        if found:
            self.crawler.stats.inc_value("monitor/sitemap_urls", found)

    def _get_sitemap_body(self, response: Response) -> bytes | None:
        body = super()._get_sitemap_body(response)
        if body is None:
            self.logger.warning("%s is not a sitemap (source %s)", response.url, self.source.id)
        return body



