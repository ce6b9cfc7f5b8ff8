"""The audit trail: every human action, appended with who, when, what, before and after.

Rows are append-only (triggers refuse UPDATE and DELETE) and chained: each row's hash is the SHA-256 of the
previous row's hash and the row's own canonical JSON, so editing, deleting or reordering a row with the triggers
dropped breaks the chain at that row, and :func:`verify` names it.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from indexer.store import Store, utcnow

GENESIS = "0" * 64


def _canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def row_hash(prev_hash: str, at: str, actor: str, action: str, subject: str, before_json: str,
             after_json: str) -> str:
    body = _canonical([prev_hash, at, actor, action, subject, before_json, after_json])
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def append(store: Store, actor: str, action: str, subject: str, before: Any = None, after: Any = None) -> int:
    """Append one action; call it inside the transaction that makes the change, so both land or neither."""
    with store.transaction() as tx:
        last = tx.execute("SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
        prev = last[0] if last else GENESIS
        at = utcnow()
        before_json, after_json = _canonical(before), _canonical(after)
        digest = row_hash(prev, at, actor, action, subject, before_json, after_json)
        cur = tx.execute(
            "INSERT INTO audit_log (at, actor, action, subject, before_json, after_json, prev_hash, hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (at, actor, action, subject, before_json, after_json, prev, digest),
        )
        return int(cur.lastrowid or 0)


@dataclass(frozen=True)
class ChainReport:
    rows: int
    broken_at: int | None = None  # seq of the first row that does not fit the chain
    problem: str = ""
    head: str = GENESIS  # the last row's hash: noted elsewhere, it also reveals rows cut off the end

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify(store: Store) -> ChainReport:
    prev = GENESIS
    n = 0
    for row in store.conn.execute("SELECT * FROM audit_log ORDER BY seq"):
        n += 1
        if row["prev_hash"] != prev:
            return ChainReport(n, row["seq"], "its previous-row hash does not match the row before it "
                                              "(a row was removed or inserted)")
        expected = row_hash(row["prev_hash"], row["at"], row["actor"], row["action"], row["subject"],
                            row["before_json"], row["after_json"])
        if row["hash"] != expected:
            return ChainReport(n, row["seq"], "its content does not match its hash (the row was edited)")
        prev = row["hash"]
    return ChainReport(n, head=prev)


def entries(store: Store, subject: str | None = None, subjects: list[str] | None = None,
            limit: int = 200) -> list[dict[str, Any]]:
    """Newest first; ``subject``/``subjects``: only actions on these (an incident id and its former ids)."""
    where, params = "", []
    wanted = [*(subjects or []), *([subject] if subject else [])]
    if wanted:
        where = f"WHERE subject IN ({','.join('?' * len(wanted))})"
        params = wanted
    rows = store.conn.execute(f"SELECT * FROM audit_log {where} ORDER BY seq DESC LIMIT ?", [*params, limit])
    return [_entry(row) for row in rows]


def changes(before: Any, after: Any) -> list[str]:
    """What an action changed, one ``field: old -> new`` line per field (the whole after-value if not a dict)."""
    if not isinstance(before, dict) or not isinstance(after, dict):
        return [] if after is None else [_canonical(after)[:300]]
    return [f"{k}: {_short(before.get(k))} -> {_short(after.get(k))}" for k in after if before.get(k) != after.get(k)]


def _short(value: Any) -> str:
    text = _canonical(value)
    return text if len(text) <= 160 else text[:157] + "..."


def _entry(row: sqlite3.Row) -> dict[str, Any]:
    return {"seq": row["seq"], "at": row["at"], "actor": row["actor"], "action": row["action"],
            "subject": row["subject"], "before": json.loads(row["before_json"]),
            "after": json.loads(row["after_json"]), "hash": row["hash"]}
