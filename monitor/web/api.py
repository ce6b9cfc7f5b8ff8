"""The REST API under ``/api``: read-only without a token; writes need ``Authorization: Bearer <API_TOKEN>``.

Bad parameters give 422 with a message naming the parameter and what to send instead; a malformed query gives
400 with the parser's message and a caret pointer; a search backend that is down gives 503.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, BeforeValidator, Field

from indexer.query import MAX_LENGTH, QuerySyntaxError
from indexer.search.document import MAX_OFFSET
from indexer.store import utcnow
from monitor.web import data
from monitor.web.context import WebContext

router = APIRouter(prefix="/api", tags=["api"])

ARTICLE_ID = r"^[0-9a-f]{16}$"
SQLITE_MAX_ID = 2**63 - 1  # a larger integer id cannot be bound in SQLite (it raised OverflowError: a 500)
ENTITY_ID = r"^[a-z_]+:~?[\w.\-]+$"


EventType = StrEnum("EventType", {name: name for name in data.TYPES})  # type: ignore[misc]  # the OpenAPI enum


def _iso_date(value: Any) -> Any:
    # pydantic reads a number as a Unix time: ``to=0`` meant 1970-01-01; only YYYY-MM-DD is a date here
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("use a date YYYY-MM-DD")
    return value


Day = Annotated[date, BeforeValidator(_iso_date)]


class ErrorBody(BaseModel):
    """Every error answer: a message; a malformed query adds where it went wrong."""

    error: str
    pointer: str | None = None


_ERRORS = {
    400: "Malformed query (the body says where, with a caret pointer)",
    401: "Missing or wrong token: send 'Authorization: Bearer <token>'",
    403: "Write endpoints are disabled: no API token is configured on the server",
    404: "No such item",
    409: "Conflict: a crawl is already running, or a file the request needs cannot be read or written",
    422: "Invalid parameter or body (the message names it)",
    503: "The search backend or the store is unavailable",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` of a route: the error codes it can answer with, documented in the OpenAPI spec."""
    return {code: {"model": ErrorBody, "description": _ERRORS[code]} for code in codes}


async def ctx_of(request: Request) -> WebContext:
    # async, so FastAPI does not hop to the threadpool to run it (a measurable share of a search request)
    return request.app.state.ctx


Ctx = Annotated[WebContext, Depends(ctx_of)]


async def require_token(request: Request) -> None:
    """Write endpoints: 403 when no token is configured, 401 when the bearer token is missing or wrong."""
    ctx: WebContext = request.app.state.ctx
    if not ctx.api_token:
        raise HTTPException(403, "write endpoints are disabled: set CRIMEA_MONITOR_API_TOKEN on the server")
    if not ctx.token_ok(request.headers.get("authorization")):
        raise HTTPException(401, "send the API token as 'Authorization: Bearer <token>'",
                            headers={"WWW-Authenticate": "Bearer"})


def syntax_error(exc: QuerySyntaxError) -> JSONResponse:
    return JSONResponse(
        {"error": f"invalid query: {exc}", "message": exc.message, "position": exc.position, "column": exc.column,
         "expected": exc.expected, "pointer": exc.pointer()},
        status_code=400,
    )


# -------------------------------------------------------------------------------------------------- search
@router.get("/search", summary="Search articles with the query language", responses=errors(400, 422, 503))
async def search(
    ctx: Ctx,
    q: Annotated[str, Query(min_length=1, max_length=MAX_LENGTH,
                            description='Query, e.g. `type:search place:Bakhchysarai date:2024-01..`')],
    limit: Annotated[int, Query(ge=1, le=100, description="Hits per page (1-100).")] = 20,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description=f"Hits to skip (0-{MAX_OFFSET}).")] = 0,
    sort: Annotated[Literal["relevance", "date"], Query(description="relevance or date (newest first).")] = "relevance",
    facets: Annotated[bool, Query(description="Count sources, types, persons, places, orgs, months.")] = False,
) -> Any:
    # Run on the event loop, not in the threadpool: a search is ~1 ms of CPU that mostly holds the GIL, so a thread
    # hop only adds latency (measured with bench/api_bench.py).
    try:
        # a plain dict straight to JSON: FastAPI's generic encoder would cost more than the search itself
        return JSONResponse(data.search(ctx, q, limit=limit, offset=offset, sort=sort, facets=facets))
    except QuerySyntaxError as exc:
        return syntax_error(exc)


