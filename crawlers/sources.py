"""The sources registry: which outlets to watch and how, read from a TOML file (``sources.toml`` by default).

A file that is wrong in any way is refused as a whole with one message naming the file, the line, the key and the
fix, so a monitor never runs a half-understood configuration.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

KINDS = ("feed", "sitemap", "site", "telegram")
_REQUIRED = ("id", "name", "kind")
#: a channel's public web preview; a telegram source without start_urls reads this
TELEGRAM_PREVIEW = "https://t.me/s/{channel}"
#: posts come often and first: a channel is polled every few minutes unless its source says otherwise
DEFAULT_INTERVALS = {"telegram": "5m"}
# Telegram usernames: 5-32 letters, digits or underscores, starting with a letter.
_CHANNEL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{4,31}$")
_TYPES: dict[str, type | tuple[type, ...]] = {
    "id": str,
    "name": str,
    "kind": str,
    "start_urls": list,
    "language": str,
    "interval": (str, int),
    "allowed_domains": list,
    "article_pattern": str,
    "enabled": bool,
    "notes": str,
    "channel": str,
}
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_DURATION_RE = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class SourcesError(ValueError):
    """A sources file that cannot be used; the message says where and how to fix it."""


@dataclass(frozen=True)
class Source:
    id: str
    name: str
    kind: str
    start_urls: tuple[str, ...]
    language: str = "en"
    interval_seconds: int = 3600
    allowed_domains: tuple[str, ...] = ()
    article_pattern: str | None = None
    enabled: bool = True
    notes: str = ""
    channel: str | None = None  # kind "telegram": the public channel's username

    def allows(self, url: str) -> bool:
        """True when the URL's host is one of the allowed domains or a subdomain of one."""
        host = (urlsplit(url).hostname or "").lower()
        return any(host == d or host.endswith("." + d) for d in self.allowed_domains)


def parse_duration(value: str | int) -> int:
    """Seconds in an interval written as minutes (``30``) or with a unit (``"90s"``, ``"30m"``, ``"2h"``, ``"1d"``)."""
    if isinstance(value, bool):
        raise ValueError("a duration is a number of minutes or a string like '30m'")
    if isinstance(value, int):
        if value <= 0:
            raise ValueError("a duration must be positive")
        return value * 60
    match = _DURATION_RE.match(value)
    if not match:
        raise ValueError(f"{value!r} is not a duration; write e.g. \"30m\", \"2h\" or \"1d\"")
    seconds = int(match.group(1)) * _UNITS[match.group(2)]
    if seconds <= 0:
        raise ValueError("a duration must be positive")
    return seconds


def _line_of(lines: list[str], index: int, key: str | None) -> int:
    """1-based line of the index-th [[source]] table, or of ``key`` inside it (best effort, for messages)."""
    headers = [n for n, line in enumerate(lines) if re.match(r"^\s*\[\[\s*source\s*\]\]", line)]
    if index >= len(headers):
        return 1
    start = headers[index]
    end = headers[index + 1] if index + 1 < len(headers) else len(lines)
    if key is not None:
        for n in range(start, end):
            if re.match(rf"^\s*{re.escape(key)}\s*=", lines[n]):
                return n + 1
    return start + 1


def _check_url(url: object) -> str | None:
    if not isinstance(url, str):
        return "must be a string"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{url!r} is not an http(s) URL with a host"
    return None


