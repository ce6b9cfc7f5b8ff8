"""The daemon's enrichment child: ``python -m monitor.daemon.worker`` enriches pending articles in batches and, after
each batch, indexes them and runs the incident and alerting steps; prints one JSON report on stdout.

It is a process of its own so that spaCy's CPU and memory never touch the scheduler or a crawl (the daemon starts
it at a lower CPU priority), and so that its memory is returned when the queue is empty. SIGTERM lets the current
batch finish; a SIGKILL loses nothing either: every article's results are written in one transaction, and whatever
was not written is still ``fetched`` (or ``enriched``) for the next run.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import settings as config
from indexer.store import Store, StoreError

logger = logging.getLogger("monitor.worker")
_stop = False


def _on_term(signum: int, frame: object) -> None:
    global _stop
    _stop = True


def _with_index(store: Store, report: dict[str, Any], what: str, work: Callable[[Store, Any], Any]) -> Any:
    """``work(store, backend)`` on the configured backend, closed afterwards; a backend fault is reported, not fatal
    (the articles stay 'enriched' and a later run indexes them). Returns None when the backend failed."""
    from indexer.search.errors import SearchBackendError
    from pipelines.index import backend_from_settings

    try:
        backend = backend_from_settings(store.path, store)
        try:
            return work(store, backend)
        finally:
            close = getattr(backend, "close", None)
            if callable(close):
                close()
    except SearchBackendError as exc:
        report["index_error"] = str(exc)
        logger.error("%s failed: %s", what, exc)
        return None


def _index(store: Store, report: dict[str, Any]) -> None:
    from pipelines.index import index_pending

    indexed = _with_index(store, report, "indexing", index_pending)
    report["indexed"] += indexed or 0


def _reconcile(store: Store, report: dict[str, Any]) -> None:
    """After a crash of the daemon: index what the store has and the index lacks, delete what it should not hold."""
    from pipelines.index import repair_index

    diff = _with_index(store, report, "index check after a crash", repair_index)
    if diff is not None:
        report["reconciled"] = {"missing": len(diff.missing), "extra": len(diff.extra)}


def _incidents_and_alerts(store: Store, report: dict[str, Any]) -> None:
    from pipelines.incidents import cluster_pending

    clustered = cluster_pending(store)
    report["incidents"] += len(clustered.touched)
    report["alerts"] += _alerting(store, report)


def _alerting(store: Store, report: dict[str, Any]) -> int:
    """Issue 5's alerting step: rules matched against new/updated incidents, each delivered once; returns how many
    alerts fired."""
    from alerts.rules import AlertConfigError, load_alerts
    from pipelines.alerting import run_alerts

    if not Path(config.ALERTS).exists():
        return 0
    try:
        alerts = load_alerts(config.ALERTS)
    except AlertConfigError as exc:
        report["alert_error"] = str(exc)
        return 0
    result = run_alerts(store, alerts)
    if result.errors:
        report["alert_error"] = "; ".join(result.errors[:3])
    report["alerts_sent"] += result.delivery.sent
    return len(result.fired)


def run(batch_articles: int, reconcile: bool = False) -> dict[str, Any]:
    """Enrich, index, cluster and alert until nothing is pending; ``reconcile`` (the daemon did not stop cleanly
    last time) first makes the index hold exactly the store's indexable articles."""
    from pipelines.enrich import enrich

    report: dict[str, Any] = {"enriched": 0, "batches": 0, "seconds": 0.0, "indexed": 0, "incidents": 0,
                              "alerts": 0, "alerts_sent": 0, "index_error": None, "alert_error": None, "stopped": False,
                              "reconciled": None}
    started = time.perf_counter()
    with Store.open(config.DB) as store:
        if reconcile:
            _reconcile(store, report)
        while not _stop:
            pending = len(store.article_ids_with_status("fetched", limit=1))
            if pending:
                enriched = enrich(store, limit=batch_articles, batch_size=config.ENRICH_BATCH_SIZE,
                                  n_process=config.ENRICH_N_PROCESS)
                report["enriched"] += enriched.articles
                report["batches"] += 1
            if store.article_ids_with_status("enriched", limit=1):
                _index(store, report)
            try:
                _incidents_and_alerts(store, report)
            except StoreError:
                raise
            except Exception as exc:  # an alerting fault must not lose the enrichment done
                report["alert_error"] = f"{type(exc).__name__}: {exc}"
                logger.exception("incident/alerting step failed")
            if not pending:
                break
    report["stopped"] = _stop
    report["seconds"] = round(time.perf_counter() - started, 3)
    return report


def main() -> int:
    signal.signal(signal.SIGTERM, _on_term)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    batch = max(1, config.ENRICH_BATCH_SIZE * 4)
    # One enrichment at a time per store, even if an orphaned worker of a killed daemon were still running.
    lock_path = Path(config.DB).with_name(f"{Path(config.DB).stem}.enrich.lock")
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        lock = lock_path.open("a")
        fcntl.flock(lock, fcntl.LOCK_EX)
    except OSError as exc:
        sys.stderr.write(f"error: cannot lock {lock_path}: {exc}\n")
        return 1
    try:
        report = run(batch, reconcile="--reconcile" in sys.argv[1:])
    except StoreError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1
    sys.stdout.write(json.dumps(report) + "\n")
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip the interpreter's teardown: the work is committed and reported, and during teardown Python has already
    # restored SIGTERM's default action, so a stop request then would turn a finished run into a killed one.
    os._exit(code)
