"""web commands."""

from monitor.cli import app  # noqa: F401
