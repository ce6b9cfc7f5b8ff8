"""NLP commands: enrich, eval."""

from monitor.cli import app  # noqa: F401
