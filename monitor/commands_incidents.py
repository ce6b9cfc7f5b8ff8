"""Incident and alert commands: incidents, case, alerts list|test|log|run."""

from __future__ import annotations

import json
import sys
from datetime import date
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from monitor.cli_app import app

alerts_app = typer.Typer(help="Alert rules (alerts.toml) and their deliveries.", no_args_is_help=True)
app.add_typer(alerts_app, name="alerts")


def _out() -> Console:
    return Console(width=None if sys.stdout.isatty() else 180)


def _fail(message: str, code: int = 1) -> None:
    sys.stderr.write(f"error: {message}\n")
    raise typer.Exit(code)


def _store() -> Any:
    import settings as config
    from indexer.store import Store, StoreError

    try:
        return Store.open(config.DB, create=False)
    except StoreError as exc:
        _fail(str(exc))


def _config() -> Any:
    import settings as config
    from alerts.rules import AlertConfigError, load_alerts

    try:
        return load_alerts(config.ALERTS)
    except AlertConfigError as exc:
        _fail(str(exc), 2)


def _victims(row: Any) -> str:
    victims = json.loads(row["victims_json"] or "[]")
    return ", ".join(v.get("name") or v.get("text") or "?" for v in victims)


def _when(row: Any) -> str:
    if row["event_date"]:
        return row["event_date"]
    return f"~{(row['first_reported_at'] or '')[:10]}"


