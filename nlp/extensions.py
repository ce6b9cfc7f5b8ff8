"""Doc and Span extension attributes shared by our spaCy components (the NLP output contract).

Registration is idempotent: every component module calls :func:`register` on import, and re-registering with the
same defaults (``force=True``) is harmless, so importing modules in any order works.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from spacy.tokens import Doc, Span

import items

__all__ = ["register"]

_DOC_ATTRS: dict[str, object] = {
    "published_at": None,  # str | None: ISO date/datetime, set by the caller before the pipeline runs
}


def _event(data: dict[str, Any]) -> items.Event:
    return items.Event(**{**data, "victims": [items.Victim(**v) for v in data.get("victims", [])]})


# Results are kept in doc.user_data as plain dicts and turned back into records on access: nlp.pipe(n_process>1)
# sends docs between processes with msgpack, which cannot carry dataclasses.
_RECORD_ATTRS: dict[str, tuple[Any, bool]] = {
    "relevance": (lambda d: items.Relevance(**d), False),  # items.Relevance
    "events": (_event, True),  # list[items.Event]
    "quotes": (lambda d: items.Quote(**d), True),  # list[items.Quote]
    "claims": (lambda d: items.Claim(**d), True),  # list[items.Claim]
}


def _record_property(name: str, build: Any, many: bool) -> tuple[Any, Any]:
    key = f"crimea_{name}"

    def getter(doc: Doc) -> Any:
        data = doc.user_data.get(key)
        if data is None:
            return None
        return [build(d) for d in data] if many else build(data)

    def setter(doc: Doc, value: Any) -> None:
        if value is None:
            doc.user_data.pop(key, None)
        else:
            doc.user_data[key] = [asdict(v) for v in value] if many else asdict(value)

    return getter, setter
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
    for name, (build, many) in _RECORD_ATTRS.items():
        if not Doc.has_extension(name):
            getter, setter = _record_property(name, build, many)
            Doc.set_extension(name, getter=getter, setter=setter)
    for name, default in _SPAN_ATTRS.items():
        if not Span.has_extension(name):
            Span.set_extension(name, default=default)
    _done = True


register()