def _source_from_table(table: dict, filename: str, lines: list[str], index: int) -> Source:
    label = f"source #{index + 1}{', id ' + repr(table['id']) if isinstance(table.get('id'), str) else ''}"
    where = f"{filename}:{_line_of(lines, index, None)} ({label})"

    def fail(key: str, problem: str) -> SourcesError:
        return SourcesError(f"{filename}:{_line_of(lines, index, key)} ({label}), key '{key}': {problem}")

    for key in table:
        if key not in _TYPES:
            allowed = ", ".join(sorted(_TYPES))
            raise fail(key, f"unknown key; remove it or use one of: {allowed}")
    for key in _REQUIRED:
        if key not in table:
            raise SourcesError(f"{where}: missing required key '{key}'; add `{key} = ...`")
    for key, value in table.items():
        expected = _TYPES[key]
        if isinstance(value, bool) and expected is not bool:
            raise fail(key, "wrong type bool")
        if not isinstance(value, expected):
            names = " or ".join(t.__name__ for t in (expected if isinstance(expected, tuple) else (expected,)))
            raise fail(key, f"wrong type {type(value).__name__}; expected {names}")
    if not _ID_RE.match(table["id"]):
        raise fail("id", "use lower-case letters, digits, '-' or '_' (at most 64 characters)")
    if table["kind"] not in KINDS:
        raise fail("kind", f"{table['kind']!r} is not a kind; use one of {', '.join(KINDS)}")
    kind = table["kind"]
    channel = table.get("channel")
    if kind == "telegram":
        if channel is None:
            raise SourcesError(f"{where}: a source of kind 'telegram' needs `channel = \"username\"` (t.me/s/NAME)")
        if not _CHANNEL_RE.match(channel):
            raise fail("channel", f"{channel!r} is not a channel username (5-32 letters, digits or '_')")
    elif channel is not None:
        raise fail("channel", "only sources of kind 'telegram' have a channel")
    if "start_urls" not in table and kind != "telegram":
        raise SourcesError(f"{where}: missing required key 'start_urls'; add `start_urls = ...`")
    urls = table.get("start_urls") or ([TELEGRAM_PREVIEW.format(channel=channel)] if kind == "telegram" else [])
    if not urls:
        raise fail("start_urls", "give at least one URL")
    for url in urls:
        problem = _check_url(url)
        if problem:
            raise fail("start_urls", problem)
    domains = table.get("allowed_domains")
    if domains is None:
        domains = sorted({(urlsplit(u).hostname or "").lower() for u in urls})
    for domain in domains:
        if not isinstance(domain, str) or not domain or "/" in domain or ":" in domain:
            raise fail("allowed_domains", f"{domain!r} is not a host name; write e.g. \"example.org\"")
    for url in urls:
        host = (urlsplit(url).hostname or "").lower()
        if not any(host == d or host.endswith("." + d) for d in domains):
            raise fail("start_urls", f"{url!r} is outside allowed_domains; add its host to allowed_domains")
    pattern = table.get("article_pattern")
    if table["kind"] == "site" and not pattern:
        raise fail("article_pattern", "a source of kind 'site' needs a regex that matches its article URLs")
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise fail("article_pattern", f"not a valid regular expression ({exc})") from exc
    try:
        interval = parse_duration(table.get("interval", DEFAULT_INTERVALS.get(kind, "1h")))
    except ValueError as exc:
        raise fail("interval", str(exc)) from exc
    return Source(
        id=table["id"],
        name=table["name"],
        kind=table["kind"],
        start_urls=tuple(urls),
        language=table.get("language", "en"),
        interval_seconds=interval,
        allowed_domains=tuple(d.lower() for d in domains),
        article_pattern=pattern,
        enabled=table.get("enabled", True),
        notes=table.get("notes", ""),
        channel=channel,
    )


def parse_sources(text: str, filename: str = "<sources>") -> list[Source]:
    """Parse and validate a sources document; raise SourcesError with file, line and key on any problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SourcesError(f"{filename}: not valid TOML ({exc}); fix the syntax at that position") from exc
    unknown = set(data) - {"source"}
    if unknown:
        raise SourcesError(
            f"{filename}: unknown top-level key '{sorted(unknown)[0]}'; every source is a [[source]] table"
        )
    tables = data.get("source", [])
    if not isinstance(tables, list):
        raise SourcesError(f"{filename}: 'source' must be written as [[source]] tables")
    lines = text.splitlines()
    sources: list[Source] = []
    seen: dict[str, int] = {}
    for index, table in enumerate(tables):
        source = _source_from_table(table, filename, lines, index)
        if source.id in seen:
            raise SourcesError(
                f"{filename}:{_line_of(lines, index, 'id')}, key 'id': duplicate id {source.id!r} "
                f"(first used in source #{seen[source.id] + 1}); give each source its own id"
            )
        seen[source.id] = index
        sources.append(source)
    return sources


def load_sources(path: str | Path) -> list[Source]:
    """Read a sources file; a missing or unreadable file is a SourcesError too."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise SourcesError(f"{path}: no such sources file; create it or set CRIMEA_MONITOR_SOURCES") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise SourcesError(f"{path}: cannot be read ({exc})") from exc
    return parse_sources(text, str(path))


def select(sources: list[Source], ids: list[str] | None) -> list[Source]:
    """The enabled sources, or exactly the ones named; an unknown id is an error naming the known ones."""
    if not ids:
        return [s for s in sources if s.enabled]
    by_id = {s.id: s for s in sources}
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise SourcesError(f"unknown source id {missing[0]!r}; known: {', '.join(sorted(by_id))}")
    return [by_id[i] for i in ids]
