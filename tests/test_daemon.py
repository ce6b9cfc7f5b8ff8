"""The scheduler daemon (`run`): real daemons in subprocesses against local sites on 127.0.0.1, intervals in seconds.

Covered: the demo run crawls, enriches and indexes (and reports through status and /metrics); SIGTERM stops it and a
restart keeps the schedule without refetching anything; SIGKILL mid-crawl and a restart finish the batch exactly
once; a hanging or refusing source does not hold up the others and backs off; a stale source gives one health
notice and one recovery notice.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from indexer.search.document import IndexDocument
from indexer.store import Store
from monitor.daemon.service import running_marker_for
from monitor.demo.site import DemoSite
from pipelines.health import PollingPolicy, next_interval, poll_outcome
from pipelines.index import backend_from_settings, check_index
from tests.conftest import cli_env, run_cli

pytestmark = pytest.mark.timeout(180)

# Fast, deterministic scheduling for tests: no jitter, a short batch window, health checked every second.
DAEMON_ENV = {
    "CRIMEA_MONITOR_POLL_MIN_SECONDS": "1",
    "CRIMEA_MONITOR_POLL_JITTER_FRACTION": "0",
    "CRIMEA_MONITOR_CRAWL_BATCH_WINDOW": "0.3",
    "CRIMEA_MONITOR_CRAWL_MAX_PROCESSES": "3",
    "CRIMEA_MONITOR_HEALTH_INTERVAL_SECONDS": "1",
    "CRIMEA_MONITOR_SHUTDOWN_TIMEOUT_SECONDS": "15",
    "CRIMEA_MONITOR_METRICS_PORT": "0",
    "CRIMEA_MONITOR_DAEMON_LOG_FORMAT": "json",
}


def wait_for(what: str, predicate: Callable[[], object], timeout: float, proc: subprocess.Popen | None = None,
             log: Path | None = None) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            break
        time.sleep(0.2)
    tail = log.read_text(errors="replace")[-4000:] if log and log.exists() else ""
    raise AssertionError(f"timed out waiting for {what}\n{tail}")


def query(db: Path, sql: str, params: tuple = ()) -> list[tuple]:
    try:
        with contextlib.closing(sqlite3.connect(db, timeout=5)) as conn:
            return conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError:  # not created yet
        return []


def scalar(db: Path, sql: str, params: tuple = ()) -> int:
    rows = query(db, sql, params)
    return rows[0][0] if rows else 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_daemon(tmp: Path, db: Path, sources: Path | None, *args: str, **extra: str) -> tuple[subprocess.Popen, Path]:
    log = tmp / f"daemon-{time.monotonic_ns()}.out"
    # no alerts file unless a test gives one (the project's would append to data/alerts.jsonl of the work tree)
    env = cli_env(db, sources, **{**DAEMON_ENV, "CRIMEA_MONITOR_ALERTS": str(tmp / "no-alerts.toml"), **extra})
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "monitor", "run", *args], env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    return proc, log


def stop_daemon(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
    proc.send_signal(sig)
    return proc.wait(timeout=timeout)


def scheduler_ran_after(db: Path, moment: float, runs: int = 1) -> bool:
    """The daemon's health job (every second in these tests) was scheduled ``runs`` times after ``moment`` (epoch
    seconds), as its next run time in the job store shows: the daemon's own clock, however slow the machine."""
    rows = query(db.with_name("m.scheduler.db"), "SELECT next_run_time FROM apscheduler_jobs WHERE id = 'health'")
    return bool(rows) and rows[0][0] is not None and rows[0][0] > moment + runs


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with contextlib.suppress(OSError):  # a zombie is dead for our purposes
        if Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z":
            return False
    return True


