"""The daemon's own conditional GET of feeds that are probably unchanged, so that an unchanged feed costs one 304
and no crawl process.

Starting Scrapy costs ~1.4 s of CPU per process and ~15 ms per source crawled in it (measured: bench/daemon_bench.py),
which for hundreds of feeds polled every few minutes is most of the machine's work while nothing happens. So a feed
source whose every start URL has validators from an earlier poll (ETag / Last-Modified in ``fetch_state``) is first
asked here; only a feed that answers anything but 304 (changed, error, garbage) is crawled, and the crawl then
handles and reports it exactly as always. robots.txt is obeyed here too (crawlers.http_robots), with the crawl's
User-Agent and timeout.
"""

from __future__ import annotations

import contextlib
import logging
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from crawlers.http_robots import HttpRobots

logger = logging.getLogger("crawlers.feedcheck")


class FeedChecker:
    def __init__(self, user_agent: str, timeout: float, obey_robots: bool, robots_ttl: float = 86400,
                 workers: int = 8) -> None:
        self.user_agent = user_agent
        self.timeout = timeout
        self.robots = HttpRobots(user_agent, timeout, robots_ttl) if obey_robots else None
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="feedcheck")

    def unchanged_all(self, requests: list[tuple[str, str | None, str | None]]) -> list[bool]:
        """For each (url, etag, last_modified): True when the server answered 304 Not Modified."""
        return list(self._pool.map(lambda r: self.unchanged(*r), requests))

    def unchanged(self, url: str, etag: str | None, last_modified: str | None) -> bool:
        if not (etag or last_modified) or (self.robots is not None and not self.robots.allowed(url)):
            return False
        headers = {"User-Agent": self.user_agent, "Accept-Encoding": "identity"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=self.timeout):
                return False  # 200 (or another success): changed, the crawl fetches and parses it
        except urllib.error.HTTPError as exc:
            exc.close()
            return exc.code == 304
        except (urllib.error.URLError, TimeoutError, OSError, ValueError):
            return False  # the crawl tries again, with its retries, and reports the error per source

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._pool.shutdown(wait=False, cancel_futures=True)
