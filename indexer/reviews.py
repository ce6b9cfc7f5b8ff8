"""Human review of incidents in the store: review status, fields analysts set, articles they attached or detached.

This is the small interface clustering consults so that human decisions last (:func:`column_overrides`,
:func:`article_pins`, :func:`reviewed`): the machine reads these tables and never writes them. Everything here is
keyed on incident ids and article ids; an incident id that was merged away resolves to its successor through the
store's alias mapping (``Store.resolve_incident``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from indexer.store import Store, utcnow

STATUSES = ("new", "confirmed", "rejected", "merged", "split")
REASONS = ("duplicate", "not_an_incident", "not_in_crimea", "wrong_type", "other")


# ---------------------------------------------------------------------------------------- read (clustering)
def review(store: Store, incident_id: str) -> dict[str, Any]:
    """The review of an incident; ``status`` is 'new' when no one has reviewed it."""
    row = store.conn.execute("SELECT * FROM incident_reviews WHERE incident_id = ?", (incident_id,)).fetchone()
    if row is None:
        return {"status": "new", "reason": None, "merged_into": None, "parts": [], "notes": None,
                "legal_article": None, "reviewed_by": None, "reviewed_at": None}
    return {"status": row["status"], "reason": row["reason"], "merged_into": row["merged_into"],
            "parts": json.loads(row["parts_json"] or "[]"), "notes": row["notes"],
            "legal_article": row["legal_article"], "reviewed_by": row["reviewed_by"],
            "reviewed_at": row["reviewed_at"]}


def reviewed(store: Store, incident_ids: Iterable[str]) -> set[str]:
    """Those of the ids an analyst has decided on (any status but 'new'): the machine never merges or reuses them."""
    ids = list(incident_ids)
    if not ids:
        return set()
    rows = store.conn.execute(
        f"SELECT incident_id FROM incident_reviews WHERE status != 'new' AND incident_id IN "
        f"({','.join('?' * len(ids))})", ids)
    return {r[0] for r in rows}


def statuses(store: Store, incident_ids: Iterable[str]) -> dict[str, str]:
    ids = list(incident_ids)
    out = dict.fromkeys(ids, "new")
    for start in range(0, len(ids), 900):
        chunk = ids[start:start + 900]
        for row in store.conn.execute(
            f"SELECT incident_id, status FROM incident_reviews WHERE incident_id IN ({','.join('?' * len(chunk))})",
            chunk,
        ):
            out[row[0]] = row[1]
    return out


def column_overrides(store: Store, incident_id: str) -> dict[str, Any]:
    """incidents columns an analyst set (they win over the summary clustering computes)."""
    out: dict[str, Any] = {}
    for row in store.conn.execute(
        "SELECT value_json FROM incident_overrides WHERE incident_id = ? ORDER BY field", (incident_id,)
    ):
        out.update({k: v for k, v in json.loads(row[0]).items() if not k.startswith("_")})
    return out


def overridden_fields(store: Store, incident_id: str) -> dict[str, dict[str, Any]]:
    return {row["field"]: {"by": row["set_by"], "at": row["set_at"], "value": json.loads(row["value_json"])}
            for row in store.conn.execute("SELECT * FROM incident_overrides WHERE incident_id = ?", (incident_id,))}


def article_pins(store: Store, article_id: str) -> dict[str, str]:
    """incident id (following merges) -> 'attach' | 'detach' for an article an analyst placed."""
    out: dict[str, str] = {}
    for row in store.conn.execute("SELECT incident_id, action FROM incident_article_pins WHERE article_id = ?",
                                  (article_id,)):
        out[store.resolve_incident(row[0]) or row[0]] = row[1]
    return out


def clustered_types(store: Store, incident_id: str) -> set[str]:
    """The incident's type, and the type clustering gave it if an analyst changed it."""
    types = set()
    row = store.conn.execute("SELECT type FROM incidents WHERE id = ?", (incident_id,)).fetchone()
    if row:
        types.add(row[0])
    override = store.conn.execute("SELECT value_json FROM incident_overrides WHERE incident_id = ? AND field = 'type'",
                                  (incident_id,)).fetchone()
    if override:
        types.add(json.loads(override[0]).get("_clustered_type"))
    return {t for t in types if t}


def incident_pins(store: Store, incident_id: str) -> dict[str, str]:
    """article id -> 'attach' | 'detach' for one incident."""
    return {r[0]: r[1] for r in store.conn.execute(
        "SELECT article_id, action FROM incident_article_pins WHERE incident_id = ?", (incident_id,))}


def queue(store: Store, limit: int = 50, offset: int = 0) -> list[Any]:
    """Active incidents nobody has reviewed, oldest report first."""
    return store.conn.execute(
        "SELECT i.* FROM incidents i LEFT JOIN incident_reviews r ON r.incident_id = i.id "
        "WHERE i.status = 'active' AND (r.status IS NULL OR r.status = 'new') "
        "ORDER BY i.first_reported_at, i.seq LIMIT ? OFFSET ?", (limit, offset)).fetchall()


# ----------------------------------------------------------------------------------------------- write
def set_review(store: Store, incident_id: str, by: str, **fields: Any) -> None:
    """Upsert the review row; ``fields`` are incident_reviews columns (parts as a list)."""
    current = review(store, incident_id)
    merged = {**current, **fields}
    with store.transaction() as tx:
        tx.execute(
            "INSERT INTO incident_reviews (incident_id, status, reason, merged_into, parts_json, notes, legal_article, "
            "reviewed_by, reviewed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(incident_id) DO UPDATE SET "
            "status = excluded.status, reason = excluded.reason, merged_into = excluded.merged_into, "
            "parts_json = excluded.parts_json, notes = excluded.notes, legal_article = excluded.legal_article, "
            "reviewed_by = excluded.reviewed_by, reviewed_at = excluded.reviewed_at",
            (incident_id, merged["status"], merged["reason"], merged["merged_into"],
             json.dumps(merged["parts"]) if merged["parts"] else None, merged["notes"], merged["legal_article"],
             by, utcnow()),
        )


def set_override(store: Store, incident_id: str, field: str, columns: dict[str, Any], by: str) -> None:
    with store.transaction() as tx:
        tx.execute(
            "INSERT INTO incident_overrides (incident_id, field, value_json, set_by, set_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(incident_id, field) DO UPDATE SET value_json = excluded.value_json, set_by = excluded.set_by, "
            "set_at = excluded.set_at",
            (incident_id, field, json.dumps(columns, ensure_ascii=False), by, utcnow()),
        )


def pin(store: Store, article_id: str, incident_id: str, action: str, by: str) -> None:
    with store.transaction() as tx:
        tx.execute(
            "INSERT INTO incident_article_pins (article_id, incident_id, action, set_by, set_at) "
            "VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(article_id, incident_id) DO UPDATE SET action = excluded.action, set_by = excluded.set_by, "
            "set_at = excluded.set_at",
            (article_id, incident_id, action, by, utcnow()),
        )
