"""Reading a feed, and the one decision of whether it is a feed at all, shared by the crawl and `sources check`.

A feed that parses with no entries is a valid feed that says nothing new (a warning at most); "not readable" is kept
for a body feedparser cannot make a feed of: a fatal parse error with nothing recovered, or a document that is no
RSS, Atom or RDF (an HTML page, say).
"""

from __future__ import annotations

from typing import Any

import feedparser

# bozo flags that do not stop feedparser from reading the feed (a charset that differs from the declared one)
_HARMLESS = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)


def parse_feed(body: bytes, content_type: str = "", url: str = "") -> Any:
    return feedparser.parse(body, response_headers={"content-type": content_type, "content-location": url})


def feed_problem(parsed: Any) -> str | None:
    """Why a parsed document is not a readable feed, or None when it is one (with or without entries)."""
    if parsed.entries:
        return None
    exception = parsed.get("bozo_exception")
    if parsed.bozo and not isinstance(exception, _HARMLESS):
        return (str(exception or "").splitlines() or ["not a feed"])[0][:200] or "not a feed"
    if not parsed.get("version"):
        return "not RSS, Atom or RDF"
    return None


def entry_link(entry: Any) -> str | None:
    """An entry's article link: <link>, or its first rel=alternate link."""
    return entry.get("link") or next(
        (link.get("href") for link in entry.get("links", []) if link.get("rel") == "alternate"), None
    )
