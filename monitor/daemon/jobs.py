"""The scheduled job functions, referenced by name ("monitor.daemon.jobs:poll_source") in the persistent job store.

A job store keeps references, not objects, so these module-level functions reach the running daemon through
``current``; a job left in the store by an older daemon simply runs against the new one.
"""

from __future__ import annotations

from typing import Protocol


class Daemon(Protocol):
    """What the jobs call on the running daemon (``monitor.daemon.service.Daemon``, which imports this module)."""

    def poll_source(self, source_id: str) -> None: ...

    def enrich_pending(self) -> None: ...

    def check_health(self) -> None: ...


current: Daemon | None = None

POLL = "monitor.daemon.jobs:poll_source"
ENRICH = "monitor.daemon.jobs:enrich_pending"
HEALTH = "monitor.daemon.jobs:check_health"


def _daemon() -> Daemon:
    if current is None:
        raise RuntimeError("no daemon is running in this process")
    return current


def poll_source(source_id: str) -> None:
    _daemon().poll_source(source_id)


def enrich_pending() -> None:
    _daemon().enrich_pending()


def check_health() -> None:
    _daemon().check_health()
