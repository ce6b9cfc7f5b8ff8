"""Telegram channels: the spider against the demo channels on 127.0.0.1 (paging, newer-only polls, an edit, a
deletion, a malformed page), and an incident first reported by a post, confirmed by an article, and alerted.

The store of ``polled_channels`` (conftest) is crawled twice: first stage, then second stage.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawlers.sources import SourcesError, parse_sources
from crawlers.spiders.telegram import parse_views
from indexer.store import Store
from monitor.demo import telegram
from monitor.demo.site import DemoSite
from tests.conftest import run_cli
from tests.telegram_helpers import EN, EN_SOURCE, RU_SOURCE, post_article, store_corpus_article


def _posts(db: Path, source_id: str) -> dict[int, dict]:
    with Store.open(db) as store:
        return {row["post_id"]: dict(row) for row in store.channel_posts(source_id)}


def test_first_poll_pages_back_through_the_whole_channel(polled_channels):
    en_posts = [p for p in telegram.POSTS if p.channel == EN and not p.later]
    # 8 posts, 4 per page: two pages; one of them (108) is a forward with the text of a Russian post
    assert polled_channels["pages_first"] == 2
    report = polled_channels["first"][EN_SOURCE]
    assert report["new"] + report["duplicates"] == len(en_posts)
    assert report["errors"] == {}


def test_post_fields(polled_channels):
    posts = _posts(polled_channels["db"], EN_SOURCE)
    base = polled_channels["site"].base_url
    assert posts[101]["posted_at"] == "2026-09-08T04:10:00+00:00"
    assert posts[101]["views"] == 2100  # "2.1K" on the page
    assert posts[106]["reply_to"] == f"{EN}/105"
    assert json.loads(posts[104]["captions_json"])[0].startswith("FSB officers are searching four homes")
    assert json.loads(posts[102]["links_json"]) == [
        f"{base}/crimea-herald/news/2026/09/fsb-raids-six-homes-in-stroganovka-four-detained.html"]
    forwards = [p for p in _posts(polled_channels["db"], EN_SOURCE).values() if p["forwarded_from"]]
    ru_forward = _posts(polled_channels["db"], RU_SOURCE).get(53)
    # the forward and its original have one text: whichever came first is the post, the other its duplicate
    assert forwards or ru_forward
    with Store.open(polled_channels["db"]) as store:
        article = store.article(post_article(store, EN_SOURCE, 101))
    assert article is not None and article.url == f"{base}/{EN}/101"
    assert article.title.startswith("Peninsula Alerts (demo): Searches have been under way")
    assert parse_views("4.85K") == 4850 and parse_views("1.2M") == 1_200_000 and parse_views("857") == 857


def test_later_polls_read_only_the_newest_page(polled_channels):
    assert polled_channels["pages_second"] == 1
    report = polled_channels["second"][EN_SOURCE]
    assert report["new"] == 1  # post 109
    assert polled_channels["second"][RU_SOURCE]["new"] == 0
    with Store.open(polled_channels["db"]) as store:
        assert store.telegram_last_post_id(EN_SOURCE) == 109


def test_an_edit_is_a_new_version_with_its_own_snapshot(polled_channels):
    assert polled_channels["second"][EN_SOURCE]["updated"] == 1
    with Store.open(polled_channels["db"]) as store:
        versions = store.post_versions(post_article(store, EN_SOURCE, 105))
        article = store.article(post_article(store, EN_SOURCE, 105))
    assert [v["version"] for v in versions] == [1, 2]
    assert "Dmytro Kravchuk" not in versions[0]["text"] and "Dmytro Kravchuk" in versions[1]["text"]
    assert [bool(v["edited"]) for v in versions] == [False, True]
    assert versions[0]["sha256"] != versions[1]["sha256"] and all(v["sha256"] for v in versions)
    assert article is not None and article.text == versions[1]["text"]


def test_a_deleted_post_is_marked_not_removed(polled_channels):
    posts = _posts(polled_channels["db"], EN_SOURCE)
    assert posts[107]["deleted_at"] is not None
    assert posts[107]["last_seen_at"] <= posts[107]["deleted_at"]
    assert all(p["deleted_at"] is None for n, p in posts.items() if n != 107)
    with Store.open(polled_channels["db"]) as store:
        assert store.article(post_article(store, EN_SOURCE, 107)) is not None  # the text is kept


def test_first_poll_depth_and_malformed_pages(tmp_path, polled_channels):
    site: DemoSite = polled_channels["site"]
    sources = tmp_path / "sources.toml"
    sources.write_text(f"""
[[source]]
id = "shallow"
name = "Shallow"
kind = "telegram"
channel = "{EN}"
start_urls = ["{site.base_url}/s/{EN}"]
allowed_domains = ["127.0.0.1"]

