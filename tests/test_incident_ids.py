"""Stable incident ids over re-enrichment, on the demo corpus through the code the CLI runs.

``enrich --all`` must leave every incident (and every alert) alone when the text did not change; when an article
really changes, only its incident moves and the old id leads to the successor in the store, the API and the pages.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from alerts.rules import load_alerts
from indexer.store import Store
from pipelines.alerting import run_alerts
from pipelines.enrich import enrich
from pipelines.incidents import ClusterReport, cluster_pending
from tests.conftest import store_with_corpus

RULES = """
[channels.log]
type = "jsonl"
path = "{log}"

[[rules]]
name = "everything"
query = "type:search OR type:detention OR type:custody OR type:charge OR type:sentence OR type:fine OR type:torture"
channels = ["log"]

[[rules]]
name = "crimean-tatars"
query = "\\"Crimean Tatar\\" OR Mejlis"
channels = ["log"]
"""


def _enrich_cycle(store: Store, alerts: Path, everything: bool) -> tuple[ClusterReport, int]:
    """What ``crimea-monitor enrich [--all]`` does: enrich, cluster, fire and deliver; returns the clustering
    report and the number of alerts fired."""
    enrich(store, everything=everything)
    clustered = cluster_pending(store)
    return clustered, len(run_alerts(store, load_alerts(alerts)).fired)


def _ids(store: Store) -> set[str]:
    return {row["id"] for row in store.list_incidents()}


def _retired(store: Store) -> list[tuple[str, str]]:
    return [tuple(r) for r in store.conn.execute(
        "SELECT id, status FROM incidents WHERE status != 'active' ORDER BY id")]


def _deliveries(store: Store) -> int:
    return int(store.conn.execute("SELECT COUNT(*) FROM alert_deliveries").fetchone()[0])


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The demo corpus enriched and clustered once, its rules registered (the first run alerts nothing: every
    incident is older than the rules), then re-enriched three times as ``enrich --all`` does."""
    work = tmp_path_factory.mktemp("ids")
    db, alerts = work / "monitor.db", work / "alerts.toml"
    alerts.write_text(RULES.format(log=work / "alerts.jsonl"), encoding="utf-8")
    store_with_corpus(db)
    with Store.open(db) as store:
        first, fired = _enrich_cycle(store, alerts, everything=False)
        # the rules are registered now: an incident created from here on would be new to them and fire
        assert first.created > 20 and fired == 0
    return db, alerts


def test_re_enriching_unchanged_text_keeps_every_id_and_alerts_nothing(demo: tuple[Path, Path]) -> None:
    db, alerts = demo
    with Store.open(db) as store:
        before, deliveries, retired = _ids(store), _deliveries(store), _retired(store)
        for _ in range(3):
            clustered, fired = _enrich_cycle(store, alerts, everything=True)
            assert (clustered.created, clustered.joined, clustered.merged, fired) == (0, 0, 0, 0)
            assert _ids(store) == before
        assert _deliveries(store) == deliveries
        assert _retired(store) == retired


def _pick_move(store: Store) -> tuple[str, str, str]:
    """An article that alone reports one incident and nothing else, and the first article reporting exactly one
    incident of that type: republishing the second's story under the first moves the first's incident."""
    rows = store.conn.execute(
        "SELECT DISTINCT m.article_id, m.incident_id, i.type, i.article_count, a.published_at, "
        "(SELECT COUNT(DISTINCT incident_id) FROM incident_mentions WHERE article_id = m.article_id) AS n "
        "FROM incident_mentions m JOIN incidents i ON i.id = m.incident_id JOIN articles a ON a.id = m.article_id "
        "ORDER BY a.published_at, m.article_id").fetchall()
    alone = next(r for r in rows if r["n"] == 1 and r["article_count"] == 1)
    of_type = [r for r in rows if r["type"] == alone["type"] and r["article_id"] != alone["article_id"]]
    other = next(r for r in of_type if sum(o["article_id"] == r["article_id"] for o in of_type) == 1)
    return alone["article_id"], alone["incident_id"], other["article_id"]


def test_a_changed_article_moves_only_its_incident_and_the_old_id_redirects(
        demo: tuple[Path, Path], tmp_path: Path) -> None:
    from monitor.web.app import create_app

    source, alerts = demo
    db = tmp_path / "changed.db"
    with Store.open(source) as store:
        store.conn.execute("VACUUM INTO ?", (str(db),))
    with Store.open(db) as store:
        moved, old_id, other = _pick_move(store)
        before, deliveries = _ids(store), _deliveries(store)
        # the outlet rewrote the article: it now republishes the other report (a crawl stores it as fetched)
        story = store.article(other)
        store.conn.execute("UPDATE articles SET text = ?, published_at = ?, status = 'fetched' WHERE id = ?",
                           (story.text, story.published_at, moved))
        _, fired = _enrich_cycle(store, alerts, everything=False)
        after = _ids(store)
        successor = store.resolve_incident(old_id)
        assert fired == 0 and _deliveries(store) == deliveries
        assert before - after == {old_id} and after - before == set()
        assert successor in after and moved in {a["id"] for a in store.incident_articles(successor)}
        assert old_id in store.incident_aliases(successor)
        [step] = store.incident_successors(old_id)
        assert (step["new_id"], step["reason"]) == (successor, "merged")
    with TestClient(create_app(db, sources=tmp_path / "none.toml", alerts=alerts)) as client:
        api = client.get(f"/api/incidents/{old_id}", follow_redirects=False)
        assert api.status_code == 307 and api.headers["location"].endswith(f"/api/incidents/{successor}")
        assert client.get(f"/api/incidents/{old_id}").json()["id"] == successor
        page = client.get(f"/incidents/{old_id}", follow_redirects=False)
        assert page.status_code == 307 and page.headers["location"].endswith(f"/incidents/{successor}")
        assert client.get(f"/api/incidents/{successor}", follow_redirects=False).status_code == 200
