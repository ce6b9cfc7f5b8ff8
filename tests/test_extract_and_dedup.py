"""Extraction of the real seed article, URL canonicalisation, near-duplicate signatures, the store's migrations."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from crawlers.extract import extract
from crawlers.fingerprint import containment, content_hash, shingles, signature, similarity
from indexer.store import Store, StoreError, article_id_for
from monitor.demo.corpus import corpus_dir, load_corpus
from monitor.demo.site import DemoSite
from pipelines.canonicalise import canonical_url
from tests.conftest import cli_env, write_sources

REPO = Path(__file__).resolve().parents[1]


def _seed():
    return next(a for a in load_corpus() if a.id == "d000")


def test_seed_article_extraction():
    seed_text = (corpus_dir() / "seed-crimean-tatars-meeting-kyiv.txt").read_text(encoding="utf-8")
    site = DemoSite()
    html, charset = site.article_page(_seed())
    result = extract(html.decode(charset), "http://127.0.0.1:1/crimea-herald/news/2026/09/crimean-tatars-meeting-kyiv.html")
    assert result.title == _seed().title
    assert result.published_at == "2026-09-03"
    assert result.author == "QHA"
    assert result.lang == "en"
    assert result.canonical_url.endswith("/crimea-herald/news/2026/09/crimean-tatars-meeting-kyiv.html")
    paragraphs = [p.strip() for p in seed_text.split("\n") if p.strip()]
    assert len(paragraphs) == 10
    for paragraph in paragraphs:
        assert paragraph in result.text
    assert "said Jemilev" in result.text and "8,000 Crimean Tatar refugees" in result.text
    assert "Comments" not in result.text and "Related" not in result.text


@pytest.mark.parametrize("markup", ["", "   ", "<html><body></body></html>", "<<<>>>\x00", "not html at all"])
def test_extraction_of_garbage_gives_empty_text(markup: str):
    assert extract(markup, "http://127.0.0.1/x").text == ""


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTP://Example.ORG/News/A?utm_source=rss&utm_medium=feed#top", "http://example.org/News/A"),
        ("http://example.org/a?b=2&a=1", "http://example.org/a?a=1&b=2"),
        ("http://example.org/a?id=5&fbclid=XYZ&gclid=1", "http://example.org/a?id=5"),
        ("http://example.org/a/#comments", "http://example.org/a/"),
    ],
)
def test_canonical_url(url: str, expected: str):
    assert canonical_url(url) == expected
    assert article_id_for(canonical_url(url)) == article_id_for(expected)


def test_content_hash_ignores_case_punctuation_and_spacing():
    assert content_hash("FSB raids homes,  in Crimea.") == content_hash("fsb raids homes in crimea")
    assert content_hash("FSB raids homes") != content_hash("FSB raids home")


def test_near_duplicate_measures():
    corpus = load_corpus()
    a, b = corpus[1].text, corpus[2].text
    trimmed = "\n\n".join(corpus[1].paragraphs[:-1]) + "\n\nRepublished with permission."
    sa, sb, st = shingles(a), shingles(b), shingles(trimmed)
    sig_a, sig_b, sig_t = signature(sa), signature(sb), signature(st)
    assert similarity(sig_a, sig_a) == 1.0
    assert containment(similarity(sig_a, sig_t), len(sa), len(st)) >= 0.8
    assert containment(similarity(sig_a, sig_b), len(sa), len(sb)) < 0.3


def test_migrations_are_idempotent_and_errors_are_clear(tmp_path: Path):
    db = tmp_path / "m.db"
    with Store.open(db) as store:
        version = store.schema_version()
        assert version >= 2
        assert store.migrate() == []
    with Store.open(db) as store:
        assert store.schema_version() == version
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    not_a_db = tmp_path / "junk.db"
    not_a_db.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot open the store"):
        Store.open(not_a_db)


def test_scrapy_cfg_lets_scrapy_list_and_crawl_work_from_the_repo_root(tmp_path: Path):
    scrapy = [sys.executable, "-m", "scrapy.cmdline"]
    listed = subprocess.run([*scrapy, "list"], cwd=REPO, capture_output=True, text=True, timeout=120, check=True)
    assert listed.stdout.split() == ["feed", "site", "sitemap", "telegram"]
    with DemoSite(slow_seconds=4.0) as site:
        env = cli_env(tmp_path / "m.db", write_sources(site, tmp_path))
        subprocess.run([*scrapy, "crawl", "feed", "-a", "source=demo-crimea-herald"], cwd=REPO, env=env,
                       capture_output=True, text=True, timeout=180, check=True)
    with Store.open(tmp_path / "m.db") as store:
        assert store.count_articles("source_id") == {"demo-crimea-herald": len(site.by_outlet["crimea-herald"])}
