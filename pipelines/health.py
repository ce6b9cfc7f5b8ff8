"""Source health: what every poll did, how often to poll next, which sources are failing or stale, and the notices.

- ``PollRecorder`` (a Scrapy extension, enabled in settings) accounts each source's poll in the store as soon as
  its spider closes, so health is recorded by every crawl, whether the daemon or a user started it, and a crawl
  process that several sources share reports each of them the moment it is done (``POLL_REPORT_LINES``).
- ``next_interval`` is adaptive polling: a source that keeps bringing nothing new is polled less often, a failing
  one backs off, both within the configured bounds.
- ``assess`` computes per-source health (last success, consecutive failures, articles per day, stale) and
  ``check_health`` turns it into problems kept in the store: each problem is notified once when it opens and once
  when it is resolved, through whatever ``HealthNotifier`` the caller gives (the daemon wires the alert channels).
"""

from __future__ import annotations

import itertools
import json
import logging
import shutil
import statistics
import sys
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from indexer.store import Store, StoreError
from indexer.store_posts import parse_instant

logger = logging.getLogger(__name__)

#: prefix of the line a crawl process writes to stderr when one source's poll is done (read by the daemon)
POLL_MARKER = "@crimea-monitor-poll "
#: counters of a crawl report that show the source answered with something usable
_WORKED = ("fetched", "new", "updated", "unchanged", "duplicates", "already_known", "resumed", "feeds_unchanged")


parse_time = parse_instant  # ISO 8601 text as an aware datetime (naive: UTC), None when it is not one


# ------------------------------------------------------------------------------------------------- one poll
def poll_outcome(report: dict[str, Any]) -> tuple[bool, bool, str | None]:
    """(ok, changed, error) of one source's crawl report.

    A poll fails when the source gave nothing usable and something went wrong (refused, timed out, garbage); a
    poll where one of two feeds is broken still succeeds, with the error kept for the status display.
    """
    errors: dict[str, int] = report.get("errors") or {}
    error = ", ".join(f"{reason} x{count}" for reason, count in sorted(errors.items())) or None
    worked = any(int(report.get(name) or 0) for name in _WORKED)
    changed = int(report.get("new") or 0) + int(report.get("updated") or 0) > 0
    reason = report.get("finish_reason") or "finished"
    if reason not in ("finished", "shutdown") and not worked:
        error = error or f"crawl ended: {reason}"
    return (worked or error is None), changed, error


