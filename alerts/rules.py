"""Alert rules and channels from ``alerts.toml`` (path: settings ``ALERTS``).

::

    [channels.console]
    type = "console"

    [channels.log]
    type = "jsonl"
    path = "data/alerts.jsonl"

    [channels.partners]
    type = "webhook"
    url = "https://example.org/hook"
    secret_env = "PARTNERS_WEBHOOK_SECRET"   # HMAC-SHA256 key, read from the environment (or: secret = "...")

    [channels.mail]
    type = "email"
    host = "smtp.example.org"
    port = 587
    starttls = true
    username = "monitor"
    password_env = "SMTP_PASSWORD"
    sender = "monitor@example.org"
    to = ["desk@example.org"]

    [channels.chat]
    type = "apprise"
    urls = ["tgram://TOKEN/CHAT_ID"]

    [[rules]]
    name = "disappearances"
    query = "type:disappearance OR type:torture"   # the search query language
    min_sources = 1                                 # independent sources reporting the incident
    channels = ["console", "log"]
    digest = "immediate"                            # or "every 6 hours"

Every problem is reported as one line naming the rule or channel and what is wrong with it.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from indexer.query import Query, QuerySyntaxError, parse

__all__ = ["CHANNEL_TYPES", "MAX_DIGEST_HOURS", "AlertConfig", "AlertConfigError", "Channel", "Rule", "load_alerts"]

CHANNEL_TYPES = ("console", "jsonl", "webhook", "email", "apprise")
_DIGEST = re.compile(r"every\s+(\d+)\s+hours?", re.IGNORECASE)
#: the longest digest interval (a year): a longer one would hold alerts back forever, and a huge one overflows dates
MAX_DIGEST_HOURS = 366 * 24
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_RULE_KEYS = {"name", "query", "min_sources", "channels", "digest", "description"}
_CHANNEL_KEYS = {
    "console": {"type"},
    "jsonl": {"type", "path"},
    "webhook": {"type", "url", "secret", "secret_env", "headers"},
    "email": {"type", "host", "port", "starttls", "ssl", "username", "password", "password_env", "sender", "to"},
    "apprise": {"type", "urls"},
}


class AlertConfigError(ValueError):
    """alerts.toml cannot be used; the message names the file, the rule or channel, and the problem."""


@dataclass(frozen=True)
class Channel:
    name: str
    type: str
    options: dict[str, Any] = field(default_factory=dict)

    def secret(self, key: str) -> str | None:
        """``key`` given inline, or read from the environment variable named by ``key_env``."""
        if self.options.get(key):
            return str(self.options[key])
        env = self.options.get(f"{key}_env")
        return os.environ.get(str(env)) if env else None


@dataclass(frozen=True)
class Rule:
    name: str
    query_text: str
    query: Query
    channels: tuple[str, ...]
    min_sources: int = 1
    digest_hours: int | None = None  # None: immediate
    description: str = ""

    @property
    def digest(self) -> str:
        return "immediate" if self.digest_hours is None else f"every {self.digest_hours} hours"


@dataclass(frozen=True)
class AlertConfig:
    path: Path
    channels: dict[str, Channel]
    rules: tuple[Rule, ...]

    def rule(self, name: str) -> Rule:
        for rule in self.rules:
            if rule.name == name:
                return rule
        known = ", ".join(r.name for r in self.rules) or "none"
        raise AlertConfigError(f"{self.path}: no rule named {name!r} (rules: {known})")


def load_alerts(path: str | Path) -> AlertConfig:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AlertConfigError(f"{path}: no such file (set CRIMEA_MONITOR_ALERTS to your alerts.toml)") from None
    except OSError as exc:
        raise AlertConfigError(f"{path}: cannot read ({exc.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise AlertConfigError(f"{path}: not valid TOML ({exc})") from None
    unknown = set(data) - {"channels", "rules"}
    if unknown:
        raise AlertConfigError(f"{path}: unknown top-level key(s) {', '.join(sorted(unknown))}; use [channels.NAME]"
                               " and [[rules]]")
    channels = _channels(path, data.get("channels", {}))
    raw_rules = data.get("rules", [])
    if not isinstance(raw_rules, list):
        raise AlertConfigError(f"{path}: rules must be an array of tables ([[rules]])")
    rules: list[Rule] = []
    for n, raw in enumerate(raw_rules, 1):
        rule = _rule(path, n, raw, channels)
        if any(r.name == rule.name for r in rules):
            raise AlertConfigError(f"{path}: rule {rule.name!r}: the name is used by another rule")
        rules.append(rule)
    return AlertConfig(path, channels, tuple(rules))


def _channels(path: Path, raw: Any) -> dict[str, Channel]:
    if not isinstance(raw, dict):
        raise AlertConfigError(f"{path}: channels must be tables ([channels.NAME])")
    out = {}
    for name, options in raw.items():
        where = f"{path}: channel {name!r}"
        if not isinstance(options, dict):
            raise AlertConfigError(f"{where}: must be a table")
        kind = options.get("type")
        if kind not in CHANNEL_TYPES:
            raise AlertConfigError(f"{where}: type must be one of {', '.join(CHANNEL_TYPES)} (got {kind!r})")
        extra = set(options) - _CHANNEL_KEYS[kind]
        if extra:
            raise AlertConfigError(f"{where}: unknown key(s) {', '.join(sorted(extra))} for a {kind} channel")
        needs = {"jsonl": ("path",), "webhook": ("url",), "email": ("host", "sender", "to"), "apprise": ("urls",)}
        for key in needs.get(kind, ()):
            if not options.get(key):
                raise AlertConfigError(f"{where}: {kind} channel needs {key!r}")
        if kind == "webhook" and not str(options["url"]).startswith(("http://", "https://")):
            raise AlertConfigError(f"{where}: url must start with http:// or https://")
        if kind == "email":
            to = options["to"]
            if isinstance(to, str):
                options = {**options, "to": [to]}
            elif not (isinstance(to, list) and all(isinstance(t, str) and "@" in t for t in to)):
                raise AlertConfigError(f"{where}: to must be an address or a list of addresses")
            if not isinstance(options.get("port", 25), int):
                raise AlertConfigError(f"{where}: port must be a whole number")
        if kind == "apprise":
            urls = options["urls"]
            if isinstance(urls, str):
                options = {**options, "urls": [urls]}
            elif not (isinstance(urls, list) and all(isinstance(u, str) and "://" in u for u in urls)):
                raise AlertConfigError(f"{where}: urls must be a list of apprise URLs (scheme://...)")
        out[name] = Channel(name, kind, dict(options))
    return out


def _rule(path: Path, n: int, raw: Any, channels: dict[str, Channel]) -> Rule:
    if not isinstance(raw, dict):
        raise AlertConfigError(f"{path}: rule #{n} must be a table")
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise AlertConfigError(f"{path}: rule #{n}: name must be letters, digits, '-', '_' or '.' (got {name!r})")
    where = f"{path}: rule {name!r}"
    extra = set(raw) - _RULE_KEYS
    if extra:
        raise AlertConfigError(f"{where}: unknown key(s) {', '.join(sorted(extra))}")
    text = raw.get("query")
    if not isinstance(text, str) or not text.strip():
        raise AlertConfigError(f"{where}: query is missing (a query in the search language, e.g. \"type:detention\")")
    try:
        query = parse(text)
    except QuerySyntaxError as exc:
        raise AlertConfigError(f"{where}: query: {exc}") from None
    min_sources = raw.get("min_sources", 1)
    if not isinstance(min_sources, int) or isinstance(min_sources, bool) or min_sources < 1:
        raise AlertConfigError(f"{where}: min_sources must be a whole number of at least 1 (got {min_sources!r})")
    names = raw.get("channels")
    if not isinstance(names, list) or not names or not all(isinstance(c, str) for c in names):
        raise AlertConfigError(f"{where}: channels must be a non-empty list of channel names")
    for channel in names:
        if channel not in channels:
            known = ", ".join(channels) or "none defined"
            raise AlertConfigError(f"{where}: unknown channel {channel!r} (channels: {known})")
    digest = raw.get("digest", "immediate")
    hours: int | None = None
    if not isinstance(digest, str):
        raise AlertConfigError(f"{where}: digest must be \"immediate\" or \"every N hours\"")
    if digest.strip().lower() != "immediate":
        m = _DIGEST.fullmatch(digest.strip())
        digits = m[1].lstrip("0") if m else ""
        if not digits:
            raise AlertConfigError(f"{where}: digest must be \"immediate\" or \"every N hours\" (got {digest!r})")
        # the length first: int() refuses numbers of thousands of digits with a traceback of its own
        if len(digits) > 8 or int(digits) > MAX_DIGEST_HOURS:
            shown = digits if len(digits) <= 20 else digits[:20] + "…"
            raise AlertConfigError(f"{where}: digest interval of {shown} hours is too long (at most "
                                   f"{MAX_DIGEST_HOURS} hours, a year)")
        hours = int(digits)
    return Rule(name, text, query, tuple(dict.fromkeys(names)), min_sources, hours, str(raw.get("description", "")))
