"""Incident review: what analysts decide about incidents, each action one transaction with its audit row.

An incident starts ``new``; an analyst confirms it, rejects it (with a reason), merges it into another or splits
it into several. Analysts also correct its fields and attach or detach articles. Decisions are stored apart from
what clustering computes (``indexer.reviews``) and clustering consults them, so they survive re-enrichment:

* confirming freezes the incident's fields as they are (a field the analyst edits later is frozen at the new
  value) and pins its articles to it;
* rejecting keeps the incident, and its articles, out of the queue for good;
* a merged or split incident keeps its id in the audit trail and is never reused or merged back by clustering.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from indexer import audit, reviews
from indexer.store import Store
from pipelines.incidents import date_interval, incident_id_for, summarise

EDITABLE = ("type", "event_date", "place", "victims", "count", "perpetrator", "legal_article", "notes")
FROZEN_ON_CONFIRM = ("type", "event_date", "place", "victims", "count", "perpetrator")
_COLUMNS = {
    "type": ("type",),
    "event_date": ("event_date", "date_precision", "date_start", "date_end"),
    "place": ("place_id", "place_text", "lat", "lon"),
    "victims": ("victims_json",),
    "count": ("count",),
    "perpetrator": ("perpetrator_id", "perpetrator_text"),
}


class ReviewError(ValueError):
    """A review action that cannot be done (unknown incident, bad value, wrong state); the message says why."""


def _event_types() -> tuple[str, ...]:
    from nlp.events import EVENT_TYPES

    return EVENT_TYPES


def _current(store: Store, incident_id: str) -> Any:
    row = store.incident(incident_id)
    if row is None:
        raise ReviewError(f"no incident with id {incident_id}")
    return row


def article_ids(store: Store, incident_id: str) -> list[str]:
    return [a["id"] for a in store.incident_articles(incident_id)]


def state(store: Store, incident_id: str) -> dict[str, Any]:
    """What an analyst sees and decides on: the before and after of an audit row."""
    row = store.conn.execute("SELECT * FROM incidents WHERE id = ?", (incident_id,)).fetchone()
    rev = reviews.review(store, incident_id)
    out: dict[str, Any] = {"status": rev["status"], "reason": rev["reason"], "merged_into": rev["merged_into"],
                           "parts": rev["parts"], "legal_article": rev["legal_article"], "notes": rev["notes"]}
    if row is not None:
        out.update({
            "type": row["type"], "event_date": row["event_date"], "place": row["place_text"],
            "victims": [v.get("name") or v.get("text") for v in json.loads(row["victims_json"] or "[]")],
            "count": row["count"], "perpetrator": row["perpetrator_text"],
            "articles": article_ids(store, incident_id),
        })
    return out


def _entity(store: Store, prefix: str, name: str) -> Any:
    return store.conn.execute(
        "SELECT id, name, lat, lon FROM entities WHERE id LIKE ? AND lower(name) = lower(?) ORDER BY in_gazetteer DESC",
        (prefix + ":%", name),
    ).fetchone()


def field_columns(store: Store, field: str, value: Any) -> dict[str, Any]:
    """The incidents columns an analyst's value for ``field`` sets (validated; ReviewError says what is wrong)."""
    text = value.strip() if isinstance(value, str) else value
    if field == "type":
        if text not in _event_types():
            raise ReviewError(f"type: unknown incident type {text!r}; use one of {', '.join(_event_types())}")
        return {"type": text}
    if field == "event_date":
        if not text:
            return {"event_date": None, "date_precision": None, "date_start": None, "date_end": None}
        precision = {4: "year", 7: "month", 10: "day"}.get(len(str(text)))
        try:
            if precision is None:
                raise ValueError
            date.fromisoformat(str(text) + {"year": "-01-01", "month": "-01", "day": ""}[precision])
        except ValueError:
            raise ReviewError(f"event_date: {text!r} is not a date; use YYYY-MM-DD, YYYY-MM or YYYY") from None
        start, end = date_interval(text, precision, None, False)
        return {"event_date": text, "date_precision": precision, "date_start": start.isoformat() if start else None,
                "date_end": end.isoformat() if end else None}
    if field == "place":
        found = _entity(store, "place", text) if text else None
        return {"place_id": found["id"] if found else None, "place_text": (found["name"] if found else text) or None,
                "lat": found["lat"] if found else None, "lon": found["lon"] if found else None}
    if field == "victims":
        names = [n.strip() for n in (text.split(";") if isinstance(text, str) else text or []) if n and n.strip()]
        victims = []
        for name in names:
            found = _entity(store, "person", name)
            victims.append({"text": name, "name": found["name"] if found else name,
                            "entity_id": found["id"] if found else None})
        return {"victims_json": json.dumps(victims, ensure_ascii=False)}
    if field == "count":
        if text in (None, ""):
            return {"count": None}
        try:
            count = int(text)
        except (TypeError, ValueError):
            raise ReviewError(f"count: {text!r} is not a whole number") from None
        if not 0 <= count <= 100_000:
            raise ReviewError(f"count: {count} is out of range (0-100000)")
        return {"count": count}
    if field == "perpetrator":
        found = _entity(store, "org", text) if text else None
        return {"perpetrator_id": found["id"] if found else None,
                "perpetrator_text": (found["name"] if found else text) or None}
    raise ReviewError(f"{field}: not an editable field; edit one of {', '.join(EDITABLE)}")


