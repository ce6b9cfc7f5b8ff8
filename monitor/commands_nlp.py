"""NLP commands: enrich, eval."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from monitor.cli import app


# --- eval ------------------------------------------------------------------------------------------------------
@app.command("eval")
def eval_command(
    gold: Annotated[Path, typer.Argument(help="A gold JSON Lines file (format: EVAL.md).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a table.")] = False,
) -> None:
    """Score the NLP against a gold file: relevance, event types, persons, places, quotes."""
    from nlp.evaluate import GoldFileError, evaluate

    out = Console(width=None if sys.stdout.isatty() else 180)
    try:
        result = evaluate(gold)
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


def _print_eval(out: Console, gold: Path, result: dict[str, Any]) -> None:
    table = Table(title=f"{gold} — {result['items']} items, {result['seconds']:.1f} s")
    for column in ("what", "precision", "recall", "F1", "attribution"):
        table.add_column(column, justify="left" if column == "what" else "right")
    for key in ("relevance", "events", "persons", "places", "quotes"):
        scores = result[key]
        extra = _fmt(scores["attribution"]) if "attribution" in scores else ""
        table.add_row(key, _fmt(scores["p"]), _fmt(scores["r"]), _fmt(scores["f1"]), extra)
    for event_type, scores in result["events"]["per_type"].items():
        table.add_row(f"  event: {event_type}", _fmt(scores["p"]), _fmt(scores["r"]), _fmt(scores["f1"]), "")
    incidents = result.get("incidents")
    if incidents:
        for kind in ("pairwise", "bcubed"):
            s = incidents[kind]
            table.add_row(f"incidents ({kind})", _fmt(s["p"]), _fmt(s["r"]), _fmt(s["f1"]), "")
    out.print(table)
