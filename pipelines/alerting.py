"""The alerting step: match alert rules against incidents and deliver what fired.

Runs after clustering (``crimea-monitor enrich`` ends with it; ``crimea-monitor alerts run`` runs it alone). A
rule fires once per (rule, incident), the first time the incident matches; incidents that existed before the rule
was first seen do not fire unless ``backfill`` (no flood of old news on first start). Deliveries that failed
before are retried first, then new alerts are delivered.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from alerts.deliveries import DeliveryReport, deliver_pending
from alerts.matching import IncidentDoc, incident_doc, matches
from alerts.rules import AlertConfig, Rule
from indexer.search.resolver import EntityResolver
from indexer.store import Store, utcnow
from pipelines.incidents import incident_record

__all__ = ["AlertRunReport", "default_resolver", "matching_incidents", "run_alerts"]

log = logging.getLogger(__name__)


@dataclass
class AlertRunReport:
    fired: list[tuple[str, str]] = field(default_factory=list)  # (rule, incident id)
    delivery: DeliveryReport = field(default_factory=DeliveryReport)
    rule_errors: list[str] = field(default_factory=list)  # rules that could not fire this run (the others did)

    @property
    def errors(self) -> list[str]:
        return self.rule_errors + [f"delivery failed: {e}" for e in self.delivery.errors]


def default_resolver(store: Store) -> EntityResolver:
    from nlp.gazetteer import load_gazetteer
    from pipelines.resolver import GazetteerResolver

    return GazetteerResolver(store, load_gazetteer())


class _Docs:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.cache: dict[str, IncidentDoc | None] = {}

    def get(self, incident_id: str) -> IncidentDoc | None:
        if incident_id not in self.cache:
            self.cache[incident_id] = incident_doc(self.store, incident_id)
        return self.cache[incident_id]


def matching_incidents(store: Store, rule: Rule, resolver: EntityResolver, docs: _Docs | None = None) -> list[Any]:
    """Active incidents the rule matches now (its query and its minimum of independent sources)."""
    docs = docs or _Docs(store)
    out = []
    for row in store.list_incidents():
        # a recap of an old case ("sentenced in 2021") is background, not a newly reported incident
        if row["recap_only"] or row["source_count"] < rule.min_sources:
            continue
        doc = docs.get(row["id"])
        if doc is not None and matches(rule.query, doc, resolver):
            out.append(row)
    return out


def run_alerts(store: Store, config: AlertConfig, *, resolver: EntityResolver | None = None, backfill: bool = False,
               deliver: bool = True) -> AlertRunReport:
    """Fire every rule on the incidents new to it, then deliver. A rule that fails (a store error, a bug its query
    hits) is logged and reported; the other rules fire and deliver all the same."""
    import settings as cfg

    resolver = resolver or default_resolver(store)
    report = AlertRunReport()
    docs = _Docs(store)
    for rule in config.rules:
        try:
            report.fired += _fire(store, rule, resolver, docs, backfill)
        except Exception as exc:  # one bad rule must never block the others
            error = f"rule {rule.name!r} failed: {type(exc).__name__}: {exc}"
            log.warning("%s", error)
            log.debug("rule %r", rule.name, exc_info=True)
            report.rule_errors.append(error)
    if deliver:
        report.delivery = deliver_pending(
            store, config, timeout=cfg.ALERT_SEND_TIMEOUT, retries=cfg.ALERT_WEBHOOK_RETRIES,
            backoff=cfg.ALERT_RETRY_BACKOFF_BASE,
        )
    return report


def _fire(store: Store, rule: Rule, resolver: EntityResolver, docs: _Docs, backfill: bool) -> list[tuple[str, str]]:
    fired = []
    registered = store.register_alert_rule(rule.name, rule.query_text)
    for row in matching_incidents(store, rule, resolver, docs):
        # new to the rule: some report of it reached the monitor after the rule was created (an incident that
        # re-clustering made out of older reports is not news)
        if not backfill and store.incident_known_seq(row["id"]) <= registered["created_seq"]:
            continue
        if store.alerted(rule.name, row["id"]):
            continue
        record = incident_record(store, row["id"])
        payload = {"rule": rule.name, "description": rule.description, "fired_at": utcnow(), "incident": record}
        if store.record_alert(rule.name, row["id"], payload, list(rule.channels)) is not None:
            fired.append((rule.name, row["id"]))
    return fired