class PollRecorder:
    """Scrapy extension: record each source's poll in ``source_health`` when its spider closes."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.report_lines = crawler.settings.getbool("POLL_REPORT_LINES", False)

    @classmethod
    def from_crawler(cls, crawler: Any) -> PollRecorder:
        from scrapy import signals  # the daemon imports this module too, and must not pay for Scrapy

        extension = cls(crawler)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, spider: Any, reason: str) -> None:
        from pipelines.crawl import SourceReport

        source = getattr(spider, "source", None)
        if source is None:
            return
        report = asdict(SourceReport.from_stats(source, self.crawler.stats.get_stats(), reason))
        worked = any(report[name] for name in _WORKED)
        if reason == "shutdown" and not worked:
            return  # stopped before it did anything: not a poll, and certainly not a failure
        ok, changed, error = poll_outcome(report)
        try:
            with Store.open(self.crawler.settings.get("DB")) as store:
                store.record_poll(source.id, ok=ok, changed=changed, error=error, report=report)
        except StoreError as exc:
            logger.error("poll of %s not recorded: %s", source.id, exc)
        if self.report_lines:
            line = json.dumps({**report, "ok": ok, "changed": changed, "error": error}, sort_keys=True)
            sys.stderr.write(POLL_MARKER + line + "\n")
            sys.stderr.flush()


# ------------------------------------------------------------------------------------------- adaptive polling
@dataclass(frozen=True)
class PollingPolicy:
    min_seconds: int
    max_seconds: int
    backoff_after: int
    backoff_factor: float

    @classmethod
    def from_settings(cls, config: Any) -> PollingPolicy:
        return cls(config.POLL_MIN_SECONDS, config.POLL_MAX_SECONDS, config.POLL_BACKOFF_AFTER,
                   config.POLL_BACKOFF_FACTOR)


def next_interval(base_seconds: int, unchanged_polls: int, consecutive_failures: int, policy: PollingPolicy) -> int:
    """Seconds until a source's next poll.

    Its interval from the sources file while it brings news; after ``backoff_after`` polls in a row with nothing
    new, ``backoff_factor`` longer per further such poll (one item brings it back to the base); a failing source
    doubles per failure. Always within [min, max]: news is never missed by more than ``max_seconds``.
    """
    interval = float(base_seconds)
    if consecutive_failures > 0:
        interval *= 2 ** min(consecutive_failures, 16)
    elif unchanged_polls > policy.backoff_after:
        interval *= policy.backoff_factor ** min(unchanged_polls - policy.backoff_after, 64)
    low, high = policy.min_seconds, max(policy.min_seconds, policy.max_seconds)
    return int(min(max(interval, low), high))


# ----------------------------------------------------------------------------------------------- assessment
@dataclass(frozen=True)
class HealthLimits:
    failures: int  # consecutive failed polls that make a source "failing"
    stale_factor: float
    stale_min_seconds: int
    disk_min_free_mb: int

    @classmethod
    def from_settings(cls, config: Any) -> HealthLimits:
        return cls(config.HEALTH_FAILURES, config.STALE_FACTOR, config.STALE_MIN_SECONDS, config.DISK_MIN_FREE_MB)


@dataclass
class SourceHealth:
    source_id: str
    polls: int = 0
    last_poll_at: str | None = None
    last_success_at: str | None = None
    consecutive_failures: int = 0
    last_error: str | None = None
    last_article_at: str | None = None
    articles_per_day: float = 0.0
    usual_gap_seconds: float | None = None
    stale_after_seconds: float | None = None
    interval_seconds: int | None = None
    failing: bool = False
    stale: bool = False

    @property
    def problems(self) -> list[str]:
        return [name for name, flag in (("failing", self.failing), ("stale", self.stale)) if flag]


def usual_gap(arrivals: Iterable[str]) -> float | None:
    """Median seconds between the distinct moments new articles arrived (articles of one poll share one)."""
    moments = sorted({t for t in (parse_time(a) for a in arrivals) if t is not None})
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(moments)]
    return statistics.median(gaps) if gaps else None


def assess(
    store: Store, source_ids: list[str], limits: HealthLimits, now: datetime | None = None
) -> list[SourceHealth]:
    """The health of each source from its poll record and the articles it brought."""
    now = now or datetime.now(UTC)
    week_ago = (now - timedelta(days=7)).isoformat(timespec="seconds")
    per_week = store.articles_seen_since(week_ago)
    rows = {row["source_id"]: row for row in store.source_health()}
    out = []
    for source_id in source_ids:
        health = SourceHealth(source_id, articles_per_day=round(per_week.get(source_id, 0) / 7, 2))
        row = rows.get(source_id)
        if row is not None:
            health.polls = row["polls"]
            health.last_poll_at = row["last_poll_at"]
            health.last_success_at = row["last_success_at"]
            health.consecutive_failures = row["consecutive_failures"]
            health.last_error = row["last_error"]
            health.interval_seconds = row["interval_seconds"]
        arrivals = store.article_arrivals(source_id)
        health.last_article_at = arrivals[0] if arrivals else None
        health.usual_gap_seconds = usual_gap(arrivals)
        health.stale_after_seconds = max(limits.stale_factor * (health.usual_gap_seconds or 0.0),
                                         float(limits.stale_min_seconds))
        health.failing = health.consecutive_failures >= limits.failures
        last_article = parse_time(health.last_article_at)
        # Stale needs a source that answers (else it is "failing") and that has brought articles before.
        if last_article is not None and health.last_success_at and not health.failing:
            health.stale = (now - last_article).total_seconds() > health.stale_after_seconds
        out.append(health)
    return out


def disk_free_mb(path: str | Path) -> float:
    """Free space of the file system that holds ``path`` (or its nearest existing parent)."""
    target = Path(path).resolve()
    while not target.exists() and target != target.parent:
        target = target.parent
    return shutil.disk_usage(target).free / (1024 * 1024)


# ------------------------------------------------------------------------------------------------- notices
@dataclass(frozen=True)
class HealthNotice:
    """One message about a health problem: its opening, or (``recovery``) its end."""

    problem_id: int
    subject: str  # a source id, or "store"
    kind: str  # failing | stale | disk | store
    detail: str
    recovery: bool
    opened_at: str
    resolved_at: str | None = None

    @property
    def key(self) -> str:
        """Stable id of this notice, for channels that de-duplicate deliveries."""
        return f"health:{self.problem_id}:{'recovered' if self.recovery else 'opened'}"

    @property
    def title(self) -> str:
        if self.recovery:
            return f"[crimea-monitor] recovered: {self.subject} is no longer {self.kind}"
        return f"[crimea-monitor] health problem: {self.subject} is {self.kind}"

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "key": self.key, "title": self.title}


class HealthNotifier(Protocol):
    """Delivers health notices (the daemon's adapter sends them through the alert channels).

    ``deliver`` raises on failure; the notice is then tried again at the next health check.
    """

    def deliver(self, notice: HealthNotice) -> None: ...


def _problem_detail(health: SourceHealth, kind: str) -> str:
    if kind == "failing":
        return f"{health.consecutive_failures} polls failed in a row; last error: {health.last_error or 'unknown'}"
    gap = health.stale_after_seconds or 0
    return f"nothing new since {health.last_article_at} (stale after {gap / 3600:.1f} h without news)"


def check_health(
    store: Store,
    source_ids: list[str],
    limits: HealthLimits,
    notifier: HealthNotifier,
    now: datetime | None = None,
) -> tuple[list[SourceHealth], list[HealthNotice]]:
    """Open and resolve problems from the current health, then deliver every notice not delivered yet.

    Returns the health and the notices delivered now. Problems live in the store, so a restart neither repeats
    nor forgets a notice.
    """
    healths = assess(store, source_ids, limits, now)
    # Only transitions write: hundreds of healthy sources cost one read, not a transaction each.
    already = {(row["subject"], row["kind"]) for row in store.health_problems(open_only=True, limit=100_000)}
    for health in healths:
        for kind, active in (("failing", health.failing), ("stale", health.stale)):
            key = (health.source_id, kind)
            if active and key not in already:
                if store.open_health_problem(health.source_id, kind, _problem_detail(health, kind)) is not None:
                    logger.warning("source %s is %s: %s", health.source_id, kind, _problem_detail(health, kind))
            elif not active and key in already and store.resolve_health_problem(*key) is not None:
                logger.info("source %s is no longer %s", health.source_id, kind)
    free = disk_free_mb(store.path)
    if free < limits.disk_min_free_mb and ("store", "disk") not in already:
        store.open_health_problem("store", "disk", f"{free:.0f} MB free beside {store.path}")
    elif free >= limits.disk_min_free_mb and ("store", "disk") in already:
        store.resolve_health_problem("store", "disk")
    return healths, deliver_due(store, notifier)


def deliver_due(store: Store, notifier: HealthNotifier) -> list[HealthNotice]:
    delivered = []
    for row in store.health_notices_due():
        notice = HealthNotice(
            problem_id=row["id"], subject=row["subject"], kind=row["kind"], detail=row["detail"],
            recovery=row["resolved_at"] is not None, opened_at=row["opened_at"], resolved_at=row["resolved_at"],
        )
        try:
            notifier.deliver(notice)
        except Exception as exc:  # a channel's failure must not stop the others' notices nor the daemon
            logger.error("health notice %s not delivered: %s", notice.key, exc)
            continue
        store.mark_health_notified(notice.problem_id, notice.recovery)
        delivered.append(notice)
    return delivered
