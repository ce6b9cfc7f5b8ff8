"""`sources check`: fetch each start URL once, as the crawl would (its User-Agent, its robots.txt rules, its feed
decision), and say whether it answers as its kind expects."""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass

from crawlers.feeds import feed_problem, parse_feed
from crawlers.http_robots import HttpRobots
from crawlers.sources import Source


@dataclass(frozen=True)
class UrlCheck:
    source_id: str
    url: str
    status: str  # the HTTP status, or "-" when there was no answer
    result: str
    level: str  # ok | warning | error


class SourceChecker:
    def __init__(self, user_agent: str, timeout: float, max_bytes: int, obey_robots: bool = True) -> None:
        self.user_agent = user_agent
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.robots = HttpRobots(user_agent, timeout) if obey_robots else None

    def check(self, source: Source) -> list[UrlCheck]:
        return [self.check_url(source, url) for url in source.start_urls]

    def check_url(self, source: Source, url: str) -> UrlCheck:
        def result(status: str, text: str, level: str) -> UrlCheck:
            return UrlCheck(source.id, url, status, text, level)

        if self.robots is not None and not self.robots.allowed(url):
            return result("-", "disallowed by robots.txt (not fetched)", "error")
        request = urllib.request.Request(url, headers={"User-Agent": self.user_agent})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = response.read(self.max_bytes)
                status = str(response.status)
                content_type = response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as exc:
            exc.close()
            return result(str(exc.code), "HTTP error", "error")
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
            return result("-", str(getattr(exc, "reason", exc)), "error")
        if source.kind == "feed":
            parsed = parse_feed(body, content_type, url)
            problem = feed_problem(parsed)
            if problem is not None:
                return result(status, f"not a readable feed ({problem})", "error")
            if not parsed.entries:
                return result(status, "valid feed, 0 entries", "warning")
            return result(status, f"{len(parsed.entries)} entries", "ok")
        if source.kind == "sitemap":
            ok = b"<urlset" in body or b"<sitemapindex" in body or body[:2] == b"\x1f\x8b"
            return result(status, "sitemap" if ok else "not a sitemap", "ok" if ok else "error")
        ok = b"<a " in body.lower()
        return result(status, "page with links" if ok else "no links found", "ok" if ok else "error")
