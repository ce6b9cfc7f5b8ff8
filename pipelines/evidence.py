"""Evidence export: what was fetched, when, from where, with hashes, in a form that leaves the store and can be
checked by anyone (the practice the Berkeley Protocol on Digital Open Source Investigations describes).

``export`` writes into a directory:

- ``evidence.warc.gz``: a WARC 1.1 file (warcio) with a warcinfo record, then for every stored snapshot of every
  item a response record (the body exactly as stored, byte for byte, with the response headers as received) and the
  request record that fetched it. An edited Telegram post has one snapshot per version, so every version is there.
- ``manifest.json`` and ``manifest.html``: per item its URL, fetch times, HTTP status and headers, the SHA-256 of each
  body (the one computed at fetch time, checked again here), of each WARC record as written, of the WARC file and of
  every other file; the tool version; the extracted text; the NLP findings that pointed at it (events, with the
  incident each belongs to, entities, quotes, claims); for a post its versions and whether it was deleted.
- ``screenshots/*.png``: each stored snapshot rendered offline by headless Chromium with the network disabled (a
  proxy on a closed port, every host name unresolvable): what the stored page shows, never a re-fetch. Without
  Chromium the export is made all the same and says screenshots were skipped.
- ``manifest.json.sha256``: the hash of the manifest itself.

``verify`` re-reads everything and fails on any difference.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tempfile
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from importlib import metadata, resources
from io import BytesIO
from pathlib import Path
from typing import Any

from jinja2 import Environment
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from indexer.store import Store

WARC_NAME = "evidence.warc.gz"
MANIFEST = "manifest.json"
MANIFEST_HTML = "manifest.html"
MANIFEST_HASH = "manifest.json.sha256"
# The body is stored as the crawler received it after transfer and content decoding; headers describing the
# encoded form would make a WARC reader decode it again.
_ENCODING_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}


class EvidenceError(ValueError):
    """An export or a verification that cannot be done or did not pass; the message says why."""


@dataclass
class VerifyReport:
    checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def tool_version() -> str:
    try:
        return metadata.version("crimea-monitor")
    except metadata.PackageNotFoundError:
        return "unknown"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _warc_date(value: str) -> str:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ------------------------------------------------------------------------------------------------ what to export
def resolve_targets(store: Store, targets: list[str]) -> tuple[list[str], dict[str, list[str]]]:
    """Article ids to export, in order, and for each the incidents (of the targets) it reports.

    A target is an incident id (an alias of a merged incident works too) or an article id.
    """
    articles: list[str] = []
    incidents_of: dict[str, list[str]] = {}
    for target in targets:
        incident_id = store.resolve_incident(target)
        if incident_id is not None:
            for row in store.incident_articles(incident_id):
                if row["id"] not in incidents_of:
                    articles.append(row["id"])
                incidents_of.setdefault(row["id"], []).append(incident_id)
        elif store.article(target) is not None:
            if target not in incidents_of:
                articles.append(target)
            incidents_of.setdefault(target, [])
        else:
            raise EvidenceError(f"{target!r} is neither an incident nor an article id; see `crimea-monitor "
                                "incidents` and `crimea-monitor articles list`")
    if not articles:
        raise EvidenceError("nothing to export: the incidents given have no reporting articles")
    return articles, incidents_of


def _findings(store: Store, article_id: str) -> dict[str, Any]:
    rows = store.enrichment_rows(article_id)
    incident_of = store.event_incidents(article_id)
    names = store.entity_names({r["entity_id"] for r in rows["mentions"]})
    return {
        "events": [
            {"id": e["id"], "type": e["type"], "modality": e["modality"], "trigger": e["trigger"],
             "sentence": e["sentence"], "date": e["event_date"], "place": e["place_text"],
             "victims": [v.get("text") for v in json.loads(e["victims_json"] or "[]")],
             "perpetrator": e["perpetrator_text"], "incident": incident_of.get(e["id"]),
             "span": [e["start"], e["end"]]}
            for e in rows["events"]
        ],
        "entities": [
            {"text": m["text"], "label": m["label"], "entity_id": m["entity_id"],
             "name": names.get(m["entity_id"]), "span": [m["start"], m["end"]]}
            for m in rows["mentions"]
        ],
        "quotes": [{"text": q["text"], "speaker": q["speaker_text"], "kind": q["kind"]} for q in rows["quotes"]],
        "claims": [{"count": c["count"], "what": c["what"], "text": c["text"]} for c in rows["claims"]],
    }


# ------------------------------------------------------------------------------------------------ the WARC
def _http_headers(row: Any, exchange: dict[str, Any] | None, body: bytes) -> StatusAndHeaders:
    status = int(row["http_status"])
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = ""
    if exchange:
        headers = [(k, v) for k, v in exchange["response_headers"] if k.lower() not in _ENCODING_HEADERS]
    else:
        headers = [("Content-Type", row["content_type"] or "text/html")]
    headers.append(("Content-Length", str(len(body))))
    return StatusAndHeaders(f"{status} {reason}".strip(), headers, protocol="HTTP/1.1")


def _request_headers(url: str, exchange: dict[str, Any] | None) -> StatusAndHeaders:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    headers = [(k, v) for k, v in (exchange or {}).get("request_headers", [])]
    if not any(k.lower() == "host" for k, _ in headers):
        headers.insert(0, ("Host", parts.netloc))
    method = (exchange or {}).get("method", "GET")
    return StatusAndHeaders(f"{method} {target} HTTP/1.1", headers, is_http_request=True)


def _write_record(writer: WARCWriter, handle: Any, record: Any) -> dict[str, Any]:
    offset = handle.tell()
    writer.write_record(record)
    length = handle.tell() - offset
    handle.seek(offset)
    digest = hashlib.sha256(handle.read(length)).hexdigest()
    handle.seek(0, 2)
    return {"record_id": record.rec_headers.get_header("WARC-Record-ID"), "offset": offset, "length": length,
            "record_sha256": digest}


def _screenshot(chromium: str, html: bytes, png: Path, work: Path, timeout: float) -> str | None:
    """Render stored HTML offline; None on success, else why not."""
    page = work / "page.html"
    page.write_bytes(html)
    command = [
        chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
        "--disable-background-networking", "--disable-sync", "--disable-extensions",
        # nothing is fetched: every host name fails to resolve and every connection, loopback included (Chromium
        # bypasses proxies for loopback unless told not to), goes to a closed port
        "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
        f"--user-data-dir={work / 'profile'}", "--window-size=1280,1600", f"--screenshot={png}",
        page.as_uri(),
    ]
    try:
        subprocess.run(command, capture_output=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"chromium failed: {exc}"
    if not png.exists() or png.stat().st_size == 0:
        return "chromium wrote no screenshot"
    return None


def find_chromium(configured: str) -> str | None:
    return shutil.which(configured) if configured else None


def export(store: Store, targets: list[str], out: Path, *, chromium: str | None = None,
           screenshot_timeout: float = 60.0) -> dict[str, Any]:
    """Write the evidence of the targets (incident or article ids) into ``out``; returns the manifest."""
    articles, incidents_of = resolve_targets(store, targets)
    out.mkdir(parents=True, exist_ok=True)
    existing = [p.name for p in out.iterdir()]
    if existing:
        raise EvidenceError(f"{out} is not empty ({', '.join(sorted(existing)[:3])}...); give a new directory")
    created = datetime.now(UTC).isoformat(timespec="seconds")
    version = tool_version()
    items: list[dict[str, Any]] = []
    shots: list[tuple[dict[str, Any], bytes, str]] = []
    warc_path = out / WARC_NAME
    with warc_path.open("w+b") as handle:
        writer = WARCWriter(handle, gzip=True, warc_version="WARC/1.1")
        info = writer.create_warcinfo_record(WARC_NAME, {
            "software": f"crimea-monitor {version}", "format": "WARC File Format 1.1",
            "description": "Evidence export: pages and posts as fetched and stored by Crimea Monitor",
            "created": created, "targets": " ".join(targets),
        })
        _write_record(writer, handle, info)
        for article_id in articles:
            article = store.article(article_id)
            assert article is not None
            post = store.post(article_id)
            records = []
            for row in store.snapshot_rows(article_id):
                body = zlib.decompress(row["html_zlib"])
                body_sha = hashlib.sha256(body).hexdigest()
                if body_sha != row["sha256"]:
                    raise EvidenceError(f"snapshot {row['id']} of {article_id} no longer matches the SHA-256 "
                                        "recorded when it was fetched; the store is damaged")
                exchange = json.loads(row["exchange_json"]) if row["exchange_json"] else None
                date = _warc_date(row["first_fetched_at"])
                response = writer.create_warc_record(
                    row["url"], "response", payload=BytesIO(body), length=len(body),
                    http_headers=_http_headers(row, exchange, body),
                    warc_headers_dict={"WARC-Date": date, "WARC-Payload-Digest": f"sha256:{body_sha}"},
                )
                written = _write_record(writer, handle, response)
                request = writer.create_warc_record(
                    row["url"], "request", payload=BytesIO(b""), length=0,
                    http_headers=_request_headers(row["url"], exchange),
                    warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": written["record_id"]},
                )
                request_written = _write_record(writer, handle, request)
                record = {
                    "snapshot_id": row["id"], "url": row["url"], "fetched_at": row["first_fetched_at"],
                    "last_fetched_at": row["last_fetched_at"], "http_status": row["http_status"],
                    "content_type": row["content_type"], "size": row["size"],
                    "response_headers": exchange["response_headers"] if exchange else None,
                    "request_headers": exchange["request_headers"] if exchange else None,
                    "headers_recorded": exchange is not None,
                    "content_sha256": body_sha,
                    "response_record": written, "request_record": request_written, "screenshot": None,
                }
                records.append(record)
                shots.append((record, body, f"{article_id}-{row['id']}"))
            item: dict[str, Any] = {
                "article_id": article_id, "kind": "post" if post is not None else "article",
                "url": article.url, "title": article.title, "source": article.source_id,
                "published_at": article.published_at, "first_seen_at": article.first_seen_at,
                "last_fetched_at": article.fetched_at, "lang": article.lang, "incidents": incidents_of[article_id],
                "text": article.text, "text_sha256": hashlib.sha256(article.text.encode()).hexdigest(),
                "findings": _findings(store, article_id), "records": records,
            }
            if post is not None:
                item["post"] = {
                    "channel": post["channel"], "post_id": post["post_id"], "posted_at": post["posted_at"],
                    "views": post["views"], "forwarded_from": post["forwarded_from"], "reply_to": post["reply_to"],
                    "links": json.loads(post["links_json"]), "captions": json.loads(post["captions_json"]),
                    "first_seen_at": post["first_seen_at"], "last_seen_at": post["last_seen_at"],
                    "deleted_at": post["deleted_at"],
                    "versions": [
                        {"version": v["version"], "text": v["text"], "edited": bool(v["edited"]),
                         "seen_at": v["seen_at"], "snapshot_id": v["snapshot_id"], "snapshot_sha256": v["sha256"]}
                        for v in store.post_versions(article_id)
                    ],
                }
            items.append(item)
    screenshots = _take_screenshots(out, shots, chromium, screenshot_timeout)
    manifest: dict[str, Any] = {
        "format": "crimea-monitor evidence export 1",
        "tool": "crimea-monitor", "tool_version": version, "created_at": created, "targets": targets,
        "warc": {"file": WARC_NAME, "sha256": sha256_file(warc_path), "size": warc_path.stat().st_size},
        "screenshots": screenshots, "items": items,
    }
    (out / MANIFEST_HTML).write_text(render_html(manifest), encoding="utf-8")
    manifest["files"] = {
        str(p.relative_to(out)): sha256_file(p) for p in sorted(out.rglob("*")) if p.is_file()
    }
    data = json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")
    (out / MANIFEST).write_bytes(data)
    (out / MANIFEST_HASH).write_text(f"{hashlib.sha256(data).hexdigest()}  {MANIFEST}\n", encoding="ascii")
    return manifest


def _take_screenshots(out: Path, shots: list[tuple[dict[str, Any], bytes, str]], chromium: str | None,
                      timeout: float) -> str:
    if not shots:
        return "none: no snapshots"
    if not chromium:
        return "skipped: chromium is not installed (apt-get install chromium)"
    folder = out / "screenshots"
    folder.mkdir()
    failed = 0
    with tempfile.TemporaryDirectory(prefix="evidence-shot-") as work:
        for record, body, name in shots:
            png = folder / f"{name}.png"
            problem = _screenshot(chromium, body, png, Path(work), timeout)
            if problem:
                failed += 1
                record["screenshot"] = {"error": problem}
                continue
            record["screenshot"] = {"file": str(png.relative_to(out)), "sha256": sha256_file(png),
                                    "renderer": "chromium headless, network disabled"}
    return "taken" if not failed else f"taken, {failed} of {len(shots)} failed"


_HTML = Environment(autoescape=True).from_string(
    resources.files("pipelines").joinpath("evidence_manifest.html").read_text(encoding="utf-8")
)


def render_html(manifest: dict[str, Any]) -> str:
    return _HTML.render(m=manifest)


# ------------------------------------------------------------------------------------------------ verification
def verify(folder: Path) -> VerifyReport:
    """Re-hash every file, every WARC record and every body against the manifest; any difference is a problem."""
    report = VerifyReport()
    manifest_path = folder / MANIFEST
    try:
        data = manifest_path.read_bytes()
        expected = (folder / MANIFEST_HASH).read_text(encoding="ascii").split()[0]
        manifest = json.loads(data)
    except (OSError, IndexError, ValueError) as exc:
        raise EvidenceError(f"{folder} is not an evidence export ({exc})") from exc
    if hashlib.sha256(data).hexdigest() != expected:
        report.problems.append(f"{MANIFEST}: SHA-256 differs from {MANIFEST_HASH}")
    for name, digest in manifest.get("files", {}).items():
        path = folder / name
        report.checked += 1
        if not path.is_file():
            report.problems.append(f"{name}: missing")
        elif sha256_file(path) != digest:
            report.problems.append(f"{name}: SHA-256 differs from the manifest")
    warc = folder / manifest["warc"]["file"]
    if warc.is_file() and sha256_file(warc) != manifest["warc"]["sha256"]:
        report.problems.append(f"{warc.name}: SHA-256 differs from the manifest")
    records = {r["response_record"]["record_id"]: r for it in manifest["items"] for r in it["records"]}
    if warc.is_file():
        _verify_warc(warc, records, report)
    return report


def _verify_warc(warc: Path, records: dict[str, dict[str, Any]], report: VerifyReport) -> None:
    blob = warc.read_bytes()
    seen = set()
    for record_id, record in records.items():
        where = record["response_record"]
        chunk = blob[where["offset"]:where["offset"] + where["length"]]
        if hashlib.sha256(chunk).hexdigest() != where["record_sha256"]:
            report.problems.append(f"WARC record {record_id} ({record['url']}): bytes differ from the manifest")
    try:
        with warc.open("rb") as handle:
            for rec in ArchiveIterator(handle):
                if rec.rec_type != "response":
                    continue
                record_id = rec.rec_headers.get_header("WARC-Record-ID")
                body = rec.content_stream().read()
                report.checked += 1
                record = records.get(record_id)
                if record is None:
                    report.problems.append(f"WARC record {record_id} is not in the manifest")
                    continue
                seen.add(record_id)
                if hashlib.sha256(body).hexdigest() != record["content_sha256"]:
                    report.problems.append(f"WARC record {record_id} ({record['url']}): body SHA-256 differs")
    except Exception as exc:  # warcio raises assorted errors on damaged gzip members or headers
        report.problems.append(f"{warc.name}: cannot be read as a WARC file ({type(exc).__name__}: {exc})")
        return
    for record_id in set(records) - seen:
        report.problems.append(f"WARC record {record_id} of the manifest is missing from {warc.name}")