# ------------------------------------------------------------------------------------------------ articles
@router.get("/articles/{article_id}", summary="One article: text, entities, events, quotes, claims, snapshots",
            responses=errors(404, 422))
def article(ctx: Ctx, article_id: Annotated[str, PathParam(pattern=ARTICLE_ID,
                                                            description="16 hex digits")]) -> Any:
    found = data.article(ctx, article_id)
    if found is None:
        raise HTTPException(404, f"no article with id {article_id}")
    return found


# ------------------------------------------------------------------------------------------------ entities
@router.get("/entities/{entity_id}", summary="A person, place or organisation: aliases, mentions, quotes, cases",
            responses=errors(404, 422))
def entity(ctx: Ctx, entity_id: Annotated[str, PathParam(pattern=ENTITY_ID, max_length=200,
                                                          description="e.g. person:mustafa-dzhemilev")]) -> Any:
    found = data.entity(ctx, entity_id)
    if found is None:
        raise HTTPException(404, f"no entity with id {entity_id}; search for the name with person:/place:/org:")
    return found


# --------------------------------------------------------------------------------------------------- stats
@router.get("/stats/timeline", summary="Incidents (or actual event mentions) per type per month or week",
            responses=errors(422))
def stats_timeline(
    ctx: Ctx,
    interval: Annotated[Literal["month", "week"], Query(description="month or week")] = "month",
    type: Annotated[list[EventType] | None, Query(description="Event type(s) to count; repeat for several.")] = None,
    source: Annotated[list[str] | None, Query(description="Source id(s); repeat for several.")] = None,
    start: Annotated[Day | None, Query(alias="from", description="First day, YYYY-MM-DD.")] = None,
    end: Annotated[Day | None, Query(alias="to", description="Last day, YYYY-MM-DD.")] = None,
    unit: Annotated[Literal["incidents", "events"], Query(
        description="incidents (each real-world incident once) or events (actual event mentions in articles)."
    )] = "incidents",
) -> Any:
    if unit == "incidents" and source:
        raise HTTPException(422, "source: incidents are reported by several sources; filter by source with "
                                 "unit=events")
    if start and end and start > end:
        raise HTTPException(422, f"from ({start}) is after to ({end}); swap them")
    return data.timeline(ctx, interval, _values(type), source, start.isoformat() if start else None,
                         end.isoformat() if end else None, unit=unit)


@router.get("/places", summary="Places with coordinates that relevant articles mention, for the map")
def places(ctx: Ctx) -> Any:
    return data.places(ctx)


@router.get("/sources", summary="Health of every source: articles, polled URLs, errors, frontier")
def sources(ctx: Ctx) -> Any:
    return data.sources(ctx)


# ----------------------------------------------------------------------------------------------- incidents
INCIDENT_ID = r"^inc-[0-9a-f]{4,64}$"


def _values(types: list[EventType] | None) -> list[str] | None:
    return [t.value for t in types] if types else None


def check_types(types: list[str] | None) -> None:
    unknown = [t for t in types or [] if t not in data.TYPES]
    if unknown:
        raise HTTPException(422, f"type: unknown incident type {unknown[0]!r}; use one of {', '.join(data.TYPES)}")


@router.get("/incidents", summary="Incidents, most recent first, filterable by type, place, victim and date",
            responses=errors(422))