# --- a small feed site whose items the test controls -----------------------------------------------------------
class FeedSite:
    """RSS feeds on 127.0.0.1 with ETag/304, article pages, a feed that hangs and nothing else."""

    def __init__(self, hang_seconds: float = 30.0) -> None:
        self.items: dict[str, list[str]] = {}
        self.hits: dict[str, int] = {}
        self.arrived: dict[str, list[float]] = {}  # path -> monotonic times of its requests
        self.answered: dict[str, list[float]] = {}  # path -> monotonic times its answers went out
        self.hang_seconds = hang_seconds
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FeedSite:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def add(self, feed: str, slug: str) -> None:
        with self._lock:
            self.items.setdefault(feed, []).append(slug)

    def hit_count(self, path: str) -> int:
        with self._lock:
            return self.hits.get(path, 0)

    def arrivals(self, path: str) -> list[float]:
        with self._lock:
            return list(self.arrived.get(path, []))

    def answers(self, path: str) -> list[float]:
        with self._lock:
            return list(self.answered.get(path, []))

    def rss(self, feed: str) -> bytes:
        items = "".join(
            f"<item><title>Report {slug}</title><link>{self.base_url}/{feed}/{slug}.html</link></item>"
            for slug in self.items.get(feed, [])
        )
        return f'<?xml version="1.0"?><rss version="2.0"><channel><title>{feed}</title>{items}</channel></rss>'.encode()

    def page(self, slug: str) -> bytes:
        text = " ".join(
            f"Officers searched the home of activist number {slug} in Simferopol on the morning of the report, "
            f"paragraph {n}, and relatives said the search lasted several hours." for n in range(4)
        )
        return (f"<html><head><title>Report {slug}</title></head><body><article><h1>Report {slug}</h1>"
                f"<p>{text}</p><p>{text}</p></article></body></html>").encode()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                path = self.path.split("?")[0]
                with site._lock:
                    site.hits[path] = site.hits.get(path, 0) + 1
                    site.arrived.setdefault(path, []).append(time.monotonic())
                if path.endswith("/hang.xml"):
                    time.sleep(site.hang_seconds)
                    self._send(200, site.rss("hang"), "application/rss+xml")
                    with site._lock:
                        site.answered.setdefault(path, []).append(time.monotonic())
                    return None
                if path.endswith("/feed.xml"):
                    return self._send(200, site.rss(path.strip("/").split("/")[0]), "application/rss+xml")
                if path.endswith(".html"):
                    return self._send(200, site.page(path.rsplit("/", 1)[1][:-5]), "text/html; charset=utf-8")
                return self._send(404, b"not found", "text/plain")

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    if status == 200 and self.headers.get("If-None-Match") == etag:
                        self.send_response(304)
                        self.send_header("ETag", etag)
                        self.end_headers()
                        return
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(body)))
                    self.send_header("ETag", etag)
                    self.end_headers()
                    self.wfile.write(body)

        return Handler


def feed_sources(path: Path, entries: list[tuple[str, str, str]]) -> Path:
    """A sources file of feed sources: (id, start URL, interval)."""
    text = "".join(
        f'[[source]]\nid = "{sid}"\nname = "{sid}"\nkind = "feed"\nstart_urls = ["{url}"]\n'
        f'interval = "{interval}"\nallowed_domains = ["127.0.0.1"]\n\n'
        for sid, url, interval in entries
    )
    path.write_text(text, encoding="utf-8")
    return path


def demo_sources(site: DemoSite, path: Path, interval: str) -> Path:
    from crawlers.sources import parse_duration
    from monitor.commands_daemon import demo_sources as with_interval

    path.write_text(with_interval(site.sources_toml(), parse_duration(interval)), encoding="utf-8")
    return path


# --- pure functions -------------------------------------------------------------------------------------------
def test_adaptive_interval_backs_off_when_nothing_changes_and_stays_in_bounds():
    policy = PollingPolicy(min_seconds=60, max_seconds=3600, backoff_after=3, backoff_factor=2.0)
    assert next_interval(300, 0, 0, policy) == 300
    assert next_interval(300, 3, 0, policy) == 300  # a few quiet polls are normal
    assert next_interval(300, 4, 0, policy) == 600
    assert next_interval(300, 5, 0, policy) == 1200
    assert next_interval(300, 50, 0, policy) == 3600  # never past the maximum
    assert next_interval(10, 0, 0, policy) == 60  # never more often than the minimum
    assert next_interval(300, 0, 1, policy) == 600  # failures back off too
    assert next_interval(300, 0, 40, policy) == 3600


