"""Search commands: search, entity, export, reindex."""

from monitor.cli import app  # noqa: F401
