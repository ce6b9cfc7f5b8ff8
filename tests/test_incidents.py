"""Incident clustering over the store: join, separate, merge with aliases, exclusions, case timeline, eval hook."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

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
        # the old id leads to the incident its report now makes, with the reason recorded
        assert store.incident(before["id"])["id"] == after["id"]
        assert [(s["new_id"], s["reason"]) for s in store.incident_successors(before["id"])] == [
            (after["id"], "replaced")]


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


# --- incident-level rules on real processed text (the demo corpus through the real NLP) ------------------------
CORPUS = Path(__file__).resolve().parent.parent / "monitor/demo/corpus"


@pytest.fixture(scope="module")
def corpus_predictions() -> dict[str, tuple[dict, Enrichment]]:
    from nlp.evaluate import load_gold, predict

    wanted = {"d010", "d015", "d018", "d025", "d038", "d039", "d053", "d051"}
    items = [i for f in sorted(CORPUS.glob("articles_*.jsonl")) for i in load_gold(f) if i["id"] in wanted]
    items.append(next(i for i in load_gold(CORPUS.parent.parent.parent / "nlp/eval/dev_hard.jsonl")
                      if i["id"] == "h029"))
    return {i["id"]: (i, p) for i, p in zip(items, predict(items), strict=True)}


def _clustered(preds: dict[str, tuple[dict, Enrichment]], *ids: str) -> dict[str, list[tuple[Ev, str | None]]]:
    """Cluster these articles together: per article, its events with their incident ids."""
    items, enrichments = zip(*(preds[i] for i in ids), strict=True)
    incidents = cluster_predictions(list(items), list(enrichments), level="incident")
    return {i: list(zip(p.events, incidents[n], strict=True)) for n, (i, p) in enumerate(zip(ids, enrichments,
                                                                                              strict=True))}


def _incidents_of(events: list[tuple[Ev, str | None]], kind: str) -> set[str]:
    return {i for ev, i in events if ev.type == kind and ev.actual and i}


def test_a_report_naming_nobody_joins_through_whom_its_article_is_about(corpus_predictions) -> None:
    # d015 (house arrest of Andrii Kravets) recalls "the searches in seven homes" without naming anyone; d010
    # reported those searches, also without a named victim, and the detention of Kravets
    out = _clustered(corpus_predictions, "d010", "d015")
    later = [ev for ev, _ in out["d015"] if ev.type == "search" and ev.actual]
    assert later and not any(v.entity_id and v.entity_id.startswith("person:") for ev in later for v in ev.victims)
    assert len(_incidents_of(out["d010"], "search") | _incidents_of(out["d015"], "search")) == 1


def test_undated_follow_up_joins_the_victims_only_incident_of_its_type(corpus_predictions) -> None:
    # d025 (2 Nov): "Savchuk had spent three weeks in the centre ..." (no date) -> the detention of 9 Oct (d018);
    # "served three years" -> the same sentence; the deportation of 30 Oct is not the expulsion order of 9 Oct
    out = _clustered(corpus_predictions, "d018", "d025")
    for kind in ("detention", "sentence"):
        later = _incidents_of(out["d025"], kind)
        assert later and later <= _incidents_of(out["d018"], kind), kind
    first = {a: next(i for ev, i in out[a] if ev.type == "deportation" and ev.actual) for a in ("d018", "d025")}
    assert first["d018"] != first["d025"]


def test_transliterated_victim_and_named_group_link_reports(corpus_predictions) -> None:
    # Tokhtarov / Tohtarov / Toqtarov: the beating of 12 October, reported three times
    out = _clustered(corpus_predictions, "d038", "d039", "d053")
    assert len(set().union(*(_incidents_of(out[a], "assault") for a in ("d038", "d039", "d053")))) == 1
    # the 2017 ban of Jehovah's Witnesses (an unlinked but proper-named victim), recalled in three articles
    out = _clustered(corpus_predictions, "d010", "d051", "h029")
    assert len(set().union(*(_incidents_of(out[a], "ban") for a in ("d010", "d051", "h029")))) == 1


def test_store_clustering_of_real_articles_joins_bare_follow_ups(tmp_path: Path) -> None:
    from pipelines.enrich import enrich
    from tests.conftest import store_with_corpus

    db = tmp_path / "m.db"
    store_with_corpus(db, limit=6)  # d000, d054, d001, d002, d031, d007: the Stroganovka raid reported three times
    with Store.open(db) as store:
        enrich(store)
        cluster_pending(store)
        by_type = {}
        for row in store.list_incidents():
            by_type.setdefault(row["type"], []).append(row)
        # d007 names the four men only in its custody report, yet its "FSB raids on Tuesday" join the search
        assert [r["article_count"] for r in by_type["search"]] == [3]
        assert [r["article_count"] for r in by_type["charge"]] == [3]
        assert max(r["article_count"] for r in by_type["detention"]) == 3


def test_undated_follow_up_is_ambiguous_between_two_incidents(tmp_path: Path) -> None:
    with Store.open(tmp_path / "m.db") as store:
        add_article(store, "a1", "2026-09-16T10:00:00+03:00", [event("custody", "2026-09-15", KURT)])
        add_article(store, "a2", "2026-11-14T10:00:00+03:00", [event("custody", "2026-11-13", KURT)])
        # an extension two months later is another custody incident, and an undated mention cannot tell which
        add_article(store, "a3", "2026-11-30T10:00:00+03:00", [event("custody", None, KURT)])
        cluster_pending(store)
        assert sorted(r["article_count"] for r in _active(store)) == [1, 1, 1]
    with Store.open(tmp_path / "n.db") as store:
        add_article(store, "a1", "2026-09-16T10:00:00+03:00", [event("custody", "2026-09-15", KURT)])
        add_article(store, "a3", "2026-11-30T10:00:00+03:00", [event("custody", None, KURT)])
        add_article(store, "a4", "2026-11-30T11:00:00+03:00", [event("custody", None, SEIT)])
        cluster_pending(store)
        assert sorted(r["article_count"] for r in _active(store)) == [1, 2]  # only the one with his name joins


def test_place_only_and_context_links_respect_dates_and_perpetrators(tmp_path: Path) -> None:
    police, fsb = "org:police", "org:fsb"
    with Store.open(tmp_path / "m.db") as store:
        first = event("search", "2026-09-08", place="place:bakhchysarai")
        first.perpetrator_id = police
        add_article(store, "a1", "2026-09-08T10:00:00+03:00", [first, event("detention", "2026-09-08", KURT)])
        other = event("search", "2026-09-08", place="place:bakhchysarai")
        other.perpetrator_id = fsb
        # same village and day, but another perpetrator: another search
        add_article(store, "a2", "2026-09-09T10:00:00+03:00", [other])
        # names nobody, undated, but is about Kurtmollaev: joins his one search in the window
        add_article(store, "a3", "2026-09-10T10:00:00+03:00",
                    [event("search", None), event("custody", "2026-09-10", KURT)])
        cluster_pending(store)
        searches = sorted(r["article_count"] for r in _active(store) if r["type"] == "search")
        assert searches == [1, 2]


def test_eval_scores_incidents_and_cases_separately() -> None:
    from nlp.evaluate import score

    def pred(*kinds: str) -> Enrichment:
        return Enrichment(Relevance(True, 1.0), events=[Ev(k, k, 0, 1, "") for k in kinds])

    gold = [
        {"text": "a", "events": [{"type": "search", "incident": "A:search", "case": "A"},
                                 {"type": "detention", "incident": "A:detention", "case": "A"}]},
        {"text": "b", "events": [{"type": "custody", "incident": "A:custody", "case": "A"}]},
    ]
    preds = [pred("search", "detention"), pred("custody")]
    result = score(gold, preds, incident_ids=[["x", "y"], ["z"]], case_ids=[["c", "c"], ["c"]])
    assert result["incidents"]["pairwise"] == {"p": 1.0, "r": 1.0, "f1": 1.0}  # no pair, nothing wrong
    assert result["cases"]["pairwise"] == {"p": 1.0, "r": 1.0, "f1": 1.0}  # three pairs, all right
    wrong = score(gold, preds, incident_ids=[["x", "x"], ["z"]], case_ids=[["c", "c"], ["d"]])
    assert wrong["incidents"]["pairwise"]["p"] == 0.0 and wrong["cases"]["pairwise"]["r"] == round(1 / 3, 4)
