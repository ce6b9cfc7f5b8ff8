"""The daemon: an APScheduler scheduler with a persistent job store, one poll job per source, an enrichment job and
a health job; crawls and enrichment run in child processes (see the package docstring for why).

Restart semantics: the job store (SQLAlchemy on SQLite, beside the store) keeps every job's next run time, so a
restarted daemon resumes the schedule instead of polling everything at once; polls missed while it was down run
once (coalesce) if they are less than MISFIRE_GRACE_SECONDS late. A lock file keeps a second daemon off the same
store.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.exc import SQLAlchemyError

import settings as config
from crawlers.feedcheck import FeedChecker
from crawlers.sources import Source
from indexer.store import Store, StoreError
from indexer.store_posts import delay_summary
from monitor.daemon import jobs
from monitor.daemon.crawls import CrawlDispatcher, DispatcherStopped, PollResult, child_setup
from monitor.daemon.metrics import Metrics
from monitor.daemon.notify import FanOutNotifier, JsonlNotifier, alert_channels
from pipelines.health import (
    HealthLimits,
    HealthNotice,
    HealthNotifier,
    PollingPolicy,
    check_health,
    next_interval,
    parse_time,
)

logger = logging.getLogger("monitor.daemon")


class DaemonError(RuntimeError):
    """The daemon cannot start (another one runs on this store, the job store cannot be opened ...)."""


def scheduler_db_for(db: str | Path, configured: str = "") -> Path:
    if configured:
        return Path(configured)
    path = Path(db)
    return path.with_name(f"{path.stem}.scheduler.db")


def running_marker_for(db: str | Path) -> Path:
    """A file that exists while a daemon runs on ``db`` and is removed when it stops cleanly."""
    path = Path(db)
    return path.with_name(f"{path.stem}.daemon.running")


def lock_path_for(db: str | Path) -> Path:
    path = Path(db)
    return path.with_name(f"{path.stem}.daemon.lock")


@dataclass
class DaemonConfig:
    db: str
    sources_path: str
    scheduler_db: Path
    child_env: dict[str, str]
    policy: PollingPolicy
    limits: HealthLimits
    jitter_fraction: float = config.POLL_JITTER_FRACTION
    misfire_grace: int = config.MISFIRE_GRACE_SECONDS
    batch_window: float = config.CRAWL_BATCH_WINDOW
    max_processes: int = config.CRAWL_MAX_PROCESSES
    crawl_timeout: float = config.CRAWL_TIMEOUT_SECONDS
    enrich_interval: int = config.ENRICH_INTERVAL_SECONDS
    enrich_timeout: float = config.ENRICH_TIMEOUT_SECONDS
    health_interval: int = config.HEALTH_INTERVAL_SECONDS
    shutdown_timeout: float = config.SHUTDOWN_TIMEOUT_SECONDS
    metrics_host: str = config.METRICS_HOST
    metrics_port: int = config.METRICS_PORT
    health_alerts_file: str = config.HEALTH_ALERTS_FILE
    feed_precheck: bool = config.FEED_PRECHECK
    extra_channels: list[HealthNotifier] = field(default_factory=list)

    @classmethod
    def from_settings(cls, db: str, sources_path: str, env_overrides: dict[str, str] | None = None,
                      policy: PollingPolicy | None = None) -> DaemonConfig:
        env = {**os.environ, **(env_overrides or {})}
        env["CRIMEA_MONITOR_DB"] = str(db)
        env["CRIMEA_MONITOR_SOURCES"] = str(sources_path)
        return cls(db=db, sources_path=sources_path, scheduler_db=scheduler_db_for(db, config.SCHEDULER_DB),
                   child_env=env, policy=policy or PollingPolicy.from_settings(config),
                   limits=HealthLimits.from_settings(config))


class Daemon:
    def __init__(self, cfg: DaemonConfig, sources: list[Source]) -> None:
        self.cfg = cfg
        self.sources = {s.id: s for s in sources}
        self.metrics = Metrics()
        self.stop_event = threading.Event()
        self._store_lock = threading.Lock()
        self._store: Store | None = None
        channels: list[HealthNotifier] = [*cfg.extra_channels,
                                          *alert_channels(config.ALERTS, config.HEALTH_CHANNELS,
                                                          config.ALERT_SEND_TIMEOUT)]
        if cfg.health_alerts_file:
            channels.append(JsonlNotifier(cfg.health_alerts_file))
        self.notifier = FanOutNotifier(channels, on_sent=self._notice_sent)
        self.dispatcher = CrawlDispatcher(
            cfg.child_env, window=cfg.batch_window, max_processes=cfg.max_processes, timeout=cfg.crawl_timeout,
            on_batch_start=self._batch_started, on_batch_end=self._batch_ended, on_store_trouble=self._store_trouble,
            precheck=self._precheck if cfg.feed_precheck else None,
        )
        self.feeds = FeedChecker(config.USER_AGENT, float(config.DOWNLOAD_TIMEOUT), config.ROBOTSTXT_OBEY,
                                 float(config.ROBOTS_CACHE_SECONDS))
        self.scheduler = BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(url=f"sqlite:///{cfg.scheduler_db}")},
            # Poll jobs only hand their source to the dispatcher and return (a thread per waiting poll cost ~100 MB
            # with 200 sources); the enrichment job has its own executor so it never holds up a poll.
            executors={"default": ThreadPoolExecutor(8), "enrich": ThreadPoolExecutor(1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": cfg.misfire_grace},
            timezone=UTC,
        )
        self._enrich_lock = threading.Lock()
        self._enrich_running = False
        self._enrich_again = False
        self._worker: subprocess.Popen | None = None
        self._store_problem: str | None = None
        self._store_trouble_at = 0.0
        self._lock_file: Any = None
        self._reconcile_index = False

    # --- lifecycle -------------------------------------------------------------------------------------------
    def run(self, install_signals: bool = True) -> int:
        """Run until SIGTERM/SIGINT (or ``stop()``); returns the exit code."""
        self._acquire_lock()
        try:
            self._store = Store.open(self.cfg.db)
            interrupted = self._store.interrupt_job_runs()
            if interrupted:
                logger.warning("%d job runs of a previous daemon were interrupted; their work resumes now",
                               interrupted)
            # the marker outlives only a daemon that did not stop cleanly: its index may lack or hold stray articles
            marker = running_marker_for(self.cfg.db)
            self._reconcile_index = marker.exists() or bool(interrupted)
            if self._reconcile_index:
                logger.warning("the previous daemon did not stop cleanly: the index is checked against the store")
            marker.write_text(str(os.getpid()), encoding="utf-8")
            jobs.current = self
            if install_signals:
                signal.signal(signal.SIGTERM, self._on_signal)
                signal.signal(signal.SIGINT, self._on_signal)
            try:
                self.metrics.serve(self.cfg.metrics_host, self.cfg.metrics_port)
            except OSError as exc:
                logger.error("metrics endpoint %s:%s not started: %s", self.cfg.metrics_host, self.cfg.metrics_port,
                             exc)
            self.dispatcher.start()
            try:
                self.scheduler.start(paused=True)
            except SQLAlchemyError as exc:
                raise DaemonError(f"cannot open the job store {self.cfg.scheduler_db}: {exc}") from exc
            self._sync_jobs()
            self._resume_unfinished()
            self._register_alert_rules()
            self._update_alert_delay()
            self.scheduler.resume()
            logger.info("daemon started", extra={"sources": len(self.sources), "db": self.cfg.db,
                                                 "pid": os.getpid()})
            self.stop_event.wait()
            self._shutdown()
            running_marker_for(self.cfg.db).unlink(missing_ok=True)
            return 0
        finally:
            jobs.current = None
            if self._store is not None:
                self._store.close()
            self._release_lock()

    def stop(self) -> None:
        self.stop_event.set()

    def _on_signal(self, signum: int, frame: object) -> None:
        if self.stop_event.is_set():  # a second signal: the user does not want to wait
            logger.warning("second %s: killing children and exiting now", signal.Signals(signum).name)
            self.dispatcher.kill()
            if self._worker is not None:
                with contextlib.suppress(ProcessLookupError):
                    self._worker.kill()
            os._exit(130)
        logger.info("%s received: stopping (running crawls finish their requests in flight)",
                    signal.Signals(signum).name)
        self.stop_event.set()

    def _shutdown(self) -> None:
        started = time.monotonic()
        self.scheduler.pause()
        self.dispatcher.stop()
        worker = self._worker
        if worker is not None and worker.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                worker.terminate()
        # Children first: the jobs waiting on them then end at once, and the scheduler's shutdown is quick.
        deadline = started + self.cfg.shutdown_timeout
        while (self.dispatcher.busy() or self._worker is not None) and time.monotonic() < deadline:
            time.sleep(0.1)
        if self.dispatcher.busy() or self._worker is not None:
            logger.error("jobs still running after %.0f s: killing their processes", self.cfg.shutdown_timeout)
            self.dispatcher.kill()
            if self._worker is not None:
                with contextlib.suppress(ProcessLookupError):
                    self._worker.kill()
        self.feeds.close()
        done = threading.Thread(target=self.scheduler.shutdown, kwargs={"wait": True}, daemon=True)
        done.start()
        done.join(10)
        logger.info("daemon stopped", extra={"seconds": round(time.monotonic() - started, 2)})

    def _acquire_lock(self) -> None:
        path = lock_path_for(self.cfg.db)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            pid = handle.read().strip() or "?"
            handle.close()
            raise DaemonError(f"another daemon (pid {pid}) runs on {self.cfg.db}; stop it first") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._lock_file = handle

    def _release_lock(self) -> None:
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    # --- schedule --------------------------------------------------------------------------------------------
    def _trigger(self, seconds: int) -> IntervalTrigger:
        jitter = int(seconds * self.cfg.jitter_fraction) or None
        return IntervalTrigger(seconds=seconds, jitter=jitter, timezone=UTC)

    def _sync_jobs(self) -> None:
        """Make the job store match the sources file, keeping the due times of jobs that are already there."""
        now = datetime.now(UTC)
        existing = {job.id: job for job in self.scheduler.get_jobs()}
        rows = {row["source_id"]: row for row in self._with_store(lambda s: s.source_health()) or []}
        for source in self.sources.values():
            row = rows.get(source.id)
            interval = next_interval(source.interval_seconds, row["unchanged_polls"] if row else 0,
                                     row["consecutive_failures"] if row else 0, self.cfg.policy)
            self._ensure_job(f"poll:{source.id}", jobs.POLL, [source.id], interval, "default", existing, now)
            self._with_store(lambda s, sid=source.id, i=interval: s.set_poll_interval(sid, i))
            self.metrics.interval.labels(source.id).set(interval)
        self._ensure_job("enrich", jobs.ENRICH, [], self.cfg.enrich_interval, "enrich", existing, now)
        self._ensure_job("health", jobs.HEALTH, [], self.cfg.health_interval, "default", existing, now)
        for job_id in existing:
            logger.info("source %s is no longer in the sources file: its job is removed", job_id[5:])
            self.scheduler.remove_job(job_id)

    def _resume_unfinished(self) -> None:
        """Sources whose last crawl left URLs pending (a killed daemon or crawl) are polled now, not at their next
        due time: the crawl takes up the pending URLs first, and skips everything already stored."""
        now = datetime.now(UTC)
        for source_id in self._with_store(lambda s: s.sources_with_pending_urls()) or []:
            if source_id in self.sources:
                logger.info("source %s has unfinished work: polled now", source_id)
                with contextlib.suppress(JobLookupError):
                    self.scheduler.modify_job(f"poll:{source_id}", next_run_time=now)

    def _register_alert_rules(self) -> None:
        """Rules are "first seen" when the daemon starts, so incidents found from now on are new to them (an
        incident clustered in the daemon's first enrichment run would otherwise count as old news)."""
        path = Path(config.ALERTS)
        if not path.exists():
            return
        from alerts.rules import AlertConfigError, load_alerts

        try:
            rules = load_alerts(path).rules
        except AlertConfigError as exc:
            logger.error("alerting is off until the alerts file is fixed: %s", exc)
            return
        for rule in rules:
            self._with_store(lambda s, r=rule: s.register_alert_rule(r.name, r.query_text))

    def _ensure_job(self, job_id: str, func: str, args: list[str], interval: int, executor: str,
                    existing: dict[str, Any], now: datetime) -> None:
        job = existing.pop(job_id, None)
        if job is None:
            self.scheduler.add_job(func, trigger=self._trigger(interval), args=args, id=job_id, name=job_id,
                                   executor=executor, next_run_time=now, replace_existing=True)
            return
        if int(job.trigger.interval.total_seconds()) != interval:
            due = job.next_run_time or now
            self.scheduler.modify_job(job_id, trigger=self._trigger(interval),
                                      next_run_time=min(due, now + timedelta(seconds=interval)))

    # --- poll jobs -------------------------------------------------------------------------------------------
    def poll_source(self, source_id: str) -> None:
        source = self.sources.get(source_id)
        if source is None or self.stop_event.is_set():
            return
        # The dispatcher runs one poll per source at a time (a poll asked for while one runs is that poll), so
        # the job returns at once and the result is accounted when the crawl reports it.
        self.dispatcher.poll(source_id).add_done_callback(lambda future: self._accounted(source, future))

    def _accounted(self, source: Source, future: Any) -> None:
        try:
            result = future.result()
        except DispatcherStopped:
            return
        try:
            self._account(source, result)
        except Exception:  # accounting runs in a crawl's reader thread: never let it die silently
            logger.exception("poll of %s not accounted", source.id)

    def _precheck(self, source_ids: list[str]) -> dict[str, PollResult]:
        """Feed sources whose every start URL answers 304 right now: accounted as unchanged polls, no crawl."""
        pending = set(self._with_store(lambda s: s.sources_with_pending_urls()) or [])
        asks: list[tuple[str, str, str | None, str | None]] = []
        for source_id in source_ids:
            source = self.sources.get(source_id)
            if source is None or source.kind != "feed" or source_id in pending:
                continue
            states = [self._with_store(lambda s, u=url: s.fetch_state(u)) for url in source.start_urls]
            if all(st is not None and (st["etag"] or st["last_modified"]) for st in states):
                asks += [(source_id, url, st["etag"], st["last_modified"])
                         for url, st in zip(source.start_urls, states, strict=True)]
        if not asks:
            return {}
        answers = self.feeds.unchanged_all([(url, etag, modified) for _, url, etag, modified in asks])
        verdict: dict[str, bool] = {}
        for (source_id, _url, _e, _m), unchanged in zip(asks, answers, strict=True):
            verdict[source_id] = verdict.get(source_id, True) and unchanged
        settled = {}
        for source_id, unchanged in verdict.items():
            if not unchanged:
                continue
            source = self.sources[source_id]
            report = {"source_id": source_id, "name": source.name, "fetched": 0, "new": 0, "updated": 0,
                      "feeds_unchanged": len(source.start_urls), "errors": {}, "finish_reason": "finished",
                      "precheck": True}

            def record(store: Store, sid: str = source_id, urls: tuple[str, ...] = source.start_urls,
                       rep: dict[str, Any] = report) -> None:
                with store.transaction():
                    for url in urls:
                        store.record_fetch(url, sid, 304)
                    store.record_poll(sid, ok=True, changed=False, error=None, report=rep)

            self._with_store(record)
            settled[source_id] = PollResult(source_id, report, ok=True)
        return settled

    def _account(self, source: Source, result: PollResult) -> None:
        if result.report is None and result.ok:
            return  # not polled (shutdown, or still running): nothing to account
        report = result.report or {}
        self.metrics.articles_fetched.labels(source.id).inc(int(report.get("fetched") or 0))
        self.metrics.articles_new.labels(source.id).inc(int(report.get("new") or 0) + int(report.get("updated") or 0))
        for reason, count in (report.get("errors") or {}).items():
            self.metrics.errors.labels(source.id, reason).inc(count)
        if result.report is None:
            self.metrics.errors.labels(source.id, "crawl process").inc()
        if result.store_trouble:
            self._store_trouble(result.error or "store error in a crawl")
        elif not result.recorded:
            self._with_store(lambda s: s.record_poll(source.id, ok=False, changed=False, error=result.error,
                                                     report={"error": result.error}))
        outcome = "failed" if not result.ok else ("new" if result.changed else "unchanged")
        self.metrics.polls.labels(source.id, outcome).inc()
        rows = self._with_store(lambda s: s.source_health(source.id)) or []
        if not rows:
            return
        row = rows[0]
        self.metrics.consecutive_failures.labels(source.id).set(row["consecutive_failures"])
        success = parse_time(row["last_success_at"])
        if success is not None:
            self.metrics.last_success.labels(source.id).set(success.timestamp())
        interval = next_interval(source.interval_seconds, row["unchanged_polls"], row["consecutive_failures"],
                                 self.cfg.policy)
        if interval != row["interval_seconds"] and not self.stop_event.is_set():
            with contextlib.suppress(JobLookupError):
                self.scheduler.reschedule_job(f"poll:{source.id}", trigger=self._trigger(interval))
            self._with_store(lambda s: s.set_poll_interval(source.id, interval))
            self.metrics.interval.labels(source.id).set(interval)
            logger.info("poll interval of %s is now %d s", source.id, interval,
                        extra={"source": source.id, "interval": interval})
        level = logging.WARNING if not result.ok else logging.INFO
        logger.log(level, "polled %s: %s", source.id, outcome, extra={
            "source": source.id, "new": report.get("new", 0), "fetched": report.get("fetched", 0),
            "error": result.error, "seconds": round(result.seconds, 2),
        })
        if result.changed:
            self.request_enrichment()

    def _batch_started(self, sources: list[str], pid: int) -> int | None:
        self.metrics.crawl_processes.inc()
        return self._with_store(lambda s: s.start_job_run("crawl", sources, pid))

    def _batch_ended(self, run_id: int | None, summary: dict[str, Any]) -> None:
        if run_id is None:
            return
        status = "ok" if summary.get("code") == 0 else ("interrupted" if self.stop_event.is_set() else "failed")
        self._with_store(lambda s: s.finish_job_run(run_id, status, summary))

    # --- enrichment ------------------------------------------------------------------------------------------
    def request_enrichment(self) -> None:
        """Enrich (then index and alert) soon: after a crawl that stored news."""
        with self._enrich_lock:
            if self._enrich_running:
                self._enrich_again = True
                return
        if not self.stop_event.is_set():
            with contextlib.suppress(JobLookupError):
                self.scheduler.modify_job("enrich", next_run_time=datetime.now(UTC))

    def enrich_pending(self) -> None:
        with self._enrich_lock:
            if self._enrich_running:
                self._enrich_again = True
                return
            self._enrich_running = True
        try:
            while not self.stop_event.is_set():
                counts = self._with_store(lambda s: s.count_articles()) or {}
                self._update_queue(counts)
                if counts.get("fetched", 0) or counts.get("enriched", 0) or self._reconcile_index:
                    self._run_worker()
                with self._enrich_lock:
                    if not self._enrich_again:
                        break
                    self._enrich_again = False
        finally:
            with self._enrich_lock:
                self._enrich_running = False

    def _run_worker(self) -> None:
        # nice: crawls (and the scheduler) come first on a busy machine
        args = ["--reconcile"] if self._reconcile_index else []
        proc = subprocess.Popen([sys.executable, "-m", "monitor.daemon.worker", *args], env=self.cfg.child_env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace",
                                preexec_fn=child_setup(nice=10), start_new_session=True)
        self._worker = proc
        run_id = self._with_store(lambda s: s.start_job_run("enrich", [], proc.pid))
        try:
            out, err = proc.communicate(timeout=self.cfg.enrich_timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            logger.error("enrichment ran over %.0f s: killed; the rest is done next time", self.cfg.enrich_timeout)
        finally:
            self._worker = None
        report: dict[str, Any] = {}
        for line in reversed(out.splitlines()):
            with contextlib.suppress(ValueError):
                report = json.loads(line)
                break
        if not report:  # the report is the worker's last act: without it, the run did not finish
            last = next((ln for ln in reversed(err.splitlines()) if ln.strip()), f"exit code {proc.returncode}")
            if "not writable" in last or "could not commit" in last:
                self._store_trouble(last)
            if not self.stop_event.is_set():
                logger.error("enrichment failed: %s", last[:500])
            if run_id is not None:
                status = "interrupted" if self.stop_event.is_set() else "failed"
                self._with_store(lambda s: s.finish_job_run(run_id, status, {"error": last[:500]}))
            return
        if report.get("reconciled") is not None:
            self._reconcile_index = False
            logger.info("index checked against the store after a crash", extra=report["reconciled"])
        if report.get("enriched"):
            self.metrics.enrich_seconds.observe(report["seconds"])
            self.metrics.enrich_article_seconds.set(report["seconds"] / report["enriched"])
            self.metrics.articles_enriched.inc(report["enriched"])
        self.metrics.articles_indexed.inc(report.get("indexed", 0))
        self.metrics.alerts_sent.labels("incident").inc(report.get("alerts_sent", 0))
        if report.get("alerts"):
            self._update_alert_delay()
        for problem in ("index_error", "alert_error"):
            if report.get(problem):
                logger.error("enrichment run: %s: %s", problem.replace("_", " "), report[problem])
        logger.info("enriched %d, indexed %d, incidents touched %d, alerts %d", report.get("enriched", 0),
                    report.get("indexed", 0), report.get("incidents", 0), report.get("alerts", 0),
                    extra={"seconds": report.get("seconds")})
        if run_id is not None:
            self._with_store(lambda s: s.finish_job_run(run_id, "ok", report))

    # --- health ----------------------------------------------------------------------------------------------
    def check_health(self) -> None:
        ids = list(self.sources)
        result = self._with_store(lambda s: check_health(s, ids, self.cfg.limits, self.notifier))
        if result is None:
            return
        healths, delivered = result
        # The health check wrote to the store; with no new trouble for a whole health interval, it is over (a
        # recovery noticed at the first good write would flap with an intermittently locked store).
        if self._store_problem is not None and time.monotonic() - self._store_trouble_at > self.cfg.health_interval:
            self._store_recovered()
        for health in healths:
            self.metrics.consecutive_failures.labels(health.source_id).set(health.consecutive_failures)
        self._update_queue(self._with_store(lambda s: s.count_articles()) or {})
        if delivered:
            logger.info("health notices sent: %s", ", ".join(n.key for n in delivered))

    def _update_alert_delay(self) -> None:
        summary = delay_summary(self._with_store(lambda s: s.alert_delays()) or [])
        self.metrics.alerted_incidents.set(summary["incidents"] or 0)
        if summary["incidents"]:
            self.metrics.alert_delay.labels("0.5").set(summary["median_seconds"] or 0)
            self.metrics.alert_delay.labels("0.95").set(summary["p95_seconds"] or 0)

    def _update_queue(self, counts: dict[str, int]) -> None:
        for status in ("fetched", "enriched", "indexed"):
            self.metrics.queue_depth.labels(status).set(counts.get(status, 0))

    def _notice_sent(self, notice: HealthNotice) -> None:
        self.metrics.alerts_sent.labels("health").inc()

    # --- the store, and what to do when it fails -------------------------------------------------------------
    def _with_store(self, action: Any) -> Any:
        """Run ``action(store)``; a locked store or a full disk is reported (log, metric, notice), not raised."""
        try:
            with self._store_lock:
                assert self._store is not None
                value = action(self._store)
        except StoreError as exc:
            self._store_trouble(str(exc))
            return None
        return value

    def _store_trouble(self, detail: str) -> None:
        self.metrics.store_errors.inc()
        self._store_trouble_at = time.monotonic()
        logger.error("store problem: %s", detail)
        if self._store_problem is not None:
            return
        self._store_problem = detail
        # Not kept in the store (it may be what is failing): notified once per daemon run and problem.
        self._send_direct(HealthNotice(problem_id=-int(time.time()), subject="store", kind="store", detail=detail,
                                       recovery=False, opened_at=datetime.now(UTC).isoformat(timespec="seconds")))

    def _store_recovered(self) -> None:
        detail, self._store_problem = self._store_problem, None
        self._send_direct(HealthNotice(problem_id=-int(time.time()), subject="store", kind="store",
                                       detail=f"writes work again (was: {detail})", recovery=True,
                                       opened_at=datetime.now(UTC).isoformat(timespec="seconds")))

    def _send_direct(self, notice: HealthNotice) -> None:
        try:
            self.notifier.deliver(notice)
        except Exception as exc:  # the log line is already written by the notifier
            logger.error("store notice not delivered: %s", exc)


# --- reading the schedule (for `status`) -----------------------------------------------------------------------
def scheduled_jobs(scheduler_db: Path) -> dict[str, dict[str, Any]]:
    """Job id -> next run time and interval, read from the job store (empty if the daemon never ran)."""
    if not scheduler_db.exists():
        return {}
    store = SQLAlchemyJobStore(url=f"sqlite:///{scheduler_db}")
    try:
        store.start(None, "default")  # type: ignore[arg-type]  # reading needs no scheduler
        out = {}
        for job in store.get_all_jobs():
            interval = getattr(job.trigger, "interval", None)
            out[job.id] = {
                "next_run_at": job.next_run_time.isoformat(timespec="seconds") if job.next_run_time else None,
                "interval_seconds": int(interval.total_seconds()) if interval else None,
            }
        return out
    finally:
        store.shutdown()


def daemon_pid(db: str | Path) -> int | None:
    """The pid of the daemon running on this store, or None when none runs (its lock is free)."""
    path = lock_path_for(db)
    if not path.exists():
        return None
    with path.open("r") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            text = handle.read().strip()
            return int(text) if text.isdigit() else -1
        fcntl.flock(handle, fcntl.LOCK_UN)
        return None
