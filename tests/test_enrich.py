"""The enrichment worker on real articles with the real spaCy pipeline: results stored, idempotent, resumable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from indexer.store import Store
from monitor.demo.corpus import load_corpus
from pipelines.enrich import enrich
from tests.conftest import run_cli, store_with_corpus


@pytest.fixture(scope="module")
def enriched(tmp_path_factory):
    db = tmp_path_factory.mktemp("enrich") / "m.db"
    ids = store_with_corpus(db, limit=12)
    with Store.open(db) as store:
        report = enrich(store)
    return db, ids, report


def _row_counts(store: Store) -> tuple[int, ...]:
    return tuple(store.conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                 for t in ("mentions", "events", "quotes", "claims", "entities"))


def test_every_fetched_article_is_enriched(enriched):
    db, ids, report = enriched
    assert report.articles == len(ids) == 12
    with Store.open(db) as store:
        assert store.count_articles() == {"enriched": 12}
        assert all(c > 0 for c in _row_counts(store))
        row = store.conn.execute("SELECT about_crimea, relevance, relevance_reasons, enriched_at FROM articles "
                                 "WHERE id = ?", (ids[0],)).fetchone()
        assert row["about_crimea"] == 1 and row["relevance"] > 0.5 and json.loads(row["relevance_reasons"])
        assert enrich(store).articles == 0  # nothing left to do


def test_seed_article_results_are_stored_linked(enriched):
    db, ids, _ = enriched
    seed = next(i for i, a in zip(ids, load_corpus(), strict=False) if a.id == "d000")
    with Store.open(db) as store:
        rows = store.enrichment_rows(seed)
        persons = {m["entity_id"] for m in rows["mentions"] if m["label"] == "PERSON"}
        assert "person:mustafa-dzhemilev" in persons
        speakers = {q["speaker_id"] for q in rows["quotes"] if q["kind"] == "direct"}
        assert "person:mustafa-dzhemilev" in speakers and len(rows["quotes"]) >= 4
        actual = {(e["type"], e["modality"]) for e in rows["events"]}
        assert ("deportation", "actual") in actual and ("displacement", "actual") in actual
        assert any(e["type"] == "displacement" and e["modality"] != "actual" for e in rows["events"])
        entity = store.conn.execute("SELECT name, in_gazetteer FROM entities WHERE id = 'person:mustafa-dzhemilev'"
                                    ).fetchone()
        assert entity["name"] == "Mustafa Dzhemilev" and entity["in_gazetteer"] == 1
        kyiv = store.conn.execute("SELECT lat, lon FROM entities WHERE id LIKE 'place:kyiv%'").fetchone()
        assert kyiv is not None and 50 < kyiv["lat"] < 51


def test_re_enriching_everything_replaces_rows_without_duplicates(enriched):
    db, _ids, _ = enriched
    with Store.open(db) as store:
        before = _row_counts(store)
        report = enrich(store, everything=True)
        assert report.articles == 12
        assert _row_counts(store) == before


def test_a_run_cut_short_is_finished_by_the_next(tmp_path: Path):
    db = tmp_path / "m.db"
    store_with_corpus(db, limit=6)
    with Store.open(db) as store:
        assert enrich(store, limit=2).articles == 2  # as if the process had died after two articles
        assert store.count_articles() == {"enriched": 2, "fetched": 4}
        assert enrich(store).articles == 4
        assert store.count_articles() == {"enriched": 6}


def test_enrich_command_prints_incidents_and_statements(tmp_path: Path):
    db = tmp_path / "m.db"
    store_with_corpus(db, limit=4)
    result = run_cli(["enrich"], db)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "enriched 4 articles" in result.stdout
    assert "Incident events" in result.stdout and "Latest statements" in result.stdout
