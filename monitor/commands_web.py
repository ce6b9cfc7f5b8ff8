"""``crimea-monitor serve``: the web UI and REST API (FastAPI under uvicorn)."""

from __future__ import annotations

import socket
from typing import Annotated

import typer

import settings as config
from monitor.cli_app import UserError, _db, _open_store, app, console


def _catch_up_index() -> None:
    """Index what was enriched but not indexed yet, once before serving: the API itself never writes the index."""
    from indexer.search.errors import SearchBackendError
    from pipelines.index import backend_from_settings, index_pending

    try:
        with _open_store() as store:
            if store.read_only:
                console.print(f"the store {_db()} is read-only: serving it as it was last indexed")
                return
            backend = backend_from_settings(_db(), store)
            try:
                n = index_pending(store, backend)
            finally:
                # releases the index writer lock (else held for as long as the server runs) and lets Tantivy finish
                # its segment merges: unmerged segments made every search ~13 % slower (bench/api_bench.py)
                backend.close()
    except SearchBackendError as exc:
        raise UserError(f"search index: {exc}") from exc
    if n:
        console.print(f"indexed {n} newly enriched article{'s' if n != 1 else ''}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (CRIMEA_MONITOR_WEB_HOST).")] = config.WEB_HOST,
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port (CRIMEA_MONITOR_WEB_PORT).")] = config.WEB_PORT,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Server processes.")] = 1,
) -> None:
    """Serve the web UI and the REST API on the store (read-only unless CRIMEA_MONITOR_API_TOKEN is set)."""
    import uvicorn

    from monitor.web.workers import WorkersFailed, listen, serve_workers

    _catch_up_index()
    if host not in ("127.0.0.1", "localhost", "::1") and not config.API_TOKEN:
        console.print(f"[yellow]note:[/] serving on {host}: anyone who can reach it can read the store "
                      "(write endpoints stay disabled without CRIMEA_MONITOR_API_TOKEN)")
    console.print(f"Crimea Monitor on http://{'[' + host + ']' if ':' in host else host}:{port}/ (store {_db()})")
    options = {"log_level": "warning", "access_log": False, "server_header": False}
    try:
        if workers > 1 and hasattr(socket, "send_fds"):
            serve_workers(listen(host, port), workers, options)
            return
        # a factory import string, so --workers > 1 can start the app in each process
        uvicorn.run("monitor.web.app:app_from_settings", factory=True, host=host, port=port, workers=workers,
                    **options)
    except OSError as exc:
        raise UserError(f"cannot listen on {host}:{port}: {exc}") from exc
    except WorkersFailed as exc:
        raise UserError(str(exc)) from exc