[[source]]
id = "not-a-channel"
name = "Not a channel"
kind = "telegram"
channel = "herald_page"
start_urls = ["{site.base_url}/crimea-herald/live/updates.html"]
allowed_domains = ["127.0.0.1"]
""", encoding="utf-8")
    result = run_cli(["crawl", "--json"], tmp_path / "m.db", sources, CRIMEA_MONITOR_TELEGRAM_FIRST_POLL_POSTS="3")
    assert result.returncode == 0, result.stderr[-2000:]
    reports = {r["source_id"]: r for r in json.loads(result.stdout)}
    assert reports["shallow"]["new"] + reports["shallow"]["duplicates"] == 4  # one page reaches 3: no paging
    assert reports["not-a-channel"]["errors"] == {"not a channel page": 1}
    with Store.open(tmp_path / "m.db") as store:
        health = {row["source_id"]: row for row in store.source_health()}
    assert health["not-a-channel"]["consecutive_failures"] == 1  # the same health accounting as feeds


def test_telegram_sources_are_validated():
    source = parse_sources('[[source]]\nid = "tg"\nname = "T"\nkind = "telegram"\nchannel = "krymrealii"\n')[0]
    assert source.start_urls == ("https://t.me/s/krymrealii",) and source.allowed_domains == ("t.me",)
    assert source.interval_seconds == 300
    with pytest.raises(SourcesError, match=r"needs `channel"):
        parse_sources('[[source]]\nid = "tg"\nname = "T"\nkind = "telegram"\n')
    with pytest.raises(SourcesError, match=r"key 'channel'.*not a channel username"):
        parse_sources('[[source]]\nid = "tg"\nname = "T"\nkind = "telegram"\nchannel = "a b"\n')
    with pytest.raises(SourcesError, match=r"only sources of kind 'telegram'"):
        parse_sources('[[source]]\nid = "f"\nname = "F"\nkind = "feed"\nchannel = "krymrealii"\n'
                      'start_urls = ["https://example.org/feed"]\n')


def test_incident_first_reported_by_a_post_is_confirmed_by_the_article_and_alerted(polled_channels, tmp_path):
    db: Path = polled_channels["db"]
    site: DemoSite = polled_channels["site"]
    article_id = store_corpus_article(db, site, "d001")  # the Herald report the post 102 links, fetched later
    result = run_cli(["enrich"], db, polled_channels["sources"], timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    alerts = tmp_path / "alerts.toml"
    alerts.write_text(f"""
[channels.log]
type = "jsonl"
path = "{tmp_path / 'alerts.jsonl'}"

[[rules]]
name = "searches"
query = "type:search"
channels = ["log"]
""", encoding="utf-8")
    result = run_cli(["alerts", "run", "--backfill"], db, polled_channels["sources"],
                     CRIMEA_MONITOR_ALERTS=str(alerts))
    assert result.returncode == 0, result.stderr[-2000:]
    with Store.open(db) as store:
        first_post = post_article(store, EN_SOURCE, 101)
        linking_post = post_article(store, EN_SOURCE, 102)
        assert store.linked_articles(linking_post) == [article_id]
        search = [i for i, t, _ in store.article_incidents(first_post) if t == "search"]
        assert len(search) == 1
        reporting = {row["id"] for row in store.incident_articles(search[0])}
        timing = store.incident_timing(search[0])
    assert {first_post, article_id} <= reporting
    sent = [json.loads(line) for line in (tmp_path / "alerts.jsonl").read_text().splitlines()]
    alert = next(a for a in sent if a["incident"]["id"] == search[0])
    first = alert["incident"]["first_report"]
    assert first["kind"] == "post" and first["id"] == first_post
    assert first["url"] == f"{site.base_url}/{EN}/101"
    assert timing["first_article_id"] == first_post
    assert timing["published_at"] == "2026-09-08T04:10:00+00:00" and timing["delay_seconds"] > 0
    status = run_cli(["status", "--json"], db, polled_channels["sources"])
    delay = json.loads(status.stdout)["alert_delay"]
    assert delay["incidents"] >= 1 and delay["median_seconds"] > 0


def test_incident_page_lists_evidence_and_offers_the_export(polled_channels, monkeypatch):
    """Runs after the enrichment of the test above (the incident must exist)."""
    import io
    import zipfile

    from fastapi.testclient import TestClient

    from monitor.web.app import create_app

    monkeypatch.setattr("settings.EVIDENCE_CHROMIUM", "")  # screenshots are tested in test_evidence.py
    db: Path = polled_channels["db"]
    with Store.open(db) as store:
        edited = post_article(store, EN_SOURCE, 105)
        incident_id = next(i for i, _t, _s in store.article_incidents(edited))
        sha = [v["sha256"] for v in store.post_versions(edited)]
    with TestClient(create_app(db, sources=db.parent / "none.toml", public_read=True)) as client:
        page = client.get(f"/incidents/{incident_id}")
        assert page.status_code == 200
        assert 'id="incident-evidence"' in page.text and all(s in page.text for s in sha)
        assert "version 2 (edited)" in page.text
        download = client.get(f"/incidents/{incident_id}/evidence.zip")
    assert download.status_code == 200 and download.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(download.content)).namelist()
    assert f"evidence-{incident_id}/manifest.json" in names and f"evidence-{incident_id}/evidence.warc.gz" in names
