"""Doc and Span extension attributes shared by our spaCy components (the NLP output contract).

Registration is idempotent: every component module calls :func:`register` on import, and re-registering with the
same defaults (``force=True``) is harmless, so importing modules in any order works.
"""

from __future__ import annotations

from spacy.tokens import Doc, Span

__all__ = ["register"]

_DOC_ATTRS: dict[str, object] = {
    "published_at": None,  # str | None: ISO date/datetime, set by the caller before the pipeline runs
    "relevance": None,  # items.Relevance
    "events": None,  # list[items.Event]
    "quotes": None,  # list[items.Quote]
    "claims": None,  # list[items.Claim]
}
_SPAN_ATTRS: dict[str, object] = {
    "entity_id": None,  # str | None
    "entity_name": None,  # str | None
}
_done = False


def register() -> None:
    """Register every extension once per process (safe to call many times)."""
    global _done
    if _done:
        return
    for name, default in _DOC_ATTRS.items():
        if not Doc.has_extension(name):
            Doc.set_extension(name, default=default)
    for name, default in _SPAN_ATTRS.items():
        if not Span.has_extension(name):
            Span.set_extension(name, default=default)
    _done = True


register()
