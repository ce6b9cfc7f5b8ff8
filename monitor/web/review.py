"""Incident review on the web: the JSON endpoints (``/api/incidents/{id}/...``) and the review queue and forms.

Every write needs an analyst (a viewer gets 403) and, from a browser session, the session's CSRF token; each one
is one ``pipelines.review`` action, which writes its audit row in the same transaction.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from indexer import reviews
from monitor.web import data
from monitor.web.api import ARTICLE_ID, INCIDENT_ID, Ctx, errors
from monitor.web.auth import Analyst, require_reader
from monitor.web.render import edit_values

api_router = APIRouter(prefix="/api", tags=["review"], dependencies=[Depends(require_reader)],
                       responses=errors(401, 403, 404, 422))
page_router = APIRouter(include_in_schema=False, dependencies=[Depends(require_reader)])

IncidentId = Annotated[str, PathParam(pattern=INCIDENT_ID, description="e.g. inc-3f2a...")]
ArticleId = Annotated[str, PathParam(pattern=ARTICLE_ID, description="16 hex digits")]
Reason = Literal["duplicate", "not_an_incident", "not_in_crimea", "wrong_type", "other"]


def _act(action: Any, *args: Any) -> Any:
    from pipelines.review import ReviewError

    try:
        return action(*args)
    except ReviewError as exc:
        message = str(exc)
        raise HTTPException(404 if message.startswith("no ") else 422, message) from None


def _result(ctx: Any, incident_id: str) -> Any:
    return data.incident(ctx, incident_id)


# ------------------------------------------------------------------------------------------------------ API
class ConfirmBody(BaseModel):
    notes: str | None = Field(None, max_length=5000)


class RejectBody(BaseModel):
    reason: Reason
    notes: str | None = Field(None, max_length=5000)


class EditBody(BaseModel):
    """Fields to correct; absent fields stay as they are."""

    type: str | None = Field(None, max_length=40)
    event_date: str | None = Field(None, max_length=10, description="YYYY-MM-DD, YYYY-MM or YYYY")
    place: str | None = Field(None, max_length=200)
    victims: list[str] | None = Field(None, max_length=200)
    count: int | None = Field(None, ge=0, le=100_000)
    perpetrator: str | None = Field(None, max_length=200)
    legal_article: str | None = Field(None, max_length=200)
    notes: str | None = Field(None, max_length=5000)


class MergeBody(BaseModel):
    into: str = Field(pattern=INCIDENT_ID, description="The incident that remains.")


class SplitBody(BaseModel):
    parts: list[list[Annotated[str, Field(pattern=ARTICLE_ID)]]] = Field(min_length=2, max_length=50)


@api_router.get("/review/queue", summary="Incidents nobody has reviewed yet, oldest report first")
def queue(ctx: Ctx, limit: Annotated[int, Query(ge=1, le=200)] = 50,
          offset: Annotated[int, Query(ge=0, le=100_000)] = 0) -> Any:
    rows = reviews.queue(ctx.store(), limit, offset)
    return {"incidents": [data.incident_summary(r) for r in rows], "limit": limit, "offset": offset}


@api_router.get("/incidents/{incident_id}/history", summary="The audit trail of one incident, newest first")
def history(ctx: Ctx, incident_id: IncidentId) -> Any:
    found = data.incident(ctx, incident_id)
    if found is None:
        raise HTTPException(404, f"no incident with id {incident_id}")
    return {"id": found["id"], "history": found["history"]}


@api_router.post("/incidents/{incident_id}/confirm", summary="Confirm an incident (analyst)")
def confirm(ctx: Ctx, user: Analyst, incident_id: IncidentId, body: ConfirmBody | None = None) -> Any:
    from pipelines import review

    done = _act(review.confirm, ctx.store(), incident_id, user.name, body.notes if body else None)
    return _result(ctx, done)


@api_router.post("/incidents/{incident_id}/reject", summary="Reject an incident with a reason (analyst)")
def reject(ctx: Ctx, user: Analyst, incident_id: IncidentId, body: RejectBody) -> Any:
    from pipelines import review

    done = _act(review.reject, ctx.store(), incident_id, user.name, body.reason, body.notes)
    return _result(ctx, done)


@api_router.patch("/incidents/{incident_id}", summary="Correct an incident's fields (analyst)")
def edit(ctx: Ctx, user: Analyst, incident_id: IncidentId, body: EditBody) -> Any:
    from pipelines import review

    done = _act(review.edit, ctx.store(), incident_id, user.name, body.model_dump(exclude_unset=True))
    return _result(ctx, done)


@api_router.post("/incidents/{incident_id}/merge", summary="Merge an incident into another (analyst)")
def merge(ctx: Ctx, user: Analyst, incident_id: IncidentId, body: MergeBody) -> Any:
    from pipelines import review

    done = _act(review.merge, ctx.store(), incident_id, body.into, user.name)
    return _result(ctx, done)


@api_router.post("/incidents/{incident_id}/split", summary="Split an incident's articles into new incidents (analyst)")
def split(ctx: Ctx, user: Analyst, incident_id: IncidentId, body: SplitBody) -> Any:
    from pipelines import review

    parts = _act(review.split, ctx.store(), incident_id, body.parts, user.name)
    return {"parts": [_result(ctx, p) for p in parts]}


@api_router.put("/incidents/{incident_id}/articles/{article_id}", summary="Link a further article (analyst)")
def attach(ctx: Ctx, user: Analyst, incident_id: IncidentId, article_id: ArticleId) -> Any:
    from pipelines import review

    return _result(ctx, _act(review.attach, ctx.store(), incident_id, article_id, user.name))


@api_router.delete("/incidents/{incident_id}/articles/{article_id}", summary="Detach a wrongly clustered article "
                                                                            "(analyst)")
def detach(ctx: Ctx, user: Analyst, incident_id: IncidentId, article_id: ArticleId) -> Any:
    from pipelines import review

    return _result(ctx, _act(review.detach, ctx.store(), incident_id, article_id, user.name))


# ---------------------------------------------------------------------------------------------------- pages
@page_router.get("/review", response_class=HTMLResponse)
def queue_page(request: Request, ctx: Ctx, user: Analyst) -> HTMLResponse:
    rows = reviews.queue(ctx.store(), 20)
    items = [data.incident(ctx, r["id"]) for r in rows]
    html = request.app.state.templates.get_template("review.html").render(
        request=request, nav="review", items=items, reasons=reviews.REASONS)
    return HTMLResponse(html)


def _back(incident_id: str, next_url: str | None = None) -> Response:
    target = next_url if next_url in ("/review",) else f"/incidents/{incident_id}"
    return RedirectResponse(target, status_code=303)


Next = Annotated[str | None, Form(max_length=20)]


@page_router.post("/review/{incident_id}/confirm")
def confirm_form(ctx: Ctx, user: Analyst, incident_id: IncidentId, next: Next = None) -> Response:
    from pipelines import review

    return _back(_act(review.confirm, ctx.store(), incident_id, user.name), next)


@page_router.post("/review/{incident_id}/reject")
def reject_form(ctx: Ctx, user: Analyst, incident_id: IncidentId, reason: Annotated[Reason, Form()],
                notes: Annotated[str | None, Form(max_length=5000)] = None, next: Next = None) -> Response:
    from pipelines import review

    return _back(_act(review.reject, ctx.store(), incident_id, user.name, reason, notes or None), next)


@page_router.post("/review/{incident_id}/edit")
async def edit_form(request: Request, ctx: Ctx, user: Analyst, incident_id: IncidentId) -> Response:
    from starlette.concurrency import run_in_threadpool

    from pipelines import review

    form = await request.form()
    # only the fields the form changed, so an untouched field does not become an analyst's value
    current = data.incident(ctx, incident_id)
    if current is None:
        raise HTTPException(404, f"no incident with id {incident_id}")
    shown = edit_values(current)
    changes = {f: str(form[f]) for f in review.EDITABLE if f in form and str(form[f]).strip() != shown.get(f, "")}
    if changes:
        await run_in_threadpool(_act, review.edit, ctx.store(), incident_id, user.name, changes)
    return _back(current["id"])


@page_router.post("/review/{incident_id}/merge")
def merge_form(ctx: Ctx, user: Analyst, incident_id: IncidentId,
               into: Annotated[str, Form(pattern=INCIDENT_ID)]) -> Response:
    from pipelines import review

    return _back(_act(review.merge, ctx.store(), incident_id, into, user.name))


@page_router.post("/review/{incident_id}/detach")
def detach_form(ctx: Ctx, user: Analyst, incident_id: IncidentId,
                article: Annotated[str, Form(pattern=ARTICLE_ID)]) -> Response:
    from pipelines import review

    return _back(_act(review.detach, ctx.store(), incident_id, article, user.name))


@page_router.post("/review/{incident_id}/attach")
def attach_form(ctx: Ctx, user: Analyst, incident_id: IncidentId,
                article: Annotated[str, Form(pattern=ARTICLE_ID)]) -> Response:
    from pipelines import review

    return _back(_act(review.attach, ctx.store(), incident_id, article, user.name))


# --------------------------------------------------------------------------------------------------- report
def report_context(report: dict[str, Any]) -> dict[str, Any]:
    """The monthly report with what the page draws: confirmed incidents per type per week, and where."""
    weeks = [w for w, _ in report["by_week"] if w != "undated"]
    per: dict[str, dict[str, int]] = {}
    points: dict[str, dict[str, Any]] = {}
    for i in report["incidents"]:
        day = i["event_date"] or (i["first_reported_at"] or "")[:10]
        if len(day) == 10:
            year, week, _ = date.fromisoformat(day).isocalendar()
            key = f"{year}-W{week:02d}"
            per.setdefault(i["type"], {})[key] = per.get(i["type"], {}).get(key, 0) + 1
        if i["lat"] is not None and i["place_id"]:
            p = points.setdefault(i["place_id"], {"id": i["place_id"], "name": i["place"], "lat": i["lat"],
                                                  "lon": i["lon"], "articles": 0, "events": 0, "incidents": 0,
                                                  "href": f"/incidents?place={i['place_id']}"})
            p["incidents"] += 1
            p["articles"] += i["article_count"]
    chart = {"interval": "week", "unit": "incidents", "periods": weeks,
             "series": [{"type": t, "counts": [c.get(w, 0) for w in weeks], "total": sum(c.values())}
                        for t, c in sorted(per.items())]}
    places = {"bounds": data.MAP_BOUNDS, "measure": "incidents", "points": list(points.values()), "elsewhere": [],
              "areas": []}
    return {"r": report, "chart": chart, "places": places}


@page_router.get("/report", response_class=HTMLResponse)
def report_page(request: Request, ctx: Ctx,
                month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None) -> HTMLResponse:
    """The printable monthly report of confirmed incidents (this month unless ?month=YYYY-MM)."""
    from pipelines.report import ReportError, monthly

    try:
        report = monthly(ctx.store(), month or date.today().strftime("%Y-%m"))
    except ReportError as exc:
        raise HTTPException(422, str(exc)) from None
    html = request.app.state.templates.get_template("report.html").render(request=request, **report_context(report))
    return HTMLResponse(html)


@api_router.get("/export/incidents", summary="Incidents with their review as CSV, JSON Lines or an Uwazi import CSV",
                response_class=Response, responses={200: {"content": {"text/csv": {}, "application/x-ndjson": {}}}})
def export(ctx: Ctx, status: Annotated[list[Literal["new", "confirmed", "rejected"]] | None, Query(
               description="Review status(es); repeat for several.")] = None,
           format: Annotated[Literal["csv", "jsonl", "uwazi"], Query(description="csv, jsonl or uwazi")] = "csv",
           ) -> Response:
    from pipelines.exports import FORMATS, incident_rows

    body = FORMATS[format](incident_rows(ctx.store(), status))
    media = "application/x-ndjson" if format == "jsonl" else "text/csv"
    name = f"incidents-{'-'.join(status or ['all'])}.{'jsonl' if format == 'jsonl' else 'csv'}"
    return Response(body, media_type=f"{media}; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
