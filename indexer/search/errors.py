"""What every search backend promises, and how it fails."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol, runtime_checkable

from indexer.search.document import IndexDocument, SearchRequest, SearchResult

__all__ = ["SearchBackend", "SearchBackendError", "SearchBackendUnavailable"]


class SearchBackendError(RuntimeError):
    """A search backend failed for a reason other than a malformed query."""


class SearchBackendUnavailable(SearchBackendError):
    """The backend cannot be reached (server down, refused connection, timeout). The message is one line."""


@runtime_checkable
class SearchBackend(Protocol):
    """The contract every backend (Tantivy, Elasticsearch, OpenSearch) follows; tests/search_contract.py checks it.

    ``search`` raises ``indexer.query.QuerySyntaxError`` for a malformed query and
    ``SearchBackendUnavailable`` when the backend cannot be reached. Indexing a document whose id is already
    indexed replaces it.
    """

    def index(self, docs: Iterable[IndexDocument]) -> int: ...

    def delete(self, ids: Iterable[str]) -> None: ...

    def count(self) -> int: ...

    def ids(self) -> Iterator[str]:
        """Every document id in the index (``reindex --check`` compares them with the store)."""
        ...

    def clear(self) -> None: ...

    def search(self, request: SearchRequest) -> SearchResult: ...

    def close(self) -> None:
        """Finish pending background work (Tantivy merges) and release resources; safe to call twice."""
        ...
