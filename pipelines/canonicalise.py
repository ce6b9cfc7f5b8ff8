"""Canonical URLs: tracking parameters, fragments, query order and host case no longer make two articles.

A page's ``<link rel=canonical>`` names the URL the article is stored under, but only when it can be believed. Real
sites point it at their home page, at a listing page, or at a template placeholder nobody filled in
(``$REGULAR_HTML_URL``); believed, every such page would land on one row and overwrite the story before it. So a
canonical is trusted only when it is on the source's domains, is not the site root, a listing page or a
placeholder, and the text stored under it (if any) is the same story: the same text or a near-duplicate of it.
Otherwise the fetched URL is kept, and the reason logged.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote, urljoin, urlsplit

import numpy as np
from courlan import normalize_url
from scrapy.crawler import Crawler
from w3lib.url import canonicalize_url

from crawlers.fingerprint import Fingerprint, containment, similarity
from crawlers.sources import Source
from indexer.store import Store, article_id_for
from items import ArticleItem
from pipelines.crawl_store import store_for

logger = logging.getLogger(__name__)

# Unfilled template variables: $NAME, {{name}}, {name}, %%name%%, <name>
_PLACEHOLDER = re.compile(r"\$|\{|\}|%%|<|>")


def canonical_url(url: str) -> str:
    """courlan strips known trackers (utm_*, fbclid, ...) and lower-cases the host; w3lib sorts the query and
    drops the fragment."""
    try:
        cleaned = normalize_url(url, strict=False)
    except ValueError:
        cleaned = url
    return canonicalize_url(cleaned, keep_fragments=False)


def untrusted_canonical(
    item: ArticleItem, declared: str, source: Source, store: Store, threshold: float
) -> str | None:
    """Why the page's declared canonical (absolute, canonical form) cannot name its article, or None if it can."""
    if not source.allows(declared):
        return "on another site"  # a rel=canonical to another site marks syndication, not the same URL
    parts = urlsplit(declared)
    if _PLACEHOLDER.search(unquote(parts.path + "?" + parts.query)):
        return "a template placeholder"
    if parts.path in ("", "/") and not parts.query:
        return "the site root"
    listings = {*source.start_urls, item.discovered_from}
    if declared in {canonical_url(u) for u in listings if u} or store.fetch_state(declared) is not None:
        return "a listing page"
    if source.article_pattern and not re.search(source.article_pattern, declared):
        return "not an article URL of the source"
    stored = store.fingerprint_of(article_id_for(declared))
    if stored is not None and not _same_story(item, stored, threshold):
        return "another text is stored under it"
    return None


def _same_story(item: ArticleItem, stored: tuple[str, bytes, int], threshold: float) -> bool:
    content_hash, minhash, shingle_count = stored
    if not item.content_hash:
        fingerprint = Fingerprint.of(item.text)
        item.content_hash, item.minhash, item.shingle_count = (
            fingerprint.content_hash, fingerprint.minhash, fingerprint.shingle_count
        )
    if item.content_hash == content_hash:
        return True
    if not (minhash and item.minhash):
        return False
    sig = np.frombuffer(item.minhash, dtype=np.uint64)
    return containment(similarity(sig, minhash), item.shingle_count, shingle_count) >= threshold


class CanonicalisePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.threshold = crawler.settings.getfloat("NEAR_DUP_THRESHOLD", 0.8)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CanonicalisePipeline:
        return cls(crawler)

    def process_item(self, item: object, spider: object = None) -> object:
        if not isinstance(item, ArticleItem):
            return item
        chosen = canonical_url(item.final_url)
        if item.post is not None:
            # a post is known by its permalink (the spider built it from data-post), whatever its text became: an
            # edit must update the post, never look like a stranger's text under its URL
            chosen = canonical_url(item.url)
        elif item.page_canonical_url:
            declared = canonical_url(urljoin(item.final_url, item.page_canonical_url))
            if declared != chosen:
                source: Source = self.crawler.spider.source  # type: ignore[union-attr]
                problem = untrusted_canonical(item, declared, source, store_for(self.crawler), self.threshold)
                if problem is None:
                    chosen = declared
                else:
                    logger.info("%s: rel=canonical %s is %s; the article keeps the fetched URL",
                                item.final_url, declared, problem)
                    self.crawler.stats.inc_value("monitor/canonical_ignored")
        item.canonical_url = chosen
        item.article_id = article_id_for(chosen)
        return item
