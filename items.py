"""The records that travel between stages. Plain dataclasses: no stage is imported here.

``ArticleItem`` is what a spider yields and the item pipelines fill in; Scrapy handles dataclass items through
itemadapter. Later stages (NLP, incidents) read and write their own records through the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ArticleItem:
    """One fetched article page, from download to the store.

    Three dates are kept apart on purpose: ``published_at`` comes from the page or the feed, ``fetched_at`` is when
    this copy was downloaded (the store keeps ``first_seen_at`` as the first such time); an incident's own date is
    worked out later by the NLP stage.
    """

    source_id: str
    url: str  # the URL we asked for (a feed link, a sitemap <loc>, a listing link)
    final_url: str  # after redirects
    fetched_at: str  # ISO 8601, UTC
    http_status: int
    content_type: str
    raw_html: bytes  # exactly the bytes received: the evidence of what the page said that day
    encoding: str
    title: str = ""
    text: str = ""
    author: str = ""
    published_at: str | None = None  # ISO 8601 date or datetime
    lang: str = ""
    page_canonical_url: str = ""  # <link rel=canonical>, if any
    feed_title: str = ""
    feed_published_at: str | None = None
    redirect_urls: list[str] = field(default_factory=list)
    # Filled in by the pipelines:
    canonical_url: str = ""
    article_id: str = ""
    content_hash: str = ""
    outcome: str = ""  # new | updated | unchanged | duplicate
    duplicate_of: str = ""
    near_duplicate_of: str = ""
    near_duplicate_score: float = 0.0
    supersedes: str = ""  # an already stored article that turns out to be a near-copy of this one
    minhash: bytes = b""  # MinHash signature of the text, for near-duplicate lookups
    shingle_count: int = 0


@dataclass
class FetchFailure:
    """A URL that did not give an article page: kept with its reason so nothing is lost silently.

    ``permanent`` failures (404, robots.txt, redirect loop, too large, off allowed domains) are skipped for good;
    transient ones (timeouts, 5xx, refused connections) are retried on later crawls up to a limit.
    """

    source_id: str
    url: str
    reason: str
    permanent: bool
    http_status: int | None = None
    is_feed: bool = False  # a feed, sitemap or listing page rather than an article
