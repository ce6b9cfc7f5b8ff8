"""Incident review commands: review queue|confirm|reject|edit|merge|split|attach|detach."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.table import Table

from indexer import reviews
from indexer import users as accounts
from monitor.cli_app import UserError, _open_store, app, console
from monitor.commands_users import cli_actor

review_app = typer.Typer(help="Review incidents: confirm, reject, correct, merge, split.", no_args_is_help=True)
app.add_typer(review_app, name="review")

By = Annotated[str | None, typer.Option("--by", help="Analyst account to attribute the action to (default: "
                                                     "cli:<your system user>).")]


def _run(by: str | None, action: Callable[[Any, str], Any]) -> Any:
    from pipelines.review import ReviewError

    with _open_store() as store:
        actor = cli_actor()
        if by is not None:
            user = accounts.get(store, by)
            if user is None or not user.can("analyst"):
                raise UserError(f"--by {by}: not an enabled analyst or admin account; see `crimea-monitor users list`")
            actor = user.name
        try:
            return action(store, actor)
        except ReviewError as exc:
            raise UserError(str(exc)) from exc


@review_app.command("queue")
def review_queue(limit: Annotated[int, typer.Option(min=1, max=1000)] = 20) -> None:
    """Incidents nobody has reviewed yet, oldest report first."""
    with _open_store() as store:
        rows = reviews.queue(store, limit)
    table = Table(title="Review queue (new incidents, oldest first)")
    for column in ("id", "type", "date", "place", "articles", "first reported"):
        table.add_column(column)
    for r in rows:
        table.add_row(r["id"], r["type"], r["event_date"] or "", r["place_text"] or "", str(r["article_count"]),
                      (r["first_reported_at"] or "")[:10])
    console.print(table)


@review_app.command("confirm")
def review_confirm(incident: Annotated[str, typer.Argument()], notes: Annotated[str | None, typer.Option()] = None,
                   by: By = None) -> None:
    """Confirm an incident: its fields and articles are kept as they are against later re-clustering."""
    from pipelines import review

    done = _run(by, lambda store, actor: review.confirm(store, incident, actor, notes))
    console.print(f"{done} confirmed")


@review_app.command("reject")
def review_reject(
    incident: Annotated[str, typer.Argument()],
    reason: Annotated[str, typer.Option(help=f"One of {', '.join(reviews.REASONS)}.")],
    notes: Annotated[str | None, typer.Option()] = None,
    by: By = None,
) -> None:
    """Reject an incident (it never comes back to the queue)."""
    from pipelines import review

    done = _run(by, lambda store, actor: review.reject(store, incident, actor, reason, notes))
    console.print(f"{done} rejected ({reason})")


@review_app.command("edit")
def review_edit(
    incident: Annotated[str, typer.Argument()],
    field: Annotated[list[str], typer.Option("--set", help="FIELD=VALUE; fields: type, event_date, place, victims "
                                                           "(names separated by ';'), count, perpetrator, "
                                                           "legal_article, notes. Repeat for several.")],
    by: By = None,
) -> None:
    """Correct an incident's fields; what an analyst sets wins over clustering from then on."""
    from pipelines import review

    changes = {}
    for item in field:
        name, sep, value = item.partition("=")
        if not sep:
            raise UserError(f"--set {item!r}: write FIELD=VALUE, e.g. --set count=3")
        changes[name.strip()] = value
    done = _run(by, lambda store, actor: review.edit(store, incident, actor, changes))
    console.print(f"{done} edited: {', '.join(changes)}")


@review_app.command("merge")
def review_merge(incident: Annotated[str, typer.Argument(help="The incident merged away.")],
                 into: Annotated[str, typer.Option(help="The incident that remains.")], by: By = None) -> None:
    """Merge an incident into another (its id then resolves to the other)."""
    from pipelines import review

    done = _run(by, lambda store, actor: review.merge(store, incident, into, actor))
    console.print(f"{incident} merged into {done}")


@review_app.command("split")
def review_split(
    incident: Annotated[str, typer.Argument()],
    part: Annotated[list[str], typer.Option("--part", help="Comma-separated article ids of one new incident; "
                                                           "repeat (every article in exactly one part).")],
    by: By = None,
) -> None:
    """Split an incident into several, one per --part."""
    from pipelines import review

    parts = [[a.strip() for a in p.split(",") if a.strip()] for p in part]
    done = _run(by, lambda store, actor: review.split(store, incident, parts, actor))
    console.print(f"{incident} split into {', '.join(done)}")


@review_app.command("attach")
def review_attach(incident: Annotated[str, typer.Argument()], article: Annotated[str, typer.Argument()],
                  by: By = None) -> None:
    """Link a further article to an incident."""
    from pipelines import review

    done = _run(by, lambda store, actor: review.attach(store, incident, article, actor))
    console.print(f"article {article} attached to {done}")


@review_app.command("detach")
def review_detach(incident: Annotated[str, typer.Argument()], article: Annotated[str, typer.Argument()],
                  by: By = None) -> None:
    """Take a wrongly clustered article out of an incident."""
    from pipelines import review

    done = _run(by, lambda store, actor: review.detach(store, incident, article, actor))
    console.print(f"article {article} detached from {done}")


@app.command("report")
def report_command(
    month: Annotated[str, typer.Option(help="The month, YYYY-MM.")],
    fmt: Annotated[str, typer.Option("--format", help="html (printable), md or csv.")] = "md",
) -> None:
    """The monthly report: confirmed incidents per type, per place and per week, and the list with sources."""
    from pipelines.report import ReportError, monthly, to_csv, to_markdown

    if fmt not in ("html", "md", "csv"):
        raise UserError(f"--format {fmt!r}: use html, md or csv")
    with _open_store() as store:
        try:
            report = monthly(store, month)
        except ReportError as exc:
            raise UserError(str(exc)) from exc
    if fmt == "html":
        from monitor.web.app import WEB_DIR, templates
        from monitor.web.review import report_context

        css = (WEB_DIR / "static" / "style.css").read_text(encoding="utf-8")
        print(templates().get_template("report.html").render(request=None, inline_css=css,
                                                             **report_context(report)))
    else:
        print(to_markdown(report) if fmt == "md" else to_csv(report), end="")


gold_app = typer.Typer(help="Gold files for `eval` from the team's own decisions.", no_args_is_help=True)
app.add_typer(gold_app, name="gold")


@gold_app.command("export")
def gold_export(
    reviewed: Annotated[bool, typer.Option("--reviewed", help="Articles whose incidents are all confirmed or "
                                                              "rejected (the only source so far).")] = False,
) -> None:
    """Write gold lines (the eval format, one JSON object per line) to stdout: `gold export --reviewed > g.jsonl`."""
    import json

    from pipelines.gold import reviewed_gold

    if not reviewed:
        raise UserError("say which articles: --reviewed (articles whose incidents analysts have all decided on)")
    n = 0
    with _open_store() as store:
        for item in reviewed_gold(store):
            print(json.dumps(item, ensure_ascii=False))
            n += 1
    if n == 0:
        raise UserError("no reviewed articles yet: confirm or reject incidents first (crimea-monitor review queue)")