def test_poll_outcome_tells_failure_from_partial_trouble():
    ok = {"fetched": 0, "feeds_unchanged": 1, "errors": {}}
    assert poll_outcome(ok) == (True, False, None)
    partial = {"fetched": 3, "new": 2, "errors": {"broken feed": 1}}
    assert poll_outcome(partial) == (True, True, "broken feed x1")
    refused = {"fetched": 0, "errors": {"connection refused": 1}}
    assert poll_outcome(refused) == (False, False, "connection refused x1")


def test_full_disk_is_one_health_problem_until_it_is_over(tmp_path: Path):
    from indexer.store import Store
    from pipelines.health import HealthLimits, HealthNotice, check_health

    class Collect:
        def __init__(self) -> None:
            self.notices: list[HealthNotice] = []

        def deliver(self, notice: HealthNotice) -> None:
            self.notices.append(notice)

    sink = Collect()
    with Store.open(tmp_path / "m.db") as store:
        full = HealthLimits(failures=3, stale_factor=5, stale_min_seconds=3600, disk_min_free_mb=10**12)
        for _ in range(3):  # checked again and again while the disk stays full: one notice
            check_health(store, [], full, sink)
        check_health(store, [], HealthLimits(3, 5, 3600, disk_min_free_mb=1), sink)
        check_health(store, [], HealthLimits(3, 5, 3600, disk_min_free_mb=1), sink)
    assert [(n.subject, n.kind, n.recovery) for n in sink.notices] == [("store", "disk", False),
                                                                     ("store", "disk", True)]
    assert "MB free" in sink.notices[0].detail


# --- the daemon ---------------------------------------------------------------------------------------------
def alerts_file(tmp: Path, rule_query: str | None = None) -> tuple[Path, Path]:
    """An alerts.toml with one JSON Lines channel (and a rule, if given); returns it and the channel's file."""
    out = tmp / "alerts.jsonl"
    text = f'[channels.log]\ntype = "jsonl"\npath = "{out}"\n'
    if rule_query:
        text += f'\n[[rules]]\nname = "watch"\nquery = "{rule_query}"\nchannels = ["log"]\n'
    path = tmp / "alerts.toml"
    path.write_text(text, encoding="utf-8")
    return path, out


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []


def test_demo_run_crawls_enriches_indexes_alerts_and_reports(tmp_path: Path):
    db = tmp_path / "m.db"
    port = free_port()
    alerts, sent = alerts_file(tmp_path, "type:search OR type:detention OR type:sentence")
    proc, log = start_daemon(tmp_path, db, None, "--demo", CRIMEA_MONITOR_DEMO_INTERVAL="3s",
                             CRIMEA_MONITOR_METRICS_PORT=str(port), CRIMEA_MONITOR_ALERTS=str(alerts))
    try:
        wait_for("articles crawled", lambda: scalar(db, "SELECT COUNT(*) FROM articles") >= 60, 60, proc, log)
        wait_for("everything enriched and indexed",
                 lambda: scalar(db, "SELECT COUNT(*) FROM articles WHERE status != 'indexed'") == 0
                 and scalar(db, "SELECT COUNT(*) FROM job_runs WHERE kind = 'enrich' AND status = 'ok'") >= 1,
                 180, proc, log)  # the demo's Russian and Ukrainian articles load natasha and pymorphy3 too
        wait_for("polled again", lambda: scalar(db, "SELECT MIN(polls) FROM source_health") >= 2, 30, proc, log)
        metrics = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
        status = run_cli(["status", "--json"], db, tmp_path / "demo-sources.toml")
    finally:
        code = stop_daemon(proc)
    assert code == 0, log.read_text()[-3000:]
    assert status.returncode == 0, status.stderr
    data = json.loads(status.stdout)
    for key in ("db", "articles_by_status", "articles_by_source", "frontier", "problems", "last_runs"):
        assert key in data  # the keys `status --json` always had
    assert data["queue"]["fetched"] == 0 and data["queue"]["indexed"] == sum(data["articles_by_status"].values())
    assert data["daemon"]["running"] is True
    assert {s["id"] for s in data["sources"]} == {"demo-crimea-herald", "demo-peninsula-watch",
                                                  "demo-black-sea-daily", "demo-steppe-courier",
                                                  "demo-peninsula-alerts", "demo-krym-svodka"}
    assert all(s["next_run_at"] and s["last_success_at"] for s in data["sources"])
    assert {"enrich", "health"} <= set(data["jobs"])
    assert 'crimea_monitor_polls_total{outcome="new",source="demo-crimea-herald"}' in metrics
    assert "crimea_monitor_queue_depth" in metrics and "crimea_monitor_articles_enriched_total" in metrics
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    assert any(line["message"] == "daemon started" for line in lines)  # --log-format json: one object a line
    assert (tmp_path / "m.log").exists()  # and the rotating log file beside the store
    fired = [a for a in jsonl(sent) if a.get("rule") == "watch"]
    assert fired, "incidents found by the daemon's enrichment fired the rule through the alert channel"
    assert len({a["incident"]["id"] for a in fired}) == len(fired)  # once per incident
    after = json.loads(run_cli(["status", "--json"], db, tmp_path / "demo-sources.toml").stdout)
    assert after["daemon"]["running"] is False


