"""The delivery log: pending deliveries are sent, every attempt is recorded, nothing is dropped or sent twice.

A fired alert gets one delivery per channel of its rule, pending until a send succeeds. Each run sends what is
pending (immediate rules one message per alert; digest rules one message per channel with every alert waiting,
at most every N hours); a failure is logged with its reason and the delivery stays pending for the next run.
A delivery is marked sent in the same transaction that logs its successful attempt, so a restart never re-sends
it; the payload carries the alert id so a receiver can recognise the one message a crash between the send and
that commit could repeat.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from alerts.channels import DeliveryError, send
from alerts.rules import AlertConfig, Channel
from indexer.store import Store

__all__ = ["DeliveryReport", "deliver_pending"]

log = logging.getLogger(__name__)


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    waiting: int = 0  # digest deliveries not due yet
    errors: list[str] = field(default_factory=list)


def _digest_due(store: Store, rule: str, hours: int, now: datetime) -> bool:
    row = store.alert_rule_row(rule)
    if row is None or not row["last_digest_at"]:
        return True
    last = datetime.fromisoformat(row["last_digest_at"])
    return now - last >= timedelta(hours=hours)


def _send_logged(store: Store, channel: Channel, alerts: list[dict[str, Any]], ids: list[int], timeout: float,
                 retries: int, backoff: float) -> str | None:
    """Send one message, logging every try; webhooks are retried with back-off inside the run (receivers blip).
    Returns None when sent, else the last error."""
    tries = retries + 1 if channel.type == "webhook" else 1
    error = ""
    for attempt in range(tries):
        if attempt:
            time.sleep(backoff * 2 ** (attempt - 1))
        try:
            send(channel, alerts, timeout=timeout)
        except DeliveryError as exc:
            store.record_delivery_attempt(ids, False, str(exc))
            error = str(exc)
            if exc.permanent:
                break
            continue
        store.record_delivery_attempt(ids, True)
        return None
    return error


def deliver_pending(store: Store, config: AlertConfig, *, timeout: float = 10.0, retries: int = 0,
                    backoff: float = 0.5, now: datetime | None = None) -> DeliveryReport:
    now = now or datetime.now(UTC)
    report = DeliveryReport()
    batches: dict[tuple[str, str], list[Any]] = {}
    for row in store.pending_deliveries():
        batches.setdefault((row["rule"], row["channel"]), []).append(row)
    digests_sent: set[str] = set()
    for (rule_name, channel_name), rows in batches.items():
        try:
            if _deliver_batch(store, config, rule_name, channel_name, rows, report, now, timeout, retries, backoff):
                digests_sent.add(rule_name)
        except Exception as exc:  # one rule's failure must never keep the others' alerts back
            error = f"{rule_name} -> {channel_name}: {type(exc).__name__}: {exc}"
            log.warning("delivery of %s failed", error)
            log.debug("delivery of %s -> %s", rule_name, channel_name, exc_info=True)
            report.failed += len(rows)
            report.errors.append(error)
    for rule_name in digests_sent:
        store.mark_digest_sent(rule_name)
    return report


def _deliver_batch(store: Store, config: AlertConfig, rule_name: str, channel_name: str, rows: list[Any],
                   report: DeliveryReport, now: datetime, timeout: float, retries: int, backoff: float) -> bool:
    """Send one rule's pending deliveries to one channel; True when a digest went out."""
    rule = next((r for r in config.rules if r.name == rule_name), None)
    channel = config.channels.get(channel_name)
    if channel is None:
        # kept pending, never dropped: it goes out once the channel is configured again
        error = f"channel {channel_name!r} is no longer in {config.path}"
        store.record_delivery_attempt([r["id"] for r in rows], False, error)
        report.failed += len(rows)
        report.errors.append(error)
        return False
    digest = rule is not None and rule.digest_hours is not None
    if digest:
        if not _digest_due(store, rule_name, rule.digest_hours, now):
            report.waiting += len(rows)
            return False
        messages = [rows]
    else:
        messages = [[r] for r in rows]
    sent = False
    for message in messages:
        alerts = [{**json.loads(r["payload_json"]), "alert_id": r["alert_id"]} for r in message]
        ids = [r["id"] for r in message]
        error = _send_logged(store, channel, alerts, ids, timeout, retries, backoff)
        if error is not None:
            report.failed += len(ids)
            report.errors.append(f"{rule_name} -> {channel_name}: {error}")
            continue
        report.sent += len(ids)
        sent = True
    return digest and sent
