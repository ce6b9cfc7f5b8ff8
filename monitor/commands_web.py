"""``crimea-monitor serve``: the web UI and REST API (FastAPI under uvicorn)."""

from __future__ import annotations

from typing import Annotated

import typer

import settings as config
from monitor.cli import UserError, _db, app, console


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (default from CRIMEA_MONITOR_WEB_HOST).")] = "",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port (default from CRIMEA_MONITOR_WEB_PORT).")] = 0,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Server processes.")] = 1,
) -> None:
    """Serve the web UI and the REST API on the store (read-only unless CRIMEA_MONITOR_API_TOKEN is set)."""
    import uvicorn

    host = host or config.WEB_HOST
    port = port or config.WEB_PORT
    if host not in ("127.0.0.1", "localhost", "::1") and not config.API_TOKEN:
        console.print(f"[yellow]note:[/] serving on {host}: anyone who can reach it can read the store "
                      "(write endpoints stay disabled without CRIMEA_MONITOR_API_TOKEN)")
    console.print(f"Crimea Monitor on http://{'[' + host + ']' if ':' in host else host}:{port}/ (store {_db()})")
    try:
        # a factory import string, so --workers > 1 can start the app in each process
        uvicorn.run("monitor.web.app:app_from_settings", factory=True, host=host, port=port, workers=workers,
                    log_level="warning", access_log=False, server_header=False)
    except OSError as exc:
        raise UserError(f"cannot listen on {host}:{port}: {exc}") from exc
