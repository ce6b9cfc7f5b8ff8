"""Where health notices go: the log always, a JSON Lines file if configured, and the alert channels."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from pipelines.health import HealthNotice, HealthNotifier

logger = logging.getLogger("monitor.health")


class LogNotifier:
    """Every notice is logged: the one channel that works when everything else is down."""

    def deliver(self, notice: HealthNotice) -> None:
        level = logging.INFO if notice.recovery else logging.WARNING
        logger.log(level, "%s: %s", notice.title, notice.detail, extra={"notice": notice.key})


class JsonlNotifier:
    """Appends each notice as one JSON object (HEALTH_ALERTS_FILE), for scripts and tests."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def deliver(self, notice: HealthNotice) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(notice.as_dict(), ensure_ascii=False, sort_keys=True) + "\n")


class FanOutNotifier:
    """Delivers to every channel; fails (so the notice is tried again later) only when no real channel took it.

    Retrying after a partial failure would repeat the notice on the channels that did take it, and a monitor
    prefers one missed duplicate channel over a flood of repeats.
    """

    def __init__(self, channels: list[HealthNotifier], on_sent: object = None) -> None:
        self.channels = channels
        self.on_sent = on_sent

    def deliver(self, notice: HealthNotice) -> None:
        LogNotifier().deliver(notice)
        failures = []
        for channel in self.channels:
            try:
                channel.deliver(notice)
            except Exception as exc:  # one channel's fault is logged; the others still get the notice
                logger.error("health notice %s not sent through %s: %s", notice.key, type(channel).__name__, exc)
                failures.append(exc)
        if self.channels and len(failures) == len(self.channels):
            raise RuntimeError(f"no channel took health notice {notice.key}: {failures[0]}")
        if callable(self.on_sent):
            self.on_sent(notice)