def _incident_table(title: str, rows: list[Any]) -> Table:
    table = Table(title=title)
    for column in ("incident", "type", "date", "place", "victims", "sources", "articles", "first reported"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(row["id"], row["type"], _when(row), Text(row["place_text"] or ""), Text(_victims(row)),
                      str(row["source_count"]), str(row["article_count"]), (row["first_reported_at"] or "")[:16])
    return table


# --- incidents -------------------------------------------------------------------------------------------------
@app.command("incidents")
def incidents_command(
    query: Annotated[str | None, typer.Argument(
        help="Only incidents matching this query (search language; about:crimea unless it says about:any).")] = None,
    since: Annotated[str | None, typer.Option(help="Only incidents on or after this date (YYYY-MM-DD).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per incident, one per line.")] = False,
    limit: Annotated[int, typer.Option(min=1, help="At most this many incidents.")] = 50,
    recluster: Annotated[bool, typer.Option("--recluster", help="Cluster every article again first.")] = False,
) -> None:
    """Incidents (real-world events clustered across reports), newest first."""
    from alerts.matching import incident_doc, matches
    from indexer.query import QuerySyntaxError, parse, with_default_about
    from pipelines.alerting import default_resolver
    from pipelines.incidents import cluster_pending, incident_record

    parsed = None
    if query:
        try:
            parsed = parse(query)
        except QuerySyntaxError as exc:
            sys.stderr.write(f"error: invalid query: {exc}\n{exc.pointer()}\n")
            raise typer.Exit(2) from None
    if since:
        try:
            date.fromisoformat(since)
        except ValueError:
            _fail(f"--since {since!r} is not a date YYYY-MM-DD", 2)
    with _store() as store:
        if not store.read_only:  # a read-only store shows the incidents as last clustered
            cluster_pending(store, everything=recluster)
        rows = store.list_incidents(since=since)
        if parsed is not None:
            parsed = with_default_about(parsed)  # the incident list is about Crimea unless asked otherwise
            resolver = default_resolver(store)
            rows = [r for r in rows if (doc := incident_doc(store, r["id"])) and matches(parsed, doc, resolver)]
        rows = rows[:limit]
        if as_json:
            for row in rows:
                sys.stdout.write(json.dumps(incident_record(store, row["id"]), ensure_ascii=False) + "\n")
            return
        _out().print(_incident_table(f"{len(rows)} incident(s)", rows))


@app.command("case")
def case_command(
    person: Annotated[str, typer.Argument(help="A person's name (any spelling) or entity id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """A person's case timeline: the incidents that concern them, in the order they happened."""
    from pipelines.alerting import default_resolver
    from pipelines.incidents import cluster_pending, incident_record, person_incidents

    with _store() as store:
        if not store.read_only:
            cluster_pending(store)
        ids = set(default_resolver(store).resolve("person", person))
        if person.startswith("person:"):
            ids.add(person)
        rows = person_incidents(store, ids) if ids else []
        if as_json:
            records = [incident_record(store, r["id"]) for r in rows]
            sys.stdout.write(json.dumps({"person": person, "ids": sorted(ids), "incidents": records},
                                        ensure_ascii=False) + "\n")
            return
        if not rows:
            _fail(f"no incidents concern {person!r}")
        _out().print(_incident_table(f"Case of {person}: {len(rows)} incident(s)", rows))


# --- alerts ----------------------------------------------------------------------------------------------------
@alerts_app.command("list")
def alerts_list() -> None:
    """The rules in alerts.toml, with their channels and what they fired so far."""
    import settings as config

    cfg = _config()
    with _store() as store:
        fired = store.alert_counts_by_rule()
        table = Table(title=f"Alert rules ({config.ALERTS})")
        for column in ("rule", "query", "min sources", "channels", "digest", "fired", "since"):
            table.add_column(column, overflow="fold")
        for rule in cfg.rules:
            row = store.alert_rule_row(rule.name)
            table.add_row(rule.name, Text(rule.query_text), str(rule.min_sources), ", ".join(rule.channels),
                          rule.digest, str(fired.get(rule.name, 0)), (row["created_at"] if row else "not run yet"))
    _out().print(table)


@alerts_app.command("test")
def alerts_test(rule: Annotated[str, typer.Argument(help="Rule name.")]) -> None:
    """Which current incidents a rule matches (nothing is sent or recorded)."""
    from alerts.rules import AlertConfigError
    from pipelines.alerting import default_resolver, matching_incidents

    cfg = _config()
    try:
        chosen = cfg.rule(rule)
    except AlertConfigError as exc:
        _fail(str(exc), 2)
    with _store() as store:
        rows = matching_incidents(store, chosen, default_resolver(store))
        _out().print(_incident_table(f"Rule {chosen.name!r} matches {len(rows)} incident(s)", rows))


@alerts_app.command("log")
def alerts_log(
    limit: Annotated[int, typer.Option(min=1, help="At most this many attempts.")] = 50,
    rule: Annotated[str | None, typer.Option(help="Only this rule.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per attempt, one per line.")] = False,
) -> None:
    """Every delivery attempt, newest first."""
    with _store() as store:
        rows = store.delivery_log(limit=limit, rule=rule)
        counts = store.alert_counts()
    if as_json:
        for row in rows:
            sys.stdout.write(json.dumps(dict(row), ensure_ascii=False) + "\n")
        return
    table = Table(title=f"Deliveries: {counts['alerts']} alerts, {counts['sent']} sent, {counts['pending']} pending")
    for column in ("attempted", "rule", "incident", "channel", "result", "status"):
        table.add_column(column, overflow="fold")
    for row in rows:
        result = "ok" if row["ok"] else f"failed: {row['error']}"
        table.add_row(row["attempted_at"], row["rule"], row["incident_id"], row["channel"], Text(result),
                      row["status"])
    _out().print(table)


@alerts_app.command("run")
def alerts_run(
    backfill: Annotated[bool, typer.Option("--backfill", help="Also alert incidents older than the rules.")] = False,
) -> None:
    """Cluster new reports into incidents, fire matching rules once per incident, deliver pending alerts."""
    cfg = _config()
    with _store() as store:
        _alert_step(store, cfg, backfill)


def _alert_step(store: Any, cfg: Any, backfill: bool) -> None:
    from pipelines.alerting import run_alerts
    from pipelines.incidents import cluster_pending

    clustered = cluster_pending(store)
    report = run_alerts(store, cfg, backfill=backfill)
    d = report.delivery
    sys.stderr.write(
        f"incidents: {clustered.articles} article(s) clustered, {clustered.created} new, {clustered.joined} updated, "
        f"{clustered.merged} merged; alerts: {len(report.fired)} fired, {d.sent} delivered, {d.failed} failed "
        f"(kept for the next run), {d.waiting} waiting for their digest\n"
    )
    for error in report.errors:  # a failing rule or channel is reported; the others went ahead
        sys.stderr.write(f"  {error}\n")


def incidents_and_alerts() -> None:
    """The enrich command's last step: cluster what was enriched and alert on it (skipped without alerts.toml)."""
    from pathlib import Path

    import settings as config
    from alerts.rules import AlertConfigError, load_alerts

    with _store() as store:
        if not Path(config.ALERTS).exists():
            from pipelines.incidents import cluster_pending

            clustered = cluster_pending(store)
            sys.stderr.write(f"incidents: {clustered.created} new, {clustered.joined} updated "
                             f"(no alerts: {config.ALERTS} does not exist)\n")
            return
        try:
            cfg = load_alerts(config.ALERTS)
        except AlertConfigError as exc:
            _fail(str(exc), 2)
        _alert_step(store, cfg, backfill=False)
