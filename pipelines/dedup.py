"""Decide what an article page is to the store: new, an update, unchanged, a duplicate, or a near-duplicate.

- same canonical URL: the same article (updated if its text changed), never a second row;
- same text under another URL: recorded as a duplicate URL of the first article;
- nearly the same text (syndicated copies): stored, and linked to the article it copies. "Nearly the same" is
  MinHash-estimated containment of word 5-shingles >= NEAR_DUP_THRESHOLD (default 0.8).
"""

from __future__ import annotations

import numpy as np
from scrapy.crawler import Crawler

from crawlers.fingerprint import Fingerprint, band_hashes, containment, similarity
from items import ArticleItem
from pipelines.crawl_store import store_for


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
        if not item.content_hash:  # fingerprinted by the extraction worker; items from elsewhere are done here
            fingerprint = Fingerprint.of(item.text)
            item.content_hash, item.minhash, item.shingle_count = (
                fingerprint.content_hash, fingerprint.minhash, fingerprint.shingle_count
            )
        existing_hash = store.content_hash_of(item.article_id)
        if existing_hash is not None:
            item.outcome = "unchanged" if existing_hash == item.content_hash else "updated"
            return item
        same_text = store.article_by_content_hash(item.content_hash)
        if same_text is not None:
            item.outcome = "duplicate"
            item.duplicate_of = same_text
            return item
        item.outcome = "new"
        best: tuple[float, str, int, str | None] | None = None
        sig = np.frombuffer(item.minhash, dtype=np.uint64)
        for candidate_id, candidate_sig, candidate_size, published in store.near_duplicate_candidates(
            band_hashes(sig), item.article_id
        ):
            score = containment(similarity(sig, candidate_sig), item.shingle_count, candidate_size)
            if score >= self.threshold and (best is None or score > best[0]):
                best = (score, candidate_id, candidate_size, published)
        if best is None:
            return item
        score, candidate_id, candidate_size, published = best
        item.near_duplicate_score = round(score, 3)
        if _is_original(item.published_at, item.shingle_count, published, candidate_size):
            # The copy was crawled first (sources are crawled concurrently): the link is turned around once this
            # article is stored; see StorePipeline.
            item.supersedes = candidate_id
        else:
            item.near_duplicate_of = candidate_id
        return item


def _is_original(published: str | None, size: int, other_published: str | None, other_size: int) -> bool:
    """The original of two near-duplicates is the one published first; on a tie, the longer one (copies trim)."""
    if published and other_published and published[:10] != other_published[:10]:
        return published < other_published
    return size > other_size
