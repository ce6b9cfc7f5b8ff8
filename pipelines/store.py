"""Write articles, their evidence and their URLs to the store; account for every URL that did not make one."""

from __future__ import annotations

import logging

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawlers.fingerprint import Fingerprint
from indexer.store import Store, article_id_for
from items import ArticleItem, FetchFailure, PostWindow
from pipelines.canonicalise import canonical_url
from pipelines.crawl_store import store_for
from pipelines.validate import SkipArticle

logger = logging.getLogger(__name__)


class StorePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.max_attempts = crawler.settings.getint("MAX_FETCH_ATTEMPTS", 3)
        crawler.signals.connect(self.item_dropped, signal=signals.item_dropped)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(crawler)

    def open_spider(self, spider: object = None) -> None:
        source = self.crawler.spider.source  # type: ignore[union-attr]
        store_for(self.crawler).upsert_source(
            source.id,
            source.name,
            source.kind,
            {"start_urls": list(source.start_urls), "allowed_domains": list(source.allowed_domains)},
        )

    def process_item(self, item: object, spider: object = None) -> object:
        if isinstance(item, FetchFailure):
            self._record_failure(item)
            return item
        if isinstance(item, PostWindow):
            gone = store_for(self.crawler).record_post_window(
                item.source_id, item.channel, item.low, item.high, item.seen, item.fetched_at)
            if gone:
                logger.info("posts %s of %s no longer on the channel: marked deleted", gone, item.channel)
                self.stats.inc_value("monitor/posts_deleted", len(gone))
            return item
        if not isinstance(item, ArticleItem):
            return item
        self.stats.inc_value("monitor/fetched")
        store = store_for(self.crawler)
        with store.transaction():  # an item's rows commit together, or not at all
            self._store(store, item)
        counter = {"duplicate": "duplicates"}.get(item.outcome, item.outcome)
        self.stats.inc_value(f"monitor/{counter}")
        if item.near_duplicate_of or item.supersedes:
            self.stats.inc_value("monitor/near_duplicates")
        return item

    def _store(self, store: Store, item: ArticleItem) -> None:
        target = item.duplicate_of if item.outcome == "duplicate" else item.article_id
        if item.outcome in ("new", "updated"):
            store.save_article(
                {
                    "id": item.article_id,
                    "url": item.canonical_url,
                    "source_id": item.source_id,
                    "title": item.title,
                    "text": item.text,
                    "author": item.author or None,
                    "lang": item.lang or None,
                    "published_at": item.published_at,
                    "fetched_at": item.fetched_at,
                    "content_hash": item.content_hash,
                    "minhash": item.minhash,
                    "shingle_count": item.shingle_count,
                    "near_duplicate_of": item.near_duplicate_of or None,
                    "near_duplicate_score": item.near_duplicate_score or None,
                },
                Fingerprint(item.content_hash, item.minhash, item.shingle_count).bands(),
            )
            if item.supersedes:
                store.relink_near_duplicate(item.supersedes, item.article_id, item.near_duplicate_score)
        elif item.outcome == "unchanged":
            store.touch_article(item.article_id, item.fetched_at)
            if item.post is not None:  # its page changes with every view count: no new snapshot for the same text
                store.save_post(item.article_id, item.source_id, item.post, item.fetched_at)
                store.mark_done(item.url, item.source_id, target)
                return
        elif item.outcome == "duplicate":
            store.add_url(item.canonical_url, target, "duplicate", item.source_id)
        else:
            raise DropItem(f"no dedup decision for {item.url}; is DedupPipeline enabled?")
        exchange = item.exchange.as_dict() if item.exchange is not None else None
        sha256 = store.save_snapshot(
            target, item.final_url, item.evidence, item.fetched_at, item.http_status, item.content_type,
            item.encoding, exchange,
        )
        if item.post is not None:
            self._store_post(store, item, target, sha256)
            store.mark_done(item.url, item.source_id, target)
            return
        for url in {item.url, *item.redirect_urls, item.final_url} - {item.canonical_url}:
            if url != item.canonical_url:
                store.add_url(url, target, "redirect" if url in item.redirect_urls else "alias", item.source_id)
        store.mark_done(item.url, item.source_id, target)
        logger.debug("%s %s -> %s", item.outcome, item.url, target)

    def _store_post(self, store: Store, item: ArticleItem, target: str, sha256: str) -> None:
        """A post's own rows: the post, a version per distinct text (an edit keeps the old one) and its links.

        The preview page is the post's evidence, never another URL of it, so no alias is recorded.
        """
        post = item.post
        assert post is not None
        if item.outcome == "duplicate":  # the same text posted elsewhere (a forward): evidence kept, no post row
            return
        store.save_post(target, item.source_id, post, item.fetched_at)
        snapshot = store.snapshot_id(target, item.final_url, sha256)
        version = store.add_post_version(target, item.text, item.content_hash, post.edited, item.fetched_at, snapshot)
        if version > 1:
            self.stats.inc_value("monitor/posts_edited")
        links = [(url, article_id_for(canonical_url(url))) for url in post.links]
        store.add_post_links(target, [(url, linked) for url, linked in links if linked != target])

    def _record_failure(self, failure: FetchFailure) -> None:
        store = store_for(self.crawler)
        if failure.is_feed:
            store.record_fetch_error(failure.url, failure.source_id, failure.reason, failure.http_status)
            self.stats.inc_value(f"monitor/errors/{failure.reason}")
            return
        with store.transaction():
            if failure.permanent:
                store.mark_skipped(failure.url, failure.source_id, failure.reason)
                state = "skipped"
            else:
                state = store.mark_failed_attempt(failure.url, failure.source_id, failure.reason, self.max_attempts)
            if failure.evidence is not None:
                store.save_raw_page(
                    failure.url, failure.final_url or failure.url, failure.source_id, failure.reason,
                    failure.evidence, failure.fetched_at, failure.http_status or 0, failure.content_type, "",
                )
        self.stats.inc_value(f"monitor/{'skipped' if failure.permanent else 'errors'}/{failure.reason}")
        if state == "failed":
            logger.warning("giving up on %s after %d attempts: %s", failure.url, self.max_attempts, failure.reason)

    def item_dropped(self, item: object, response: object, exception: BaseException, spider: object = None) -> None:
        if isinstance(item, ArticleItem) and isinstance(exception, SkipArticle):
            store = store_for(self.crawler)
            with store.transaction():
                store.mark_skipped(item.url, item.source_id, exception.reason)
                if item.evidence is not None:  # fetched: its raw page is kept, whatever became of it
                    store.save_raw_page(
                        item.url, item.final_url, item.source_id, exception.reason, item.evidence, item.fetched_at,
                        item.http_status, item.content_type, item.encoding,
                    )
            self.stats.inc_value(f"monitor/skipped/{exception.reason}")

