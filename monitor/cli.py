"""The command line: ``crimea-monitor COMMAND``. Every command honours CRIMEA_MONITOR_DB and CRIMEA_MONITOR_SOURCES.

Errors a user can fix are printed as one line and a non-zero exit code, never as a traceback.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

import settings as config
from crawlers.sources import Source, SourcesError, load_sources, select
from indexer.store import StoreError
from monitor.cli_app import UserError, _db, _fmt_counts, _fmt_interval, _open_store, app, console, err

sources_app = typer.Typer(help="The sources registry.", no_args_is_help=True)
articles_app = typer.Typer(help="Stored articles.", no_args_is_help=True)
app.add_typer(sources_app, name="sources")
app.add_typer(articles_app, name="articles")


# --- init ------------------------------------------------------------------------------------------------------
@app.command()
def init() -> None:
    """Create the store (and apply migrations) and check the sources file."""
    with _open_store(create=True) as store:
        version = store.schema_version()
    sources = load_sources(config.SOURCES)
    console.print(f"store: {_db()} (schema version {version})")
    console.print(f"sources: {config.SOURCES} ({len(sources)} sources, {sum(s.enabled for s in sources)} enabled)")


# --- crawl -----------------------------------------------------------------------------------------------------
@app.command()
def crawl(
    source: Annotated[list[str] | None, typer.Option("--source", "-s", help="Crawl only this source id.")] = None,
    demo: Annotated[bool, typer.Option(help="Start the bundled demo site on 127.0.0.1 and crawl it.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show Scrapy's log.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the per-source report as JSON.")] = False,
) -> None:
    """Crawl sources into the store and print what happened per source."""
    from pipelines.crawl import DEMO_OVERRIDES, build_settings, run_crawl

    overrides: dict = {"LOG_LEVEL": "INFO" if verbose else "WARNING"}
    site = None
    if demo:
        from monitor.demo.site import start_demo_site

        site = start_demo_site(config.DEMO_PORT)
        sources_path = Path(_db()).parent / "demo-sources.toml"
        sources_path.parent.mkdir(parents=True, exist_ok=True)
        sources_path.write_text(site.sources_toml() + site.channel_sources_toml(), encoding="utf-8")
        overrides.update(DEMO_OVERRIDES)
        overrides["SOURCES"] = str(sources_path)
        if not as_json:
            console.print(f"demo site running at {site.base_url} (fictional outlets; data is marked as demo)")
    else:
        sources_path = Path(config.SOURCES)
    chosen = select(load_sources(sources_path), source)
    if not chosen:
        raise UserError(f"no enabled source in {sources_path}")
    channels = [s.id for s in chosen if s.kind == "telegram"]
    try:
        reports = _crawl_with_progress(chosen, build_settings(_db(), overrides), run_crawl)
        if site is not None and channels:
            # the demo channels change after their first poll (an edit, a deletion, a new post): poll them again,
            # in a process of its own (Scrapy's reactor runs once per process)
            reports += _poll_again(channels, sources_path, overrides)
    finally:
        if site is not None:
            site.stop()
    if as_json:
        print(json.dumps([r.__dict__ for r in reports], indent=2))
        return
    _print_reports(reports)
    with _open_store(create=True) as store:
        counts = store.count_articles()
    console.print(f"store {_db()}: {sum(counts.values())} articles ({_fmt_counts(counts)})")


def _poll_again(source_ids: list[str], sources_path: Path, overrides: dict) -> list:
    import subprocess

    from pipelines.crawl import SourceReport

    env = {**os.environ, "CRIMEA_MONITOR_DB": _db(), "CRIMEA_MONITOR_SOURCES": str(sources_path)}
    env.update({f"CRIMEA_MONITOR_{key}": str(value).lower() if isinstance(value, bool) else str(value)
                for key, value in overrides.items() if key.isupper() and key != "SOURCES"})
    command = [sys.executable, "-m", "monitor", "crawl", "--json", *(a for s in source_ids for a in ("-s", s))]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0:
        raise UserError(f"second poll of the demo channels failed: {done.stderr.strip()[-300:]}")
    reports = []
    for raw in json.loads(done.stdout):
        report = SourceReport(raw["source_id"] + " (2nd poll)", raw["name"])
        report.__dict__.update({k: v for k, v in raw.items() if k not in ("source_id", "name")})
        reports.append(report)
    return reports


def _crawl_with_progress(chosen: list[Source], settings, run_crawl):  # type: ignore[no-untyped-def]
    columns = (SpinnerColumn(), TextColumn("{task.description:<28}"), BarColumn(), TextColumn("{task.fields[info]}"),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False, disable=not console.is_terminal) as progress:
        tasks = {s.id: progress.add_task(s.id, total=None, info="") for s in chosen}
        seen: dict[str, dict[str, int]] = {s.id: {} for s in chosen}

        def on_item(source_id: str, outcome: str) -> None:
            counts = seen[source_id]
            counts[outcome] = counts.get(outcome, 0) + 1
            progress.update(tasks[source_id], advance=1, info=_fmt_counts(counts))

        return run_crawl(chosen, settings, on_item)


def _print_reports(reports) -> None:  # type: ignore[no-untyped-def]
    table = Table(title="Crawl summary", show_lines=False)
    for column in ("source", "fetched", "new", "updated", "unchanged", "duplicates", "near-dup", "feeds 304",
                   "skipped (reason)", "errors (reason)"):
        table.add_column(column, justify="left" if column in ("source",) or "(" in column else "right")
    totals = [0] * 7
    for r in reports:
        values = [r.fetched, r.new, r.updated, r.unchanged, r.duplicates, r.near_duplicates, r.feeds_unchanged]
        totals = [a + b for a, b in zip(totals, values, strict=True)]
        table.add_row(r.source_id, *map(str, values), _fmt_counts(r.skipped), _fmt_counts(r.errors))
    table.add_row("total", *map(str, totals), str(sum(sum(r.skipped.values()) for r in reports)),
                  str(sum(sum(r.errors.values()) for r in reports)), style="bold")
    console.print(table)
    deleted = {r.source_id: r.posts_deleted for r in reports if r.posts_deleted}
    if deleted:
        console.print("posts gone from their channel, marked deleted: " + _fmt_counts(deleted))


# --- sources ---------------------------------------------------------------------------------------------------
@sources_app.command("list")
def sources_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List the sources of the sources file."""
    sources = load_sources(config.SOURCES)
    if as_json:
        print(json.dumps([s.__dict__ for s in sources], indent=2, default=list))
        return
    table = Table(title=f"Sources ({config.SOURCES})")
    for column in ("id", "name", "kind", "lang", "every", "enabled", "start URLs"):
        table.add_column(column)
    for s in sources:
        table.add_row(s.id, s.name, s.kind, s.language, _fmt_interval(s.interval_seconds),
                      "yes" if s.enabled else "no", "\n".join(s.start_urls))
    console.print(table)


