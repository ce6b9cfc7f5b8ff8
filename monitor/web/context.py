"""``WebContext``: what the routes of the web app share (the store per thread, the search backend, the token).

Its own module so that the routes (``api``, ``pages``, ``data``) and the app that assembles them (``app``) import it
without importing each other in a circle.
"""

from __future__ import annotations

import hmac
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from indexer.search.errors import SearchBackend
from indexer.store import Store


@dataclass
class WebContext:
    """What the routes share: the store path, one store connection per worker thread, the search backend."""

    db: Path
    sources: Path
    api_token: str
    alerts: Path
    backend_override: SearchBackend | None = None
    _local: threading.local = field(default_factory=threading.local)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _backend: SearchBackend | None = None
    _resolver_store: Store | None = None
    crawl_job: Any = None  # the running or last POST /api/crawl job (monitor.web.api.CrawlJob)

    def store(self) -> Store:
        # sqlite3 connections are not for concurrent use: each threadpool worker gets its own
        store = getattr(self._local, "store", None)
        if store is None:
            store = self._local.store = Store.open(self.db, create=False)
        return store

    def backend(self) -> SearchBackend:
        if self.backend_override is not None:
            return self.backend_override
        with self._lock:
            if self._backend is None:
                from nlp.gazetteer import load_gazetteer
                from pipelines.index import backend_from_settings
                from pipelines.resolver import GazetteerResolver

                # the resolver reads entity names under its own lock, on a connection of its own
                self._resolver_store = Store.open(self.db, create=False)
                resolver = GazetteerResolver(self._resolver_store, load_gazetteer())
                self._backend = backend_from_settings(self.db, self._resolver_store, resolver=resolver)
            return self._backend

    def token_ok(self, authorization: str | None) -> bool:
        """Constant-time comparison of a ``Bearer`` token with the configured one (never true when unset)."""
        if not self.api_token or not authorization:
            return False
        scheme, _, given = authorization.partition(" ")
        if scheme.lower() != "bearer":
            return False
        return hmac.compare_digest(given.strip().encode("utf-8"), self.api_token.encode("utf-8"))
