"""robots.txt for the HTTP clients outside Scrapy (`sources check`, the daemon's feed pre-check), decided as the crawl
decides: parsed by Protego (Scrapy's default parser) from whatever the server answers, everything allowed when it
cannot be fetched, and kept per origin for ROBOTS_CACHE_SECONDS.
"""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from protego import Protego


class HttpRobots:
    def __init__(self, user_agent: str, timeout: float, ttl: float = 86400) -> None:
        self.user_agent = user_agent
        self.timeout = timeout
        self.ttl = ttl
        self._rules: dict[str, tuple[Protego | None, float]] = {}
        self._lock = threading.Lock()

    def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        with self._lock:
            cached = self._rules.get(origin)
        if cached is None or time.monotonic() - cached[1] > self.ttl:
            cached = (self._fetch(origin), time.monotonic())
            with self._lock:
                self._rules[origin] = cached
        rules = cached[0]
        return rules is None or rules.can_fetch(url, self.user_agent)

    def _fetch(self, origin: str) -> Protego | None:
        request = urllib.request.Request(origin + "/robots.txt", headers={"User-Agent": self.user_agent})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = response.read(512 * 1024)
        except urllib.error.HTTPError as exc:
            with exc:
                body = exc.read(512 * 1024)  # Scrapy parses the body of any answer, error pages included
        except (urllib.error.URLError, TimeoutError, OSError, ValueError):
            return None  # as Scrapy does when robots.txt cannot be fetched: everything allowed
        return Protego.parse(body.decode("utf-8", "replace"))
