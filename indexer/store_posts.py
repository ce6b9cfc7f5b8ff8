"""The store's part for Telegram posts (versions, deletions, links to articles), evidence and time to alert.

A mixin of :class:`indexer.store.Store`: the same connection and transactions, kept apart so each file stays about
one thing.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any


def _utcnow() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def parse_instant(value: str | None) -> datetime | None:
    """An ISO 8601 date or datetime as an aware datetime (a bare date is its midnight UTC; naive times are UTC)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class PostStore:
    conn: sqlite3.Connection

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:  # provided by Store
        raise NotImplementedError

    # --- channels ------------------------------------------------------------------------------------------------
    def telegram_last_post_id(self, source_id: str) -> int:
        row = self.conn.execute("SELECT last_post_id FROM telegram_channels WHERE source_id = ?",
                                (source_id,)).fetchone()
        return int(row[0]) if row else 0

    def record_post_window(self, source_id: str, channel: str, low: int, high: int, seen: list[int],
                           fetched_at: str) -> list[int]:
        """Account one page of a channel: posts stored in [low, high] and not on it are marked deleted (once);
        a post seen again is not deleted any more. Returns the post ids newly marked deleted."""
        with self.transaction() as tx:
            top = max([*seen, 0])
            tx.execute(
                "INSERT INTO telegram_channels (source_id, channel, last_post_id, last_polled_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(source_id) DO UPDATE SET channel = excluded.channel, "
                "last_post_id = MAX(last_post_id, excluded.last_post_id), last_polled_at = excluded.last_polled_at",
                (source_id, channel, top, fetched_at),
            )
            placeholders = ",".join("?" * len(seen)) or "NULL"
            if seen:
                tx.execute(f"UPDATE telegram_posts SET deleted_at = NULL WHERE source_id = ? AND post_id IN "
                           f"({placeholders})", [source_id, *seen])
            gone = [int(r[0]) for r in tx.execute(
                f"SELECT post_id FROM telegram_posts WHERE source_id = ? AND post_id BETWEEN ? AND ? "
                f"AND deleted_at IS NULL AND post_id NOT IN ({placeholders})", [source_id, low, high, *seen])]
            if gone:
                tx.execute(f"UPDATE telegram_posts SET deleted_at = ? WHERE source_id = ? AND post_id IN "
                           f"({','.join('?' * len(gone))})", [fetched_at, source_id, *gone])
        return gone

    # --- posts ---------------------------------------------------------------------------------------------------
    def save_post(self, article_id: str, source_id: str, post: Any, fetched_at: str) -> None:
        """Insert or refresh a post's row (views, last seen); ``post`` is an ``items.PostInfo``."""
        with self.transaction() as tx:
            tx.execute(
                "INSERT INTO telegram_posts (article_id, source_id, channel, post_id, posted_at, views, "
                "forwarded_from, reply_to, links_json, captions_json, first_seen_at, last_seen_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(article_id) DO UPDATE SET "
                "views = COALESCE(excluded.views, views), links_json = excluded.links_json, "
                "captions_json = excluded.captions_json, last_seen_at = excluded.last_seen_at, deleted_at = NULL",
                (article_id, source_id, post.channel, post.post_id, post.posted_at, post.views, post.forwarded_from,
                 post.reply_to, json.dumps(post.links, ensure_ascii=False),
                 json.dumps(post.captions, ensure_ascii=False), fetched_at, fetched_at),
            )

    def add_post_version(self, article_id: str, text: str, content_hash: str, edited: bool, seen_at: str,
                         snapshot_id: int | None) -> int:
        """Keep a text of a post; the same text as its latest version adds nothing. Returns the version number."""
        with self.transaction() as tx:
            last = tx.execute("SELECT version, content_hash FROM telegram_post_versions WHERE article_id = ? "
                              "ORDER BY version DESC LIMIT 1", (article_id,)).fetchone()
            if last is not None and last[1] == content_hash:
                return int(last[0])
            version = int(last[0]) + 1 if last else 1
            tx.execute("INSERT INTO telegram_post_versions (article_id, version, text, content_hash, edited, "
                       "seen_at, snapshot_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (article_id, version, text, content_hash, int(edited), seen_at, snapshot_id))
        return version

    def add_post_links(self, article_id: str, links: list[tuple[str, str]]) -> None:
        """(url, target article id) pairs: the article a post cites has the id of its canonical URL."""
        with self.transaction() as tx:
            tx.executemany("INSERT OR IGNORE INTO post_links (post_article_id, url, target_article_id) "
                           "VALUES (?, ?, ?)", [(article_id, url, target) for url, target in links])

    def post(self, article_id: str) -> sqlite3.Row | None:
        return self.conn.execute("SELECT * FROM telegram_posts WHERE article_id = ?", (article_id,)).fetchone()

    def post_versions(self, article_id: str) -> list[sqlite3.Row]:
        return self.conn.execute(
            "SELECT v.version, v.text, v.content_hash, v.edited, v.seen_at, v.snapshot_id, s.sha256 "
            "FROM telegram_post_versions v LEFT JOIN snapshots s ON s.id = v.snapshot_id "
            "WHERE v.article_id = ? ORDER BY v.version", (article_id,)).fetchall()

    def posts_among(self, article_ids: list[str]) -> set[str]:
        """Which of these articles are Telegram posts."""
        if not article_ids:
            return set()
        rows = self.conn.execute(f"SELECT article_id FROM telegram_posts WHERE article_id IN "
                                 f"({','.join('?' * len(article_ids))})", article_ids)
        return {r[0] for r in rows}

    def channel_posts(self, source_id: str) -> list[sqlite3.Row]:
        return self.conn.execute("SELECT * FROM telegram_posts WHERE source_id = ? ORDER BY post_id",
                                 (source_id,)).fetchall()

    def linked_articles(self, article_id: str) -> list[str]:
        """Articles a post cites, and posts citing an article."""
        rows = self.conn.execute(
            "SELECT target_article_id FROM post_links WHERE post_article_id = ? "
            "UNION SELECT post_article_id FROM post_links WHERE target_article_id = ?", (article_id, article_id))
        return [r[0] for r in rows]

    def article_incidents(self, article_id: str) -> list[tuple[str, str, int]]:
        """(incident id, type, seq) of the active incidents an article reports."""
        return [(r[0], r[1], r[2]) for r in self.conn.execute(
            "SELECT DISTINCT i.id, i.type, i.seq FROM incident_mentions m JOIN incidents i ON i.id = m.incident_id "
            "WHERE m.article_id = ? AND i.status = 'active'", (article_id,))]

    def event_incidents(self, article_id: str) -> dict[str, str]:
        """Event id -> the incident it was clustered into, for one article."""
        return {r[0]: r[1] for r in self.conn.execute(
            "SELECT event_id, incident_id FROM incident_mentions WHERE article_id = ?", (article_id,))}

    # --- evidence ------------------------------------------------------------------------------------------------
    def snapshot_id(self, article_id: str, url: str, sha256: str) -> int | None:
        row = self.conn.execute("SELECT id FROM snapshots WHERE article_id = ? AND url = ? AND sha256 = ?",
                                (article_id, url, sha256)).fetchone()
        return int(row[0]) if row else None

    def snapshot_rows(self, article_id: str) -> Iterator[sqlite3.Row]:
        """Every stored snapshot of an article with its raw (compressed) body and HTTP exchange, oldest first."""
        yield from self.conn.execute(
            "SELECT id, url, sha256, first_fetched_at, last_fetched_at, http_status, content_type, encoding, size, "
            "html_zlib, exchange_json FROM snapshots WHERE article_id = ? ORDER BY first_fetched_at, id",
            (article_id,))

    # --- time to alert -------------------------------------------------------------------------------------------
    def record_incident_timing(self, incident_id: str, alerted_at: str | None = None) -> None:
        """Remember, once per incident, its first report's publication and fetch times and when it alerted."""
        first = self.conn.execute(
            "SELECT a.id, a.published_at, a.first_seen_at FROM incident_mentions m JOIN articles a "
            "ON a.id = m.article_id WHERE m.incident_id = ? "
            "ORDER BY COALESCE(a.published_at, a.first_seen_at), a.id LIMIT 1", (incident_id,)).fetchone()
        if first is None:
            return
        alerted_at = alerted_at or _utcnow()
        published = parse_instant(first["published_at"])
        alerted = parse_instant(alerted_at)
        delay = (alerted - published).total_seconds() if published and alerted else None
        with self.transaction() as tx:
            tx.execute("INSERT OR IGNORE INTO incident_timing (incident_id, first_article_id, published_at, "
                       "fetched_at, alerted_at, delay_seconds) VALUES (?, ?, ?, ?, ?, ?)",
                       (incident_id, first["id"], first["published_at"], first["first_seen_at"], alerted_at, delay))

    def alert_delays(self) -> list[float]:
        return [float(r[0]) for r in self.conn.execute(
            "SELECT delay_seconds FROM incident_timing WHERE delay_seconds IS NOT NULL ORDER BY delay_seconds")]

    def incident_timing(self, incident_id: str) -> sqlite3.Row | None:
        return self.conn.execute("SELECT * FROM incident_timing WHERE incident_id = ?", (incident_id,)).fetchone()


def delay_summary(delays: list[float]) -> dict[str, float | int | None]:
    """Median and 95th percentile (nearest rank) of publication-to-alert delays, in seconds."""
    if not delays:
        return {"incidents": 0, "median_seconds": None, "p95_seconds": None}
    ordered = sorted(delays)
    n = len(ordered)
    median = ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2
    p95 = ordered[min(n - 1, max(0, -(-95 * n // 100) - 1))]
    return {"incidents": n, "median_seconds": median, "p95_seconds": p95}
