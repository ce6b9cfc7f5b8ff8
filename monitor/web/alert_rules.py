"""Reading and editing the ``[[rules]]`` of alerts.toml for the API (``alerts.rules`` validates everything).

An edit replaces (or appends, or removes) only the text block of one ``[[rules]]`` table, so the channels and the
comments elsewhere in the file stay as written; the new file is validated with ``load_alerts`` before it
atomically replaces the old one, so a bad rule never reaches the alerting stage.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
import threading
import tomllib
from pathlib import Path
from typing import Any

import tomli_w

from alerts.rules import AlertConfig, AlertConfigError, load_alerts

_HEADER = re.compile(r"^[ \t]*\[", re.MULTILINE)
_RULES_HEADER = re.compile(r"^\s*\[\[\s*rules\s*\]\]\s*(#.*)?$")
_write_lock = threading.Lock()


def rules_json(config: AlertConfig) -> dict[str, Any]:
    """Rules and the names and types of channels (never their options: they hold URLs with tokens, passwords)."""
    return {
        "path": str(config.path),
        "channels": [{"name": c.name, "type": c.type} for c in config.channels.values()],
        "rules": [rule_json(r) for r in config.rules],
    }


def rule_json(rule: Any) -> dict[str, Any]:
    return {"name": rule.name, "query": rule.query_text, "channels": list(rule.channels),
            "min_sources": rule.min_sources, "digest": rule.digest, "description": rule.description}


def rule_block(rule: dict[str, Any]) -> str:
    """One ``[[rules]]`` table as TOML (tomli-w escapes every control character a description may hold)."""
    table = {key: rule[key] for key in ("name", "query", "min_sources", "channels", "digest", "description")
             if rule.get(key) not in (None, "")}
    return tomli_w.dumps({"rules": [table]})


def _blocks(text: str) -> list[tuple[int, int, bool]]:
    """(start, end, is_rule) of every table block of the file, in order."""
    starts = [m.start() for m in _HEADER.finditer(text)]
    out = []
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        line = text[start:text.find("\n", start) if "\n" in text[start:] else len(text)]
        out.append((start, end, bool(_RULES_HEADER.match(line))))
    return out


def _rule_name(block: str) -> str | None:
    try:
        data = tomllib.loads(block.replace("[[rules]]", "[rule]", 1))
    except tomllib.TOMLDecodeError:
        return None
    name = data.get("rule", {}).get("name")
    return name if isinstance(name, str) else None


def edited_text(text: str, name: str, rule: dict[str, Any] | None) -> str:
    """``text`` with the rule ``name`` replaced by ``rule`` (appended if new; removed when ``rule`` is None)."""
    for start, end, is_rule in _blocks(text):
        if is_rule and _rule_name(text[start:end]) == name:
            replacement = "" if rule is None else rule_block(rule) + "\n"
            return text[:start] + replacement + text[end:].lstrip("\n")
    if rule is None:
        raise KeyError(name)
    sep = "" if not text or text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
    return text + sep + rule_block(rule)


def write_rule(path: Path, name: str, rule: dict[str, Any] | None) -> AlertConfig:
    """Replace, add or (``rule`` None) delete one rule; raises AlertConfigError (nothing written) or KeyError.

    The new file replaces the old one atomically and keeps its mode and owner (the daemon may run as another user
    that reads it)."""
    with _write_lock:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        new_text = edited_text(text, name, rule)
        fd, tmp = tempfile.mkstemp(prefix=".alerts-", suffix=".toml", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(new_text)
            try:
                load_alerts(tmp)
            except AlertConfigError as exc:
                raise AlertConfigError(str(exc).replace(tmp, str(path))) from None
            _copy_mode_and_owner(path, tmp)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return load_alerts(path)


def _copy_mode_and_owner(path: Path, tmp: str) -> None:
    """Give the temporary file the old file's permissions (mkstemp makes it 0600), or for a new file those the
    umask gives any new file."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        return
    if (st.st_uid, st.st_gid) != (os.getuid(), os.getgid()):
        with contextlib.suppress(PermissionError):  # only root may give a file away; the mode is still kept
            os.chown(tmp, st.st_uid, st.st_gid)
    os.chmod(tmp, stat.S_IMODE(st.st_mode))
