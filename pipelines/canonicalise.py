"""Canonical URLs: tracking parameters, fragments, query order and host case no longer make two articles."""

from __future__ import annotations

from urllib.parse import urlsplit

from courlan import normalize_url
from scrapy.crawler import Crawler
from w3lib.url import canonicalize_url

from indexer.store import article_id_for
from items import ArticleItem


def canonical_url(url: str) -> str:
    """courlan strips known trackers (utm_*, fbclid, ...) and lower-cases the host; w3lib sorts the query and
    drops the fragment."""
    try:
        cleaned = normalize_url(url, strict=False)
    except ValueError:
        cleaned = url
    return canonicalize_url(cleaned, keep_fragments=False)


class CanonicalisePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CanonicalisePipeline:
        return cls(crawler)

    def process_item(self, item: object, spider: object = None) -> object:
        if not isinstance(item, ArticleItem):
            return item
        chosen = item.final_url
        declared = item.page_canonical_url
        if declared:
            absolute = declared if urlsplit(declared).scheme else _join(item.final_url, declared)
            # A rel=canonical to another site marks syndication, not the same URL; only trust our own domains.
            if self.crawler.spider.source.allows(absolute):  # type: ignore[union-attr]
                chosen = absolute
        item.canonical_url = canonical_url(chosen)
        item.article_id = article_id_for(item.canonical_url)
        return item


def _join(base: str, href: str) -> str:
    from urllib.parse import urljoin

    return urljoin(base, href)