@sources_app.command("check")
def sources_check(
    source: Annotated[list[str] | None, typer.Option("--source", "-s")] = None,
    timeout: Annotated[float, typer.Option(help="Seconds per request.")] = 10.0,
) -> None:
    """Validate the sources file and fetch each start URL once to see that it answers as its kind expects
    (obeying robots.txt, as the crawl does)."""
    from crawlers.check import SourceChecker

    chosen = select(load_sources(config.SOURCES), source)
    checker = SourceChecker(config.USER_AGENT, timeout, config.DOWNLOAD_MAXSIZE, config.ROBOTSTXT_OBEY)
    table = Table(title="Source check")
    for column in ("source", "URL", "status", "result"):
        table.add_column(column)
    failures = 0
    colour = {"ok": "", "warning": "yellow", "error": "red"}
    for s in chosen:
        for check in checker.check(s):
            failures += check.level == "error"
            table.add_row(check.source_id, check.url, check.status, Text(check.result, style=colour[check.level]))
    console.print(table)
    if failures:
        raise typer.Exit(1)


# --- articles --------------------------------------------------------------------------------------------------
@articles_app.command("list")
def articles_list(
    source: Annotated[str | None, typer.Option("--source", "-s")] = None,
    status: Annotated[str | None, typer.Option(help="fetched, enriched, indexed ...")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10000)] = 20,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List stored articles, newest first."""
    with _open_store() as store:
        rows = store.list_articles(source_id=source, status=status, limit=limit)
    if as_json:
        print(json.dumps([{k: v for k, v in r.__dict__.items() if k != "text"} for r in rows], indent=2))
        return
    table = Table(title=f"Articles ({len(rows)} shown)")
    for column in ("id", "published", "source", "lang", "status", "title"):
        table.add_column(column)
    for r in rows:
        flag = " [yellow](near-duplicate)[/]" if r.near_duplicate_of else ""
        table.add_row(r.id, (r.published_at or "")[:10], r.source_id, r.lang or "", r.status, r.title + flag)
    console.print(table)


@articles_app.command("show")
def articles_show(
    article_id: Annotated[str, typer.Argument(help="Article id (from `articles list`).")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
    raw: Annotated[bool, typer.Option(help="Print the stored raw HTML of the latest snapshot.")] = False,
) -> None:
    """Show one article: its text, URLs and evidence snapshots."""
    with _open_store() as store:
        article = store.article(article_id)
        if article is None:
            raise UserError(f"no article with id {article_id!r}; see `crimea-monitor articles list`")
        urls = [dict(r) for r in store.article_urls(article_id)]
        snapshots = [dict(r) for r in store.snapshots(article_id)]
        raw_html = store.snapshot_html(snapshots[-1]["id"]) if raw and snapshots else None
    if raw_html is not None:
        sys.stdout.buffer.write(raw_html)
        return
    if as_json:
        print(json.dumps({**article.__dict__, "other_urls": urls, "snapshots": snapshots}, indent=2))
        return
    console.rule(article.title)
    console.print(f"[bold]id[/] {article.id}  [bold]source[/] {article.source_id}  [bold]lang[/] {article.lang}")
    console.print(f"[bold]url[/] {article.url}")
    console.print(f"[bold]published[/] {article.published_at}  [bold]first seen[/] {article.first_seen_at}  "
                  f"[bold]status[/] {article.status}")
    if article.near_duplicate_of:
        console.print(f"[yellow]near-duplicate of {article.near_duplicate_of} "
                      f"(similarity {article.near_duplicate_score})[/]")
    for u in urls:
        console.print(f"[dim]also at[/] {u['url']} ({u['kind']})")
    for s in snapshots:
        console.print(f"[dim]snapshot[/] sha256 {s['sha256']} {s['size']} bytes, seen {s['first_fetched_at']}"
                      f" .. {s['last_fetched_at']}")
    console.print()
    console.print(article.text, markup=False, highlight=False)


# `status` lives in monitor/commands_daemon.py with the daemon it reports on.


# Commands of the later stages live in their own modules and register themselves on ``app`` (monitor/cli_app.py).
from monitor import (  # noqa: E402, F401
    commands_daemon,
    commands_evidence,
    commands_incidents,
    commands_nlp,
    commands_review,
    commands_search,
    commands_users,
    commands_web,
)


def main() -> None:
    """Entry point: run the app, turning known errors into one line on stderr."""
    try:
        app()
    except (SourcesError, StoreError, UserError) as exc:
        err.print(f"[red]error:[/] {exc}", highlight=False)
        sys.exit(1)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as exc:
        if os.environ.get("CRIMEA_MONITOR_DEBUG"):
            raise
        if isinstance(exc, sqlite3.OperationalError) and "readonly" in str(exc):
            err.print(f"[red]error:[/] the store at {_db()} is read-only and this command writes to it",
                      highlight=False)
            sys.exit(1)
        err.print(f"[red]error:[/] unexpected {type(exc).__name__}: {exc} "
                  "(set CRIMEA_MONITOR_DEBUG=1 to see the traceback, and please report it)", highlight=False)
        sys.exit(1)

