"""Decide what an article page is to the store: new, an update, unchanged, a duplicate, or a near-duplicate.

- same canonical URL: the same article (updated if its text changed), never a second row;
- same text under another URL: recorded as a duplicate URL of the first article;
- nearly the same text (syndicated copies): stored, and linked to the article it copies.
"""

from __future__ import annotations

from scrapy.crawler import Crawler

from items import ArticleItem
from pipelines.crawl_store import store_for
from pipelines.near_duplicates import band_hashes, content_hash, signature, similarity


class DedupPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.threshold = crawler.settings.getfloat("NEAR_DUP_THRESHOLD", 0.8)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupPipeline:
        return cls(crawler)

    def process_item(self, item: object, spider: object = None) -> object:
        if not isinstance(item, ArticleItem):
            return item
        store = store_for(self.crawler)
        item.content_hash = content_hash(item.text)
        existing = store.article(item.article_id)
        sig = signature(item.text)
        item.minhash = sig.tobytes()
        if existing is not None:
            item.outcome = "unchanged" if existing.content_hash == item.content_hash else "updated"
            return item
        same_text = store.article_by_content_hash(item.content_hash)
        if same_text is not None:
            item.outcome = "duplicate"
            item.duplicate_of = same_text
            return item
        item.outcome = "new"
        best_id, best_score = "", 0.0
        for candidate_id, candidate_sig in store.near_duplicate_candidates(band_hashes(sig), item.article_id):
            score = similarity(sig, candidate_sig)
            if score > best_score:
                best_id, best_score = candidate_id, score
        if best_score >= self.threshold:
            item.near_duplicate_of = best_id
            item.near_duplicate_score = round(best_score, 3)
        return item