def _freeze(store: Store, incident_id: str, by: str) -> None:
    """Keep the incident's fields as they are now, unless an analyst already set them."""
    row = store.conn.execute("SELECT * FROM incidents WHERE id = ?", (incident_id,)).fetchone()
    have = reviews.overridden_fields(store, incident_id)
    for field in FROZEN_ON_CONFIRM:
        if field not in have:
            reviews.set_override(store, incident_id, field, {c: row[c] for c in _COLUMNS[field]}, by)


def _pin_articles(store: Store, incident_id: str, by: str) -> None:
    pins = reviews.incident_pins(store, incident_id)
    for article_id in article_ids(store, incident_id):
        if article_id not in pins:
            reviews.pin(store, article_id, incident_id, "attach", by)


def _open(store: Store, incident_id: str, allowed: tuple[str, ...] = ("new", "confirmed", "rejected")) -> str:
    row = _current(store, incident_id)
    status = reviews.review(store, row["id"])["status"]
    if status not in allowed:
        raise ReviewError(f"{row['id']} is {status}; only a {' or '.join(allowed)} incident can be changed so")
    return str(row["id"])


def confirm(store: Store, incident_id: str, by: str, notes: str | None = None) -> str:
    with store.transaction():
        current = _open(store, incident_id)
        before = state(store, current)
        _freeze(store, current, by)
        _pin_articles(store, current, by)
        reviews.set_review(store, current, by, status="confirmed", reason=None,
                           **({"notes": notes} if notes is not None else {}))
        audit.append(store, by, "review.confirm", current, before, state(store, current))
    return current


def reject(store: Store, incident_id: str, by: str, reason: str, notes: str | None = None) -> str:
    if reason not in reviews.REASONS:
        raise ReviewError(f"reason: {reason!r} is not a reason; use one of {', '.join(reviews.REASONS)}")
    with store.transaction():
        current = _open(store, incident_id)
        before = state(store, current)
        _pin_articles(store, current, by)
        reviews.set_review(store, current, by, status="rejected", reason=reason,
                           **({"notes": notes} if notes is not None else {}))
        audit.append(store, by, "review.reject", current, before, state(store, current))
    return current


def edit(store: Store, incident_id: str, by: str, changes: dict[str, Any]) -> str:
    unknown = [f for f in changes if f not in EDITABLE]
    if unknown:
        raise ReviewError(f"{unknown[0]}: not an editable field; edit one of {', '.join(EDITABLE)}")
    if not changes:
        raise ReviewError("nothing to change: give at least one field")
    with store.transaction():
        current = _open(store, incident_id)
        before = state(store, current)
        review_fields = {f: (str(v).strip() or None) if v is not None else None for f, v in changes.items()
                         if f in ("legal_article", "notes")}
        for field, value in changes.items():
            if field in _COLUMNS:
                columns = field_columns(store, field, value)
                if field == "type":  # remembered, so the incident's own reports still find it
                    columns["_clustered_type"] = (reviews.overridden_fields(store, current).get("type", {})
                                                  .get("value", {}).get("_clustered_type") or before["type"])
                reviews.set_override(store, current, field, columns, by)
        if review_fields or reviews.review(store, current)["reviewed_by"] is None:
            reviews.set_review(store, current, by, **review_fields)
        summarise(store, current)
        audit.append(store, by, "review.edit", current, before, state(store, current))
    return current


