"""Crawl child processes: sources due together share one ``python -m monitor crawl`` process.

A poll job hands its source to the dispatcher, which runs one poll per source at a time. The dispatcher collects
the sources that come due within ``window`` seconds, settles the ones the feed pre-check finds unchanged, and crawls
the rest in one child (several ``--source`` options), at most ``max_processes`` children at a time. Each child
writes one line per source to stderr when that source's spider closes (``pipelines.health.POLL_MARKER``), so each
source's poll ends as soon as its own crawl is done: a source that hangs until its timeout keeps its child alive,
but does not hold back the sources it shares the child with.

Children die with the daemon (PR_SET_PDEATHSIG), so a SIGKILLed daemon leaves no orphan crawl that the restarted
daemon would race with; what the killed child had not finished is still pending in the store's frontier.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from pipelines.health import POLL_MARKER

logger = logging.getLogger("monitor.crawl")

_PR_SET_PDEATHSIG = 1
_STORE_TROUBLE = ("is not writable", "could not commit", "database is locked", "disk is full", "cannot open the store")


def child_setup(nice: int = 0) -> Callable[[], None]:
    """A ``preexec_fn`` that makes the child die with the daemon (and run at a lower priority if ``nice``)."""
    parent = os.getpid()

    def setup() -> None:  # pragma: no cover - runs in the child between fork and exec
        # Linux SIGKILLs the child when the thread that started it dies (it waits for the child, so it lives
        # as long as the daemon does).
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL))
        if os.getppid() != parent:  # the daemon died between fork and prctl: nobody would stop this child
            os._exit(1)
        if nice:
            os.nice(nice)

    return setup


@dataclass
class PollResult:
    """What one source's poll came to: the crawl's report for it, or why there is none."""

    source_id: str
    report: dict[str, Any] | None
    ok: bool
    changed: bool = False
    error: str | None = None
    seconds: float = 0.0
    recorded: bool = True  # the crawl itself accounted the poll in the store
    store_trouble: bool = False


@dataclass
class _Batch:
    sources: list[str]
    futures: dict[str, Future]
    started: float = field(default_factory=time.monotonic)
    proc: subprocess.Popen | None = None
    run_id: int | None = None


class DispatcherStopped(RuntimeError):
    """The daemon is stopping: the poll was not started."""


class CrawlDispatcher:
    def __init__(
        self,
        env: dict[str, str],
        *,
        window: float,
        max_processes: int,
        timeout: float,
        on_batch_start: Callable[[list[str], int], int | None] | None = None,
        on_batch_end: Callable[[int | None, dict[str, Any]], None] | None = None,
        on_store_trouble: Callable[[str], None] | None = None,
        precheck: Callable[[list[str]], dict[str, PollResult]] | None = None,
    ) -> None:
        self.env = {**env, "CRIMEA_MONITOR_POLL_REPORT_LINES": "true"}
        self.window = window
        self.timeout = timeout
        self.on_batch_start = on_batch_start
        self.on_batch_end = on_batch_end
        self.on_store_trouble = on_store_trouble
        self.precheck = precheck
        self._cond = threading.Condition()
        self._pending: dict[str, Future] = {}
        self._running: set[str] = set()
        self._solo: set[str] = set()  # sources of a child that crashed: crawled alone until they succeed
        self._batches: list[_Batch] = []
        self._slots = threading.BoundedSemaphore(max(1, max_processes))
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="crawl-dispatcher", daemon=True)
        self.processes_started = 0

    def start(self) -> CrawlDispatcher:
        self._thread.start()
        return self

    # --- the jobs' side --------------------------------------------------------------------------------------
    def poll(self, source_id: str) -> Future:
        """Queue a poll of the source; the future resolves to a PollResult."""
        with self._cond:
            if self._stopping.is_set():
                future: Future = Future()
                future.set_exception(DispatcherStopped("daemon stopping"))
                return future
            if source_id in self._pending:
                return self._pending[source_id]
            future = Future()
            if source_id in self._running:
                # The scheduler's max_instances=1 normally prevents this; a poll still running is this poll.
                future.set_result(PollResult(source_id, None, ok=True, error="still running", recorded=False))
                return future
            self._pending[source_id] = future
            self._cond.notify()
            return future

    # --- the dispatcher's side -------------------------------------------------------------------------------
    def _loop(self) -> None:
        while not self._stopping.is_set():
            with self._cond:
                while not self._pending and not self._stopping.is_set():
                    self._cond.wait()
            if self._stopping.wait(self.window):  # let sources due at about the same time join this child
                break
            with self._cond:
                taken = dict(self._pending)
                self._pending.clear()
                self._running.update(taken)
            if self.precheck is not None and taken:
                try:
                    settled = self.precheck(list(taken))
                except Exception:  # the crawl then does the work the check would have saved
                    logger.exception("feed pre-check failed")
                    settled = {}
                for source_id, result in settled.items():
                    taken.pop(source_id).set_result(result)
                    with self._cond:
                        self._running.discard(source_id)
            groups = [[s] for s in taken if s in self._solo]
            shared = [s for s in taken if s not in self._solo]
            if shared:
                groups.append(shared)
            for group in groups:
                if self._acquire_slot():
                    self._spawn(group, taken)
                else:
                    self._fail(group, taken, "daemon stopping", recorded=False, ok=True)
                    with self._cond:
                        self._running.difference_update(group)

    def _acquire_slot(self) -> bool:
        while not self._slots.acquire(timeout=0.5):
            if self._stopping.is_set():
                return False
        return True

    def _spawn(self, group: list[str], futures: dict[str, Future]) -> None:
        batch = _Batch(group, {s: futures[s] for s in group})
        threading.Thread(target=self._run, args=(batch,), name=f"crawl-{group[0]}", daemon=True).start()

    def _run(self, batch: _Batch) -> None:
        try:
            self._run_child(batch)
        except Exception as exc:  # never leave a job waiting forever
            logger.exception("crawl of %s failed to run", ",".join(batch.sources))
            self._fail([s for s in batch.sources if not batch.futures[s].done()], batch.futures,
                       f"crawl process failed: {exc}", recorded=False)
        finally:
            with self._cond:
                self._running.difference_update(batch.sources)
                if batch in self._batches:
                    self._batches.remove(batch)
            self._slots.release()

    def _run_child(self, batch: _Batch) -> None:
        cmd = [sys.executable, "-m", "monitor", "crawl", "--json"]
        for source_id in batch.sources:
            cmd += ["--source", source_id]
        proc = subprocess.Popen(
            cmd, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace",
            preexec_fn=child_setup(), start_new_session=True,  # Ctrl-C reaches the daemon, which stops children
        )
        batch.proc = proc
        self.processes_started += 1
        if self.on_batch_start is not None:
            batch.run_id = self.on_batch_start(batch.sources, proc.pid)
        with self._cond:
            self._batches.append(batch)
        logger.info("crawl started", extra={"sources": len(batch.sources), "pid": proc.pid})
        stdout: list[str] = []
        reader = threading.Thread(target=lambda: stdout.append(proc.stdout.read() if proc.stdout else ""),
                                  daemon=True)
        reader.start()
        killer = threading.Timer(self.timeout, self._kill_late, args=(batch,))
        killer.daemon = True
        killer.start()
        tail: list[str] = []
        assert proc.stderr is not None
        for line in proc.stderr:
            line = line.rstrip("\n")
            if line.startswith(POLL_MARKER):
                self._resolve_from_marker(batch, line[len(POLL_MARKER):])
                continue
            tail = [*tail[-19:], line]
            if self.on_store_trouble is not None and any(t in line for t in _STORE_TROUBLE):
                # A crawl that cannot write (locked store, full disk) logs and carries on: say so loudly.
                self.on_store_trouble(line[:500])
            if " ERROR" in line or line.startswith("error:"):
                logger.warning("crawl: %s", line)
            else:
                logger.debug("crawl: %s", line)
        code = proc.wait()
        killer.cancel()
        reader.join(timeout=5)
        unresolved = [s for s in batch.sources if not batch.futures[s].done()]
        summary = {"code": code, "seconds": round(time.monotonic() - batch.started, 2), "sources": batch.sources}
        if unresolved:
            text = "\n".join(tail)
            trouble = any(t in text for t in _STORE_TROUBLE)
            last = next((ln for ln in reversed(tail) if ln.strip()), "")
            if self._stopping.is_set():  # stopped by us: not the source's failure
                self._fail(unresolved, batch.futures, "interrupted by shutdown", recorded=False, ok=True)
            else:
                why = "timed out" if code == -signal.SIGKILL and self._late(batch) else f"exit code {code}"
                reason = f"crawl process {why}" + (f": {last[:300]}" if last else "")
                if len(batch.sources) > 1 and not trouble:
                    self._solo.update(unresolved)  # maybe one of them crashed the child: find out which
                self._fail(unresolved, batch.futures, reason, recorded=False, trouble=trouble)
            summary["unresolved"] = unresolved
        if self.on_batch_end is not None:
            self.on_batch_end(batch.run_id, summary)

    def _resolve_from_marker(self, batch: _Batch, payload: str) -> None:
        try:
            report = json.loads(payload)
            source_id = report["source_id"]
        except (ValueError, KeyError, TypeError):
            logger.warning("unreadable poll report from the crawl: %s", payload[:200])
            return
        future = batch.futures.get(source_id)
        if future is None or future.done():
            return
        ok = bool(report.get("ok"))
        if ok:
            self._solo.discard(source_id)
        future.set_result(PollResult(source_id, report, ok=ok, changed=bool(report.get("changed")),
                                     error=report.get("error"), seconds=time.monotonic() - batch.started))
        with self._cond:
            self._running.discard(source_id)  # polled again when due, even while its batch-mates still run

    def _fail(self, sources: list[str], futures: dict[str, Future], reason: str, *, recorded: bool,
              ok: bool = False, trouble: bool = False) -> None:
        for source_id in sources:
            future = futures[source_id]
            if not future.done():
                future.set_result(PollResult(source_id, None, ok=ok, error=reason, recorded=recorded,
                                             store_trouble=trouble))

    def _late(self, batch: _Batch) -> bool:
        return time.monotonic() - batch.started >= self.timeout

    def _kill_late(self, batch: _Batch) -> None:
        if batch.proc is not None and batch.proc.poll() is None:
            logger.error("crawl of %s ran over %.0f s: killed", ",".join(batch.sources), self.timeout)
            with contextlib.suppress(ProcessLookupError):
                batch.proc.kill()

    # --- shutdown --------------------------------------------------------------------------------------------
    def stop(self) -> None:
        """No new children; queued polls are dropped (they stay due in the job store); children get SIGTERM, which
        Scrapy answers by finishing the requests in flight and leaving the rest pending in the frontier."""
        with self._cond:
            self._stopping.set()
            pending = dict(self._pending)
            self._pending.clear()
            self._cond.notify_all()
            batches = list(self._batches)
        self._fail(list(pending), pending, "daemon stopping", recorded=False, ok=True)
        for batch in batches:
            if batch.proc is not None and batch.proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(batch.proc.pid, signal.SIGTERM)

    def kill(self) -> None:
        with self._cond:
            batches = list(self._batches)
        for batch in batches:
            if batch.proc is not None and batch.proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    batch.proc.kill()

    def busy(self) -> bool:
        with self._cond:
            return bool(self._batches)
