"""Search commands: search, entity, export, reindex.

Article text is untrusted: titles, snippets and quotes are rendered as rich ``Text`` (never parsed as markup),
with control characters removed; CSV cells that a spreadsheet would run as a formula are neutralised.
"""

from __future__ import annotations

import csv
import html
import json
import re
import sys
import time
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import IO, Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from indexer.query import QuerySyntaxError, parse
from indexer.search.document import MAX_LIMIT, MAX_OFFSET, SearchHit, SearchRequest, SearchResult
from indexer.search.errors import SearchBackend, SearchBackendError, SearchBackendUnavailable
from indexer.store import Store
from monitor.cli_app import UserError, _db, _open_store, app, console, err

PAGE = 1000  # hits per request when exporting
TYPE_STYLE = "bold white on dark_red"


class SortOrder(StrEnum):
    relevance = "relevance"
    date = "date"


class ExportFormat(StrEnum):
    jsonl = "jsonl"
    csv = "csv"


# ------------------------------------------------------------------------------------------------ helpers
def clean(text: str | None) -> str:
    """Untrusted text for a terminal: control characters (ANSI escapes, bells, CR) removed, newlines -> spaces."""
    if not text:
        return ""
    text = text.replace("\r\n", " ").replace("\n", " ").replace("\t", " ")
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cc")


_TAG = re.compile(r"(</?b>)")


def snippet_text(snippet_html: str, style: str = "bold yellow") -> Text:
    """A backend snippet (HTML-escaped text with ``<b>`` highlights) as rich Text; nothing in it is markup."""
    out = Text()
    bold = False
    for part in _TAG.split(snippet_html or ""):
        if part == "<b>":
            bold = True
        elif part == "</b>":
            bold = False
        elif part:
            out.append(clean(html.unescape(part)), style=style if bold else None)
    return out


def snippet_markup(snippet_html: str) -> str:
    """The snippet as rich console markup, every bracket of the article text escaped."""
    return snippet_text(snippet_html).markup


def snippet_plain(snippet_html: str) -> str:
    return snippet_text(snippet_html).plain


