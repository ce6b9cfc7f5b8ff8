"""The store: one SQLite file in WAL mode, the system of record.

The schema is built by numbered migrations (``indexer/migrations/NNNN_name.sql``), applied in order, each once.
Every write is an upsert keyed by a deterministic id, so re-running any stage never duplicates a row, and a
process killed mid-way loses at most the item it was writing (which is simply processed again).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from items import Enrichment, Evidence


class StoreError(RuntimeError):
    """The store cannot be opened or written (locked, full disk, not a database); the message says which."""


def utcnow() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def article_id_for(canonical_url: str) -> str:
    """The deterministic id of an article: the first 16 hex digits of SHA-256 of its canonical URL."""
    return hashlib.sha256(canonical_url.encode("utf-8")).hexdigest()[:16]


def _migrations() -> list[tuple[int, str, str]]:
    found = []
    for entry in resources.files("indexer.migrations").iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), name, entry.read_text(encoding="utf-8")))
    return sorted(found)


@dataclass(frozen=True)
class StoredArticle:
    id: str
    url: str
    source_id: str
    title: str
    text: str
    author: str | None
    lang: str | None
    published_at: str | None
    first_seen_at: str
    fetched_at: str
    content_hash: str
    near_duplicate_of: str | None
    near_duplicate_score: float | None
    status: str


_ARTICLE_COLUMNS = ", ".join(StoredArticle.__dataclass_fields__)


class Store:
    """A connection to the store. Open with ``Store.open(path)``; use as a context manager to close."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path
        self._depth = 0  # transactions nest: the outermost one commits

    @classmethod
    def open(cls, path: str | Path) -> Store:
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=30000")
            store = cls(conn, path)
            store.migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open the store at {path}: {exc}") from exc
        except OSError as exc:
            raise StoreError(f"cannot create the store at {path}: {exc}") from exc
        return store

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic write; full-disk and lock errors surface as StoreError with the cause.

        Nested calls join the outer transaction, so several writes of one item commit together.
        """
        if self._depth:
            self._depth += 1
            try:
                yield self.conn
            finally:
                self._depth -= 1
            return
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StoreError(f"the store at {self.path} is not writable: {exc}") from exc
        self._depth = 1
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        finally:
            self._depth = 0
        try:
            self.conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            self.conn.execute("ROLLBACK")
            raise StoreError(f"the store at {self.path} could not commit: {exc}") from exc

    # --- schema ------------------------------------------------------------------------------------------------
    def migrate(self) -> list[int]:
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied_at TEXT)"
        )
        applied = {row[0] for row in self.conn.execute("SELECT version FROM schema_migrations")}
        done = []
        for version, name, sql in _migrations():
            if version in applied:
                continue
            # executescript commits on its own, so the migration and its bookkeeping share one script.
            bookkeeping = (
                f"INSERT INTO schema_migrations VALUES ({version}, '{name}', '{utcnow()}');"
            )
            self.conn.executescript(f"BEGIN;\n{sql}\n{bookkeeping}\nCOMMIT;")
            done.append(version)
        return done

    def schema_version(self) -> int:
        row = self.conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
        return int(row[0] or 0)

    # --- sources -----------------------------------------------------------------------------------------------
    def upsert_source(self, source_id: str, name: str, kind: str, config: dict[str, Any]) -> None:
        with self.transaction() as tx:
            tx.execute(
                "INSERT INTO sources (id, name, kind, config_json, updated_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET name=excluded.name, kind=excluded.kind, "
                "config_json=excluded.config_json, updated_at=excluded.updated_at",
                (source_id, name, kind, json.dumps(config, sort_keys=True), utcnow()),
            )

    # --- conditional GET state ---------------------------------------------------------------------------------
    def fetch_state(self, url: str) -> sqlite3.Row | None:
        return self.conn.execute("SELECT * FROM fetch_state WHERE url = ?", (url,)).fetchone()

    def record_fetch(
        self, url: str, source_id: str, status: int, etag: str | None = None, last_modified: str | None = None
    ) -> None:
        """A successful poll: keep the validators of a 200, keep the old ones on a 304."""
        with self.transaction() as tx:
            tx.execute(
                "INSERT INTO fetch_state (url, source_id, etag, last_modified, last_status, last_fetched, errors) "
                "VALUES (?, ?, ?, ?, ?, ?, 0) ON CONFLICT(url) DO UPDATE SET "
                "etag=CASE WHEN excluded.last_status = 304 THEN fetch_state.etag ELSE excluded.etag END, "
                "last_modified=CASE WHEN excluded.last_status = 304 THEN fetch_state.last_modified "
                "ELSE excluded.last_modified END, "
                "last_status=excluded.last_status, last_fetched=excluded.last_fetched, errors=0, last_error=NULL",
                (url, source_id, etag, last_modified, status, utcnow()),
            )

    def record_fetch_error(self, url: str, source_id: str, error: str, status: int | None = None) -> None:
        with self.transaction() as tx:
            tx.execute(
                "INSERT INTO fetch_state (url, source_id, last_status, last_fetched, errors, last_error) "
                "VALUES (?, ?, ?, ?, 1, ?) ON CONFLICT(url) DO UPDATE SET errors=fetch_state.errors + 1, "
                "last_error=excluded.last_error, last_status=excluded.last_status, "
                "last_fetched=excluded.last_fetched",
                (url, source_id, status, utcnow(), error),
            )

    # --- frontier ----------------------------------------------------------------------------------------------
    def discover(
        self,
        url: str,
        source_id: str,
        discovered_from: str | None = None,
        feed_title: str | None = None,
        feed_published_at: str | None = None,
    ) -> str:
        """Record a discovered article URL (once); return its state: pending, done, skipped or failed."""
        with self.transaction() as tx:
            tx.execute(
                "INSERT INTO frontier (url, source_id, discovered_at, discovered_from, feed_title, "
                "feed_published_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(url) DO NOTHING",
                (url, source_id, utcnow(), discovered_from, feed_title, feed_published_at, utcnow()),
            )
            row = tx.execute("SELECT state FROM frontier WHERE url = ?", (url,)).fetchone()
        return str(row["state"])

    def pending(self, source_id: str) -> list[sqlite3.Row]:
        return self.conn.execute(
            "SELECT * FROM frontier WHERE source_id = ? AND state = 'pending' ORDER BY discovered_at, url",
            (source_id,),
        ).fetchall()

    def frontier_entry(self, url: str) -> sqlite3.Row | None:
        return self.conn.execute("SELECT * FROM frontier WHERE url = ?", (url,)).fetchone()

    def mark_skipped(self, url: str, source_id: str, reason: str) -> None:
        """A URL that will never make an article (404, robots.txt, not HTML, too short ...): kept with its reason."""
        with self.transaction() as tx:
            tx.execute(
                "INSERT INTO frontier (url, source_id, discovered_at, state, reason, attempts, updated_at) "
                "VALUES (?, ?, ?, 'skipped', ?, 1, ?) ON CONFLICT(url) DO UPDATE SET state='skipped', "
                "reason=excluded.reason, attempts=frontier.attempts + 1, updated_at=excluded.updated_at",
                (url, source_id, utcnow(), reason, utcnow()),
            )

    def mark_failed_attempt(self, url: str, source_id: str, reason: str, max_attempts: int) -> str:
        """A transient failure: stays pending for the next crawl until ``max_attempts``, then fails for good."""
        with self.transaction() as tx:
            tx.execute(
                "INSERT INTO frontier (url, source_id, discovered_at, reason, attempts, updated_at) "
                "VALUES (?, ?, ?, ?, 1, ?) ON CONFLICT(url) DO UPDATE SET attempts=frontier.attempts + 1, "
                "reason=excluded.reason, updated_at=excluded.updated_at",
                (url, source_id, utcnow(), reason, utcnow()),
            )
            tx.execute(
                "UPDATE frontier SET state='failed' WHERE url = ? AND state = 'pending' AND attempts >= ?",
                (url, max_attempts),
            )
            row = tx.execute("SELECT state FROM frontier WHERE url = ?", (url,)).fetchone()
        return str(row["state"])

    def frontier_counts(self) -> dict[str, int]:
        rows = self.conn.execute("SELECT state, COUNT(*) FROM frontier GROUP BY state").fetchall()
        return {row[0]: row[1] for row in rows}

    def frontier_problems(self, limit: int = 50) -> list[sqlite3.Row]:
        return self.conn.execute(
            "SELECT url, source_id, state, reason, attempts FROM frontier "
            "WHERE state IN ('skipped', 'failed') OR (state = 'pending' AND attempts > 0) "
            "ORDER BY updated_at DESC LIMIT ?",
            (limit,),
        ).fetchall()

    # --- articles ----------------------------------------------------------------------------------------------
    def article(self, article_id: str) -> StoredArticle | None:
        row = self.conn.execute(
            f"SELECT {_ARTICLE_COLUMNS} FROM articles WHERE id = ?", (article_id,)
        ).fetchone()
        return StoredArticle(**dict(row)) if row else None

    def content_hash_of(self, article_id: str) -> str | None:
        row = self.conn.execute("SELECT content_hash FROM articles WHERE id = ?", (article_id,)).fetchone()
        return str(row[0]) if row else None

    def article_id_by_url(self, url: str) -> str | None:
        row = self.conn.execute("SELECT id FROM articles WHERE url = ?", (url,)).fetchone()
        if row:
            return str(row[0])
        row = self.conn.execute("SELECT article_id FROM article_urls WHERE url = ?", (url,)).fetchone()
        return str(row[0]) if row else None

    def article_by_content_hash(self, content_hash: str) -> str | None:
        row = self.conn.execute(
            "SELECT id FROM articles WHERE content_hash = ? ORDER BY first_seen_at, id LIMIT 1", (content_hash,)
        ).fetchone()
        return str(row[0]) if row else None

    def near_duplicate_candidates(
        self, band_hashes: list[int], exclude: str
    ) -> list[tuple[str, bytes, int, str | None]]:
        """Articles sharing at least one LSH band with the given signature, with their MinHash signatures."""
        if not band_hashes:
            return []
        clauses = " OR ".join("(band = ? AND hash = ?)" for _ in band_hashes)
        params: list[Any] = []
        for band, value in enumerate(band_hashes):
            params += [band, value]
        rows = self.conn.execute(
            "SELECT DISTINCT a.id, a.minhash, a.shingle_count, a.published_at "
            "FROM minhash_bands b JOIN articles a ON a.id = b.article_id "
            f"WHERE ({clauses}) AND a.id != ? AND a.near_duplicate_of IS NULL",
            [*params, exclude],
        ).fetchall()
        return [(row[0], row[1], row[2] or 0, row[3]) for row in rows]

    def relink_near_duplicate(self, copy_id: str, original_id: str, score: float) -> None:
        """Make ``copy_id`` (and every article linked to it) a near-duplicate of ``original_id``."""
        with self.transaction() as tx:
            tx.execute(
                "UPDATE articles SET near_duplicate_of = ?, near_duplicate_score = ? WHERE id = ?",
                (original_id, score, copy_id),
            )
            tx.execute("UPDATE articles SET near_duplicate_of = ? WHERE near_duplicate_of = ?", (original_id, copy_id))

    def save_article(self, record: dict[str, Any], band_hashes: list[int]) -> None:
        """Insert or update an article by id, with its frontier row and LSH bands, in one transaction."""
        now = utcnow()
        with self.transaction() as tx:
            tx.execute(
                "INSERT INTO articles (id, url, source_id, title, text, author, lang, published_at, first_seen_at, "
                "fetched_at, content_hash, minhash, shingle_count, near_duplicate_of, near_duplicate_score, status, "
                "updated_at) "
                "VALUES (:id, :url, :source_id, :title, :text, :author, :lang, :published_at, :fetched_at, "
                ":fetched_at, :content_hash, :minhash, :shingle_count, :near_duplicate_of, :near_duplicate_score, "
                "'fetched', :now) "
                "ON CONFLICT(id) DO UPDATE SET title=excluded.title, text=excluded.text, author=excluded.author, "
                "lang=excluded.lang, published_at=COALESCE(excluded.published_at, articles.published_at), "
                "fetched_at=excluded.fetched_at, content_hash=excluded.content_hash, minhash=excluded.minhash, "
                "shingle_count=excluded.shingle_count, "
                "status=CASE WHEN articles.content_hash = excluded.content_hash THEN articles.status "
                "ELSE 'fetched' END, updated_at=excluded.updated_at",
                {**record, "now": now},
            )
            tx.execute("DELETE FROM minhash_bands WHERE article_id = ?", (record["id"],))
            tx.executemany(
                "INSERT OR IGNORE INTO minhash_bands (band, hash, article_id) VALUES (?, ?, ?)",
                [(band, value, record["id"]) for band, value in enumerate(band_hashes)],
            )

    def touch_article(self, article_id: str, fetched_at: str) -> None:
        with self.transaction() as tx:
            tx.execute("UPDATE articles SET fetched_at = ? WHERE id = ?", (fetched_at, article_id))

    def add_url(self, url: str, article_id: str, kind: str, source_id: str) -> None:
        """Record another URL of a stored article (never the article's own URL)."""
        with self.transaction() as tx:
            tx.execute(
                "INSERT INTO article_urls (url, article_id, kind, source_id, first_seen_at) "
                "SELECT ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM articles WHERE url = ?) "
                "ON CONFLICT(url) DO NOTHING",
                (url, article_id, kind, source_id, utcnow(), url),
            )

    def save_snapshot(
        self,
        article_id: str,
        url: str,
        evidence: Evidence,
        fetched_at: str,
        http_status: int,
        content_type: str,
        encoding: str,
    ) -> str:
        """Keep the raw page as evidence; an identical re-fetch only extends the time range it was seen in."""
        with self.transaction() as tx:
            tx.execute(
                "INSERT INTO snapshots (article_id, url, sha256, first_fetched_at, last_fetched_at, http_status, "
                "content_type, encoding, size, html_zlib) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(article_id, url, sha256) DO UPDATE SET last_fetched_at=excluded.last_fetched_at",
                (
                    article_id, url, evidence.sha256, fetched_at, fetched_at, http_status, content_type, encoding,
                    evidence.size, evidence.html_zlib,
                ),
            )
        return evidence.sha256

    def snapshots(self, article_id: str) -> list[sqlite3.Row]:
        return self.conn.execute(
            "SELECT id, url, sha256, first_fetched_at, last_fetched_at, http_status, content_type, encoding, size "
            "FROM snapshots WHERE article_id = ? ORDER BY first_fetched_at",
            (article_id,),
        ).fetchall()

    def snapshot_html(self, snapshot_id: int) -> bytes:
        row = self.conn.execute("SELECT html_zlib FROM snapshots WHERE id = ?", (snapshot_id,)).fetchone()
        if row is None:
            raise KeyError(snapshot_id)
        return zlib.decompress(row[0])

    def mark_done(self, url: str, source_id: str, article_id: str) -> None:
        with self.transaction() as tx:
            tx.execute(
                "INSERT INTO frontier (url, source_id, discovered_at, state, article_id, updated_at) "
                "VALUES (?, ?, ?, 'done', ?, ?) ON CONFLICT(url) DO UPDATE SET state='done', "
                "article_id=excluded.article_id, reason=NULL, updated_at=excluded.updated_at",
                (url, source_id, utcnow(), article_id, utcnow()),
            )

    def article_urls(self, article_id: str) -> list[sqlite3.Row]:
        return self.conn.execute(
            "SELECT url, kind, source_id, first_seen_at FROM article_urls WHERE article_id = ? ORDER BY url",
            (article_id,),
        ).fetchall()

    def list_articles(
        self, source_id: str | None = None, status: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[StoredArticle]:
        where, params = [], []
        if source_id:
            where.append("source_id = ?")
            params.append(source_id)
        if status:
            where.append("status = ?")
            params.append(status)
        clause = ("WHERE " + " AND ".join(where)) if where else ""
        rows = self.conn.execute(
            f"SELECT {_ARTICLE_COLUMNS} FROM articles {clause} "
            "ORDER BY COALESCE(published_at, first_seen_at) DESC, id LIMIT ? OFFSET ?",
            [*params, limit, offset],
        ).fetchall()
        return [StoredArticle(**dict(row)) for row in rows]

    def iter_articles(self) -> Iterable[StoredArticle]:
        cursor = self.conn.execute(f"SELECT {_ARTICLE_COLUMNS} FROM articles ORDER BY id")
        for row in cursor:
            yield StoredArticle(**dict(row))

    def count_articles(self, by: str = "status") -> dict[str, int]:
        if by not in ("status", "source_id", "lang"):
            raise ValueError(by)
        rows = self.conn.execute(f"SELECT {by}, COUNT(*) FROM articles GROUP BY {by}").fetchall()
        return {str(row[0]): row[1] for row in rows}

    # --- enrichment results ---------------------------------------------------------------------------------------
    def save_enrichment(self, article_id: str, result: Enrichment, entity_names: dict[str, tuple[str, str]],
                        gazetteer_ids: set[str] | None = None,
                        coordinates: dict[str, tuple[float, float]] | None = None) -> None:
        """Replace an article's NLP results in one transaction and move it to status ``enriched``.

        ``entity_names`` maps every entity id used to (label, canonical name); ids in ``gazetteer_ids`` are marked as
        gazetteer entries, and ``coordinates`` gives places their position.
        """
        gazetteer_ids = gazetteer_ids or set()
        coordinates = coordinates or {}
        now = utcnow()
        with self.transaction() as tx:
            for table in ("mentions", "events", "quotes", "claims"):
                tx.execute(f"DELETE FROM {table} WHERE article_id = ?", (article_id,))
            for entity_id, (label, name) in entity_names.items():
                lat, lon = coordinates.get(entity_id, (None, None))
                tx.execute(
                    "INSERT INTO entities (id, label, name, in_gazetteer, lat, lon) VALUES (?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT(id) DO UPDATE SET name = CASE WHEN entities.in_gazetteer THEN entities.name "
                    "WHEN length(excluded.name) > length(entities.name) THEN excluded.name ELSE entities.name END, "
                    "lat = COALESCE(excluded.lat, entities.lat), lon = COALESCE(excluded.lon, entities.lon)",
                    (entity_id, label, name, int(entity_id in gazetteer_ids), lat, lon),
                )
            tx.executemany(
                "INSERT OR REPLACE INTO mentions (article_id, start, end, label, text, entity_id) VALUES (?,?,?,?,?,?)",
                [(article_id, m.start, m.end, m.label, m.text, m.entity_id) for m in result.mentions],
            )
            tx.executemany(
                "INSERT INTO events (id, article_id, type, trigger, start, end, sentence, modality, is_recap, "
                "event_date, date_precision, place_text, place_id, victims_json, count, perpetrator_text, "
                "perpetrator_id, legal_article) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [
                    (
                        f"{article_id}:e{n}", article_id, e.type, e.trigger, e.start, e.end, e.sentence, e.modality,
                        int(e.is_recap), e.date, e.date_precision, e.place_text, e.place_id,
                        json.dumps([v.__dict__ for v in e.victims], ensure_ascii=False), e.count,
                        e.perpetrator_text, e.perpetrator_id, e.legal_article,
                    )
                    for n, e in enumerate(result.events)
                ],
            )
            tx.executemany(
                "INSERT INTO quotes (id, article_id, text, speaker_text, speaker_id, cue, kind, start, end) "
                "VALUES (?,?,?,?,?,?,?,?,?)",
                [
                    (f"{article_id}:q{n}", article_id, q.text, q.speaker_text, q.speaker_id, q.cue, q.kind, q.start,
                     q.end)
                    for n, q in enumerate(result.quotes)
                ],
            )
            tx.executemany(
                "INSERT INTO claims (id, article_id, count, what, period, text, start, end) VALUES (?,?,?,?,?,?,?,?)",
                [
                    (f"{article_id}:c{n}", article_id, c.count, c.what, c.period, c.text, c.start, c.end)
                    for n, c in enumerate(result.claims)
                ],
            )
            tx.execute(
                "UPDATE articles SET status = 'enriched', about_crimea = ?, relevance = ?, relevance_reasons = ?, "
                "enriched_at = ? WHERE id = ?",
                (
                    int(result.relevance.about_crimea), result.relevance.score,
                    json.dumps(result.relevance.reasons, ensure_ascii=False), now, article_id,
                ),
            )

    def mark_indexed(self, article_ids: list[str]) -> None:
        """Articles whose current enrichment is in the search index (a re-enrichment sets them back)."""
        now = utcnow()
        with self.transaction() as tx:
            tx.executemany(
                "UPDATE articles SET status = 'indexed', indexed_at = ? WHERE id = ? AND status = 'enriched'",
                [(now, article_id) for article_id in article_ids],
            )

    def article_ids_with_status(self, status: str, limit: int | None = None) -> list[str]:
        sql = "SELECT id FROM articles WHERE status = ? ORDER BY first_seen_at, id"
        params: list[Any] = [status]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [row[0] for row in self.conn.execute(sql, params)]

    def enrichment_rows(self, article_id: str) -> dict[str, list[sqlite3.Row]]:
        """The stored NLP results of one article, by table."""
        out = {}
        for table in ("mentions", "events", "quotes", "claims"):
            out[table] = self.conn.execute(
                f"SELECT * FROM {table} WHERE article_id = ? ORDER BY start", (article_id,)
            ).fetchall()
        return out

    def entity_names(self, entity_ids: list[str]) -> dict[str, str]:
        """Canonical names of entities, for showing ids to people."""
        names: dict[str, str] = {}
        for start in range(0, len(entity_ids), 900):
            part = entity_ids[start : start + 900]
            rows = self.conn.execute(
                f"SELECT id, name FROM entities WHERE id IN ({','.join('?' * len(part))})", part  # noqa: S608
            )
            names.update((row[0], row[1]) for row in rows)
        return names

    def event_counts(self, actual_only: bool = True) -> dict[str, int]:
        """Event mentions per incident type, over relevant articles."""
        where = "AND e.modality = 'actual'" if actual_only else ""
        rows = self.conn.execute(
            "SELECT e.type, COUNT(*) FROM events e JOIN articles a ON a.id = e.article_id "
            f"WHERE a.about_crimea = 1 {where} GROUP BY e.type ORDER BY COUNT(*) DESC"
        ).fetchall()
        return {row[0]: row[1] for row in rows}

    def statements(self, limit: int = 20, speaker_id: str | None = None) -> list[sqlite3.Row]:
        """Quotes with their speaker's canonical name and the article they appeared in, newest first."""
        where, params = "", []
        if speaker_id:
            where, params = "WHERE q.speaker_id = ?", [speaker_id]
        return self.conn.execute(
            "SELECT q.text, q.kind, q.cue, q.speaker_text, q.speaker_id, e.name AS speaker_name, a.id AS article_id, "
            "a.title, a.source_id, a.published_at FROM quotes q JOIN articles a ON a.id = q.article_id "
            f"LEFT JOIN entities e ON e.id = q.speaker_id {where} "
            "ORDER BY COALESCE(a.published_at, a.first_seen_at) DESC, q.start LIMIT ?",
            [*params, limit],
        ).fetchall()

    # --- crawl runs --------------------------------------------------------------------------------------------
    def start_run(self, source_ids: list[str]) -> int:
        with self.transaction() as tx:
            cur = tx.execute(
                "INSERT INTO crawl_runs (started_at, sources) VALUES (?, ?)", (utcnow(), ",".join(source_ids))
            )
            return int(cur.lastrowid or 0)

    def finish_run(self, run_id: int, stats: dict[str, Any]) -> None:
        with self.transaction() as tx:
            tx.execute(
                "UPDATE crawl_runs SET finished_at = ?, stats_json = ? WHERE id = ?",
                (utcnow(), json.dumps(stats, sort_keys=True), run_id),
            )

    def last_runs(self, limit: int = 5) -> list[sqlite3.Row]:
        return self.conn.execute(
            "SELECT id, started_at, finished_at, sources, stats_json FROM crawl_runs ORDER BY id DESC LIMIT ?",
            (limit,),
        ).fetchall()