def test_sigterm_then_restart_keeps_the_schedule_and_refetches_nothing(tmp_path: Path):
    db = tmp_path / "m.db"
    with DemoSite(slow_seconds=1.0) as site:
        # due again only long after the test: whatever the restarted daemon fetches, it fetched because it lost
        # the schedule (a short interval could come due on a slow machine while the first polls are still running)
        sources = demo_sources(site, tmp_path / "sources.toml", "1h")
        proc, log = start_daemon(tmp_path, db, sources)
        wait_for("first polls", lambda: scalar(db, "SELECT COUNT(*) FROM source_health WHERE polls >= 1") == 4,
                 120, proc, log)
        assert stop_daemon(proc) == 0, log.read_text()[-3000:]
        before = dict(query(db.with_name("m.scheduler.db"), "SELECT id, next_run_time FROM apscheduler_jobs"))
        hits = dict(site.hits)
        polls = scalar(db, "SELECT SUM(polls) FROM source_health")
        crawls = scalar(db, "SELECT COUNT(*) FROM job_runs WHERE kind = 'crawl'")

        proc, log = start_daemon(tmp_path, db, sources)
        try:
            wait_for("the restarted daemon", lambda: "daemon started" in log.read_text(), 60, proc, log)
            started = time.time()
            # Its scheduler has been at work for three seconds of its own: a poll it wrongly found due at start was
            # handed to the crawl dispatcher (0.3 s batch window) and had fetched its feed by then.
            wait_for("three scheduler rounds", lambda: scheduler_ran_after(db, started, runs=3), 60, proc, log)
            after = dict(query(db.with_name("m.scheduler.db"), "SELECT id, next_run_time FROM apscheduler_jobs"))
            assert site.hits == hits, "nothing fetched again after the restart before the sources were due"
            assert not query(db, "SELECT id FROM job_runs WHERE kind = 'crawl' AND status = 'running'")
            assert scalar(db, "SELECT SUM(polls) FROM source_health") == polls
            assert scalar(db, "SELECT COUNT(*) FROM job_runs WHERE kind = 'crawl'") == crawls
        finally:
            assert stop_daemon(proc) == 0
    polls_jobs = {k: v for k, v in before.items() if k.startswith("poll:")}
    assert len(polls_jobs) == 4
    for job_id, due in polls_jobs.items():
        assert after[job_id] == pytest.approx(due), f"{job_id} kept its next run time across the restart"


