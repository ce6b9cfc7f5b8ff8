"""Delivery channels: console, JSON Lines file, webhook, e-mail (SMTP), apprise URLs.

``send(channel, alerts)`` delivers one message carrying one alert (immediate rules) or several (a digest), or
raises :class:`DeliveryError` saying why not. Retrying and logging are the caller's (``alerts.deliveries``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import ssl
import sys
import urllib.error
import urllib.request
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from alerts.rules import Channel

__all__ = ["SIGNATURE_HEADER", "DeliveryError", "render_text", "send", "sign"]

SIGNATURE_HEADER = "X-Crimea-Monitor-Signature"


class DeliveryError(RuntimeError):
    """A channel did not accept the message; the message says why. ``permanent``: retrying within this run is
    pointless (the delivery still stays pending for the next run)."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def sign(secret: str, body: bytes) -> str:
    """The webhook signature: ``sha256=`` + hex HMAC-SHA256 of the exact request body."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def render_text(alerts: list[dict[str, Any]]) -> tuple[str, str]:
    """A subject line and a plain-text body for people."""
    first = alerts[0]
    if len(alerts) == 1:
        subject = f"[{first['rule']}] {_headline(first['incident'])}"
    else:
        subject = f"[{first['rule']}] {len(alerts)} new incidents"
    lines = []
    for alert in alerts:
        inc = alert["incident"]
        lines.append(_headline(inc))
        if inc.get("victims"):
            lines.append("  victims: " + ", ".join(v.get("name") or v.get("text") or "?" for v in inc["victims"]))
        lines.append(f"  reported by {inc.get('source_count', 0)} source(s), first {inc.get('first_reported_at')}")
        first = inc.get("first_report")
        if first:
            lines.append(f"  first report ({first.get('kind', 'article')}): {first.get('title')} "
                         f"({first.get('source')}) {first.get('url')}")
        for article in inc.get("articles", [])[:5]:
            lines.append(f"  - {article.get('title')} ({article.get('source')}) {article.get('url')}")
        lines.append(f"  incident {inc['id']}")
        lines.append("")
    return subject, "\n".join(lines).rstrip() + "\n"


def _headline(inc: dict[str, Any]) -> str:
    when = inc.get("event_date") or (inc.get("first_reported_at") or "")[:10]
    where = inc.get("place") or "place unknown"
    return f"{inc['type']} in {where}, {when}"


def send(channel: Channel, alerts: list[dict[str, Any]], timeout: float = 10.0) -> None:
    """Deliver incident alerts (one, or a digest) through one channel; DeliveryError when it did not go out."""
    subject, body = render_text(alerts)
    deliver(channel, "ALERT", subject, body, alerts, timeout)


def send_notice(channel: Channel, subject: str, body: str, payload: dict[str, Any], timeout: float = 10.0) -> None:
    """Deliver a notice that is not an incident (a source's health problem or its recovery) the same way."""
    deliver(channel, "NOTICE", subject, body, [payload], timeout)


def deliver(channel: Channel, kind: str, subject: str, body: str, records: list[dict[str, Any]],
            timeout: float) -> None:
    """People get ``subject`` and ``body``; machines (JSON Lines, webhooks, the e-mail attachment) get ``records``."""
    if channel.type == "console":
        sys.stdout.write(f"{kind} {subject}\n{body}")
        sys.stdout.flush()
    elif channel.type == "jsonl":
        _jsonl(channel, records)
    elif channel.type == "webhook":
        _webhook(channel, records, timeout)
    elif channel.type == "email":
        _email(channel, subject, body, records, timeout)
    elif channel.type == "apprise":
        _apprise(channel, subject, body)
    else:  # pragma: no cover - rules.py admits only the types above
        raise DeliveryError(f"unknown channel type {channel.type!r}")


def _jsonl(channel: Channel, alerts: list[dict[str, Any]]) -> None:
    path = Path(str(channel.options["path"]))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            for alert in alerts:
                fh.write(json.dumps(alert, ensure_ascii=False, sort_keys=True) + "\n")
    except OSError as exc:
        raise DeliveryError(f"cannot append to {path}: {exc.strerror}") from None


def _webhook(channel: Channel, alerts: list[dict[str, Any]], timeout: float) -> None:
    body = json.dumps({"alerts": alerts}, ensure_ascii=False, sort_keys=True).encode("utf-8")
    headers = {"Content-Type": "application/json", "User-Agent": "CrimeaMonitor-alerts/0.1"}
    headers.update({str(k): str(v) for k, v in (channel.options.get("headers") or {}).items()})
    secret = channel.secret("secret")
    if secret:
        headers[SIGNATURE_HEADER] = sign(secret, body)
    request = urllib.request.Request(str(channel.options["url"]), data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            if 200 <= response.status < 300:
                return
            raise DeliveryError(f"webhook {channel.options['url']}: HTTP {response.status}")
    except urllib.error.HTTPError as exc:
        # a 4xx (other than timeout / rate limit) will not change its mind within this run
        permanent = 400 <= exc.code < 500 and exc.code not in (408, 429)
        raise DeliveryError(f"webhook {channel.options['url']}: HTTP {exc.code}", permanent=permanent) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise DeliveryError(f"webhook {channel.options['url']}: {getattr(exc, 'reason', exc)}") from None


def _email(channel: Channel, subject: str, body: str, alerts: list[dict[str, Any]], timeout: float) -> None:
    o = channel.options
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = o["sender"]
    message["To"] = ", ".join(o["to"])
    message.set_content(body)
    message.add_attachment(json.dumps({"alerts": alerts}, ensure_ascii=False, indent=1).encode("utf-8"),
                           maintype="application", subtype="json", filename="alerts.json")
    host, port = str(o["host"]), int(o.get("port", 25))
    try:
        if o.get("ssl"):
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
        with smtp:
            if o.get("starttls"):
                smtp.starttls(context=ssl.create_default_context())
            if o.get("username"):
                smtp.login(str(o["username"]), channel.secret("password") or "")
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"e-mail via {host}:{port}: {exc}") from None


def _apprise(channel: Channel, subject: str, body: str) -> None:
    import apprise

    notifier = apprise.Apprise()
    for url in channel.options["urls"]:
        if not notifier.add(url):
            raise DeliveryError(f"apprise: not a URL apprise understands: {url.split('://', 1)[0]}://…")
    if not notifier.notify(title=subject, body=body):
        raise DeliveryError("apprise: the notification was not accepted by every URL")