def _date(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value else ""


def _query_or_exit(query: str) -> None:
    """Parse first: a malformed query gets the parser's pointed error and exit code 2, before any work."""
    try:
        parse(query)
    except QuerySyntaxError as exc:
        _syntax_error(exc)


def _syntax_error(exc: QuerySyntaxError) -> None:
    err.print(Text.assemble(("error: ", "red"), "invalid query: ", clean(str(exc))), soft_wrap=True)
    # the query and a caret under the offending column; control characters become "?" so the caret stays put
    for line in exc.pointer().split("\n"):
        err.print(Text("".join("?" if unicodedata.category(ch) == "Cc" else ch for ch in line)), soft_wrap=True)
    raise typer.Exit(2)


@contextmanager
def _backend_errors() -> Iterator[None]:
    """A backend that is down or misconfigured: one line on stderr, exit code 1."""
    try:
        yield
    except QuerySyntaxError as exc:
        _syntax_error(exc)
    except SearchBackendError as exc:
        err.print(Text.assemble(("error: ", "red"), clean(str(exc))), soft_wrap=True)
        raise typer.Exit(1) from None


@contextmanager
def _open_backend(store: Store, rebuild: bool = False) -> Iterator[SearchBackend]:
    from pipelines.index import backend_from_settings

    backend = backend_from_settings(_db(), store, rebuild=rebuild)
    try:
        yield backend
    finally:
        backend.close()


def _catch_up(store: Store, backend: SearchBackend, quiet: bool) -> int:
    """Index whatever was enriched but not yet indexed (the index always reflects the store).

    When another process (the daemon) is writing the index, the search goes on without catching up."""
    from pipelines.index import index_pending

    if store.read_only:  # a store that cannot be written is searched as it was last indexed
        return 0
    try:
        n = index_pending(store, backend)
    except SearchBackendUnavailable:
        raise  # the search itself cannot work either: one error line, from _backend_errors
    except SearchBackendError as exc:
        if not quiet:
            err.print(Text.assemble(("note: ", "yellow"), clean(str(exc)), " - searching without catching up"))
        return 0
    if n and not quiet:
        err.print(f"indexed {n} newly enriched article{'s' if n != 1 else ''}", style="dim")
    return n


def _run_search(request: SearchRequest, quiet: bool) -> tuple[SearchResult, float]:
    """The result and the seconds the search itself took (after catching up on pending articles)."""
    with _backend_errors(), _open_store() as store, _open_backend(store) as backend:
        _catch_up(store, backend, quiet)
        started = time.perf_counter()
        result = backend.search(request)
        return result, time.perf_counter() - started


def hit_json(hit: SearchHit) -> dict[str, Any]:
    return {**hit.as_json(), "snippet_html": hit.snippet_html, "snippet": snippet_plain(hit.snippet_html)}


def _render_hit(n: int, hit: SearchHit) -> None:
    head = Text(f"{n:>3}. ", style="dim")
    head.append(clean(hit.title) or "(untitled)", style="bold")
    console.print(head)
    meta = Text("     ")
    meta.append(clean(hit.source), style="cyan")
    if hit.published_at:
        meta.append(f"  {_date(hit.published_at)}", style="green")
    if hit.lang:
        meta.append(f"  {clean(hit.lang)}", style="dim")
    for event_type in hit.event_types:
        meta.append("  ")
        meta.append(f" {clean(event_type)} ", style=TYPE_STYLE)
    console.print(meta)
    snippet = snippet_text(hit.snippet_html)
    if snippet.plain.strip():
        console.print(Text("     ") + snippet)
    if hit.url:
        console.print(Text("     " + clean(hit.url), style="dim"))


def _facet_names(facets: dict[str, list[tuple[str, int]]]) -> dict[str, str]:
    ids = [value for name in ("person", "place", "org") for value, _count in facets.get(name, [])]
    if not ids:
        return {}
    with _open_store() as store:
        return store.entity_names(ids)


def _render_facets(facets: dict[str, list[tuple[str, int]]]) -> None:
    names = _facet_names(facets)
    table = Table(title="Facets", show_lines=False)
    table.add_column("facet", style="bold")
    table.add_column("values (count)")
    for name, pairs in facets.items():
        values = Text()
        for i, (value, count) in enumerate(pairs):
            if i:
                values.append(" · ", style="dim")
            values.append(clean(names.get(value, value)))
            values.append(f" {count}", style="cyan")
        table.add_row(name, values if pairs else Text("-", style="dim"))
    console.print(table)


# ------------------------------------------------------------------------------------------------- search
@app.command()
def search(
    query: Annotated[str, typer.Argument(help='Query, e.g. \'person:Dzhemilev type:search date:2024-01..\'.')],
    facets: Annotated[bool, typer.Option("--facets", help="Count sources, types, persons, places, months.")] = False,
    sort: Annotated[SortOrder, typer.Option(help="relevance or date (newest first).")] = SortOrder.relevance,
    limit: Annotated[int, typer.Option(min=0, max=MAX_LIMIT, help=f"Hits per page (0-{MAX_LIMIT}).")] = 10,
    offset: Annotated[int, typer.Option(min=0, max=MAX_OFFSET, help=f"Hits to skip (0-{MAX_OFFSET}).")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Search enriched articles with the query language (words, "phrases", AND/OR/NOT, person:, type:, date:)."""
    _query_or_exit(query)
    request = SearchRequest(query=query, limit=limit, offset=offset, sort=sort.value, facets=facets)
    result, elapsed = _run_search(request, quiet=as_json)
    if as_json:
        data: dict[str, Any] = {
            "query": query,
            "total": result.total,
            "offset": offset,
            "hits": [hit_json(h) for h in result.hits],
        }
        if facets:
            data["facets"] = {name: [list(p) for p in pairs] for name, pairs in result.facets.items()}
            data["entity_names"] = _facet_names(result.facets)
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return
    shown = f"{offset + 1}–{offset + len(result.hits)} of " if result.hits else ""
    summary = Text(f"{shown}{result.total} result{'s' if result.total != 1 else ''} for ", style="dim")
    summary.append(clean(query), style="bold")
    summary.append(f"  ({elapsed * 1000:.1f} ms)", style="dim")
    console.print(summary)
    for n, hit in enumerate(result.hits, start=offset + 1):
        _render_hit(n, hit)
    if facets:
        _render_facets(result.facets)


# ------------------------------------------------------------------------------------------------- entity
@app.command()
def entity(
    name: Annotated[str, typer.Argument(help="A name in any spelling or script, or an id (person:...).")],
    limit: Annotated[int, typer.Option(min=1, max=1000, help="Articles, quotes and events shown.")] = 20,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """What the store knows about a person, place or organisation: aliases, mentions, quotes, incidents."""
    from nlp.gazetteer import load_gazetteer
    from pipelines.resolver import GazetteerResolver, entity_profile

    with _open_store() as store:
        resolver = GazetteerResolver(store, load_gazetteer())
        profiles = entity_profile(store, resolver, name, limit=limit)
    if as_json:
        print(json.dumps([p.to_json() for p in profiles], ensure_ascii=False, indent=2))
        return
    if not profiles:
        raise UserError(f"no known person, place or organisation matches {clean(name)!r}")
    for p in profiles:
        console.rule(Text(clean(p.name), style="bold"))
        info = Text()
        info.append("id ", style="bold")
        info.append(clean(p.id))
        info.append("  label ", style="bold")
        info.append(clean(p.label))
        info.append("  gazetteer ", style="bold")
        info.append("yes" if p.in_gazetteer else "no")
        info.append("  mentions ", style="bold")
        info.append(str(p.mention_count))
        info.append("  articles ", style="bold")
        info.append(str(len(p.articles)))
        console.print(info)
        aliases = Text("aliases seen: ", style="bold")
        aliases.append(", ".join(clean(a) for a in p.aliases) or "-", style="")
        console.print(aliases)
        if p.articles:
            table = Table(title="Articles", title_justify="left")
            for column in ("date", "source", "mentions", "title", "id"):
                table.add_column(column)
            for a in p.articles:
                table.add_row(
                    Text(clean(a["published_at"])[:10]), Text(clean(a["source"])), str(a["mentions"]),
                    Text(clean(a["title"])), Text(clean(a["id"])),
                )
            console.print(table)
        if p.quotes:
            console.print(Text(f"Quotes ({len(p.quotes)})", style="bold"))
            for q in p.quotes:
                line = Text("  “")
                line.append(clean(q["text"]), style="italic")
                line.append("”  ")
                line.append(f"{clean(q['published_at'])[:10]} {clean(q['title'])}", style="dim")
                console.print(line)
        if p.victim_of:
            table = Table(title="Incidents where a victim", title_justify="left")
            for column in ("date", "type", "modality", "place", "sentence"):
                table.add_column(column)
            for e in p.victim_of:
                table.add_row(
                    Text(clean(e["event_date"])), Text(clean(e["type"]), style=TYPE_STYLE), Text(clean(e["modality"])),
                    Text(clean(e["place_text"])), Text(clean(e["sentence"])),
                )
            console.print(table)


# ------------------------------------------------------------------------------------------------- export
EXPORT_COLUMNS = ("id", "published_at", "source", "lang", "title", "url", "event_types", "score", "snippet")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """A CSV cell that spreadsheets show as text, never run as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def _write_export(rows: Iterator[dict[str, Any]], fmt: ExportFormat, out: IO[str]) -> int:
    n = 0
    if fmt is ExportFormat.csv:
        writer = csv.writer(out)
        writer.writerow(EXPORT_COLUMNS)
        for row in rows:
            row = {**row, "event_types": ";".join(row["event_types"])}
            writer.writerow([csv_cell(row[c]) for c in EXPORT_COLUMNS])
            n += 1
    else:
        for row in rows:
            out.write(json.dumps({c: row[c] for c in EXPORT_COLUMNS}, ensure_ascii=False) + "\n")
            n += 1
    return n


@app.command()
def export(
    query: Annotated[str, typer.Argument(help="Query in the query language.")],
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f", help="jsonl or csv.")] = ExportFormat.jsonl,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")] = None,
    sort: Annotated[SortOrder, typer.Option(help="relevance or date.")] = SortOrder.relevance,
    max_hits: Annotated[int, typer.Option("--max", min=1, max=MAX_OFFSET,
                                          help=f"Export at most this many hits (1-{MAX_OFFSET}).")] = MAX_OFFSET,
) -> None:
    """Export every article matching QUERY as JSON lines or CSV."""
    _query_or_exit(query)
    with _backend_errors(), _open_store() as store, _open_backend(store) as backend:
        _catch_up(store, backend, quiet=True)

        def rows() -> Iterator[dict[str, Any]]:
            offset = 0
            while offset < max_hits:
                page = min(PAGE, max_hits - offset)
                result = backend.search(SearchRequest(query=query, limit=page, offset=offset, sort=sort.value))
                for hit in result.hits:
                    row = hit_json(hit)
                    row.pop("snippet_html")
                    yield row
                offset += len(result.hits)
                if len(result.hits) < page or offset >= result.total:
                    return

        if output is None:
            n = _write_export(rows(), fmt, sys.stdout)
            sys.stdout.flush()
        else:
            try:
                output.parent.mkdir(parents=True, exist_ok=True)
                with output.open("w", encoding="utf-8", newline="") as fh:
                    n = _write_export(rows(), fmt, fh)
            except OSError as exc:  # a folder, a missing permission, a full disk: the user can fix each
                raise UserError(f"cannot write the export to {output}: {exc.strerror or exc}") from None
    where = str(output) if output else "stdout"
    err.print(Text(f"exported {n} article{'s' if n != 1 else ''} ({fmt.value}) to {clean(where)}", style="dim"))


# ------------------------------------------------------------------------------------------------ reindex
@app.command()
def reindex() -> None:
    """Rebuild the search index (Tantivy or Elasticsearch) from the store."""
    from pipelines.index import reindex_all

    with _backend_errors(), _open_store() as store, _open_backend(store, rebuild=True) as backend:
        columns = (TextColumn("reindexing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as progress:
            task = progress.add_task("reindex", total=None)
            docs, seconds = reindex_all(
                store,
                backend,
                progress=lambda n: progress.advance(task, n),
                total=lambda n: progress.update(task, total=n),
            )
    kind = type(backend).__name__.removesuffix("Backend").lower()
    console.print(f"reindexed {docs} documents into {kind} in {seconds:.2f} s")