def test_sigkill_mid_crawl_then_restart_completes_the_batch_exactly_once(tmp_path: Path):
    db = tmp_path / "m.db"
    with DemoSite(slow_seconds=1.0, article_delay=0.4) as site:
        sources = demo_sources(site, tmp_path / "sources.toml", "1h")
        proc, log = start_daemon(tmp_path, db, sources, CRIMEA_MONITOR_CONCURRENT_REQUESTS="2")
        wait_for("some articles", lambda: scalar(db, "SELECT COUNT(*) FROM articles") >= 8, 60, proc, log)
        crawl_pids = [pid for (pid,) in query(db, "SELECT pid FROM job_runs WHERE kind = 'crawl' AND status = "
                                                  "'running'")]
        child_pids = [pid for (pid,) in query(db, "SELECT pid FROM job_runs WHERE status = 'running'")]
        proc.kill()  # SIGKILL: no cleanup at all
        proc.wait(timeout=10)
        stored = {url for (url,) in query(db, "SELECT url FROM articles")}
        assert 8 <= len(stored) < 60, "the kill must land in the middle of the crawl"
        assert crawl_pids, "a crawl child was running"
        wait_for("the children to die with the daemon", lambda: not any(alive(p) for p in child_pids), 10)
        hits_at_kill = {path: site.hits.get(path, 0) for path in (site.url_for(a) for a in site.articles)}
        assert running_marker_for(db).exists()
        with Store.open(db) as store:  # what a crash can leave behind: a document the store does not index
            backend = backend_from_settings(db, store, kind="tantivy")
            backend.index([IndexDocument(id="stray", title="Not in the store", body="x")])
            backend.close()

        site.article_delay = 0
        proc, log = start_daemon(tmp_path, db, sources)
        try:
            wait_for("the batch completed and indexed",
                     lambda: scalar(db, "SELECT COUNT(*) FROM frontier WHERE state = 'pending'") == 0
                     and scalar(db, "SELECT COUNT(*) FROM articles") >= 60
                     and scalar(db, "SELECT COUNT(*) FROM articles WHERE status != 'indexed'") == 0, 90, proc, log)
        finally:
            assert stop_daemon(proc) == 0
    assert scalar(db, "SELECT COUNT(*) FROM job_runs WHERE status = 'interrupted'") >= 1
    # nothing stored before the kill was downloaded again; every article exists once
    for (url,) in query(db, "SELECT url FROM articles"):
        path = "/" + url.split("/", 3)[3]
        if url in stored and path in hits_at_kill:
            assert site.hits.get(path, 0) == hits_at_kill[path], f"{path} fetched again"
    # no page was stored twice either (an identical re-fetch would stretch its snapshot's time range)
    assert query(db, "SELECT url FROM snapshots WHERE first_fetched_at != last_fetched_at") == []
    # and enriched exactly once: the enrichment runs together enriched each article one time
    enriched = [json.loads(d or "{}").get("enriched", 0)
                for (d,) in query(db, "SELECT detail_json FROM job_runs WHERE kind = 'enrich' AND status = 'ok'")]
    assert sum(enriched) == scalar(db, "SELECT COUNT(*) FROM articles")
    # the restarted daemon checked the index against the store and removed the stray document
    reconciled = [json.loads(d or "{}").get("reconciled")
                  for (d,) in query(db, "SELECT detail_json FROM job_runs WHERE kind = 'enrich' AND status = 'ok'")]
    assert {"missing": 0, "extra": 1} in reconciled
    with Store.open(db) as store:
        backend = backend_from_settings(db, store, kind="tantivy")
        try:
            assert check_index(store, backend).clean
        finally:
            backend.close()
    assert not running_marker_for(db).exists()  # a clean stop leaves no marker


def test_failing_sources_do_not_delay_the_others_and_back_off(tmp_path: Path):
    db = tmp_path / "m.db"
    closed = free_port()  # nothing listens there: connection refused
    # The hanging feed answers only after 120 s (the crawl gives up after 100 s): everything below happens while
    # its request is in flight, however slowly the machine gets there.
    with FeedSite(hang_seconds=120) as site:
        site.add("good", "a1")
        sources = feed_sources(tmp_path / "sources.toml", [
            ("good", f"{site.base_url}/good/feed.xml", "2s"),
            ("hanging", f"{site.base_url}/hang/hang.xml", "2s"),
            ("refused", f"http://127.0.0.1:{closed}/feed.xml", "2s"),
        ])
        # POLL_BACKOFF_AFTER: the good feed keeps its 2 s although nothing changes (adaptive polling is tested above)
        proc, log = start_daemon(tmp_path, db, sources, CRIMEA_MONITOR_DOWNLOAD_TIMEOUT="100",
                                 CRIMEA_MONITOR_POLL_BACKOFF_AFTER="1000",
                                 CRIMEA_MONITOR_RETRY_TIMES="0", CRIMEA_MONITOR_MIN_TEXT_CHARS="50")

        def refused_health() -> tuple[int, int] | None:
            rows = query(db, "SELECT consecutive_failures, interval_seconds FROM source_health "
                             "WHERE source_id = 'refused'")
            return rows[0] if rows else None

        try:
            hang_at = wait_for("the hanging request", lambda: site.arrivals("/hang/hang.xml"), 90, proc, log)[0]
            wait_for("the good feed polled again while the hanging one hangs",
                     lambda: len([t for t in site.arrivals("/good/feed.xml")[1:] if t > hang_at]) >= 3, 90, proc, log)
            wait_for("the refusing source backed off", lambda: (refused_health() or (0, 0))[0] >= 2
                     and (refused_health() or (0, 0))[1] >= 2 * 2 ** 2, 90, proc, log)
            good = site.arrivals("/good/feed.xml")
            hanging = site.arrivals("/hang/hang.xml")
            answered = site.answers("/hang/hang.xml")
            backed_off = refused_health()
        finally:
            assert stop_daemon(proc, timeout=60) == 0
    # The good source was polled on while its crawl-mate of the first crawl process had not answered at all: a
    # source that waited for its crawl-mates would not have been polled again before that answer.
    assert answered == [], "the hanging feed must still be hanging when the good feed's polls are counted"
    polled_meanwhile = [t for t in good[1:] if t > hang_at]
    assert len(polled_meanwhile) >= 3, (good, hang_at, log.read_text()[-3000:])
    assert hanging == [hang_at], "a hanging poll is not started again while it runs"
    failures, interval = backed_off
    assert failures >= 2 and interval >= 2 * 2 ** 2, "a refusing source is retried with back-off"


