"""Log lines that name the URL, not the whole item: an item carries the raw HTML of its page."""

from __future__ import annotations

import logging
from typing import Any

from scrapy import logformatter


def _describe(item: Any) -> str:
    url = getattr(item, "url", None)
    return url if url else type(item).__name__


class ConciseLogFormatter(logformatter.LogFormatter):
    def scraped(self, item: Any, response: Any, spider: Any) -> logformatter.LogFormatterResult:  # type: ignore[override]
        return {"level": logging.DEBUG, "msg": "Scraped %(item)s", "args": {"item": _describe(item)}}

    def dropped(self, item: Any, exception: BaseException, response: Any, spider: Any = None):  # type: ignore[override]
        return {
            "level": logging.INFO,
            "msg": "Skipped %(item)s: %(exception)s",
            "args": {"item": _describe(item), "exception": exception},
        }