def merge(store: Store, incident_id: str, into: str, by: str) -> str:
    with store.transaction():
        gone = _open(store, incident_id)
        keep = _open(store, into)
        if gone == keep:
            raise ReviewError(f"{incident_id} and {into} are the same incident")
        before = {"merged": state(store, gone), "into": state(store, keep)}
        moved = article_ids(store, gone)
        store.merge_incidents(keep, [gone])
        with store.transaction() as tx:  # the merged incident's pins now hold for the survivor
            tx.execute("UPDATE OR REPLACE incident_article_pins SET incident_id = ? WHERE incident_id = ?",
                       (keep, gone))
        for article_id in moved:
            reviews.pin(store, article_id, keep, "attach", by)
        reviews.set_review(store, gone, by, status="merged", merged_into=keep)
        summarise(store, keep)
        audit.append(store, by, "review.merge", gone, before, {"merged": state(store, gone),
                                                              "into": state(store, keep)})
    return keep


def split(store: Store, incident_id: str, parts: list[list[str]], by: str) -> list[str]:
    """Split an incident's articles into new incidents (every article in exactly one part, two parts at least)."""
    with store.transaction():
        source = _open(store, incident_id, ("new", "confirmed"))
        articles = article_ids(store, source)
        flat = [a for part in parts for a in part]
        if len(parts) < 2 or any(not part for part in parts):
            raise ReviewError("split: give at least two non-empty parts")
        if sorted(flat) != sorted(articles):
            missing = sorted(set(articles) - set(flat))
            extra = sorted(set(flat) - set(articles)) or sorted({a for a in flat if flat.count(a) > 1})
            raise ReviewError(f"split: every article of {source} must be in exactly one part "
                              f"(missing: {', '.join(missing) or '-'}; not in it or twice: {', '.join(extra) or '-'})")
        before = state(store, source)
        kind = store.incident_state(source)
        new_ids = []
        for n, part in enumerate(parts, 1):
            new_id = incident_id_for(f"{source}/split/{n}")
            store.create_incident(new_id, kind[1] if kind else before["type"])
            with store.transaction() as tx:
                tx.execute(
                    f"UPDATE incident_mentions SET incident_id = ? WHERE incident_id = ? AND article_id IN "
                    f"({','.join('?' * len(part))})", [new_id, source, *part])
            for article_id in part:
                reviews.pin(store, article_id, source, "detach", by)
                reviews.pin(store, article_id, new_id, "attach", by)
            summarise(store, new_id)
            new_ids.append(new_id)
        summarise(store, source)
        reviews.set_review(store, source, by, status="split", parts=new_ids)
        audit.append(store, by, "review.split", source, before,
                     {**state(store, source), "parts": {i: state(store, i) for i in new_ids}})
    return new_ids


def attach(store: Store, incident_id: str, article_id: str, by: str) -> str:
    """Link a further article to an incident (its events of the incident's type move there, if it has any)."""
    with store.transaction():
        current = _open(store, incident_id)
        if store.article(article_id) is None:
            raise ReviewError(f"no article with id {article_id}")
        before = state(store, current)
        kind = store.incident_state(current)
        moved_from = _move_mentions(store, article_id, current, kind[1] if kind else None)
        reviews.pin(store, article_id, current, "attach", by)
        for other in moved_from:
            summarise(store, other)
        summarise(store, current)
        audit.append(store, by, "review.attach", current, before, {**state(store, current), "article": article_id})
    return current


def _move_mentions(store: Store, article_id: str, incident_id: str, event_type: str | None) -> set[str]:
    with store.transaction() as tx:
        rows = tx.execute(
            "SELECT m.event_id, m.incident_id FROM incident_mentions m JOIN events e ON e.id = m.event_id "
            "WHERE m.article_id = ? AND e.type = ? AND m.incident_id != ?", (article_id, event_type, incident_id)
        ).fetchall()
        for row in rows:
            tx.execute("UPDATE incident_mentions SET incident_id = ? WHERE event_id = ?", (incident_id, row[0]))
    return {row[1] for row in rows}


def detach(store: Store, incident_id: str, article_id: str, by: str) -> str:
    """Take a wrongly clustered article out of an incident; clustering never puts it back."""
    with store.transaction():
        current = _open(store, incident_id)
        if article_id not in article_ids(store, current):
            raise ReviewError(f"article {article_id} is not one of the reports of {current}")
        before = state(store, current)
        with store.transaction() as tx:
            tx.execute("DELETE FROM incident_mentions WHERE incident_id = ? AND article_id = ?", (current, article_id))
        reviews.pin(store, article_id, current, "detach", by)
        summarise(store, current)
        audit.append(store, by, "review.detach", current, before, {**state(store, current), "article": article_id})
    return current
