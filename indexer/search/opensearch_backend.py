"""The search backend for an OpenSearch cluster (2.x) through opensearch-py.

Same layout, bulk retries and query translation as the Elasticsearch backend (``cluster_backend``, ``dsl``).
OpenSearch has no API keys: a secured cluster takes a user and password.
"""

from __future__ import annotations

from typing import Any

from opensearchpy import ConnectionError as OpenSearchConnectionError
from opensearchpy import OpenSearch, TransportError, helpers

from indexer.search.cluster_backend import ClusterBackend, ClusterSettings
from indexer.search.errors import SearchBackendError

__all__ = ["OpenSearchBackend", "opensearch_client"]


def opensearch_client(cluster: ClusterSettings, *, max_retries: int = 2) -> OpenSearch:
    """A client for every node in ``cluster.urls`` (a request to a dead node is retried on the next one)."""
    if cluster.api_key:
        raise SearchBackendError("OpenSearch takes a user and password, not an API key (CRIMEA_MONITOR_SEARCH_API_KEY)")
    kwargs: dict[str, Any] = {"timeout": cluster.request_timeout, "max_retries": max_retries, "retry_on_timeout": True}
    if cluster.username:
        kwargs["http_auth"] = (cluster.username, cluster.password)
    if cluster.ca_file:
        kwargs["ca_certs"] = cluster.ca_file
        kwargs["verify_certs"] = True
    return OpenSearch(cluster.urls, **kwargs)


class OpenSearchBackend(ClusterBackend):
    """Search backend over an OpenSearch cluster (versioned indices behind an alias)."""

    ENGINE = "OpenSearch"
    helpers = helpers
    # opensearch-py's ConnectionTimeout and SSLError are ConnectionErrors
    connection_errors = (OpenSearchConnectionError,)
    api_error = TransportError

    @classmethod
    def make_client(cls, cluster: ClusterSettings):
        return opensearch_client(cluster)

    def _status(self, exc: BaseException) -> str:
        return str(getattr(exc, "status_code", "") or "")
