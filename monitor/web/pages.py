"""Server-rendered pages: dashboard, search, article, entity, sources, API docs.

Every page works without JavaScript (search is a plain GET form, facets are links); the vendored script only draws
the chart and the map from JSON embedded with ``tojson`` (which escapes ``<``, so article text cannot close the
script element).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, Response

from indexer.query import MAX_LENGTH, QuerySyntaxError
from monitor.web import data, render
from monitor.web.api import ARTICLE_ID, ENTITY_ID, INCIDENT_ID, SQLITE_MAX_ID, check_types, ctx_of, incident_redirect
from monitor.web.auth import require_reader
from monitor.web.context import WebContext

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_reader)])
PER_PAGE = 20
Ctx = Annotated[WebContext, Depends(ctx_of)]


def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = request.app.state.templates.get_template(template).render(request=request, **context)
    return HTMLResponse(html, status_code=status)


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, ctx: Ctx) -> HTMLResponse:
    store = ctx.store()
    counts = store.count_articles()
    timeline = data.timeline(ctx, "month", unit="incidents")
    if not timeline["series"]:  # incidents not clustered yet: chart the event mentions
        timeline = data.timeline(ctx, "month", unit="events")
    return page(
        request, "dashboard.html", nav="dashboard",
        articles=sum(counts.values()), by_status=counts, event_counts=store.event_counts(),
        timeline=timeline, places=data.places(ctx), recent=data.incidents(ctx, limit=8)["incidents"],
        statements=[dict(r) for r in store.statements(limit=8)],
    )


@router.get("/search", response_class=HTMLResponse)
def search(
    request: Request,
    ctx: Ctx,
    q: Annotated[str, Query(max_length=MAX_LENGTH)] = "",
    sort: Annotated[Literal["relevance", "date"], Query()] = "relevance",
    page_no: Annotated[int, Query(alias="page", ge=1, le=500)] = 1,
) -> HTMLResponse:
    context: dict[str, Any] = {"nav": "search", "q": q, "sort": sort, "page_no": page_no, "result": None,
                               "error": None, "per_page": PER_PAGE}
    if not q.strip():
        return page(request, "search.html", **context)
    try:
        context["result"] = data.search(ctx, q, limit=PER_PAGE, offset=(page_no - 1) * PER_PAGE, sort=sort,
                                        facets=True)
    except QuerySyntaxError as exc:
        context["error"] = {"message": str(exc), "pointer": exc.pointer()}
        return page(request, "search.html", status=400, **context)
    return page(request, "search.html", **context)


@router.get("/articles/{article_id}", response_class=HTMLResponse)
def article(request: Request, ctx: Ctx, article_id: Annotated[str, PathParam(pattern=ARTICLE_ID)]) -> HTMLResponse:
    found = data.article(ctx, article_id)
    if found is None:
        raise HTTPException(404, f"no article with id {article_id}")
    paragraphs = render.paragraphs(render.text_segments(found["text"] or "", found["mentions"]))
    return page(request, "article.html", nav="search", a=found, paragraphs=paragraphs)


@router.get("/articles/{article_id}/snapshots/{snapshot_id}")
def snapshot(ctx: Ctx, article_id: Annotated[str, PathParam(pattern=ARTICLE_ID)],
             snapshot_id: Annotated[int, PathParam(ge=1, le=SQLITE_MAX_ID)]) -> Response:
    """The raw page as crawled, as evidence: a plain-text download, never rendered as HTML by the browser."""
    found = ctx.store().web_snapshot(article_id, snapshot_id)
    if found is None:
        raise HTTPException(404, f"article {article_id} has no snapshot {snapshot_id}")
    row, raw = found
    return Response(
        raw,
        media_type="text/plain; charset=" + (row["encoding"] or "utf-8"),
        headers={
            "Content-Disposition": f'attachment; filename="{article_id}-{snapshot_id}.html.txt"',
            "Content-Security-Policy": "sandbox; default-src 'none'",
            "X-Snapshot-SHA256": row["sha256"],
        },
    )


@router.get("/entities/{entity_id}", response_class=HTMLResponse)
def entity(request: Request, ctx: Ctx,
           entity_id: Annotated[str, PathParam(pattern=ENTITY_ID, max_length=200)]) -> HTMLResponse:
    found = data.entity(ctx, entity_id)
    if found is None:
        raise HTTPException(404, f"no entity with id {entity_id}")
    chart = {"periods": [m["month"] for m in found["mentions_by_month"]],
             "series": [{"type": "articles", "counts": [m["articles"] for m in found["mentions_by_month"]]}]}
    return page(request, "entity.html", nav="search", e=found, chart=chart)


@router.get("/incidents", response_class=HTMLResponse)
def incidents(
    request: Request,
    ctx: Ctx,
    type: Annotated[str | None, Query()] = None,
    place: Annotated[str | None, Query(pattern=ENTITY_ID)] = None,
    page_no: Annotated[int, Query(alias="page", ge=1, le=2000)] = 1,
) -> HTMLResponse:
    types = [type] if type else None
    check_types(types)
    result = data.incidents(ctx, types, place, limit=PER_PAGE * 2, offset=(page_no - 1) * PER_PAGE * 2)
    place_name = data.entity_labels(ctx, [place])[place] if place else None
    return page(request, "incidents.html", nav="incidents", result=result, type=type, place=place,
                place_name=place_name, page_no=page_no, per_page=PER_PAGE * 2, types=data.TYPES)


@router.get("/incidents/{incident_id}/evidence.zip")
def incident_evidence(ctx: Ctx, incident_id: Annotated[str, PathParam(pattern=INCIDENT_ID)]) -> Response:
    """The incident's evidence export (WARC, manifest, offline screenshots) as one zip file."""
    import io
    import tempfile
    import zipfile
    from pathlib import Path

    import settings as config
    from pipelines.evidence import EvidenceError, export, find_chromium

    store = ctx.store()
    if store.resolve_incident(incident_id) is None:
        raise HTTPException(404, f"no incident with id {incident_id}")
    with tempfile.TemporaryDirectory(prefix="evidence-") as work:
        folder = Path(work) / f"evidence-{incident_id}"
        try:
            export(store, [incident_id], folder, chromium=find_chromium(config.EVIDENCE_CHROMIUM),
                   screenshot_timeout=config.EVIDENCE_SCREENSHOT_TIMEOUT)
        except EvidenceError as exc:
            raise HTTPException(409, str(exc)) from exc
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    archive.write(path, str(path.relative_to(folder.parent)))
    return Response(buffer.getvalue(), media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="evidence-{incident_id}.zip"'})


@router.get("/incidents/{incident_id}", response_class=HTMLResponse)
def incident(request: Request, ctx: Ctx,
             incident_id: Annotated[str, PathParam(pattern=INCIDENT_ID)]) -> Response:
    found = data.incident(ctx, incident_id)
    if found is None:
        raise HTTPException(404, f"no incident with id {incident_id}")
    if found["status"] == "withdrawn":
        raise HTTPException(404, f"incident {incident_id} was withdrawn: no current report supports it")
    if found["id"] != incident_id:
        return incident_redirect(request, found["id"])
    return page(request, "incident.html", nav="incidents", i=found)


@router.get("/sources", response_class=HTMLResponse)
def sources(request: Request, ctx: Ctx) -> HTMLResponse:
    return page(request, "sources.html", nav="sources", s=data.sources(ctx))


@router.get("/docs", response_class=HTMLResponse)
def docs(request: Request) -> HTMLResponse:
    """The OpenAPI description as a readable page (the JSON is at /openapi.json)."""
    spec = request.app.openapi()
    endpoints = []
    for path, methods in spec.get("paths", {}).items():
        for method, op in methods.items():
            params = [{"name": p.get("name"), "in": p.get("in"), "required": p.get("required", False),
                       "description": p.get("description") or "",
                       "schema": _schema_text(p.get("schema", {}), spec.get("components", {}).get("schemas", {}))}
                      for p in op.get("parameters", [])]
            endpoints.append({"method": method.upper(), "path": path, "summary": op.get("summary", ""),
                              "params": params, "body": "requestBody" in op,
                              "token": method.upper() in ("POST", "PUT", "PATCH", "DELETE")})
    return page(request, "docs.html", nav="docs", endpoints=endpoints, title=spec.get("info", {}).get("title"))


def _schema_text(schema: dict[str, Any], defs: dict[str, Any]) -> str:
    if "$ref" in schema:  # e.g. the event types, an enum of their own
        return _schema_text(defs.get(schema["$ref"].rsplit("/", 1)[-1], {}), defs)
    if "anyOf" in schema:
        return " | ".join(_schema_text(s, defs) for s in schema["anyOf"] if s.get("type") != "null")
    if "enum" in schema:
        return " | ".join(str(v) for v in schema["enum"])
    kind = schema.get("type", "")
    if kind == "array":
        return f"list of {_schema_text(schema.get('items', {}), defs)}"
    limits = [f"{k} {schema[k]}" for k in ("minimum", "maximum", "maxLength", "pattern") if k in schema]
    fmt = f" ({schema['format']})" if "format" in schema else ""
    return f"{kind}{fmt}" + (f" [{', '.join(limits)}]" if limits else "")