def test_stale_source_gives_one_health_alert_and_one_recovery_notice(tmp_path: Path):
    db = tmp_path / "m.db"
    alerts = tmp_path / "health.jsonl"
    alerts_config, channel = alerts_file(tmp_path)
    with FeedSite() as site:
        site.add("quiet", "q1")
        sources = feed_sources(tmp_path / "sources.toml", [("quiet", f"{site.base_url}/quiet/feed.xml", "1s")])
        proc, log = start_daemon(tmp_path, db, sources, CRIMEA_MONITOR_STALE_MIN_SECONDS="4",
                                 CRIMEA_MONITOR_POLL_MAX_SECONDS="2", CRIMEA_MONITOR_HEALTH_ALERTS_FILE=str(alerts),
                                 CRIMEA_MONITOR_MIN_TEXT_CHARS="50", CRIMEA_MONITOR_ALERTS=str(alerts_config))

        def notices() -> list[dict]:
            if not alerts.exists():
                return []
            return [json.loads(line) for line in alerts.read_text().splitlines() if line.strip()]

        try:
            wait_for("the first article", lambda: scalar(db, "SELECT COUNT(*) FROM articles") == 1, 30, proc, log)
            wait_for("a stale notice", lambda: notices(), 60, proc, log)
            noticed = time.time()
            wait_for("three more health checks", lambda: scheduler_ran_after(db, noticed, runs=3), 60, proc, log)
            assert len(notices()) == 1, "still stale: no second notice"
            site.add("quiet", "q2")  # news again
            wait_for("a recovery notice", lambda: len(notices()) >= 2, 60, proc, log)
            recovered = time.time()
            wait_for("three more health checks", lambda: scheduler_ran_after(db, recovered, runs=3), 60, proc, log)
            wait_for("six polls", lambda: scalar(db, "SELECT polls FROM source_health WHERE source_id = 'quiet'") >= 6,
                     60, proc, log)
        finally:
            assert stop_daemon(proc) == 0
    sent = notices()
    assert [(n["subject"], n["kind"], n["recovery"]) for n in sent] == [("quiet", "stale", False),
                                                                        ("quiet", "stale", True)]
    assert sent[0]["problem_id"] == sent[1]["problem_id"]
    # the same two notices went out through the alert channels of the alerts file
    through_channel = [(n["subject"], n["kind"], n["recovery"]) for n in jsonl(channel) if n.get("rule") == "health"]
    assert through_channel == [("quiet", "stale", False), ("quiet", "stale", True)]
    assert scalar(db, "SELECT COUNT(*) FROM health_problems WHERE resolved_at IS NULL") == 0
    # an unchanged feed cost a conditional GET (304) and no crawl process: two crawls, one per change
    assert scalar(db, "SELECT polls FROM source_health WHERE source_id = 'quiet'") >= 6
    assert scalar(db, "SELECT COUNT(*) FROM job_runs WHERE kind = 'crawl'") == 2
