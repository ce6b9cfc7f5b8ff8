"""Where health notices go: the log always, the alert channels of the alerts file, and a JSON Lines file if set."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

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

    def __init__(self, channels: list[HealthNotifier],
                 on_sent: Callable[[HealthNotice], None] | None = None) -> None:
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
        if self.on_sent is not None:
            self.on_sent(notice)


class AlertChannelsNotifier:
    """Health notices through the channels of the alerts file (``alerts.channels.send_notice``): people get a
    subject and a text (console, e-mail, apprise), machines the notice as JSON (``"rule": "health"``)."""

    def __init__(self, alerts_path: str | Path, names: str, timeout: float = 10.0) -> None:
        from alerts.rules import load_alerts

        config = load_alerts(alerts_path)
        wanted = None if names.strip() == "*" else {n.strip() for n in names.split(",") if n.strip()}
        unknown = (wanted or set()) - set(config.channels)
        if unknown:
            logger.error("HEALTH_CHANNELS names unknown channel(s) %s of %s", ", ".join(sorted(unknown)),
                         alerts_path)
        self.channels = [c for name, c in config.channels.items() if wanted is None or name in wanted]
        self.timeout = timeout

    def deliver(self, notice: HealthNotice) -> None:
        from alerts.channels import send_notice

        payload: dict[str, Any] = {"rule": "health", **notice.as_dict()}
        body = f"{notice.detail}\n({notice.key})\n"
        for channel in self.channels:
            send_notice(channel, f"[health] {notice.title}", body, payload, timeout=self.timeout)


def alert_channels(alerts_path: str | Path, names: str, timeout: float) -> list[HealthNotifier]:
    """The alert-channel notifier, or none (logged) when there is no usable alerts file or no channel is wanted."""
    if not names.strip():
        return []
    if not Path(alerts_path).exists():
        logger.info("no alerts file at %s: health notices go to the log only", alerts_path)
        return []
    from alerts.rules import AlertConfigError

    try:
        notifier = AlertChannelsNotifier(alerts_path, names, timeout)
    except AlertConfigError as exc:
        logger.error("health notices go to the log only: %s", exc)
        return []
    return [notifier] if notifier.channels else []
