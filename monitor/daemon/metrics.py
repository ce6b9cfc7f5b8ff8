"""Prometheus metrics of the daemon, served on METRICS_HOST:METRICS_PORT (``/metrics``)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from prometheus_client.core import REGISTRY


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        # The default registry also carries process CPU and memory, which is what an operator graphs first.
        self.registry = registry or REGISTRY
        r = self.registry
        self.polls = Counter("crimea_monitor_polls_total", "Source polls by outcome (ok, unchanged, failed)",
                             ["source", "outcome"], registry=r)
        self.articles_fetched = Counter("crimea_monitor_articles_fetched_total", "Article pages fetched",
                                        ["source"], registry=r)
        self.articles_new = Counter("crimea_monitor_articles_new_total", "New or updated articles stored",
                                    ["source"], registry=r)
        self.errors = Counter("crimea_monitor_crawl_errors_total", "Crawl errors by source and reason",
                              ["source", "reason"], registry=r)
        self.crawl_processes = Counter("crimea_monitor_crawl_processes_total", "Crawl child processes started",
                                       registry=r)
        self.enrich_seconds = Histogram("crimea_monitor_enrichment_seconds", "Duration of one enrichment batch",
                                        buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1800), registry=r)
        self.enrich_article_seconds = Gauge("crimea_monitor_enrichment_seconds_per_article",
                                            "Enrichment time per article in the last batch", registry=r)
        self.articles_enriched = Counter("crimea_monitor_articles_enriched_total", "Articles enriched", registry=r)
        self.articles_indexed = Counter("crimea_monitor_articles_indexed_total", "Articles indexed", registry=r)
        self.queue_depth = Gauge("crimea_monitor_queue_depth", "Articles per status (fetched, enriched, indexed)",
                                 ["status"], registry=r)
        self.alerts_sent = Counter("crimea_monitor_alerts_sent_total", "Alerts and notices sent, by kind",
                                   ["kind"], registry=r)
        self.consecutive_failures = Gauge("crimea_monitor_source_consecutive_failures",
                                          "Failed polls in a row per source", ["source"], registry=r)
        self.last_success = Gauge("crimea_monitor_source_last_success_timestamp_seconds",
                                  "Unix time of the last successful poll per source", ["source"], registry=r)
        self.interval = Gauge("crimea_monitor_source_poll_interval_seconds", "Current (adaptive) poll interval",
                              ["source"], registry=r)
        self.alert_delay = Gauge("crimea_monitor_alert_delay_seconds",
                                 "Publication of an incident's first report to its first alert, over all alerted "
                                 "incidents (quantile 0.5 and 0.95)", ["quantile"], registry=r)
        self.alerted_incidents = Gauge("crimea_monitor_alerted_incidents", "Incidents with a recorded alert delay",
                                       registry=r)
        self.store_errors = Counter("crimea_monitor_store_errors_total", "Store errors (locked, disk full)",
                                    registry=r)

    def serve(self, host: str, port: int) -> None:
        """Start the /metrics endpoint in a thread; port 0 leaves it off."""
        if port:
            start_http_server(port, addr=host, registry=self.registry)
