"""Daemon commands: ``run`` (the scheduler daemon) and ``status`` (sources, queues, last and next runs)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

import settings as config
from crawlers.sources import SourcesError, load_sources, parse_duration
from indexer.store import Store
from indexer.store_posts import delay_summary
from monitor.cli_app import UserError, _db, _fmt_counts, _fmt_interval, app, console


# --- run -------------------------------------------------------------------------------------------------------
@app.command()
def run(
    demo: Annotated[bool, typer.Option(help="Start the bundled demo site on 127.0.0.1 and watch its outlets, "
                                            "polled every DEMO_INTERVAL (30s).")] = False,
    log_format: Annotated[str, typer.Option("--log-format", help="human or json")] = config.DAEMON_LOG_FORMAT,
) -> None:
    """Run the monitoring daemon: poll every source on schedule, enrich, index and alert, until SIGTERM/Ctrl-C."""
    from monitor.daemon.logs import setup_logging
    from monitor.daemon.service import Daemon, DaemonConfig, DaemonError
    from pipelines.health import PollingPolicy

    db = _db()
    log_file = config.DAEMON_LOG_FILE or str(Path(db).with_name(f"{Path(db).stem}.log"))
    try:
        setup_logging(log_format, log_file, config.DAEMON_LOG_MAX_BYTES, config.DAEMON_LOG_BACKUP_COUNT)
    except (ValueError, OSError) as exc:
        raise UserError(str(exc)) from exc
    site = None
    env: dict[str, str] = {}
    policy = PollingPolicy.from_settings(config)
    if demo:
        from monitor.demo.site import start_demo_site
        from pipelines.crawl import DEMO_OVERRIDES  # imports Scrapy (~100 MB): only for the demo

        try:
            interval = parse_duration(config.DEMO_INTERVAL)
        except ValueError as exc:
            raise UserError(f"CRIMEA_MONITOR_DEMO_INTERVAL: {exc}") from exc
        site = start_demo_site(config.DEMO_PORT)
        sources_path = Path(db).parent / "demo-sources.toml"
        sources_path.parent.mkdir(parents=True, exist_ok=True)
        sources_path.write_text(demo_sources(site.sources_toml() + site.channel_sources_toml(), interval),
                                encoding="utf-8")
        env = {f"CRIMEA_MONITOR_{key}": str(value).lower() if isinstance(value, bool) else str(value)
               for key, value in DEMO_OVERRIDES.items()}
        # The demo's intervals are meant literally: the minimum (which protects real outlets) makes way for them.
        policy = PollingPolicy(min(policy.min_seconds, interval), max(policy.max_seconds, interval),
                               policy.backoff_after, policy.backoff_factor)
        console.print(f"demo site running at {site.base_url} (fictional outlets; data is marked as demo)")
    else:
        sources_path = Path(config.SOURCES)
    try:
        sources = [s for s in load_sources(sources_path) if s.enabled]
        if not sources:
            raise UserError(f"no enabled source in {sources_path}")
        cfg = DaemonConfig.from_settings(db, str(sources_path), env, policy)
        daemon = Daemon(cfg, sources)
        code = daemon.run()
    except DaemonError as exc:
        raise UserError(str(exc)) from exc
    finally:
        if site is not None:
            site.stop()
    raise typer.Exit(code)


def demo_sources(toml: str, interval_seconds: int) -> str:
    """The demo site's sources file with every interval set to the demo's."""
    return re.sub(r'(?m)^interval = ".*"$', f'interval = "{interval_seconds}s"', toml)


# --- status ----------------------------------------------------------------------------------------------------
def status_data() -> dict[str, Any]:
    """Everything ``status`` shows, as plain data (the JSON of ``status --json``)."""
    from monitor.daemon.service import daemon_pid, scheduled_jobs, scheduler_db_for
    from pipelines.health import HealthLimits, assess

    db = _db()
    sources_error = None
    try:
        configured = load_sources(config.SOURCES)
    except SourcesError as exc:
        configured, sources_error = [], str(exc)
    scheduler_db = scheduler_db_for(db, config.SCHEDULER_DB)
    schedule = scheduled_jobs(scheduler_db)
    with Store.open(db, create=False) as store:
        health_rows = {row["source_id"]: row for row in store.source_health()}
        known = [s.id for s in configured] + sorted(set(health_rows) - {s.id for s in configured})
        healths = {h.source_id: h for h in assess(store, known, HealthLimits.from_settings(config))}
        by_status = store.count_articles("status")
        by_source = store.count_articles("source_id")
        data: dict[str, Any] = {
            "db": db,
            "articles_by_status": by_status,
            "articles_by_source": by_source,
            "frontier": store.frontier_counts(),
            "problems": [dict(r) for r in store.frontier_problems(20)],
            "last_runs": [
                {**dict(r), "stats_json": None, "stats": json.loads(r["stats_json"] or "{}")}
                for r in store.last_runs(5)
            ],
            "queue": {status: by_status.get(status, 0) for status in ("fetched", "enriched", "indexed")},
            "daemon": {"pid": daemon_pid(db), "scheduler_db": str(scheduler_db), "sources_file": config.SOURCES,
                       "sources_error": sources_error},
            "jobs": {job_id: job for job_id, job in schedule.items() if not job_id.startswith("poll:")},
            "job_runs": [{**dict(r), "detail_json": None, "detail": json.loads(r["detail_json"] or "{}")}
                         for r in store.last_job_runs(10)],
            "health_problems": [dict(r) for r in store.health_problems(open_only=True)],
            "alert_delay": delay_summary(store.alert_delays()),
        }
    for item in (*data["last_runs"], *data["job_runs"]):
        item.pop("stats_json", None)
        item.pop("detail_json", None)
    data["daemon"]["running"] = data["daemon"]["pid"] is not None
    by_id = {s.id: s for s in configured}
    data["sources"] = []
    for source_id in known:
        source, health, row = by_id.get(source_id), healths[source_id], health_rows.get(source_id)
        job = schedule.get(f"poll:{source_id}", {})
        data["sources"].append({
            "id": source_id,
            "name": source.name if source else None,
            "kind": source.kind if source else None,
            "enabled": source.enabled if source else False,
            "interval_seconds": source.interval_seconds if source else None,
            "current_interval_seconds": job.get("interval_seconds") or health.interval_seconds,
            "next_run_at": job.get("next_run_at"),
            "last_poll_at": health.last_poll_at,
            "last_success_at": health.last_success_at,
            "consecutive_failures": health.consecutive_failures,
            "last_error": health.last_error,
            "polls": health.polls,
            "articles": by_source.get(source_id, 0),
            "articles_per_day": health.articles_per_day,
            "last_article_at": health.last_article_at,
            "failing": health.failing,
            "stale": health.stale,
            "unchanged_polls": row["unchanged_polls"] if row else 0,
        })
    return data


@app.command()
def status(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Sources (last and next runs, health), queue depths, the daemon's job runs, and the last crawl runs."""
    data = status_data()
    if as_json:
        print(json.dumps(data, indent=2))
        return
    daemon = data["daemon"]
    console.print(f"store: {data['db']}")
    console.print(f"daemon: {'running, pid ' + str(daemon['pid']) if daemon['running'] else 'not running'}")
    if daemon["sources_error"]:
        console.print(f"[red]sources file:[/] {daemon['sources_error']}", highlight=False)
    queue = data["queue"]
    console.print(f"queue: fetched {queue['fetched']} -> enriched {queue['enriched']} -> indexed {queue['indexed']}"
                  f"   (all: {_fmt_counts(data['articles_by_status'])})")
    console.print(f"frontier: {_fmt_counts(data['frontier'])}")
    delay = data["alert_delay"]
    if delay["incidents"]:
        console.print(f"time to alert (publication of the first report -> alert), {delay['incidents']} incidents: "
                      f"median {_fmt_delay(delay['median_seconds'])}, p95 {_fmt_delay(delay['p95_seconds'])}")
    table = Table(title="Sources")
    for column in ("source", "every", "next run", "last poll", "last success", "fails", "articles", "per day",
                   "health"):
        table.add_column(column, justify="right" if column in ("fails", "articles", "per day") else "left")
    for s in data["sources"]:
        base = s["interval_seconds"]
        now = s["current_interval_seconds"] or base
        every = _fmt_interval(now) if now else "-"
        if base and now and base != now:
            every += f" (base {_fmt_interval(base)})"
        flags = [name for name in ("failing", "stale") if s[name]]
        health = ("[red]" + ", ".join(flags) + "[/]") if flags else ("ok" if s["polls"] else "-")
        if not s["enabled"]:
            health = "disabled"
        table.add_row(s["id"], every, _short(s["next_run_at"]), _short(s["last_poll_at"]),
                      _short(s["last_success_at"]), str(s["consecutive_failures"]), str(s["articles"]),
                      f"{s['articles_per_day']:g}", health)
    console.print(table)
    if data["jobs"]:
        console.print("jobs: " + ", ".join(f"{job_id} next {_short(job['next_run_at'])}"
                                           for job_id, job in sorted(data["jobs"].items())))
    if data["health_problems"]:
        problems = Table(title="Open health problems")
        for column in ("subject", "kind", "since", "detail"):
            problems.add_column(column)
        for p in data["health_problems"]:
            problems.add_row(p["subject"], p["kind"], _short(p["opened_at"]), p["detail"])
        console.print(problems)
    if data["problems"]:
        urls = Table(title="URLs that did not make an article (latest 20)")
        for column in ("source_id", "state", "reason", "attempts", "url"):
            urls.add_column(column)
        for p in data["problems"]:
            urls.add_row(*(str(p[c]) for c in ("source_id", "state", "reason", "attempts", "url")))
        console.print(urls)
    if data["job_runs"]:
        runs = Table(title="Last daemon jobs")
        for column in ("id", "kind", "started", "finished", "status", "sources"):
            runs.add_column(column)
        for r in data["job_runs"]:
            sources = r["sources"] if len(r["sources"]) <= 60 else f"{r['sources'].count(',') + 1} sources"
            runs.add_row(str(r["id"]), r["kind"], _short(r["started_at"]), _short(r["finished_at"]), r["status"],
                         sources)
        console.print(runs)
    crawl_runs = Table(title="Last crawl runs")
    for column in ("id", "started", "finished", "sources", "skipped (reason)"):
        crawl_runs.add_column(column)
    for r in data["last_runs"]:
        skipped: dict[str, int] = {}
        for report in (r["stats"] or {}).values():  # linkless feed entries, off-domain links, too short ...
            for reason, count in ((report.get("skipped") if isinstance(report, dict) else None) or {}).items():
                skipped[reason] = skipped.get(reason, 0) + count
        crawl_runs.add_row(str(r["id"]), r["started_at"], r["finished_at"] or "(running or killed)", r["sources"],
                           _fmt_counts(skipped))
    console.print(crawl_runs)


def _fmt_delay(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
    if seconds < 3600:
        return f"{sign}{seconds / 60:.1f} min"
    if seconds < 2 * 86400:
        return f"{sign}{seconds / 3600:.1f} h"
    return f"{sign}{seconds / 86400:.1f} days"


def _short(timestamp: str | None) -> str:
    """An ISO timestamp as 'YYYY-MM-DD HH:MM:SS' (UTC), or '-'."""
    if not timestamp:
        return "-"
    return timestamp.replace("T", " ")[:19]