def incidents(
    ctx: Ctx,
    type: Annotated[list[EventType] | None, Query(description="Incident type(s); repeat for several.")] = None,
    place: Annotated[str | None, Query(pattern=ENTITY_ID, description="Place id, e.g. place:bakhchysarai")] = None,
    victim: Annotated[str | None, Query(pattern=ENTITY_ID, description="Victim entity id")] = None,
    start: Annotated[Day | None, Query(alias="from", description="First day, YYYY-MM-DD.")] = None,
    end: Annotated[Day | None, Query(alias="to", description="Last day, YYYY-MM-DD.")] = None,
    limit: Annotated[int, Query(ge=1, le=200, description="Incidents per page (1-200).")] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> Any:
    if start and end and start > end:
        raise HTTPException(422, f"from ({start}) is after to ({end}); swap them")
    return data.incidents(ctx, _values(type), place, victim, start.isoformat() if start else None,
                          end.isoformat() if end else None, limit, offset)


@router.get("/incidents/{incident_id}", summary="One incident: reporting articles, mentions, victims, quotes, place",
            responses={**errors(404, 422),
                       307: {"description": "An old id: redirects to the incident its reports now belong to"}})
def incident(request: Request, ctx: Ctx, incident_id: Annotated[str, PathParam(
        pattern=INCIDENT_ID, description="e.g. inc-3f2a... (an old id of a merged incident redirects to it)")]) -> Any:
    found = data.incident(ctx, incident_id)
    if found is None:
        raise HTTPException(404, f"no incident with id {incident_id}")
    if found["status"] == "withdrawn":
        raise HTTPException(404, f"incident {incident_id} was withdrawn: no current report supports it")
    if found["id"] != incident_id:  # merged or replaced: its reports live on in another incident
        return incident_redirect(request, found["id"])
    return found


def incident_redirect(request: Request, current: str) -> RedirectResponse:
    """307 to the incident an old id resolves to (temporary: where an id leads may change with new reports)."""
    return RedirectResponse(request.url.replace(path=request.url.path.rsplit("/", 1)[0] + "/" + current,
                                                query=""), status_code=307)


# --------------------------------------------------------------------------------------------------- crawl
@dataclass
class CrawlJob:
    """A crawl started by POST /api/crawl: a ``crimea-monitor crawl --json`` subprocess (Scrapy's reactor runs
    once per process, and a crash of the crawl must not take the web server down).

    Its report and errors are read through pipes by a thread of its own, so nothing is left on disk."""

    sources: list[str]
    started_at: str
    process: subprocess.Popen[bytes]
    finished_at: str | None = None
    _report: bytes = b""
    _errors: bytes = b""
    _reader: threading.Thread | None = None

    def __post_init__(self) -> None:
        self._reader = threading.Thread(target=self._read, name="api-crawl-output", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        self._report, errors = self.process.communicate()
        self._errors = errors[-2000:]

    def running(self) -> bool:
        return self.process.poll() is None

    def as_json(self) -> dict[str, Any]:
        code = self.process.poll()
        if code is not None and self._reader is not None:
            self._reader.join()  # the process is gone: its pipes are at their end
        if code is not None and self.finished_at is None:
            self.finished_at = utcnow()
        out: dict[str, Any] = {"sources": self.sources or "all enabled", "started_at": self.started_at,
                               "running": code is None, "exit_code": code, "finished_at": self.finished_at}
        if code is not None:
            try:
                out["report"] = json.loads(self._report.decode("utf-8") or "null")
            except ValueError:
                out["report"] = None
            if code != 0:
                out["error"] = self._errors.decode("utf-8", errors="replace").strip()[-500:]
        return out


@router.get("/crawl", summary="The crawl started through the API: running or last finished")
def crawl_status(ctx: Ctx) -> Any:
    job: CrawlJob | None = ctx.crawl_job
    return {"job": job.as_json() if job is not None else None}


@router.post("/crawl", status_code=202, dependencies=[Depends(require_token)], responses=errors(401, 403, 409, 422),
             summary="Start a crawl of all enabled sources or of the given ones (needs the token)")
def crawl_start(
    ctx: Ctx,
    sources: Annotated[list[str] | None, Body(embed=True, description="Source ids; omit for all enabled.")] = None,
) -> Any:
    from crawlers.sources import SourcesError, load_sources

    try:
        known = {s.id for s in load_sources(ctx.sources) if s.enabled}
    except SourcesError as exc:
        raise HTTPException(409, f"the sources file cannot be read: {exc}") from None
    unknown = [s for s in sources or [] if s not in known]
    if unknown:
        raise HTTPException(422, f"sources: {unknown[0]!r} is not an enabled source; use one of "
                                 f"{', '.join(sorted(known)) or '(none enabled)'}")
    with ctx._lock:
        job: CrawlJob | None = ctx.crawl_job
        if job is not None and job.running():
            raise HTTPException(409, f"a crawl started at {job.started_at} is still running; see GET /api/crawl")
        env = {**os.environ, "CRIMEA_MONITOR_DB": str(ctx.db), "CRIMEA_MONITOR_SOURCES": str(ctx.sources)}
        args = [sys.executable, "-m", "monitor", "crawl", "--json"]
        for s in sources or []:
            args += ["--source", s]
        process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                   env=env)
        ctx.crawl_job = job = CrawlJob(list(sources or []), utcnow(), process)
    return {"job": job.as_json()}


# --------------------------------------------------------------------------------------------------- alerts
class RuleBody(BaseModel):
    """An alert rule as alerts.toml holds it (the name is in the path)."""

    query: str = Field(min_length=1, max_length=MAX_LENGTH, description="A query in the search language.")
    channels: list[str] = Field(min_length=1, description="Names of channels defined in alerts.toml.")
    min_sources: int = Field(1, ge=1, le=100, description="Independent sources reporting the incident.")
    digest: str = Field("immediate", description='"immediate" or "every N hours".')
    description: str = Field("", max_length=500)


RULE_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"


@router.get("/alerts/rules", summary="The alert rules of alerts.toml and the names of its channels",
            responses=errors(409))
def alert_rules(ctx: Ctx) -> Any:
    from alerts.rules import AlertConfigError, load_alerts
    from monitor.web.alert_rules import rules_json

    if not ctx.alerts.exists():
        return {"path": str(ctx.alerts), "channels": [], "rules": [],
                "note": f"{ctx.alerts} does not exist yet; set CRIMEA_MONITOR_ALERTS or add a rule"}
    try:
        return rules_json(load_alerts(ctx.alerts))
    except AlertConfigError as exc:
        raise HTTPException(409, str(exc)) from None


@router.put("/alerts/rules/{name}", dependencies=[Depends(require_token)], responses=errors(401, 403, 409, 422),
            summary="Create or replace one alert rule in alerts.toml (needs the token)")
def alert_rule_put(ctx: Ctx, name: Annotated[str, PathParam(pattern=RULE_NAME)], rule: RuleBody) -> Any:
    from alerts.rules import AlertConfigError
    from monitor.web.alert_rules import rule_json, write_rule

    try:
        config = write_rule(ctx.alerts, name, {"name": name, **rule.model_dump()})
    except AlertConfigError as exc:
        raise HTTPException(422, str(exc)) from None
    except OSError as exc:
        raise HTTPException(409, f"cannot write {ctx.alerts}: {exc.strerror}") from None
    return rule_json(config.rule(name))


@router.delete("/alerts/rules/{name}", status_code=204, dependencies=[Depends(require_token)],
               responses=errors(401, 403, 404, 422),
               summary="Delete one alert rule from alerts.toml (needs the token)")
def alert_rule_delete(ctx: Ctx, name: Annotated[str, PathParam(pattern=RULE_NAME)]) -> Response:
    from alerts.rules import AlertConfigError
    from monitor.web.alert_rules import write_rule

    try:
        write_rule(ctx.alerts, name, None)
    except KeyError:
        raise HTTPException(404, f"no rule named {name!r} in {ctx.alerts}") from None
    except AlertConfigError as exc:
        raise HTTPException(422, str(exc)) from None
    return Response(status_code=204)
