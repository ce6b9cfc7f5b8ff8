"""Drop what is not an article, with a logged reason: not HTML, no text, too short, off the allowed domains."""

from __future__ import annotations

import logging

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from items import ArticleItem

logger = logging.getLogger(__name__)


class SkipArticle(DropItem):
    """An article page we will not store; ``reason`` is short and stable (it becomes a column of the crawl table)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}{': ' + detail if detail else ''}", log_level="INFO")
        self.reason = reason


class ValidatePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.min_chars = crawler.settings.getint("MIN_TEXT_CHARS", 300)
        self.min_chars_by_kind: dict[str, int] = dict(crawler.settings.getdict("MIN_TEXT_CHARS_BY_KIND"))

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        return cls(crawler)

    def process_item(self, item: object, spider: object = None) -> object:
        if not isinstance(item, ArticleItem):
            return item
        content_type = item.content_type.split(";")[0].strip().lower()
        if content_type and content_type not in ("text/html", "application/xhtml+xml"):
            raise SkipArticle("not HTML", f"{content_type} at {item.final_url}")
        source = self.crawler.spider.source  # type: ignore[union-attr]
        if not source.allows(item.final_url):
            raise SkipArticle("off allowed domains", item.final_url)
        if item.extraction_error:
            raise SkipArticle("extraction failed", f"{item.final_url}: {item.extraction_error}")
        if not item.text.strip():
            raise SkipArticle("no text", item.final_url)
        minimum = self.min_chars_by_kind.get(source.kind, self.min_chars)
        if len(item.text) < minimum:
            raise SkipArticle("too short", f"{len(item.text)} < {minimum} characters at {item.final_url}")
        ItemAdapter(item)  # dataclass items are what Scrapy's exporters expect; fail early if not
        return item
