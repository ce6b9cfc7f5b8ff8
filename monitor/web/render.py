"""Turning untrusted article content into safe HTML pieces, and building search links.

Everything from a crawled page is text: Jinja's autoescaping handles the plain cases; the few places that emit
markup on purpose (highlighted snippets, mention links) rebuild it here from escaped text, so no tag of the
source page ever reaches the browser as a tag.
"""

from __future__ import annotations

import html
import re
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from markupsafe import Markup, escape

_TAG = re.compile(r"(</?b>)")
_SAFE_VALUE = re.compile(r"^[\w.\-~]+$", re.UNICODE)

#: query-language field of each search facet
FACET_FIELDS = {"type": "type", "source": "source", "lang": "lang", "person": "person", "place": "place",
                "org": "org", "month": "date"}


def snippet_html(snippet: str, tag: str = "mark") -> Markup:
    """A backend snippet (escaped text with ``<b>`` highlights) rebuilt as escaped text with ``<tag>`` highlights.

    Whatever the backend did, only our own tags survive: each text part is unescaped once and escaped again.
    """
    out: list[str] = []
    bold = False
    for part in _TAG.split(snippet or ""):
        if part == "<b>":
            bold = True
        elif part == "</b>":
            bold = False
        elif part:
            text = str(escape(html.unescape(part)))
            out.append(f"<{tag}>{text}</{tag}>" if bold else text)
    return Markup("".join(out))


def snippet_plain(snippet: str) -> str:
    return "".join(html.unescape(p) for p in _TAG.split(snippet or "") if p not in ("<b>", "</b>"))


def safe_href(url: str | None) -> str | None:
    """The URL if it is http(s) (so ``javascript:`` and ``data:`` links from a crawled page never become links)."""
    if not url:
        return None
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return None
    return url.strip() if scheme in ("http", "https") else None


def fmt_date(value: Any, length: int = 10) -> str:
    if value is None:
        return ""
    if isinstance(value, (datetime, date)):
        return value.isoformat()[:length]
    return str(value)[:length]


def filter_token(field: str, value: str) -> str | None:
    """``field:value`` in the query language, quoted when needed; None when the value cannot be written safely."""
    if not value or '"' in value or "\\" in value:
        return None
    if _SAFE_VALUE.match(value) and ":" not in value:
        return f"{field}:{value}"
    return f'{field}:"{value}"'


def search_url(query: str, **params: Any) -> str:
    args = {"q": query, **{k: v for k, v in params.items() if v not in (None, "", "relevance", 1)}}
    return "/search?" + urlencode(args)


def with_filter(query: str, facet: str, value: str) -> str | None:
    """The query narrowed by one facet value (a month becomes ``date:YYYY-MM``)."""
    token = filter_token(FACET_FIELDS.get(facet, facet), value)
    if token is None:
        return None
    query = query.strip()
    if token in query.split():
        return query
    return f"{query} {token}".strip() if query else token


def entity_url(entity_id: str) -> str:
    from urllib.parse import quote

    return "/entities/" + quote(entity_id, safe=":~")


def text_segments(text: str, mentions: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    """The article text cut at entity mentions: ``[(text, entity_id or None), ...]`` (overlaps skipped)."""
    segments: list[tuple[str, str | None]] = []
    pos = 0
    for m in sorted(mentions, key=lambda m: (m["start"], -m["end"])):
        start, end = int(m["start"]), int(m["end"])
        if start < pos or end > len(text) or start >= end:
            continue
        if start > pos:
            segments.append((text[pos:start], None))
        segments.append((text[start:end], m["entity_id"]))
        pos = end
    if pos < len(text):
        segments.append((text[pos:], None))
    return segments


def paragraphs(segments: list[tuple[str, str | None]]) -> list[list[tuple[str, str | None]]]:
    """Segments grouped into paragraphs at blank lines."""
    out: list[list[tuple[str, str | None]]] = [[]]
    for text, entity_id in segments:
        if entity_id is not None:
            out[-1].append((text, entity_id))
            continue
        parts = re.split(r"\n\s*\n", text)
        for i, part in enumerate(parts):
            if i:
                out.append([])
            if part:
                out[-1].append((part, None))
    return [p for p in out if any(t.strip() for t, _ in p)]


def mark_trigger(sentence: str | None, trigger: str | None) -> Markup:
    """The evidence sentence, escaped, with the words that triggered the event in ``<mark>``."""
    sentence = sentence or ""
    at = sentence.lower().find((trigger or "").lower()) if trigger else -1
    if at < 0:
        return Markup(escape(sentence))
    end = at + len(trigger or "")
    return Markup(f"{escape(sentence[:at])}<mark>{escape(sentence[at:end])}</mark>{escape(sentence[end:])}")


def edit_values(i: dict[str, Any]) -> dict[str, str]:
    """An incident's editable fields as the edit form shows them."""
    return {"type": i["type"] or "", "event_date": i["event_date"] or "", "place": i["place_text"] or "",
            "victims": "; ".join(v.get("text") or "" for v in i["victims"]),
            "count": "" if i["count"] is None else str(i["count"]), "perpetrator": i["perpetrator_text"] or "",
            "legal_article": i["review"]["legal_article"] or "", "notes": i["review"]["notes"] or ""}


def audit_changes(entry: dict[str, Any]) -> list[str]:
    from indexer.audit import changes

    return changes(entry["before"], entry["after"])


FILTERS = {"snippet": snippet_html, "mark_trigger": mark_trigger, "edit_values": edit_values,
           "audit_changes": audit_changes, "safe_href": safe_href, "day": fmt_date, "entity_url": entity_url}
GLOBALS = {"search_url": search_url, "with_filter": with_filter, "entity_url": entity_url}
