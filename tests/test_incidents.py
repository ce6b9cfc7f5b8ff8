"""Incident clustering over the store: join, separate, merge with aliases, exclusions, case timeline, eval hook."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from indexer.store import Store
from items import Enrichment, Relevance, Victim
from items import Event as Ev
from pipelines.incidents import cluster_pending, cluster_predictions, incident_record, person_incidents
from tests.conftest import cli_env
from tests.incident_helpers import add_article, event

KURT = "person:~rustem-kurtmollaev"
SEIT = "person:~enver-seitumerov"


def _active(store: Store) -> list:
    return store.list_incidents()


def test_second_report_joins_the_incident(tmp_path: Path) -> None:
    with Store.open(tmp_path / "m.db") as store:
        add_article(store, "a1", "2026-09-08T10:00:00+03:00", [event("search", "2026-09-08", KURT,
                                                                          place="place:bakhchysarai")])
        first = cluster_pending(store)
        assert first.created == 1
        # a second outlet, two days later, a transliteration variant of the surname and no date of its own
        add_article(store, "b1", "2026-09-10T10:00:00+03:00",
                    [event("search", None, "person:~kurtmollaevu")], source="demo-b")
        second = cluster_pending(store)
        assert (second.created, second.joined) == (0, 1)
        [incident] = _active(store)
        assert incident["article_count"] == 2 and incident["source_count"] == 2
        assert incident["event_date"] == "2026-09-08" and incident["place_id"] == "place:bakhchysarai"
        assert incident["lat"] is not None  # coordinates from the gazetteer via entities


def test_other_type_date_or_person_opens_new_incidents(tmp_path: Path) -> None:
    with Store.open(tmp_path / "m.db") as store:
        add_article(store, "a1", "2026-09-08T10:00:00+03:00", [event("search", "2026-09-08", KURT)])
        add_article(store, "a2", "2026-09-09T10:00:00+03:00", [event("detention", "2026-09-08", KURT)])
        add_article(store, "a3", "2026-09-30T10:00:00+03:00", [event("search", "2026-09-29", KURT)])
        add_article(store, "a4", "2026-09-09T10:00:00+03:00", [event("search", "2026-09-08", SEIT)])
        # same village, same day, nobody named: one incident with a1 is not claimed (a1 names someone else)
        report = cluster_pending(store)
        assert report.created == 4
        assert len(_active(store)) == 4


def test_bare_reports_in_one_settlement_join_only_when_both_dated(tmp_path: Path) -> None:
    with Store.open(tmp_path / "m.db") as store:
        add_article(store, "a1", "2026-09-08T10:00:00+03:00", [event("search", "2026-09-08", place="place:saky")])
        add_article(store, "a2", "2026-09-09T10:00:00+03:00", [event("search", "2026-09-07", place="place:saky")])
        add_article(store, "a3", "2026-09-09T10:00:00+03:00", [event("search", None, place="place:saky")])
        cluster_pending(store)
        counts = sorted(r["article_count"] for r in _active(store))
        assert counts == [1, 2]


def test_a_linking_report_merges_incidents_and_old_ids_resolve(tmp_path: Path) -> None:
    with Store.open(tmp_path / "m.db") as store:
        add_article(store, "a1", "2026-09-08T10:00:00+03:00", [event("detention", "2026-09-08", KURT)])
        add_article(store, "b1", "2026-09-08T12:00:00+03:00", [event("detention", "2026-09-08", SEIT)],
                    source="demo-b")
        cluster_pending(store)
        old = {r["id"] for r in _active(store)}
        assert len(old) == 2
        add_article(store, "c1", "2026-09-09T10:00:00+03:00", [event("detention", "2026-09-08", KURT, SEIT)],
                    source="demo-c")
        report = cluster_pending(store)
        assert report.merged == 1
        [merged] = _active(store)
        assert merged["article_count"] == 3 and merged["source_count"] == 3
        for incident_id in old:
            assert store.resolve_incident(incident_id) == merged["id"]
            assert incident_record(store, incident_id)["id"] == merged["id"]
        assert len(json.loads(merged["victims_json"])) == 2


def test_only_actual_events_of_relevant_articles(tmp_path: Path) -> None:
    with Store.open(tmp_path / "m.db") as store:
        add_article(store, "a1", "2026-09-08T10:00:00+03:00", [event("detention", "2026-09-08", KURT,
                                                                             modality="denied")])
        add_article(store, "a2", "2026-09-08T10:00:00+03:00", [event("detention", "2026-09-08", KURT)],
                    about_crimea=False)
        assert cluster_pending(store).created == 0
        assert _active(store) == []


def test_near_duplicate_is_the_same_source_but_still_links(tmp_path: Path) -> None:
    with Store.open(tmp_path / "m.db") as store:
        original = add_article(store, "a1", "2026-09-08T10:00:00+03:00", [event("search", "2026-09-08", KURT)])
        add_article(store, "copy", "2026-09-08T11:00:00+03:00", [event("search", "2026-09-08", KURT)],
                    source="demo-b", near_duplicate_of=original)
        cluster_pending(store)
        [incident] = _active(store)
        assert incident["article_count"] == 2 and incident["source_count"] == 1


def test_re_enrichment_reclusters_the_article(tmp_path: Path) -> None:
    with Store.open(tmp_path / "m.db") as store:
        article = add_article(store, "a1", "2026-09-08T10:00:00+03:00", [event("search", "2026-09-08", KURT)])
        cluster_pending(store)
        [before] = _active(store)
        # the improved NLP now reads it as a detention: the search is withdrawn, a detention appears
        store.conn.execute("UPDATE articles SET clustered_at = '2000-01-01' WHERE id = ?", (article,))
        add_article(store, "a1", "2026-09-08T10:00:00+03:00", [event("detention", "2026-09-08", KURT)])
        cluster_pending(store)
        [after] = _active(store)
        assert after["type"] == "detention"
        assert store.incident(before["id"])["status"] == "withdrawn"


def test_case_timeline_in_date_order(tmp_path: Path) -> None:
    with Store.open(tmp_path / "m.db") as store:
        add_article(store, "a3", "2026-10-01T10:00:00+03:00", [event("sentence", "2026-10-01", KURT)])
        add_article(store, "a1", "2026-09-08T10:00:00+03:00", [event("search", "2026-09-08", KURT),
                                                               event("detention", "2026-09-08", KURT)])
        add_article(store, "a2", "2026-09-11T10:00:00+03:00", [event("custody", "2026-09-10", KURT)])
        add_article(store, "x", "2026-09-11T10:00:00+03:00", [event("custody", "2026-09-10", SEIT)])
        cluster_pending(store)
        timeline = [r["type"] for r in person_incidents(store, [KURT])]
        assert timeline[0] in ("search", "detention") and timeline[2:] == ["custody", "sentence"]


def test_case_and_incidents_commands(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    with Store.open(db) as store:
        add_article(store, "a1", "2026-09-08T10:00:00+03:00", [event("search", "2026-09-08", KURT)])
        add_article(store, "a2", "2026-09-11T10:00:00+03:00", [event("custody", "2026-09-10", KURT)])
    env = cli_env(db, CRIMEA_MONITOR_ALERTS=str(tmp_path / "none.toml"))
    run = [sys.executable, "-m", "monitor"]
    out = subprocess.run([*run, "case", "Rustem Kurtmollaev", "--json"], env=env, capture_output=True, text=True,
                         timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    assert [i["type"] for i in json.loads(out.stdout)["incidents"]] == ["search", "custody"]
    out = subprocess.run([*run, "incidents", "type:custody", "--json"], env=env, capture_output=True, text=True,
                         timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    assert [json.loads(line)["type"] for line in out.stdout.splitlines()] == ["custody"]
    bad = subprocess.run([*run, "incidents", "type:custody AND ("], env=env, capture_output=True, text=True,
                         timeout=120, check=False)
    assert bad.returncode == 2 and "invalid query" in bad.stderr and "Traceback" not in bad.stderr


def test_eval_predictor_uses_the_pipeline_clustering() -> None:
    def pred(*events: Ev) -> Enrichment:
        return Enrichment(Relevance(True, 1.0), events=list(events))

    def ev(kind: str, day: str, who: str) -> Ev:
        return Ev(kind, kind, 0, 1, "", date=day, date_precision="day", victims=[Victim(who, who)])

    items = [{"published_at": "2026-09-08"}, {"published_at": "2026-09-09"}, {"published_at": "2026-09-30"}]
    preds = [pred(ev("search", "2026-09-08", KURT), ev("detention", "2026-09-08", KURT)),
             pred(ev("search", "2026-09-08", KURT)), pred(ev("search", "2026-09-29", SEIT))]
    incidents = cluster_predictions(items, preds, level="incident")
    assert incidents[0][0] == incidents[1][0] != incidents[0][1]
    assert incidents[2][0] not in (incidents[0][0], incidents[0][1])
    cases = cluster_predictions(items, preds, level="case")
    assert cases[0][0] == cases[0][1] == cases[1][0] != cases[2][0]
