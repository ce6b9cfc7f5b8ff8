"""What the Elasticsearch and OpenSearch backends share: the index layout, bulk writes with retries, search.

Layout: an index template ``{prefix}-template`` (explicit mappings, ``indexer.search.dsl``) applies to versioned
indices ``{prefix}-v{timestamp}``; the alias ``{prefix}`` points at exactly one of them. ``reindex(docs)`` and
``clear()`` build a new version and swap the alias in one atomic ``update_aliases`` call, so searches never see a
half-built or missing index (zero-downtime rebuilds).

Both official clients take the same request bodies and have the same bulk/scan helpers; a subclass makes the
client and says which of its exceptions mean "unreachable".
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from itertools import islice
from types import ModuleType
from typing import Any

from indexer.query import parse
from indexer.search.document import IndexDocument, SearchRequest, SearchResult
from indexer.search.dsl import INDEX_SETTINGS, MAPPINGS, document_source, read_response, search_body
from indexer.search.errors import SearchBackendError, SearchBackendUnavailable
from indexer.search.resolver import EntityResolver

__all__ = ["ClusterBackend", "ClusterSettings"]

#: bulk item statuses worth another try: overloaded, or a shard without a primary while a replica is promoted
RETRY_STATUSES = frozenset({429, 502, 503, 504})


class ClusterSettings:
    """How to reach a cluster: node URLs, auth (API key or user/password), a CA file for TLS."""

    def __init__(
        self,
        urls: str | list[str],
        *,
        api_key: str = "",
        username: str = "",
        password: str = "",
        ca_file: str = "",
        request_timeout: float = 10.0,
    ) -> None:
        if isinstance(urls, str):
            urls = [u.strip() for u in urls.split(",")]
        self.urls = [u for u in urls if u]
        self.api_key = api_key
        self.username = username
        self.password = password
        self.ca_file = ca_file
        self.request_timeout = request_timeout

    @property
    def display(self) -> str:
        return ",".join(self.urls)


class ClusterBackend:
    """Search backend over a cluster, through a client with the Elasticsearch-style API."""

    ENGINE = "search cluster"
    helpers: ModuleType
    #: exceptions of the client that mean the cluster cannot be reached
    connection_errors: tuple[type[BaseException], ...] = ()
    #: the client's base class of HTTP error responses
    api_error: type[BaseException] = Exception

    def __init__(
        self,
        url: str | ClusterSettings,
        resolver: EntityResolver,
        index_prefix: str = "crimea-monitor",
        *,
        client: Any = None,
        request_timeout: float = 10.0,
        chunk_size: int = 500,
        max_retries: int = 3,
        retry_backoff: float = 1.0,
        replicas: int = 1,
    ) -> None:
        cluster = url if isinstance(url, ClusterSettings) else ClusterSettings(url, request_timeout=request_timeout)
        self.client = client if client is not None else self.make_client(cluster)
        self.url = cluster.display
        self.resolver = resolver
        self.prefix = index_prefix
        self.alias = index_prefix
        self.template = f"{index_prefix}-template"
        self.chunk_size = chunk_size
        self.max_retries = max_retries
        self.retry_backoff = retry_backoff
        self.replicas = replicas
        self._ready = False

    @classmethod
    def make_client(cls, cluster: ClusterSettings) -> Any:
        """The engine's official client for every node in ``cluster.urls``."""
        raise NotImplementedError

    # -------------------------------------------------------------------------------------- plumbing
    def _status(self, exc: BaseException) -> str:
        return str(getattr(exc, "status_code", "") or "")

    def _call(self, what: str, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except SearchBackendError:
            raise
        except self.connection_errors as exc:
            raise SearchBackendUnavailable(
                f"{self.ENGINE} at {self.url} is unavailable ({what}): {_reason(exc)}"
            ) from exc
        except self.api_error as exc:
            detail = " ".join(str(getattr(exc, "message", "") or exc).split())[:300]
            raise SearchBackendError(f"{self.ENGINE} {what} failed: {detail} ({self._status(exc)})") from exc

    def _new_index_name(self) -> str:
        return f"{self.prefix}-v{datetime.now(UTC).strftime('%Y%m%dt%H%M%S%f')}"

    def ensure(self) -> None:
        """Install the index template and, on first use, a versioned index behind the alias."""
        if self._ready:
            return
        self._call(
            "put index template",
            self.client.indices.put_index_template,
            name=self.template,
            body={
                "index_patterns": [f"{self.prefix}-v*"],
                "priority": 100,
                "template": {
                    "settings": {**INDEX_SETTINGS, "number_of_replicas": self.replicas},
                    "mappings": MAPPINGS,
                },
            },
        )
        if not self._indices():
            self._call(
                "create index",
                self.client.indices.create,
                index=self._new_index_name(),
                body={"aliases": {self.alias: {"is_write_index": True}}},
            )
        self._ready = True

    def _indices(self) -> list[str]:
        if not self._call("check alias", self.client.indices.exists_alias, name=self.alias):
            return []
        return sorted(self._call("get alias", self.client.indices.get_alias, name=self.alias).keys())

    def _bulk(self, actions: Iterable[dict], chunk_size: int | None = None) -> int:
        """Send ``actions`` in chunks; items refused as overloaded or shard-unavailable are sent again (backing
        off) up to ``max_retries`` times. Returns how many succeeded; raises if any finally failed."""
        done = 0
        failed: list[dict] = []
        it = iter(actions)
        while chunk := list(islice(it, chunk_size or self.chunk_size)):
            pending = chunk
            for attempt in range(self.max_retries + 1):
                retry: list[dict] = []
                for action, (ok, item) in zip(pending, self._send(pending), strict=True):
                    result = next(iter(item.values()))
                    status = int(result.get("status", 500))
                    if ok or (action["_op_type"] == "delete" and status == 404):
                        done += 1
                    elif status in RETRY_STATUSES and attempt < self.max_retries:
                        retry.append(action)
                    else:
                        failed.append(result)
                if not retry:
                    break
                time.sleep(self.retry_backoff * 2**attempt)
                pending = retry
        if failed:
            first = failed[0].get("error", {})
            reason = first.get("reason", first) if isinstance(first, dict) else first
            raise SearchBackendError(f"{self.ENGINE} bulk: {len(failed)} documents failed (first: {reason})")
        return done

    def _send(self, actions: list[dict]) -> Iterator[tuple[bool, dict]]:
        return self.helpers.streaming_bulk(
            self.client,
            actions,
            chunk_size=len(actions),
            max_chunk_bytes=100 * 1024 * 1024,
            raise_on_error=False,
            raise_on_exception=True,
        )

    @staticmethod
    def _actions(docs: Iterable[IndexDocument], index: str) -> Iterator[dict]:
        for doc in docs:
            yield {"_op_type": "index", "_index": index, "_id": doc.id, "_source": document_source(doc)}

    def _swap_alias(self, new: str) -> None:
        old = self._indices()
        actions: list[dict] = [{"remove": {"index": name, "alias": self.alias}} for name in old]
        actions.append({"add": {"index": new, "alias": self.alias, "is_write_index": True}})
        self._call("swap alias", self.client.indices.update_aliases, body={"actions": actions})
        for name in old:
            self._call("delete old index", self.client.indices.delete, index=name, ignore_unavailable=True)

    # --------------------------------------------------------------------------------------- writing
    def index(self, docs: Iterable[IndexDocument], batch_size: int | None = None) -> int:
        """Add or replace documents (by id) in the index behind the alias."""
        self.ensure()
        done = self._call("bulk index", self._bulk, self._actions(docs, self.alias), batch_size)
        self._call("refresh", self.client.indices.refresh, index=self.alias)
        return done

    def reindex(self, docs: Iterable[IndexDocument]) -> str:
        """Build a new versioned index from ``docs``, swap the alias to it atomically, drop the old one(s)."""
        self.ensure()
        new = self._new_index_name()
        self._call("create index", self.client.indices.create, index=new)
        try:
            self._call("bulk index", self._bulk, self._actions(docs, new))
            self._call("refresh", self.client.indices.refresh, index=new)
        except BaseException:
            self._call("drop new index", self.client.indices.delete, index=new, ignore_unavailable=True)
            raise
        self._swap_alias(new)
        return new

    def delete(self, ids: Iterable[str]) -> None:
        self.ensure()
        actions = ({"_op_type": "delete", "_index": self.alias, "_id": i} for i in ids)
        self._call("bulk delete", self._bulk, actions)
        self._call("refresh", self.client.indices.refresh, index=self.alias)

    def clear(self) -> None:
        """Empty the index: a new empty version behind the alias (searches never fail meanwhile)."""
        self.ensure()
        new = self._new_index_name()
        self._call("create index", self.client.indices.create, index=new)
        self._swap_alias(new)

    def close(self) -> None:
        self.client.close()

    def count(self) -> int:
        self.ensure()
        return int(self._call("count", self.client.count, index=self.alias)["count"])

    def ids(self) -> Iterator[str]:
        """Every document id in the index (a scroll over the alias, no sources)."""
        self.ensure()
        hits = self.helpers.scan(
            self.client, index=self.alias, query={"query": {"match_all": {}}, "_source": False}, size=2000
        )
        while (hit := self._call("list ids", next, hits, None)) is not None:
            yield hit["_id"]

    def drop(self) -> None:
        """Delete every versioned index, the alias and the template (tests, teardown)."""
        for name in self._indices():
            self._call("delete index", self.client.indices.delete, index=name, ignore_unavailable=True)
        try:
            self._call("delete template", self.client.indices.delete_index_template, name=self.template)
        except SearchBackendError as exc:
            if "(404)" not in str(exc):
                raise
        self._ready = False

    # ---------------------------------------------------------------------------------------- search
    def search(self, request: SearchRequest) -> SearchResult:
        query = parse(request.query)
        self.ensure()
        body = search_body(request, query, self.resolver)
        resp = self._call("search", self.client.search, index=self.alias, body=body)
        return read_response(resp, request)


def _reason(exc: BaseException) -> str:
    """The root cause of a connection error in a few words ("[Errno 111] Connection refused")."""
    text = " ".join(str(exc).split())
    found = re.search(r"\[Errno -?\d+\][^)'\"]*", text)
    if found:
        return found.group(0).strip()
    if "timed out" in text.lower() or "timeout" in type(exc).__name__.lower():
        return "timed out"
    return text[:160] or type(exc).__name__
