"""The search backend for scale: an Elasticsearch cluster (8.x or 9.x) through the official client.

The layout, bulk retries and the query translation are shared with OpenSearch (``cluster_backend``, ``dsl``).
The client is the 8.x line: its compatibility headers are accepted by 8.x and 9.x servers, while a 9.x client's
are refused by 8.x servers.
"""

from __future__ import annotations

from typing import Any

import elastic_transport
from elasticsearch import ApiError, Elasticsearch, UnsupportedProductError, helpers

from indexer.search.cluster_backend import ClusterBackend, ClusterSettings
from indexer.search.errors import SearchBackendError

__all__ = ["ElasticsearchBackend", "elasticsearch_client"]


def elasticsearch_client(cluster: ClusterSettings, *, max_retries: int = 2) -> Elasticsearch:
    """A client for every node in ``cluster.urls`` (a request to a dead node is retried on the next one)."""
    kwargs: dict[str, Any] = {
        "request_timeout": cluster.request_timeout,
        "max_retries": max_retries,
        "retry_on_timeout": True,
    }
    if cluster.api_key:
        kwargs["api_key"] = cluster.api_key
    elif cluster.username:
        kwargs["basic_auth"] = (cluster.username, cluster.password)
    if cluster.ca_file:
        kwargs["ca_certs"] = cluster.ca_file
    return Elasticsearch(cluster.urls, **kwargs)


class ElasticsearchBackend(ClusterBackend):
    """Search backend over an Elasticsearch cluster (versioned indices behind an alias)."""

    ENGINE = "Elasticsearch"
    helpers = helpers
    connection_errors = (elastic_transport.ConnectionError, elastic_transport.ConnectionTimeout)
    api_error = ApiError

    @classmethod
    def make_client(cls, cluster: ClusterSettings):
        return elasticsearch_client(cluster)

    def _status(self, exc: BaseException) -> str:
        return str(exc.meta.status) if isinstance(exc, ApiError) else ""

    def _call(self, what: str, fn, *args, **kwargs):
        try:
            return super()._call(what, fn, *args, **kwargs)
        except SearchBackendError as exc:
            cause = exc.__cause__
            # OpenSearch refuses the client's compatibility header (406) before the client can check the product
            refused = isinstance(cause, ApiError) and cause.meta.status == 406 and "compatible-with" in str(cause)
            if isinstance(cause, UnsupportedProductError) or refused:
                raise SearchBackendError(
                    f"the server at {self.url} is not Elasticsearch"
                    " (for OpenSearch set CRIMEA_MONITOR_SEARCH_BACKEND=opensearch)"
                ) from cause
            raise
