"""Several server processes behind one port, connections dealt to them in turn.

uvicorn's ``--workers`` shares one listening socket between the processes: whichever process wakes first accepts
every pending connection, so a burst of keep-alive clients lands unevenly (measured 19/31 of 50 with the API
benchmark on 2 cores: one process saturated while the other idled, p95 twice p50). A socket per process
(SO_REUSEPORT) spreads them by hash, still 19/31 .. 26/24 from run to run. Here the supervising process accepts
and hands each connection to the next worker over a Unix socket (SCM_RIGHTS): 50 connections are 25/25.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import selectors
import signal
import socket
import time
from types import FrameType
from typing import Any

log = logging.getLogger(__name__)

APP = "monitor.web.app:app_from_settings"
BACKLOG = 2048
RESTART_PAUSE = 1.0  # a worker that keeps dying at start-up is not restarted in a busy loop
EARLY_EXIT_SECONDS = 5.0
MAX_EARLY_EXITS = 3  # in a row: a worker that cannot start (app error) stops the server


class WorkersFailed(RuntimeError):
    """The worker processes keep exiting right after they start."""


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def listen(host: str, port: int) -> socket.socket:
    """The listening socket (OSError when the port is taken); SO_REUSEADDR as uvicorn sets it."""
    sock = socket.socket(_family(host), socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(BACKLOG)
    except OSError:
        sock.close()
        raise
    return sock


def _worker(channel: socket.socket, uvicorn_options: dict[str, Any]) -> None:
    import uvicorn

    class HandedServer(uvicorn.Server):
        """A uvicorn server without a listening socket of its own: it serves the connections it is handed."""

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=[])  # lifespan, state; no listener
            loop = asyncio.get_running_loop()
            config = self.config

            def protocol() -> asyncio.Protocol:
                return config.http_protocol_class(  # type: ignore[call-arg]
                    config=config, server_state=self.server_state, app_state=self.lifespan.state, _loop=loop,
                )

            def receive() -> None:
                try:
                    data, fds, _flags, _addr = socket.recv_fds(channel, 64, 64)
                except BlockingIOError:
                    return
                if not data:  # the supervisor is gone
                    loop.remove_reader(channel.fileno())
                    self.should_exit = True
                    return
                for fd in fds:
                    task = loop.create_task(loop.connect_accepted_socket(protocol, socket.socket(fileno=fd)))
                    pending.add(task)  # the loop keeps only weak references to tasks
                    task.add_done_callback(pending.discard)

            pending: set[asyncio.Task] = set()
            channel.setblocking(False)
            loop.add_reader(channel.fileno(), receive)

    config = uvicorn.Config(APP, factory=True, **uvicorn_options)
    HandedServer(config).run()


def serve_workers(listener: socket.socket, workers: int, uvicorn_options: dict[str, Any]) -> None:
    """Accept on ``listener`` and deal the connections to ``workers`` processes until SIGINT/SIGTERM.

    A worker that dies is replaced (its open connections are lost, as with uvicorn's own supervisor).
    """
    ctx = multiprocessing.get_context("spawn")
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    started: dict[int, float] = {}

    def start() -> tuple[multiprocessing.process.BaseProcess, socket.socket]:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        process = ctx.Process(target=_worker, args=(theirs, uvicorn_options), daemon=False)
        process.start()
        theirs.close()
        started[id(process)] = time.monotonic()
        return process, ours

    slots = [start() for _ in range(workers)]
    turn = 0
    early_exits = 0
    listener.setblocking(False)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    try:
        while not stopping:
            for _ in selector.select(timeout=0.2):
                while True:
                    try:
                        conn, _addr = listener.accept()
                    except (BlockingIOError, InterruptedError):
                        break
                    except OSError as exc:  # e.g. out of file descriptors: keep serving the open connections
                        log.warning("accept failed: %s", exc)
                        time.sleep(0.05)
                        break
                    with conn:
                        for _attempt in range(len(slots)):
                            process, channel = slots[turn]
                            turn = (turn + 1) % len(slots)
                            try:
                                socket.send_fds(channel, [b"c"], [conn.fileno()])
                                break
                            except OSError:  # that worker is gone: the next one takes the connection
                                continue
            for i, (process, channel) in enumerate(slots):
                if process.is_alive() or stopping:
                    continue
                channel.close()
                early = time.monotonic() - started.pop(id(process)) < EARLY_EXIT_SECONDS
                early_exits = early_exits + 1 if early else 0
                if early_exits >= MAX_EARLY_EXITS:
                    raise WorkersFailed(
                        f"server processes keep exiting at start-up (last exit code {process.exitcode})"
                    )
                time.sleep(RESTART_PAUSE)
                slots[i] = start()
    finally:
        selector.close()
        listener.close()
        for process, channel in slots:
            channel.close()  # a worker also stops when its channel closes
            if process.is_alive():
                process.terminate()  # uvicorn shuts down gracefully on SIGTERM
        for process, _channel in slots:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
                process.join()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
