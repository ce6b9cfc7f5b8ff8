"""The records that cross the search boundary: what is indexed, what is asked, what comes back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

__all__ = ["FACET_NAMES", "MAX_LIMIT", "MAX_OFFSET", "IndexDocument", "SearchHit", "SearchRequest", "SearchResult"]

#: the paging caps of every search (CLI, API, export): an engine sizes its top-hits heap by offset + limit, and an
#: offset of 2**31 made Tantivy abort the process on a failed allocation
MAX_LIMIT = 1000
MAX_OFFSET = 100_000

#: facets every backend returns when ``SearchRequest.facets`` is true ("month" is a date histogram)
FACET_NAMES = ("source", "lang", "type", "person", "place", "org", "month")


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


@dataclass(frozen=True)
class IndexDocument:
    """One enriched article as the search index sees it.

    Entity ids are canonical (``person:mustafa-dzhemilev``, ``place:bakhchysarai``, ``org:fsb``), or the
    ``person:~normalised-name`` form for entities that are not in the gazetteer (see ``KeyResolver``).
    ``event_types`` holds actual events only; ``event_types_any`` every mention, negated or hypothetical too.
    A naive ``published_at`` is taken to be UTC.
    """

    id: str
    title: str
    body: str
    quotes: tuple[str, ...] = ()
    source: str = ""
    lang: str = ""
    url: str = ""
    published_at: datetime | None = None
    persons: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    orgs: tuple[str, ...] = ()
    event_types: tuple[str, ...] = ()
    event_types_any: tuple[str, ...] = ()
    has_quote: bool = False
    about_crimea: bool = False  # the NLP's relevance decision (``about:crimea``)

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("IndexDocument.id must not be empty")
        object.__setattr__(self, "published_at", _utc(self.published_at))
        for name in ("quotes", "persons", "places", "orgs", "event_types", "event_types_any"):
            object.__setattr__(self, name, tuple(getattr(self, name)))


@dataclass(frozen=True)
class SearchRequest:
    """A query string in the query language plus paging, ordering and whether to count facets."""

    query: str
    limit: int = 10
    offset: int = 0
    sort: Literal["relevance", "date"] = "relevance"
    facets: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.limit <= MAX_LIMIT:
            raise ValueError(f"limit must be between 0 and {MAX_LIMIT}")
        if not 0 <= self.offset <= MAX_OFFSET:
            raise ValueError(f"offset must be between 0 and {MAX_OFFSET}")
        if self.sort not in ("relevance", "date"):
            raise ValueError("sort must be 'relevance' or 'date'")


@dataclass(frozen=True)
class SearchHit:
    """One hit; ``snippet_html`` is HTML-escaped body text with matched terms in ``<b>…</b>``."""

    id: str
    score: float
    title: str
    url: str
    source: str
    lang: str
    published_at: datetime | None
    event_types: tuple[str, ...] = ()
    snippet_html: str = ""

    def as_json(self) -> dict[str, Any]:
        """The hit's fields as JSON values; each surface adds the snippet in the form it can show safely."""
        return {
            "id": self.id,
            "score": round(self.score, 4),
            "title": self.title,
            "url": self.url,
            "source": self.source,
            "lang": self.lang,
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "event_types": list(self.event_types),
        }


@dataclass(frozen=True)
class SearchResult:
    """A page of hits, the total number of matches, and facet counts (empty unless requested).

    ``facets`` maps each of ``FACET_NAMES`` to ``[(value, count), ...]`` ordered by count descending, then
    value, except "month", which is ``[("2024-03", n), ...]`` in calendar order.
    """

    hits: list[SearchHit]
    total: int
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
