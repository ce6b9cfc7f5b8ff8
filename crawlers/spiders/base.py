"""What every spider shares: the source it crawls, article requests, the extraction step and failure reasons."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import ConnectionRefusedError as TxConnectionRefusedError
from twisted.internet.error import DNSLookupError, TCPTimedOutError
from twisted.internet.error import TimeoutError as TxTimeoutError
from twisted.python.failure import Failure

from crawlers.extract import acquire_extractor, release_extractor
from crawlers.sources import Source, load_sources, select
from crawlers.urls import frontier_url
from items import ArticleItem, Evidence, Exchange, FetchFailure

_PERMANENT_STATUSES = {400, 401, 403, 404, 405, 406, 410, 451}


def classify_failure(failure: Failure) -> tuple[str, bool, int | None]:
    """(reason, permanent, http status) of a failed request, in words a monitor understands."""
    exc = failure.value
    if isinstance(exc, HttpError):
        status = exc.response.status
        return f"http {status}", status in _PERMANENT_STATUSES, status
    if isinstance(exc, IgnoreRequest):
        message = str(exc)
        if "robots.txt" in message:
            return "disallowed by robots.txt", True, None
        if "max redirections" in message:
            return "redirect loop", True, None
        return message or "ignored", True, None
    if isinstance(exc, DownloadCancelledError):
        return "too large", True, None
    if isinstance(exc, DownloadTimeoutError | TxTimeoutError | TCPTimedOutError | TimeoutError):
        return "timeout", False, None
    if isinstance(exc, DownloadConnectionRefusedError | TxConnectionRefusedError | ConnectionRefusedError):
        return "connection refused", False, None
    if isinstance(exc, CannotResolveHostError | DNSLookupError):
        return "host not found", False, None
    if isinstance(exc, ResponseDataLossError):
        return "incomplete response", False, None
    return type(exc).__name__, False, None


def _header_pairs(headers: Any) -> list[tuple[str, str]]:
    return [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in headers.items()
        for value in values
    ]


def exchange_of(response: Response) -> Exchange:
    """The request and response headers of a download, as Scrapy sent and received them."""
    request = response.request
    return Exchange(
        method=request.method if request is not None else "GET",
        request_headers=_header_pairs(request.headers) if request is not None else [],
        status=response.status,
        response_headers=_header_pairs(response.headers),
    )


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class SourceSpider(scrapy.Spider):
    """A spider bound to one source of the registry (``-a source=ID`` on the scrapy command line)."""

    kind = ""

    def __init__(self, source: Source | str | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._source_arg = source
        self.source: Source

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):  # type: ignore[no-untyped-def]
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider._bind_source(crawler.settings.get("SOURCES"))
        spider.extractor = acquire_extractor(
            crawler.settings.getint("EXTRACT_WORKERS", 2), crawler.settings.getint("EXTRACT_FULL_BELOW_CHARS", 0)
        )
        return spider

    def _bind_source(self, sources_file: str | None) -> None:
        arg = self._source_arg
        if isinstance(arg, Source):
            source = arg
        elif isinstance(arg, str) and arg:
            source = select(load_sources(sources_file or "sources.toml"), [arg])[0]
        else:
            raise ValueError(f"spider {self.name!r} needs a source: scrapy crawl {self.name} -a source=ID")
        if source.kind != self.kind:
            raise ValueError(f"source {source.id!r} is of kind {source.kind!r}; crawl it with that spider")
        self.source = source
        self.allowed_domains = list(source.allowed_domains)

    def closed(self, reason: str) -> None:
        release_extractor()

    # --- requests ----------------------------------------------------------------------------------------------
    def listing_request(self, url: str, callback: Any, *, conditional: bool = False, **meta: Any) -> scrapy.Request:
        """A feed, sitemap or listing page: failures are reported against the source, not an article."""
        return scrapy.Request(
            url,
            callback=callback,
            errback=self.listing_failed,
            meta={"conditional": conditional, "handle_httpstatus_list": [304] if conditional else [], **meta},
            dont_filter=True,
        )

    def article_request(
        self,
        url: str,
        *,
        discovered_from: str | None = None,
        feed_title: str | None = None,
        feed_published_at: str | None = None,
        refresh: bool = False,
    ) -> scrapy.Request | FetchFailure:
        url = frontier_url(url)
        if not self.source.allows(url):
            return FetchFailure(self.source.id, url, "off allowed domains", permanent=True)
        # dont_filter: the frontier already admits each URL once per crawl, and Scrapy's duplicate filter would
        # otherwise swallow a redirect loop's second visit silently instead of failing it as a loop.
        return scrapy.Request(
            url,
            callback=self.parse_article,
            errback=self.article_failed,
            dont_filter=True,
            meta={
                "article": True,
                "frontier_url": url,
                "discovered_from": discovered_from,
                "feed_title": feed_title,
                "feed_published_at": feed_published_at,
                "refresh": refresh,
            },
        )

    # --- responses ---------------------------------------------------------------------------------------------
    async def parse_article(self, response: Response) -> AsyncIterator[ArticleItem]:
        meta = response.meta
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1").strip()
        item = ArticleItem(
            source_id=self.source.id,
            url=meta.get("frontier_url", response.url),
            final_url=response.url,
            fetched_at=utc_now(),
            http_status=response.status,
            content_type=content_type,
            evidence=None,  # type: ignore[arg-type]  # set below, computed with the extraction when possible
            encoding=getattr(response, "encoding", "") or "",
            feed_title=meta.get("feed_title") or "",
            feed_published_at=meta.get("feed_published_at"),
            redirect_urls=list(meta.get("redirect_urls", [])),
            discovered_from=meta.get("discovered_from") or "",
            exchange=exchange_of(response),
        )
        if isinstance(response, TextResponse) and "html" in (content_type.lower() or "text/html"):
            try:
                extracted, item.evidence, fingerprint = await self.extractor(
                    response.body, response.encoding, response.url
                )
            except Exception as exc:  # a crashed worker or a parser bug: the page is kept, as a page without text
                self.logger.error("extraction of %s failed: %s: %s", response.url, type(exc).__name__, exc)
                item.evidence = Evidence.of(response.body)
                item.extraction_error = f"{type(exc).__name__}: {exc}"[:200]
                yield item
                return
            item.content_hash = fingerprint.content_hash
            item.minhash = fingerprint.minhash
            item.shingle_count = fingerprint.shingle_count
            item.title = extracted.title or item.feed_title
            item.text = extracted.text
            item.author = extracted.author
            item.published_at = extracted.published_at or item.feed_published_at
            item.lang = extracted.lang or self.source.language
            item.page_canonical_url = extracted.canonical_url
        else:
            item.evidence = Evidence.of(response.body)
        yield item

    def article_failed(self, failure: Failure) -> FetchFailure:
        request = failure.request  # type: ignore[attr-defined]
        reason, permanent, status = classify_failure(failure)
        self.logger.info("article %s not fetched: %s", request.url, reason)
        url = request.meta.get("frontier_url", request.url)
        result = FetchFailure(self.source.id, url, reason, permanent=permanent, http_status=status)
        if isinstance(failure.value, HttpError):  # fetched all the same: its page is kept
            response = failure.value.response
            result.evidence = Evidence.of(response.body)
            result.final_url = response.url
            result.content_type = response.headers.get(b"Content-Type", b"").decode("latin-1").strip()
            result.fetched_at = utc_now()
        return result

    def listing_failed(self, failure: Failure) -> FetchFailure:
        request = failure.request  # type: ignore[attr-defined]
        reason, _permanent, status = classify_failure(failure)
        self.logger.warning("%s %s of source %s failed: %s", self.kind, request.url, self.source.id, reason)
        return FetchFailure(self.source.id, request.url, reason, permanent=False, http_status=status, is_feed=True)
