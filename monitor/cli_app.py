"""The typer app and the helpers every command module shares (consoles, the store, one-line user errors).

``monitor/cli.py`` and the ``commands_*`` modules both import this module and never each other the other way round:
the command modules register their commands on ``app`` here, and ``cli.py`` imports them once to assemble the CLI.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console

import settings as config
from indexer.store import Store

app = typer.Typer(
    help="Crimea Monitor: watch news and statements about human-rights abuses in occupied Crimea.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

# Piped output (CI logs, `| less`) gets wide tables instead of rich's 80-column default.
console = Console(width=None if sys.stdout.isatty() else 180)
err = Console(stderr=True, soft_wrap=True)


class UserError(Exception):
    """A problem the user can fix; printed as one line."""


def _db() -> str:
    return config.DB


def _open_store(create: bool = False) -> Store:
    """The configured store. Only the commands that fill a store (init, crawl, run) create a missing one; the
    others fail with "no store at PATH", so a mistyped CRIMEA_MONITOR_DB never starts a second, empty store."""
    return Store.open(_db(), create=create)


def _fmt_counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "-"


def _fmt_interval(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
