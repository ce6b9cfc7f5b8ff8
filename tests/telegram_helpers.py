"""Helpers of the Telegram and evidence tests: the demo channels' sources file, post lookups, a corpus article."""

from __future__ import annotations

from pathlib import Path

from indexer.store import Store
from monitor.demo.corpus import load_corpus
from monitor.demo.site import DemoSite
from pipelines.canonicalise import canonical_url
from tests.conftest import corpus_record

EN = "demo_peninsula_alerts"
EN_SOURCE = "demo-peninsula-alerts"
RU_SOURCE = "demo-krym-svodka"


def channel_sources(site: DemoSite, directory: Path) -> Path:
    """A sources file with only the demo site's two channels."""
    path = directory / "channels.toml"
    path.write_text(site.channel_sources_toml(), encoding="utf-8")
    return path


def post_article(store: Store, source_id: str, post_id: int) -> str:
    row = store.conn.execute("SELECT article_id FROM telegram_posts WHERE source_id = ? AND post_id = ?",
                             (source_id, post_id)).fetchone()
    assert row is not None, f"post {post_id} of {source_id} not stored"
    return str(row[0])


def store_corpus_article(db: Path, site: DemoSite, corpus_id: str) -> str:
    """Store a demo-corpus article under the URL the demo site serves it at, as its crawl would."""
    article = next(a for a in load_corpus() if a.id == corpus_id)
    record, bands = corpus_record(article, canonical_url(site.base_url + site.url_for(article)))
    with Store.open(db) as store:
        store.save_article(record, bands)
    return str(record["id"])
