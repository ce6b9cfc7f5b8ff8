"""NLP commands: enrich, eval."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from monitor.cli_app import app


# --- eval ------------------------------------------------------------------------------------------------------
@app.command("eval")
def eval_command(
    gold: Annotated[list[Path], typer.Argument(help="Gold JSON Lines file(s) (format: EVAL.md), scored together.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a table.")] = False,
) -> None:
    """Score the NLP against a gold file: relevance, event types, persons, places, quotes."""
    from functools import partial

    from nlp.evaluate import GoldFileError, evaluate
    from pipelines.incidents import cluster_predictions  # the pipeline's own clustering, as the store's

    out = Console(width=None if sys.stdout.isatty() else 180)
    try:
        result = evaluate(gold, cluster=partial(cluster_predictions, level="incident"),
                          case_cluster=partial(cluster_predictions, level="case"))
    except GoldFileError as exc:
        # one plain line, never wrapped, so scripts can grep it
        sys.stderr.write(f"error: {exc}\n")
        raise typer.Exit(1) from None
    if as_json:
        sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
        return
    _print_eval(out, gold, result)


def _fmt(value: float) -> str:
    return f"{value:.3f}"


def _print_eval(out: Console, gold: list[Path], result: dict[str, Any]) -> None:
    names = ", ".join(str(path) for path in gold) if len(gold) <= 3 else f"{gold[0]} and {len(gold) - 1} more files"
    table = Table(title=f"{names} — {result['items']} items, {result['seconds']:.1f} s")
    for column in ("what", "precision", "recall", "F1", "attribution"):
        table.add_column(column, justify="left" if column == "what" else "right")
    _eval_rows(table, result, "")
    for lang, block in result.get("by_lang", {}).items():
        table.add_section()
        _eval_rows(table, block, f"{lang}: ", per_type=False)
    out.print(table)


def _eval_rows(table: Table, result: dict[str, Any], prefix: str, per_type: bool = True) -> None:
    keys = ("relevance", "events", "event_victims", "event_places", "persons", "places", "quotes", "indirect_quotes")
    for key in keys:
        if key not in result:
            continue
        scores = result[key]
        extra = _fmt(scores["attribution"]) if "attribution" in scores else ""
        table.add_row(prefix + key, _fmt(scores["p"]), _fmt(scores["r"]), _fmt(scores["f1"]), extra)
        if key == "events" and per_type:
            for event_type, s in scores["per_type"].items():
                table.add_row(f"{prefix}  event: {event_type}", _fmt(s["p"]), _fmt(s["r"]), _fmt(s["f1"]), "")
    for block in ("incidents", "cases"):
        for kind in ("pairwise", "bcubed"):
            if block in result:
                s = result[block][kind]
                table.add_row(f"{prefix}{block} ({kind})", _fmt(s["p"]), _fmt(s["r"]), _fmt(s["f1"]), "")
    if "linking" in result:
        link = result["linking"]
        table.add_row(f"{prefix}linking: people merged", f"{link['merged']} of {link['pairs']} pairs", "", "", "")
        table.add_row(f"{prefix}linking: people split", f"{link['split']} of {link['people']}", "", "", "")


# --- enrich ----------------------------------------------------------------------------------------------------
@app.command("enrich")
def enrich_command(
    everything: Annotated[
        bool, typer.Option("--all", help="Re-enrich every stored article (after NLP changes).")
    ] = False,
    limit: Annotated[int | None, typer.Option(min=1, help="At most this many articles.")] = None,
    statements: Annotated[int, typer.Option(min=0, help="How many statements to show at the end.")] = 8,
) -> None:
    """Run the NLP over fetched articles: entities, incident events, quotes, claims."""
    import settings as config
    from indexer.store import Store
    from pipelines.enrich import enrich

    out = Console(width=None if sys.stdout.isatty() else 180)
    with Store.open(config.DB, create=False) as store:
        pending = len(store.article_ids_with_status("fetched")) if not everything else sum(
            store.count_articles().values()
        )
        total = min(pending, limit) if limit else pending
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(TextColumn("enriching"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=out, disable=not out.is_terminal) as progress:
            task = progress.add_task("enrich", total=total)
            report = enrich(
                store, everything=everything, limit=limit, batch_size=config.ENRICH_BATCH_SIZE,
                n_process=config.ENRICH_N_PROCESS, on_article=lambda n: progress.advance(task, n),
            )
        out.print(
            f"enriched {report.articles} articles ({report.relevant} about Crimea) in {report.seconds:.1f} s, "
            f"{report.words_per_second:,.0f} words/s; {sum(report.events_actual.values())} incident events "
            f"(+{report.events_other} negated/hypothetical), {report.quotes} statements, {report.claims} claims"
        )
        counts = store.event_counts()
        if counts:
            table = Table(title="Incident events in articles about Crimea (actual mentions)")
            table.add_column("type")
            table.add_column("mentions", justify="right")
            for event_type, n in counts.items():
                table.add_row(event_type, str(n))
            out.print(table)
        rows = store.statements(limit=statements)
        if rows:
            table = Table(title="Latest statements (who said what)")
            for column in ("speaker", "statement", "article"):
                table.add_column(column, overflow="fold")
            for row in rows:
                speaker = row["speaker_name"] or row["speaker_text"] or "?"
                text = row["text"] if len(row["text"]) <= 160 else row["text"][:157] + "…"
                table.add_row(_plain(speaker), _plain(text), _plain(row["title"]))
            out.print(table)
    from monitor.commands_incidents import incidents_and_alerts  # issue 5: incidents, then alerts

    incidents_and_alerts()


def _plain(text: str) -> Any:
    """Article text is untrusted: show it as text, never as rich markup."""
    from rich.text import Text

    return Text(text)
