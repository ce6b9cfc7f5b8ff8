"""The FastAPI application of the web UI and REST API: ``create_app(db=...)``.

One process serves both: the JSON API under ``/api`` and server-rendered pages (Jinja2, autoescaped) that work
without JavaScript; a little vendored JavaScript in ``static/`` only draws the chart and the map. Article content
comes from untrusted sites, so every page is served with a CSP that forbids inline and foreign scripts, and no
CORS headers are ever sent (the API is for this origin and for scripts with a token, not for other sites).
"""

from __future__ import annotations

import logging
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import settings as config
from indexer.search.errors import SearchBackend, SearchBackendError
from indexer.store import StoreError
from monitor.web import api, pages, render
from monitor.web.context import WebContext

log = logging.getLogger("crimea_monitor.web")

WEB_DIR = Path(str(resources.files("monitor.web")))

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]


class SecurityHeaders:
    """Adds the security headers to every response (a plain ASGI middleware: no per-request task overhead).

    ``MonitorApp`` puts it around the whole middleware stack, so the 500 response that Starlette's outermost
    ``ServerErrorMiddleware`` sends for an unhandled exception carries the headers too."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in SECURITY_HEADERS if k not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class MonitorApp(FastAPI):
    """FastAPI with the security headers outside every other layer (``add_middleware`` would put them inside the
    error middleware, and a 500 went out without them)."""

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(super().build_middleware_stack())


def templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(WEB_DIR / "templates")),
        autoescape=True,  # article text is untrusted: everything is escaped unless marked safe on purpose
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(render.FILTERS)
    env.globals.update(render.GLOBALS)
    return env


def _describe(error: dict[str, Any]) -> str:
    """One validation error as a sentence a person can act on: which parameter, what is wrong, what was sent."""
    loc = [str(part) for part in error.get("loc", ()) if part not in ("query", "path", "body")
           and not isinstance(part, int)]
    name = ".".join(loc) or "request"
    message = str(error.get("msg", "is invalid")).removeprefix("Value error, ")
    if error.get("type") == "missing":
        return f"{name}: this parameter is required"
    if error.get("type") == "enum":
        return f"{name}: unknown value {error.get('input')!r}; use one of {error.get('ctx', {}).get('expected')}"
    got = error.get("input")
    if isinstance(got, (str, int, float)) and not isinstance(got, bool):
        text = str(got)
        return f"{name}: {message} (got {text[:60]!r})"
    return f"{name}: {message}"


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/api"


def create_app(
    db: str | Path | None = None,
    *,
    sources: str | Path | None = None,
    alerts: str | Path | None = None,
    api_token: str | None = None,
    backend: SearchBackend | None = None,
) -> FastAPI:
    """The web app over the store at ``db`` (default: settings.DB); ``backend`` replaces the configured one."""
    ctx = WebContext(
        db=Path(db or config.DB),
        sources=Path(sources or config.SOURCES),
        alerts=Path(alerts or config.ALERTS),
        api_token=config.API_TOKEN if api_token is None else api_token,
        backend_override=backend,
    )
    app = MonitorApp(
        title="Crimea Monitor",
        description="Search and read news and statements about human-rights abuses in occupied Crimea.",
        version="0.1.0",
        docs_url=None,  # Swagger UI needs a CDN and inline scripts; /docs is our own server-rendered page
        redoc_url=None,
    )
    app.state.ctx = ctx
    app.state.templates = templates()
    app.mount("/static", StaticFiles(directory=str(WEB_DIR / "static")), name="static")

    app.include_router(api.router)
    app.include_router(pages.router)
    _install_error_handlers(app)
    return app


def error_page(request: Request, status: int, title: str, message: str, pointer: str | None = None) -> Response:
    if wants_json(request):
        body: dict[str, Any] = {"error": message}
        if pointer:
            body["pointer"] = pointer
        return JSONResponse(body, status_code=status)
    html = request.app.state.templates.get_template("error.html").render(
        request=request, status=status, title=title, message=message, pointer=pointer
    )
    return HTMLResponse(html, status_code=status)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = list(exc.errors())
        message = "; ".join(_describe(e) for e in errors) or "invalid request"
        if wants_json(request):
            details = [{"parameter": ".".join(str(p) for p in e.get("loc", ())[1:]), "message": _describe(e)}
                       for e in errors]
            return JSONResponse({"error": message, "errors": details}, status_code=422)
        return error_page(request, 422, "Invalid request", message)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else "error"
        response = error_page(request, exc.status_code, _TITLES.get(exc.status_code, "Error"), message)
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    @app.exception_handler(SearchBackendError)
    async def backend_down(request: Request, exc: SearchBackendError) -> Response:
        log.warning("search backend error on %s: %s", request.url.path, exc)
        return error_page(request, 503, "Search unavailable", f"search is unavailable: {exc}")

    @app.exception_handler(StoreError)
    async def store_down(request: Request, exc: StoreError) -> Response:
        log.warning("store error on %s: %s", request.url.path, exc)
        return error_page(request, 503, "Store unavailable", "the store cannot be read right now; try again")

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> Response:
        # the traceback goes to the server log, never to the client
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return error_page(request, 500, "Internal error", "internal error; the server log has the details")


_TITLES = {400: "Bad request", 401: "Unauthorised", 403: "Forbidden", 404: "Not found", 405: "Method not allowed",
           409: "Conflict", 422: "Invalid request", 503: "Unavailable"}

__all__ = ["CSP", "HTTPException", "WebContext", "create_app", "error_page", "wants_json"]


def app_from_settings() -> FastAPI:
    """The app on the configured store (the factory ``crimea-monitor serve`` gives uvicorn)."""
    return create_app()
