"""The one form of an article URL in the frontier, shared by the spiders and the frontier middleware."""

from __future__ import annotations

from w3lib.url import safe_url_string


def frontier_url(url: str) -> str:
    """Percent-escaped as Scrapy requests it: a feed link with spaces or non-ASCII would otherwise get a row for the
    link as written and another for the URL fetched (and be fetched again on every crawl)."""
    return safe_url_string(url.strip(), "utf-8")
