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

from indexer.store_posts import PostStore
from items import Enrichment, Evidence


class StoreError(RuntimeError):
    """The store cannot be opened or written (locked, full disk, not a database); the message says which."""


class StoreMissing(StoreError):
    """There is no store at the path, and the caller may not create one (only init, crawl and run do)."""


def utcnow() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def article_id_for(canonical_url: str) -> str:
    """The deterministic id of an article: the first 16 hex digits of SHA-256 of its canonical URL."""
    return hashlib.sha256(canonical_url.encode("utf-8")).hexdigest()[:16]


def _read_only_error(exc: sqlite3.OperationalError) -> bool:
    """SQLite's ways of saying the file (or its folder, for the WAL and -shm files) cannot be written."""
    message = str(exc).lower()
    return "readonly" in message or "read-only" in message or "unable to open database file" in message


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


class Store(PostStore):
    """A connection to the store. Open with ``Store.open(path)``; use as a context manager to close."""

    def __init__(self, conn: sqlite3.Connection, path: Path, *, read_only: bool = False) -> None:
        self.conn = conn
        self.path = path
        self.read_only = read_only
        self._depth = 0  # transactions nest: the outermost one commits

    @classmethod
    def open(cls, path: str | Path, *, create: bool = True, read_only: bool = False) -> Store:
        """Open the store at ``path``, applying pending migrations.

        ``create=False``: a missing store is ``StoreMissing`` rather than a new empty one (a mistyped path must not
        silently start a second store). ``read_only``: never write (nor migrate); a store whose file or folder is
        not writable is opened this way on its own, so it can still be read.
        """
        path = Path(path)
        if (read_only or not create) and not path.exists():
            raise StoreMissing(f"no store at {path} (create one with `crimea-monitor init`, or set CRIMEA_MONITOR_DB)")
        if read_only:
            return cls._open_read_only(path)
        conn = None
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
        except sqlite3.OperationalError as exc:
            if conn is not None:
                conn.close()
            if path.is_file() and _read_only_error(exc):
                return cls._open_read_only(path)
            raise StoreError(f"cannot open the store at {path}: {exc}") from exc
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open the store at {path}: {exc}") from exc
        except OSError as exc:
            raise StoreError(f"cannot create the store at {path}: {exc}") from exc
        return store

    @classmethod
    def _open_read_only(cls, path: Path) -> Store:
        uri = path.resolve().as_uri()
        try:
            try:
                conn = cls._connect_uri(f"{uri}?mode=ro")
            except sqlite3.OperationalError:
                # A WAL store needs its -shm file to be read; on a read-only filesystem without one, no process
                # can have the store open for writing, so reading it as immutable is safe.
                conn = cls._connect_uri(f"{uri}?immutable=1")
            store = cls(conn, path, read_only=True)
            pending = [v for v, _, _ in _migrations() if v > store.schema_version()]
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open the store at {path} read-only: {exc}") from exc
        if pending:
            conn.close()
            raise StoreError(f"the store at {path} is read-only and needs migrating (schema {max(pending)}); run "
                             "`crimea-monitor init` where it is writable")
        return store

    @staticmethod
    def _connect_uri(uri: str) -> sqlite3.Connection:
        conn = sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None, check_same_thread=False)
        try:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA busy_timeout=30000")
            conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()  # opens the file (and its WAL) now
        except sqlite3.DatabaseError:
            conn.close()
            raise
        return conn

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
        if self.read_only:
            raise StoreError(f"the store at {self.path} is read-only (opened so because it is not writable)")
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

    def rename_frontier_url(self, old: str, new: str) -> None:
        """Move a frontier row to the URL's canonical form (rows written before URLs were normalised); when the
        canonical form has a row already, the old row goes."""
        with self.transaction() as tx:
            exists = tx.execute("SELECT 1 FROM frontier WHERE url = ?", (new,)).fetchone()
            if exists:
                tx.execute("DELETE FROM frontier WHERE url = ?", (old,))
            else:
                tx.execute("UPDATE frontier SET url = ? WHERE url = ?", (new, old))

    def save_raw_page(
        self, url: str, final_url: str, source_id: str, reason: str, evidence: Evidence, fetched_at: str,
        http_status: int, content_type: str, encoding: str,
    ) -> int:
        """Keep the raw page of an article URL that made no article; the frontier row points to it."""
        with self.transaction() as tx:
            tx.execute(
                "INSERT INTO raw_pages (url, final_url, source_id, reason, sha256, first_fetched_at, "
                "last_fetched_at, http_status, content_type, encoding, size, html_zlib) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(url, sha256) DO UPDATE SET "
                "last_fetched_at=excluded.last_fetched_at, reason=excluded.reason",
                (url, final_url, source_id, reason, evidence.sha256, fetched_at, fetched_at, http_status,
                 content_type, encoding, evidence.size, evidence.html_zlib),
            )
            row = tx.execute("SELECT id FROM raw_pages WHERE url = ? AND sha256 = ?", (url, evidence.sha256)).fetchone()
            tx.execute("UPDATE frontier SET raw_page_id = ? WHERE url = ?", (row[0], url))
        return int(row[0])

    def raw_page(self, raw_page_id: int) -> tuple[sqlite3.Row, bytes] | None:
        """A kept raw page: its record and its bytes as received."""
        row = self.conn.execute(
            "SELECT id, url, final_url, source_id, reason, sha256, first_fetched_at, last_fetched_at, http_status, "
            "content_type, encoding, size, html_zlib FROM raw_pages WHERE id = ?",
            (raw_page_id,),
        ).fetchone()
        return (row, zlib.decompress(row["html_zlib"])) if row else None

    def robots_txt(self, origin: str) -> sqlite3.Row | None:
        return self.conn.execute("SELECT * FROM robots_txt WHERE origin = ?", (origin,)).fetchone()

    def save_robots_txt(self, origin: str, status: int | None, body: bytes, fetched_at: float) -> None:
        with self.transaction() as tx:
            tx.execute(
                "INSERT INTO robots_txt (origin, status, body, fetched_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(origin) DO UPDATE SET status=excluded.status, body=excluded.body, "
                "fetched_at=excluded.fetched_at",
                (origin, status, body, fetched_at),
            )

    def frontier_counts(self) -> dict[str, int]:
        rows = self.conn.execute("SELECT state, COUNT(*) FROM frontier GROUP BY state").fetchall()
        return {row[0]: row[1] for row in rows}

    def frontier_problems(self, limit: int = 50) -> list[sqlite3.Row]:
        return self.conn.execute(
            "SELECT url, source_id, state, reason, attempts, raw_page_id FROM frontier "
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

    def fingerprint_of(self, article_id: str) -> tuple[str, bytes, int] | None:
        """(content hash, MinHash signature, shingle count) of a stored article."""
        row = self.conn.execute(
            "SELECT content_hash, minhash, shingle_count FROM articles WHERE id = ?", (article_id,)
        ).fetchone()
        return (str(row[0]), bytes(row[1] or b""), int(row[2] or 0)) if row else None

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
        exchange: dict[str, Any] | None = None,
    ) -> str:
        """Keep the raw page as evidence; an identical re-fetch only extends the time range it was seen in.

        ``exchange`` is the request and the response headers as fetched (``items.Exchange.as_dict``).
        """
        with self.transaction() as tx:
            tx.execute(
                "INSERT INTO snapshots (article_id, url, sha256, first_fetched_at, last_fetched_at, http_status, "
                "content_type, encoding, size, html_zlib, exchange_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(article_id, url, sha256) DO UPDATE SET last_fetched_at=excluded.last_fetched_at",
                (
                    article_id, url, evidence.sha256, fetched_at, fetched_at, http_status, content_type, encoding,
                    evidence.size, evidence.html_zlib,
                    json.dumps(exchange, ensure_ascii=False) if exchange else None,
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
                # clustered_at is cleared rather than compared with enriched_at: both have one-second resolution
                "UPDATE articles SET status = 'enriched', about_crimea = ?, relevance = ?, relevance_reasons = ?, "
                "enriched_at = ?, clustered_at = NULL WHERE id = ?",
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

    def about_crimea(self, article_id: str) -> bool:
        """The NLP's relevance decision for one article (False until it is enriched)."""
        row = self.conn.execute("SELECT about_crimea FROM articles WHERE id = ?", (article_id,)).fetchone()
        return bool(row and row[0])

    def enrichment_rows(self, article_id: str) -> dict[str, list[sqlite3.Row]]:
        """The stored NLP results of one article, by table."""
        out = {}
        for table in ("mentions", "events", "quotes", "claims"):
            out[table] = self.conn.execute(
                f"SELECT * FROM {table} WHERE article_id = ? ORDER BY start", (article_id,)
            ).fetchall()
        return out

    def entity_names(self, entity_ids: Iterable[str]) -> dict[str, str]:
        """Canonical names of entities, for showing ids to people (ids the store does not know are left out)."""
        entity_ids = list(dict.fromkeys(entity_ids))
        names: dict[str, str] = {}
        for start in range(0, len(entity_ids), 900):
            part = entity_ids[start : start + 900]
            rows = self.conn.execute(
                f"SELECT id, name FROM entities WHERE id IN ({','.join('?' * len(part))})", part
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

    def alert_counts_by_rule(self) -> dict[str, int]:
        return dict(self.conn.execute("SELECT rule, COUNT(*) FROM alerts GROUP BY rule").fetchall())

    # --- entity lookups (search filters, entity pages) --------------------------------------------------------
    def change_stamp(self) -> tuple[int, int]:
        """Changes by other connections (data_version) and by this one (total_changes): caches compare it."""
        return int(self.conn.execute("PRAGMA data_version").fetchone()[0]), self.conn.total_changes

    def entity_name_pairs(self) -> Iterator[tuple[str, str]]:
        """(entity id, a name it is known by): canonical names and every distinct mention text."""
        yield from self.conn.execute(
            "SELECT id, name FROM entities UNION SELECT DISTINCT entity_id, text FROM mentions"
        )

    def entity_row(self, entity_id: str) -> sqlite3.Row | None:
        return self.conn.execute(
            "SELECT id, label, name, in_gazetteer, lat, lon FROM entities WHERE id = ?", (entity_id,)
        ).fetchone()

    def entity_aliases(self, entity_id: str) -> list[sqlite3.Row]:
        """The texts an entity was mentioned by, with counts, most frequent first."""
        return self.conn.execute(
            "SELECT text, COUNT(*) AS n FROM mentions WHERE entity_id = ? GROUP BY text ORDER BY n DESC, text",
            (entity_id,),
        ).fetchall()

    def entity_articles(self, entity_id: str, limit: int) -> list[sqlite3.Row]:
        return self.conn.execute(
            "SELECT a.id, a.title, a.source_id AS source, a.published_at, a.url, COUNT(*) AS mentions "
            "FROM mentions m JOIN articles a ON a.id = m.article_id WHERE m.entity_id = ? "
            "GROUP BY a.id ORDER BY COALESCE(a.published_at, a.first_seen_at) DESC, a.id LIMIT ?",
            (entity_id, limit),
        ).fetchall()

    def events_with_victim(self, entity_id: str, limit: int) -> list[sqlite3.Row]:
        return self.conn.execute(
            "SELECT DISTINCT e.id, e.article_id, a.title, e.type, e.modality, e.event_date, e.place_text, "
            "e.sentence, e.victims_json FROM events e JOIN articles a ON a.id = e.article_id, "
            "json_each(e.victims_json) v WHERE json_extract(v.value, '$.entity_id') = ? "
            "ORDER BY COALESCE(e.event_date, a.published_at) DESC, e.id LIMIT ?",
            (entity_id, limit),
        ).fetchall()

    def enriched_stamps(self, article_ids: list[str], chunk: int = 900) -> dict[str, str | None]:
        """``enriched_at`` of those of the articles that are ``enriched`` (a re-enrichment changes it)."""
        out: dict[str, str | None] = {}
        for start in range(0, len(article_ids), chunk):
            part = article_ids[start : start + chunk]
            rows = self.conn.execute(
                f"SELECT id, enriched_at FROM articles WHERE status = 'enriched' AND id IN ({','.join('?' * len(part))})",  # noqa: E501
                part,
            )
            out.update((row[0], row[1]) for row in rows)
        return out

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

    # === web: read-only queries behind the web UI and REST API (monitor/web/) ==================================
    def web_article_entities(self, article_id: str) -> list[sqlite3.Row]:
        """The entities an article mentions, with how often and in which spellings, most mentioned first."""
        return self.conn.execute(
            "SELECT m.entity_id AS id, COALESCE(e.label, m.label) AS label, COALESCE(e.name, m.text) AS name, "
            "e.lat, e.lon, COUNT(*) AS mentions, json_group_array(DISTINCT m.text) AS spellings_json "
            "FROM mentions m LEFT JOIN entities e ON e.id = m.entity_id WHERE m.article_id = ? "
            "GROUP BY m.entity_id ORDER BY mentions DESC, name",
            (article_id,),
        ).fetchall()

    def web_entity_mentions_by_month(self, entity_id: str) -> list[tuple[str, int, int]]:
        """(YYYY-MM, articles, mentions) for one entity, by the articles' publication month, oldest first."""
        rows = self.conn.execute(
            "SELECT substr(COALESCE(a.published_at, a.first_seen_at), 1, 7) AS month, "
            "COUNT(DISTINCT m.article_id), COUNT(*) FROM mentions m JOIN articles a ON a.id = m.article_id "
            "WHERE m.entity_id = ? GROUP BY month ORDER BY month",
            (entity_id,),
        ).fetchall()
        return [(row[0], row[1], row[2]) for row in rows]

    def web_events_timeline(
        self,
        interval: str = "month",
        types: Iterable[str] = (),
        sources: Iterable[str] = (),
        start: str | None = None,
        end: str | None = None,
    ) -> list[tuple[str, str, int]]:
        """(period, event type, count) of actual, first-hand event mentions in relevant articles.

        The period is the event's own date where the NLP found one precise enough, else the article's publication
        date: ``YYYY-MM`` by month, the Monday ``YYYY-MM-DD`` of the week by week. ``start``/``end`` are inclusive
        ISO dates on the same date. Recaps of old events and near-duplicate copies are left out so one event
        reported again and again is not counted as a trend.
        """
        if interval not in ("month", "week"):
            raise ValueError(f"interval must be 'month' or 'week', not {interval!r}")
        day = (
            "CASE WHEN length(e.event_date) >= 10 THEN substr(e.event_date, 1, 10) "
            "ELSE substr(COALESCE(a.published_at, a.first_seen_at), 1, 10) END"
        )
        if interval == "month":
            period = (
                "CASE WHEN length(e.event_date) >= 7 THEN substr(e.event_date, 1, 7) "
                "ELSE substr(COALESCE(a.published_at, a.first_seen_at), 1, 7) END"
            )
        else:
            period = f"date({day}, 'weekday 0', '-6 days')"
        where = ["e.modality = 'actual'", "e.is_recap = 0", "a.about_crimea = 1", "a.near_duplicate_of IS NULL"]
        params: list[Any] = []
        for column, values in (("e.type", list(types)), ("a.source_id", list(sources))):
            if values:
                where.append(f"{column} IN ({','.join('?' * len(values))})")
                params += values
        if start:
            where.append(f"{day} >= ?")
            params.append(start)
        if end:
            where.append(f"{day} <= ?")
            params.append(end)
        rows = self.conn.execute(
            f"SELECT {period} AS period, e.type, COUNT(*) FROM events e JOIN articles a ON a.id = e.article_id "
            f"WHERE {' AND '.join(where)} GROUP BY period, e.type HAVING period IS NOT NULL ORDER BY period, e.type",
            params,
        ).fetchall()
        return [(row[0], row[1], row[2]) for row in rows]

    def web_place_points(self) -> list[sqlite3.Row]:
        """Places with coordinates that relevant articles mention, with article and actual-event counts."""
        return self.conn.execute(
            "SELECT p.id, p.name, p.lat, p.lon, "
            "(SELECT COUNT(DISTINCT m.article_id) FROM mentions m JOIN articles a ON a.id = m.article_id "
            " WHERE m.entity_id = p.id AND a.about_crimea = 1) AS articles, "
            "(SELECT COUNT(*) FROM events e JOIN articles a ON a.id = e.article_id WHERE e.place_id = p.id "
            " AND e.modality = 'actual' AND e.is_recap = 0 AND a.about_crimea = 1) AS events "
            "FROM entities p WHERE p.lat IS NOT NULL AND p.lon IS NOT NULL "
            "AND EXISTS (SELECT 1 FROM mentions m WHERE m.entity_id = p.id) ORDER BY p.name"
        ).fetchall()

    def web_source_health(self) -> dict[str, dict[str, Any]]:
        """Per source: stored articles, polled URLs (feeds, sitemaps, listings) with their errors, frontier states."""
        out: dict[str, dict[str, Any]] = {}

        def entry(source_id: str) -> dict[str, Any]:
            return out.setdefault(source_id, {
                "articles": 0, "last_article_fetched_at": None, "last_published_at": None, "articles_by_status": {},
                "polled_urls": 0, "polled_urls_failing": 0, "last_polled_at": None, "last_poll_status": None,
                "last_error": None, "frontier": {},
            })

        for row in self.conn.execute(
            "SELECT source_id, status, COUNT(*), MAX(fetched_at), MAX(published_at) FROM articles "
            "GROUP BY source_id, status"
        ):
            e = entry(row[0])
            e["articles"] += row[2]
            e["articles_by_status"][row[1]] = row[2]
            e["last_article_fetched_at"] = max(filter(None, (e["last_article_fetched_at"], row[3])), default=None)
            e["last_published_at"] = max(filter(None, (e["last_published_at"], row[4])), default=None)
        for row in self.conn.execute(
            "SELECT f.source_id, COUNT(*), SUM(f.errors > 0), MAX(f.last_fetched), "
            "(SELECT last_status FROM fetch_state g WHERE g.source_id = f.source_id ORDER BY last_fetched DESC "
            " LIMIT 1), "
            "(SELECT last_error FROM fetch_state g WHERE g.source_id = f.source_id AND g.errors > 0 "
            " ORDER BY last_fetched DESC LIMIT 1) "
            "FROM fetch_state f GROUP BY f.source_id"
        ):
            e = entry(row[0])
            e.update(polled_urls=row[1], polled_urls_failing=row[2] or 0, last_polled_at=row[3],
                     last_poll_status=row[4], last_error=row[5])
        for row in self.conn.execute("SELECT source_id, state, COUNT(*) FROM frontier GROUP BY source_id, state"):
            entry(row[0])["frontier"][row[1]] = row[2]
        return out

    def web_snapshot(self, article_id: str, snapshot_id: int) -> tuple[sqlite3.Row, bytes] | None:
        """One evidence snapshot of an article (its metadata and raw bytes), or None."""
        row = self.conn.execute(
            "SELECT id, url, sha256, first_fetched_at, last_fetched_at, http_status, content_type, encoding, size, "
            "html_zlib FROM snapshots WHERE id = ? AND article_id = ?",
            (snapshot_id, article_id),
        ).fetchone()
        if row is None:
            return None
        return row, zlib.decompress(row["html_zlib"])

    def web_incidents(
        self,
        types: Iterable[str] = (),
        place_id: str | None = None,
        victim_id: str | None = None,
        start: str | None = None,
        end: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[sqlite3.Row], int]:
        """A page of active incidents, most recent first (by their date, else first report), and the total.

        ``start``/``end`` are inclusive ISO dates compared with the incident's date (else its first report).
        """
        day = "substr(COALESCE(event_date, date_end, first_reported_at), 1, 10)"
        where, params = ["status = 'active'"], []
        type_list = list(types)
        if type_list:
            where.append(f"type IN ({','.join('?' * len(type_list))})")
            params += type_list
        if place_id:
            where.append("place_id = ?")
            params.append(place_id)
        if victim_id:
            where.append("EXISTS (SELECT 1 FROM json_each(incidents.victims_json) v "
                         "WHERE json_extract(v.value, '$.entity_id') = ?)")
            params.append(victim_id)
        if start:
            where.append(f"{day} >= ?")
            params.append(start)
        if end:
            where.append(f"{day} <= ?")
            params.append(end)
        clause = " AND ".join(where)
        total = self.conn.execute(f"SELECT COUNT(*) FROM incidents WHERE {clause}", params).fetchone()[0]
        rows = self.conn.execute(
            f"SELECT * FROM incidents WHERE {clause} ORDER BY {day} DESC, seq DESC LIMIT ? OFFSET ?",
            [*params, limit, offset],
        ).fetchall()
        return rows, int(total)

    def web_incident_events(self, incident_id: str) -> list[sqlite3.Row]:
        """The event mentions clustered into an incident, with the article each comes from, first report first."""
        return self.conn.execute(
            "SELECT e.id, e.article_id, e.type, e.trigger, e.sentence, e.event_date, e.place_text, e.place_id, "
            "e.victims_json, e.count, e.perpetrator_text, e.legal_article, e.is_recap, a.title, a.source_id, "
            "a.published_at FROM incident_mentions m JOIN events e ON e.id = m.event_id "
            "JOIN articles a ON a.id = m.article_id WHERE m.incident_id = ? "
            "ORDER BY COALESCE(a.published_at, a.first_seen_at), e.start",
            (incident_id,),
        ).fetchall()

    def web_incident_timeline(
        self,
        interval: str = "month",
        types: Iterable[str] = (),
        start: str | None = None,
        end: str | None = None,
    ) -> list[tuple[str, str, int]]:
        """(period, incident type, incidents) of active incidents, by their date (else their first report).

        Incidents known only from background recaps (old news) are left out, and so are those whose date is too
        coarse for the period (a year cannot be put in a month); an undated incident counts when first reported.
        """
        if interval not in ("month", "week"):
            raise ValueError(f"interval must be 'month' or 'week', not {interval!r}")
        day = ("CASE WHEN event_date IS NULL THEN substr(first_reported_at, 1, 10) "
               "WHEN length(event_date) >= 10 THEN substr(event_date, 1, 10) END")
        month = ("CASE WHEN event_date IS NULL THEN substr(first_reported_at, 1, 7) "
                 "WHEN length(event_date) >= 7 THEN substr(event_date, 1, 7) END")
        period = month if interval == "month" else f"date({day}, 'weekday 0', '-6 days')"
        where, params = ["status = 'active'", "recap_only = 0"], []
        type_list = list(types)
        if type_list:
            where.append(f"type IN ({','.join('?' * len(type_list))})")
            params += type_list
        if start:
            where.append(f"{day} >= ?")
            params.append(start)
        if end:
            where.append(f"{day} <= ?")
            params.append(end)
        rows = self.conn.execute(
            f"SELECT {period} AS period, type, COUNT(*) FROM incidents WHERE {' AND '.join(where)} "
            "GROUP BY period, type HAVING period IS NOT NULL ORDER BY period, type",
            params,
        ).fetchall()
        return [(row[0], row[1], row[2]) for row in rows]

    def web_incident_places(self) -> dict[str, int]:
        """Active incidents per place id."""
        rows = self.conn.execute(
            "SELECT place_id, COUNT(*) FROM incidents WHERE status = 'active' AND place_id IS NOT NULL "
            "GROUP BY place_id"
        ).fetchall()
        return {row[0]: row[1] for row in rows}

    # === daemon: source health, job runs, health problems (migration 0004) =======================================
    def record_poll(self, source_id: str, *, ok: bool, changed: bool, error: str | None,
                    report: dict[str, Any]) -> sqlite3.Row:
        """Account one poll of a source: success or failure, and whether it brought anything new."""
        now = utcnow()
        with self.transaction() as tx:
            tx.execute(
                "INSERT INTO source_health (source_id, updated_at) VALUES (?, ?) ON CONFLICT (source_id) DO NOTHING",
                (source_id, now),
            )
            if ok:
                tx.execute(
                    "UPDATE source_health SET polls = polls + 1, consecutive_failures = 0, last_poll_at = ?, "
                    "last_success_at = ?, last_error = ?, unchanged_polls = CASE WHEN ? THEN 0 "
                    "ELSE unchanged_polls + 1 END, last_new_at = CASE WHEN ? THEN ? ELSE last_new_at END, "
                    "last_report_json = ?, updated_at = ? WHERE source_id = ?",
                    (now, now, error, changed, changed, now, json.dumps(report, sort_keys=True), now, source_id),
                )
            else:
                tx.execute(
                    "UPDATE source_health SET polls = polls + 1, failures = failures + 1, "
                    "consecutive_failures = consecutive_failures + 1, last_poll_at = ?, last_failure_at = ?, "
                    "last_error = ?, last_report_json = ?, updated_at = ? WHERE source_id = ?",
                    (now, now, error, json.dumps(report, sort_keys=True), now, source_id),
                )
            return tx.execute("SELECT * FROM source_health WHERE source_id = ?", (source_id,)).fetchone()

    def set_poll_interval(self, source_id: str, seconds: int) -> None:
        with self.transaction() as tx:
            tx.execute(
                "INSERT INTO source_health (source_id, interval_seconds, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (source_id) DO UPDATE SET interval_seconds = excluded.interval_seconds",
                (source_id, seconds, utcnow()),
            )

    def source_health(self, source_id: str | None = None) -> list[sqlite3.Row]:
        if source_id is None:
            return self.conn.execute("SELECT * FROM source_health ORDER BY source_id").fetchall()
        return self.conn.execute("SELECT * FROM source_health WHERE source_id = ?", (source_id,)).fetchall()

    def article_arrivals(self, source_id: str, limit: int = 200) -> list[str]:
        """When the source's latest articles were first seen, newest first."""
        rows = self.conn.execute(
            "SELECT first_seen_at FROM articles WHERE source_id = ? ORDER BY first_seen_at DESC LIMIT ?",
            (source_id, limit),
        )
        return [row[0] for row in rows]

    def articles_seen_since(self, since: str) -> dict[str, int]:
        """New articles per source first seen at or after ``since`` (an ISO timestamp)."""
        rows = self.conn.execute(
            "SELECT source_id, COUNT(*) FROM articles WHERE first_seen_at >= ? GROUP BY source_id", (since,)
        )
        return {row[0]: row[1] for row in rows}

    def start_job_run(self, kind: str, source_ids: list[str], pid: int | None = None) -> int:
        with self.transaction() as tx:
            cur = tx.execute(
                "INSERT INTO job_runs (kind, sources, started_at, pid) VALUES (?, ?, ?, ?)",
                (kind, ",".join(source_ids), utcnow(), pid),
            )
            return int(cur.lastrowid or 0)

    def finish_job_run(self, run_id: int, status: str, detail: dict[str, Any] | None = None) -> None:
        with self.transaction() as tx:
            tx.execute(
                "UPDATE job_runs SET finished_at = ?, status = ?, detail_json = ? WHERE id = ?",
                (utcnow(), status, json.dumps(detail or {}, sort_keys=True), run_id),
            )

    def interrupt_job_runs(self) -> int:
        """Mark job runs left 'running' (by a daemon that was killed) as interrupted; returns how many."""
        with self.transaction() as tx:
            cur = tx.execute(
                "UPDATE job_runs SET status = 'interrupted', finished_at = ? WHERE status = 'running'", (utcnow(),)
            )
            return cur.rowcount

    def last_job_runs(self, limit: int = 10, kind: str | None = None) -> list[sqlite3.Row]:
        where, params = ("WHERE kind = ?", [kind]) if kind else ("", [])
        return self.conn.execute(
            f"SELECT id, kind, sources, started_at, finished_at, status, pid, detail_json FROM job_runs {where} "
            "ORDER BY id DESC LIMIT ?",
            [*params, limit],
        ).fetchall()

    def open_health_problem(self, subject: str, kind: str, detail: str) -> int | None:
        """Open a problem unless one of that subject and kind is open already; returns the new id or None."""
        with self.transaction() as tx:
            cur = tx.execute(
                "INSERT INTO health_problems (subject, kind, detail, opened_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (subject, kind) WHERE resolved_at IS NULL DO NOTHING",
                (subject, kind, detail, utcnow()),
            )
            return int(cur.lastrowid) if cur.rowcount else None

    def resolve_health_problem(self, subject: str, kind: str) -> int | None:
        """Resolve the open problem of that subject and kind, if any; returns its id."""
        with self.transaction() as tx:
            row = tx.execute(
                "SELECT id FROM health_problems WHERE subject = ? AND kind = ? AND resolved_at IS NULL", (subject, kind)
            ).fetchone()
            if row is None:
                return None
            tx.execute("UPDATE health_problems SET resolved_at = ? WHERE id = ?", (utcnow(), row[0]))
            return int(row[0])

    def health_problems(self, open_only: bool = True, limit: int = 100) -> list[sqlite3.Row]:
        where = "WHERE resolved_at IS NULL" if open_only else ""
        return self.conn.execute(
            f"SELECT * FROM health_problems {where} ORDER BY id DESC LIMIT ?", (limit,)
        ).fetchall()

    def health_notices_due(self) -> list[sqlite3.Row]:
        """Problems whose opening, or whose recovery, has not been notified yet (oldest first).

        A problem resolved before its opening was notified needs no notice at all.
        """
        return self.conn.execute(
            "SELECT * FROM health_problems WHERE (notified_at IS NULL AND resolved_at IS NULL) "
            "OR (notified_at IS NOT NULL AND resolved_at IS NOT NULL AND recovery_notified_at IS NULL) ORDER BY id"
        ).fetchall()

    def mark_health_notified(self, problem_id: int, recovery: bool) -> None:
        column = "recovery_notified_at" if recovery else "notified_at"
        with self.transaction() as tx:
            tx.execute(f"UPDATE health_problems SET {column} = ? WHERE id = ?", (utcnow(), problem_id))

    def sources_with_pending_urls(self) -> list[str]:
        """Sources with discovered URLs not fetched yet (a crawl killed midway, or retries due)."""
        rows = self.conn.execute("SELECT DISTINCT source_id FROM frontier WHERE state = 'pending' ORDER BY 1")
        return [row[0] for row in rows]

    # === incidents (issue 5) =========================================================================================
    def articles_to_cluster(self) -> list[str]:
        """Enriched articles whose events are not clustered yet (or changed since), in reporting order."""
        return [row[0] for row in self.conn.execute(
            "SELECT id FROM articles WHERE status IN ('enriched', 'indexed') "
            "AND (clustered_at IS NULL OR clustered_at < enriched_at) "
            "ORDER BY COALESCE(published_at, first_seen_at), first_seen_at, id"
        )]

    def reset_incident_clustering(self) -> None:
        """Cluster every article again (its fingerprint forgotten too: ``incidents --recluster`` after the
        clustering code changed)."""
        with self.transaction() as tx:
            tx.execute("UPDATE articles SET clustered_at = NULL, cluster_fingerprint = NULL")

    def mark_clustered(self, article_id: str, fingerprint: str | None = None) -> None:
        with self.transaction() as tx:
            tx.execute(
                "UPDATE articles SET clustered_at = ?, cluster_fingerprint = ?, first_cluster_seq = "
                "COALESCE(first_cluster_seq, (SELECT COALESCE(MAX(seq), 0) FROM incidents)) WHERE id = ?",
                (utcnow(), fingerprint, article_id),
            )

    def cluster_fingerprint(self, article_id: str) -> str | None:
        row = self.conn.execute("SELECT cluster_fingerprint FROM articles WHERE id = ?", (article_id,)).fetchone()
        return row[0] if row else None

    _CLUSTER_EVENT_COLUMNS = (
        "e.id AS event_id, e.article_id, e.type, e.event_date, e.date_precision, e.is_recap, e.place_id, "
        "e.place_text, e.victims_json, e.count, e.perpetrator_id, e.perpetrator_text, a.published_at, "
        "a.first_seen_at, a.source_id, a.near_duplicate_of"
    )

    def clusterable_events(self, article_id: str) -> list[sqlite3.Row]:
        """The actual events of an article about Crimea (nothing for other articles)."""
        return self.conn.execute(
            f"SELECT {self._CLUSTER_EVENT_COLUMNS} FROM events e JOIN articles a ON a.id = e.article_id "
            "WHERE e.article_id = ? AND e.modality = 'actual' AND a.about_crimea = 1 ORDER BY e.start",
            (article_id,),
        ).fetchall()

    def article_event_victims(self, article_id: str) -> list[str]:
        """The victims_json of every event of an article, whatever its modality (whom the article is about)."""
        return [row[0] for row in self.conn.execute(
            "SELECT victims_json FROM events WHERE article_id = ? ORDER BY start", (article_id,)
        )]

    def incident_mention_rows(self, event_type: str | None = None, incident_id: str | None = None
                              ) -> list[sqlite3.Row]:
        """Mentions of active incidents (of one type, or of one incident) with their event facts, oldest incident
        first."""
        where, params = ["i.status = 'active'"], []
        if event_type is not None:
            where.append("i.type = ?")
            params.append(event_type)
        if incident_id is not None:
            where.append("i.id = ?")
            params.append(incident_id)
        return self.conn.execute(
            f"SELECT m.incident_id, {self._CLUSTER_EVENT_COLUMNS} FROM incident_mentions m "
            "JOIN incidents i ON i.id = m.incident_id JOIN events e ON e.id = m.event_id "
            f"JOIN articles a ON a.id = m.article_id WHERE {' AND '.join(where)} ORDER BY i.seq, e.id",
            params,
        ).fetchall()

    def create_incident(self, incident_id: str, event_type: str) -> None:
        now = utcnow()
        with self.transaction() as tx:
            tx.execute(
                "INSERT INTO incidents (id, type, created_at, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET status = 'active', updated_at = excluded.updated_at",
                (incident_id, event_type, now, now),
            )

    def attach_mentions(self, incident_id: str, mentions: list[tuple[str, str]]) -> None:
        with self.transaction() as tx:
            tx.executemany(
                "INSERT INTO incident_mentions (event_id, incident_id, article_id) VALUES (?, ?, ?) "
                "ON CONFLICT(event_id) DO UPDATE SET incident_id = excluded.incident_id",
                [(event_id, incident_id, article_id) for event_id, article_id in mentions],
            )

    def article_mentions(self, article_id: str) -> dict[str, str]:
        """event id -> incident id of the article's clustered mentions."""
        return {row[0]: row[1] for row in self.conn.execute(
            "SELECT event_id, incident_id FROM incident_mentions WHERE article_id = ?", (article_id,)
        )}

    def detach_article_mentions(self, article_id: str) -> dict[str, str]:
        """Forget an article's mentions before it is clustered again; returns event id -> the incident it was in."""
        with self.transaction() as tx:
            before = self.article_mentions(article_id)
            tx.execute("DELETE FROM incident_mentions WHERE article_id = ?", (article_id,))
        return before

    def mention_incidents(self, event_ids: Iterable[str]) -> dict[str, str]:
        """event id -> incident id, for those of these mentions that are clustered."""
        ids = list(event_ids)
        out: dict[str, str] = {}
        for n in range(0, len(ids), 900):
            chunk = ids[n : n + 900]
            out.update({row[0]: row[1] for row in self.conn.execute(
                f"SELECT event_id, incident_id FROM incident_mentions WHERE event_id IN ({','.join('?' * len(chunk))})",
                chunk,
            )})
        return out

    def incident_article_ids(self, incident_id: str) -> set[str]:
        return {row[0] for row in self.conn.execute(
            "SELECT DISTINCT article_id FROM incident_mentions WHERE incident_id = ?", (incident_id,)
        )}

    def incident_mention_count(self, incident_id: str) -> int:
        return int(self.conn.execute(
            "SELECT COUNT(*) FROM incident_mentions WHERE incident_id = ?", (incident_id,)
        ).fetchone()[0])

    def add_incident_successor(self, old_id: str, new_id: str, reason: str, mentions: int = 0,
                               actor: str = "clustering") -> None:
        """Record that (part of) incident ``old_id`` lives on in ``new_id``, and why."""
        with self.transaction() as tx:
            tx.execute(
                "INSERT INTO incident_successors (old_id, new_id, reason, actor, mentions, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(old_id, new_id) DO UPDATE SET reason = excluded.reason, "
                "actor = excluded.actor, mentions = excluded.mentions, created_at = excluded.created_at",
                (old_id, new_id, reason, actor, mentions, utcnow()),
            )

    def retire_incident(self, incident_id: str, successors: list[tuple[str, str, int]]) -> None:
        """An incident left without reports: 'merged' into its successors ((new id, reason, mentions) each) when
        its reports went elsewhere, else 'withdrawn'."""
        with self.transaction() as tx:
            for new_id, reason, mentions in successors:
                self.add_incident_successor(incident_id, new_id, reason, mentions)
            tx.execute(
                "UPDATE incidents SET status = ?, article_count = 0, source_count = 0, updated_at = ? WHERE id = ?",
                ("merged" if successors else "withdrawn", utcnow(), incident_id),
            )

    def has_successor(self, incident_id: str) -> bool:
        row = self.conn.execute("SELECT 1 FROM incident_successors WHERE old_id = ? LIMIT 1", (incident_id,))
        return row.fetchone() is not None

    def merge_incidents(self, keep: str, others: list[str], reason: str = "merged",
                        actor: str = "clustering") -> None:
        """Move the mentions of ``others`` to ``keep``; their ids (and those resolving to them) resolve to ``keep``."""
        now = utcnow()
        with self.transaction() as tx:
            for other in others:
                moved = tx.execute("UPDATE incident_mentions SET incident_id = ? WHERE incident_id = ?", (keep, other))
                tx.execute("UPDATE incidents SET status = 'merged', updated_at = ? WHERE id = ?", (now, other))
                self.add_incident_successor(other, keep, reason, moved.rowcount, actor)

    def resolve_incident(self, incident_id: str) -> str | None:
        """The current id of an incident: itself while active, else (following its successors, the one that took
        most of its reports first) the active incident its reports live on in; a withdrawn incident without
        successor is itself. None when unknown."""
        current, seen = incident_id, set()
        while current not in seen:
            seen.add(current)
            row = self.conn.execute("SELECT status FROM incidents WHERE id = ?", (current,)).fetchone()
            if row is not None and row[0] == "active":
                return current
            successor = self.conn.execute(
                "SELECT new_id FROM incident_successors WHERE old_id = ? ORDER BY mentions DESC, created_at DESC, "
                "new_id LIMIT 1", (current,)
            ).fetchone()
            if successor is None:
                return current if row is not None else None
            current = successor[0]
        return current

    def incident_ancestors(self, incident_id: str) -> list[str]:
        """Every id whose reports (some or all) came to this incident through merges and splits, nearest first."""
        return [row[0] for row in self.conn.execute(
            "WITH RECURSIVE up(id, depth) AS (SELECT ?, 0 UNION SELECT s.old_id, up.depth + 1 "
            "FROM incident_successors s JOIN up ON s.new_id = up.id WHERE up.depth < 64) "
            "SELECT id FROM up WHERE id != ? GROUP BY id ORDER BY MIN(depth), id",
            (incident_id, incident_id),
        )]

    def incident_aliases(self, incident_id: str) -> list[str]:
        """The old ids that now resolve to this incident (merged into it, or replaced by it)."""
        return sorted(i for i in self.incident_ancestors(incident_id) if self.resolve_incident(i) == incident_id)

    def incident_successors(self, incident_id: str) -> list[sqlite3.Row]:
        """Where (part of) an incident went: new id, reason, actor, mentions, when; most mentions first."""
        return self.conn.execute(
            "SELECT new_id, reason, actor, mentions, created_at FROM incident_successors WHERE old_id = ? "
            "ORDER BY mentions DESC, created_at DESC, new_id", (incident_id,)
        ).fetchall()

    def entity_positions(self, entity_ids: Iterable[str]) -> dict[str, tuple[str, float | None, float | None]]:
        """entity id -> (name, lat, lon) for the given ids."""
        ids = list(entity_ids)
        if not ids:
            return {}
        rows = self.conn.execute(
            f"SELECT id, name, lat, lon FROM entities WHERE id IN ({','.join('?' * len(ids))})", ids
        ).fetchall()
        return {row["id"]: (row["name"], row["lat"], row["lon"]) for row in rows}

    def update_incident(self, incident_id: str, summary: dict[str, Any]) -> None:
        """Write an incident's recomputed summary (keys are incidents columns)."""
        columns = [c for c in summary if c not in ("id", "seq", "created_at")]
        values = [summary[c] for c in columns]
        with self.transaction() as tx:
            # an unchanged summary is not written: updated_at says when the incident last really changed
            tx.execute(
                f"UPDATE incidents SET {', '.join(f'{c} = ?' for c in columns)}, updated_at = ? WHERE id = ? "
                f"AND NOT ({' AND '.join(f'{c} IS ?' for c in columns)})",
                [*values, utcnow(), incident_id, *values],
            )

    def incident(self, incident_id: str) -> sqlite3.Row | None:
        current = self.resolve_incident(incident_id)
        if current is None:
            return None
        return self.conn.execute("SELECT * FROM incidents WHERE id = ?", (current,)).fetchone()

    def list_incidents(self, since: str | None = None, ids: Iterable[str] | None = None,
                       victim: str | None = None, limit: int | None = None) -> list[sqlite3.Row]:
        """Active incidents, newest first reported first (``victim``: those naming this entity id)."""
        where, params = ["status = 'active'"], []
        if since:
            where.append("COALESCE(event_date, first_reported_at) >= ?")
            params.append(since)
        if ids is not None:
            id_list = list(ids)
            where.append(f"id IN ({','.join('?' * len(id_list))})" if id_list else "0")
            params += id_list
        if victim:
            where.append("EXISTS (SELECT 1 FROM json_each(incidents.victims_json) v "
                         "WHERE json_extract(v.value, '$.entity_id') = ?)")
            params.append(victim)
        sql = f"SELECT * FROM incidents WHERE {' AND '.join(where)} ORDER BY first_reported_at DESC, seq DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return self.conn.execute(sql, params).fetchall()

    def incident_articles(self, incident_id: str) -> list[sqlite3.Row]:
        """The articles reporting an incident (its mentions' and those an analyst attached), first report first."""
        return self.conn.execute(
            "SELECT DISTINCT a.id, a.url, a.title, a.text, a.source_id, a.lang, a.published_at, a.first_seen_at, "
            "a.near_duplicate_of, a.about_crimea FROM articles a WHERE a.id IN (SELECT article_id "
            "FROM incident_mentions WHERE incident_id = ? UNION SELECT article_id FROM incident_article_pins "
            "WHERE incident_id = ? AND action = 'attach') AND a.id NOT IN (SELECT article_id "
            "FROM incident_article_pins WHERE incident_id = ? AND action = 'detach') "
            "ORDER BY COALESCE(a.published_at, a.first_seen_at), a.id",
            (incident_id, incident_id, incident_id),
        ).fetchall()

    def incident_quotes(self, incident_id: str) -> list[sqlite3.Row]:
        """Who said what about an incident: the quotes of its reporting articles, with their source."""
        return self.conn.execute(
            "SELECT q.text, q.kind, q.speaker_text, q.speaker_id, en.name AS speaker_name, a.id AS article_id, "
            "a.source_id, a.title, a.published_at FROM quotes q JOIN articles a ON a.id = q.article_id "
            "LEFT JOIN entities en ON en.id = q.speaker_id "
            "WHERE q.article_id IN (SELECT article_id FROM incident_mentions WHERE incident_id = ?) "
            "ORDER BY COALESCE(a.published_at, a.first_seen_at), q.start",
            (incident_id,),
        ).fetchall()

    def incident_article_facets(self, incident_id: str) -> dict[str, list[str]]:
        """Entity ids mentioned, event types (actual and any) and quotes flag of an incident's articles."""
        ids = "SELECT article_id FROM incident_mentions WHERE incident_id = ?"
        entities = [r[0] for r in self.conn.execute(
            f"SELECT DISTINCT entity_id FROM mentions WHERE article_id IN ({ids})", (incident_id,))]
        actual = [r[0] for r in self.conn.execute(
            f"SELECT DISTINCT type FROM events WHERE modality = 'actual' AND article_id IN ({ids})", (incident_id,))]
        any_types = [r[0] for r in self.conn.execute(
            f"SELECT DISTINCT type FROM events WHERE article_id IN ({ids})", (incident_id,))]
        quotes = self.conn.execute(f"SELECT COUNT(*) FROM quotes WHERE article_id IN ({ids})", (incident_id,))
        return {"entities": entities, "types": actual, "types_any": any_types,
                "has_quote": ["quote"] if quotes.fetchone()[0] else []}

    def merge_candidates(self, incident_id: str, limit: int = 30) -> list[sqlite3.Row]:
        """Active incidents of the same type, nearest in date first: what an analyst may merge this one into."""
        return self.conn.execute(
            "SELECT o.id, o.type, o.event_date, o.first_reported_at, o.place_text FROM incidents i "
            "JOIN incidents o ON o.type = i.type AND o.status = 'active' AND o.id != i.id WHERE i.id = ? "
            "ORDER BY ABS(julianday(COALESCE(o.date_start, substr(o.first_reported_at, 1, 10))) - "
            "julianday(COALESCE(i.date_start, substr(i.first_reported_at, 1, 10)))), o.seq LIMIT ?",
            (incident_id, limit),
        ).fetchall()

    def incident_state(self, incident_id: str) -> tuple[str, str] | None:
        """(status, type) of this exact id, not following merges."""
        row = self.conn.execute("SELECT status, type FROM incidents WHERE id = ?", (incident_id,)).fetchone()
        return (row[0], row[1]) if row else None

    def max_incident_seq(self) -> int:
        return int(self.conn.execute("SELECT COALESCE(MAX(seq), 0) FROM incidents").fetchone()[0])

    def incident_seq(self, incident_id: str) -> int:
        row = self.conn.execute("SELECT seq FROM incidents WHERE id = ?", (incident_id,)).fetchone()
        return int(row[0]) if row else 0

    # === alerts (issue 5) ============================================================================================
    def register_alert_rule(self, name: str, query: str) -> sqlite3.Row:
        """Remember a rule the first time it is seen: incidents created before then are not new to it."""
        with self.transaction() as tx:
            tx.execute(
                "INSERT INTO alert_rules (name, created_at, created_seq, query) VALUES (?, ?, "
                "(SELECT COALESCE(MAX(seq), 0) FROM incidents), ?) "
                "ON CONFLICT(name) DO UPDATE SET query = excluded.query",
                (name, utcnow(), query),
            )
            return tx.execute("SELECT * FROM alert_rules WHERE name = ?", (name,)).fetchone()

    def alerted(self, rule: str, incident_id: str) -> bool:
        """Has ``rule`` fired for this incident, or for any incident whose reports came to it (merged, split)?"""
        ids = [incident_id, *self.incident_ancestors(incident_id)]
        row = self.conn.execute(
            f"SELECT 1 FROM alerts WHERE rule = ? AND incident_id IN ({','.join('?' * len(ids))}) LIMIT 1",
            [rule, *ids],
        ).fetchone()
        return row is not None

    def incident_known_seq(self, incident_id: str) -> int:
        """When the monitor first knew any report of this incident (the incident seq its earliest-clustered article
        left): a rule created after that point sees it as old news, however re-clustering renamed it."""
        row = self.conn.execute(
            "SELECT MIN(a.first_cluster_seq) FROM incident_mentions m JOIN articles a ON a.id = m.article_id "
            "WHERE m.incident_id = ?", (incident_id,)
        ).fetchone()
        return int(row[0]) if row and row[0] is not None else self.incident_seq(incident_id)

    def record_alert(self, rule: str, incident_id: str, payload: dict[str, Any], channels: list[str]) -> int | None:
        """Fire ``rule`` for an incident (once: None if it already had) with one pending delivery per channel."""
        now = utcnow()
        with self.transaction() as tx:
            cur = tx.execute(
                "INSERT INTO alerts (rule, incident_id, fired_at, payload_json) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(rule, incident_id) DO NOTHING",
                (rule, incident_id, now, json.dumps(payload, ensure_ascii=False, sort_keys=True)),
            )
            if not cur.rowcount:
                return None
            alert_id = int(cur.lastrowid or 0)
            self.record_incident_timing(incident_id, now)
            tx.executemany(
                "INSERT INTO alert_deliveries (alert_id, channel, created_at) VALUES (?, ?, ?)",
                [(alert_id, channel, now) for channel in channels],
            )
        return alert_id

    def pending_deliveries(self) -> list[sqlite3.Row]:
        return self.conn.execute(
            "SELECT d.id, d.alert_id, d.channel, d.attempts, a.rule, a.incident_id, a.payload_json, a.fired_at "
            "FROM alert_deliveries d JOIN alerts a ON a.id = d.alert_id WHERE d.status = 'pending' "
            "ORDER BY a.rule, d.channel, a.id"
        ).fetchall()

    def record_delivery_attempt(self, delivery_ids: list[int], ok: bool, error: str | None = None) -> None:
        """Log one attempt for each delivery (a digest is one attempt for all of its alerts)."""
        now = utcnow()
        with self.transaction() as tx:
            for delivery_id in delivery_ids:
                tx.execute(
                    "INSERT INTO alert_attempts (delivery_id, attempted_at, ok, error) VALUES (?, ?, ?, ?)",
                    (delivery_id, now, int(ok), error),
                )
                tx.execute(
                    "UPDATE alert_deliveries SET attempts = attempts + 1, last_error = ?, "
                    "status = CASE WHEN ? THEN 'sent' ELSE status END, sent_at = CASE WHEN ? THEN ? ELSE sent_at END "
                    "WHERE id = ?",
                    (error, int(ok), int(ok), now, delivery_id),
                )

    def mark_digest_sent(self, rule: str) -> None:
        with self.transaction() as tx:
            tx.execute("UPDATE alert_rules SET last_digest_at = ? WHERE name = ?", (utcnow(), rule))

    def alert_rule_row(self, name: str) -> sqlite3.Row | None:
        return self.conn.execute("SELECT * FROM alert_rules WHERE name = ?", (name,)).fetchone()

    def delivery_log(self, limit: int = 50, rule: str | None = None) -> list[sqlite3.Row]:
        """Delivery attempts, newest first, with their alert."""
        where, params = "", []
        if rule:
            where, params = "WHERE a.rule = ?", [rule]
        return self.conn.execute(
            "SELECT t.attempted_at, t.ok, t.error, d.id AS delivery_id, d.channel, d.status, d.attempts, a.rule, "
            "a.incident_id, a.fired_at FROM alert_attempts t JOIN alert_deliveries d ON d.id = t.delivery_id "
            f"JOIN alerts a ON a.id = d.alert_id {where} ORDER BY t.id DESC LIMIT ?",
            [*params, limit],
        ).fetchall()

    def alert_counts(self) -> dict[str, int]:
        row = self.conn.execute(
            "SELECT (SELECT COUNT(*) FROM alerts), "
            "(SELECT COUNT(*) FROM alert_deliveries WHERE status = 'sent'), "
            "(SELECT COUNT(*) FROM alert_deliveries WHERE status = 'pending')"
        ).fetchone()
        return {"alerts": row[0], "sent": row[1], "pending": row[2]}
