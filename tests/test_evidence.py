"""Evidence export: a WARC that standard tools read, every version of an edited post in it, hashes that
``evidence verify`` re-checks (and that fail after one changed byte), offline screenshots, and the delay summary."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from indexer.store import Store
from indexer.store_posts import delay_summary
from pipelines.evidence import export, verify
from tests.conftest import run_cli
from tests.telegram_helpers import EN_SOURCE, post_article


@pytest.fixture(scope="module")
def exported(polled_channels, tmp_path_factory):
    db = polled_channels["db"]
    with Store.open(db) as store:
        edited = post_article(store, EN_SOURCE, 105)
        other = post_article(store, EN_SOURCE, 101)
        out = tmp_path_factory.mktemp("evidence") / "export"
        manifest = export(store, [edited, other], out, chromium=None)
        snapshots = {s["sha256"]: store.snapshot_html(s["id"]) for a in (edited, other) for s in store.snapshots(a)}
        versions = [v["text"] for v in store.post_versions(edited)]
    return {"db": db, "out": out, "manifest": manifest, "snapshots": snapshots, "versions": versions,
            "edited": edited}


def _responses(warc: Path) -> list[tuple[str, bytes]]:
    with warc.open("rb") as handle:
        return [(r.rec_headers.get_header("WARC-Target-URI"), r.content_stream().read())
                for r in ArchiveIterator(handle) if r.rec_type == "response"]


def test_warc_round_trip_keeps_every_capture_byte_for_byte(exported):
    bodies = [body for _url, body in _responses(exported["out"] / "evidence.warc.gz")]
    assert sorted(hashlib.sha256(b).hexdigest() for b in bodies) == sorted(exported["snapshots"])
    assert all(bodies.count(b) == 1 for b in bodies)
    # both texts of the edited post are in the archive, each in the page it was read from
    for text in exported["versions"]:
        assert any(text.encode() in body for body in bodies)


def test_warc_opens_in_standard_tools(exported):
    warcio = shutil.which("warcio", path=str(Path(sys.executable).parent))
    assert warcio is not None
    index = subprocess.run([warcio, "index", str(exported["out"] / "evidence.warc.gz")], capture_output=True,
                           text=True, check=True)
    types = [json.loads(line)["warc-type"] for line in index.stdout.splitlines()]
    assert types[0] == "warcinfo" and types.count("response") == types.count("request") == len(exported["snapshots"])
    check = subprocess.run([warcio, "check", str(exported["out"] / "evidence.warc.gz")], capture_output=True,
                           text=True, check=False)
    assert check.returncode == 0, check.stdout + check.stderr


def test_manifest_describes_items_versions_and_hashes(exported):
    manifest = json.loads((exported["out"] / "manifest.json").read_text())
    assert manifest["tool"] == "crimea-monitor" and manifest["tool_version"]
    assert manifest["screenshots"].startswith("skipped")
    item = next(i for i in manifest["items"] if i["article_id"] == exported["edited"])
    assert item["kind"] == "post" and [v["version"] for v in item["post"]["versions"]] == [1, 2]
    record = item["records"][0]
    assert record["http_status"] == 200 and record["headers_recorded"]
    assert any(name.lower() == "user-agent" for name, _ in record["request_headers"])
    assert "Peninsula Alerts" in (exported["out"] / "manifest.html").read_text()
    assert manifest["warc"]["sha256"] == hashlib.sha256((exported["out"] / "evidence.warc.gz").read_bytes()).hexdigest()


@pytest.mark.parametrize("name", ["evidence.warc.gz", "manifest.json", "manifest.html"])
def test_verify_fails_after_one_changed_byte(exported, tmp_path, name):
    copy = tmp_path / "copy"
    shutil.copytree(exported["out"], copy)
    assert run_cli(["evidence", "verify", str(copy)], exported["db"]).returncode == 0
    path = copy / name
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    result = run_cli(["evidence", "verify", str(copy)], exported["db"])
    assert result.returncode == 1 and "FAILED" in result.stdout
    assert not verify(copy).ok


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed")
def test_offline_screenshot_fetches_nothing(polled_channels, tmp_path):
    site = polled_channels["site"]
    with Store.open(polled_channels["db"]) as store:
        photo_post = post_article(store, EN_SOURCE, 104)  # its page asks for photos on the demo site
        before = sum(site.hits.values())
        manifest = export(store, [photo_post], tmp_path / "shot", chromium=shutil.which("chromium"))
    assert sum(site.hits.values()) == before
    assert manifest["screenshots"] == "taken"
    shot = manifest["items"][0]["records"][0]["screenshot"]
    png = tmp_path / "shot" / shot["file"]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert hashlib.sha256(png.read_bytes()).hexdigest() == shot["sha256"]
    assert verify(tmp_path / "shot").ok


def test_export_of_unknown_ids_is_one_line(polled_channels, tmp_path):
    result = run_cli(["evidence", "export", "inc-000000000000", "--out", str(tmp_path / "x")], polled_channels["db"])
    assert result.returncode == 1 and "neither an incident nor an article" in result.stderr
    assert "Traceback" not in result.stderr


def test_delay_summary():
    assert delay_summary([]) == {"incidents": 0, "median_seconds": None, "p95_seconds": None}
    summary = delay_summary([600, 60, 180, 120, 240] + [300] * 15)
    assert summary["incidents"] == 20 and summary["median_seconds"] == 300 and summary["p95_seconds"] == 300
    assert delay_summary([60, 120, 180, 240, 3000]) == {"incidents": 5, "median_seconds": 180, "p95_seconds": 3000}


def test_daemon_metrics_carry_the_delay(tmp_path):
    from types import SimpleNamespace

    from prometheus_client import CollectorRegistry

    from monitor.daemon.metrics import Metrics
    from monitor.daemon.service import Daemon

    with Store.open(tmp_path / "m.db") as store:
        store.conn.executemany(
            "INSERT INTO incident_timing (incident_id, first_article_id, published_at, fetched_at, alerted_at, "
            "delay_seconds) VALUES (?, 'a', '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:10+00:00', "
            "'2026-01-01T00:01:00+00:00', ?)", [(f"inc-{n}", d) for n, d in enumerate([30, 60, 90, 600])])
        registry = CollectorRegistry()
        daemon = SimpleNamespace(metrics=Metrics(registry), _with_store=lambda action: action(store))
        Daemon._update_alert_delay(daemon)  # type: ignore[arg-type]
    assert registry.get_sample_value("crimea_monitor_alert_delay_seconds", {"quantile": "0.5"}) == 75
    assert registry.get_sample_value("crimea_monitor_alert_delay_seconds", {"quantile": "0.95"}) == 600
    assert registry.get_sample_value("crimea_monitor_alerted_incidents") == 4
