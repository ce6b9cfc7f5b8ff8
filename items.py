"""The records that travel between stages. Plain dataclasses: no stage is imported here.

``ArticleItem`` is what a spider yields and the item pipelines fill in; Scrapy handles dataclass items through
itemadapter. Later stages (NLP, incidents) read and write their own records through the store.
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass, field


@dataclass
class Evidence:
    """The page exactly as received, compressed, with its SHA-256: proof of what it said on a given day."""

    sha256: str
    size: int
    html_zlib: bytes

    @classmethod
    def of(cls, raw: bytes) -> Evidence:
        return cls(hashlib.sha256(raw).hexdigest(), len(raw), zlib.compress(raw, 1))


@dataclass
class Exchange:
    """The HTTP exchange a page came from, as the crawler saw it: kept for the WARC evidence export."""

    method: str
    request_headers: list[tuple[str, str]]
    status: int
    response_headers: list[tuple[str, str]]

    def as_dict(self) -> dict:
        return {"method": self.method, "request_headers": self.request_headers, "status": self.status,
                "response_headers": self.response_headers}


@dataclass
class PostInfo:
    """What a Telegram post has beyond an article's fields (read from the channel's public web preview)."""

    channel: str
    post_id: int
    posted_at: str | None
    views: int | None = None
    forwarded_from: str | None = None
    reply_to: str | None = None  # the "channel/id" of the post it answers
    links: list[str] = field(default_factory=list)
    captions: list[str] = field(default_factory=list)  # text under photos, videos and documents
    edited: bool = False


@dataclass
class PostWindow:
    """The posts one poll of a channel saw between two ids: a stored post in that range and not seen is deleted."""

    source_id: str
    channel: str
    low: int
    high: int
    seen: list[int]
    fetched_at: str


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
    evidence: Evidence
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
    discovered_from: str = ""  # the feed, sitemap or listing page that linked it
    extraction_error: str = ""  # why extraction failed, if it did (the raw page is kept all the same)
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
    exchange: Exchange | None = None
    post: PostInfo | None = None  # set for a Telegram post


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
    # the page the server sent with an error status (a removed story's 404 or 410 is evidence too)
    evidence: Evidence | None = None
    final_url: str = ""
    content_type: str = ""
    fetched_at: str = ""


# --- NLP results (written by nlp/, stored by pipelines/enrich.py) ------------------------------------------------
@dataclass
class Mention:
    """A PERSON / ORG / GPE / LOC / NORP span and the canonical entity it links to."""

    start: int  # character offsets in the article text
    end: int
    label: str
    text: str
    entity_id: str  # a gazetteer id ("person:mustafa-dzhemilev") or a normalised key ("person:~ivan-petrov")
    name: str  # canonical name (gazetteer name, or the fullest form seen in the article)


@dataclass
class Victim:
    text: str
    entity_id: str | None = None


@dataclass
class Event:
    """One mention of an incident in an article (the taxonomy ids are in ARCHITECTURE.md)."""

    type: str
    trigger: str
    start: int
    end: int
    sentence: str
    # actual | negated | denied | hypothetical | threatened | feared; history (before the occupation, 2014-02-20)
    # and aggregate (a statistic: type, count, period) are reported but never incidents or alerts
    modality: str = "actual"
    is_recap: bool = False
    date: str | None = None  # YYYY-MM-DD, YYYY-MM or YYYY
    date_precision: str | None = None  # day | week | month | year
    place_text: str | None = None
    place_id: str | None = None
    victims: list[Victim] = field(default_factory=list)
    count: int | None = None
    perpetrator_text: str | None = None
    perpetrator_id: str | None = None
    legal_article: str | None = None

    @property
    def actual(self) -> bool:
        return self.modality == "actual"


@dataclass
class Quote:
    """A statement: direct (in quotation marks) or indirect ("X said that ...")."""

    text: str
    speaker_text: str | None
    speaker_id: str | None
    cue: str | None  # the cue verb lemma ("say", "stress", "according to"), or None
    kind: str  # direct | indirect
    start: int
    end: int


@dataclass
class Claim:
    """A quantity stated about victims or cases: "194 cases of human rights violations"."""

    count: int
    what: str
    period: str | None
    text: str
    start: int
    end: int


@dataclass
class Relevance:
    about_crimea: bool
    score: float
    reasons: list[str] = field(default_factory=list)


@dataclass
class Enrichment:
    """Everything the NLP stage says about one article."""

    relevance: Relevance
    mentions: list[Mention] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
