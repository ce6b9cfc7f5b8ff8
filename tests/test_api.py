"""The REST API and the server-rendered pages, through FastAPI's TestClient on a real store and Tantivy index.

The store holds the demo corpus, enriched by the real NLP pipeline and indexed, plus one hostile article whose
title and text carry ``<script>`` and ``onerror=`` payloads (as a crawled page could).
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from crawlers.fingerprint import Fingerprint
from indexer.search.document import SearchRequest
from indexer.search.errors import SearchBackendUnavailable
from indexer.store import Store, article_id_for
from items import Evidence
from monitor.web.app import CSP, create_app
from tests.conftest import store_with_corpus

TOKEN = "t0ken-for-tests-only"
XSS_TITLE = 'Night raid report <script>window.__xss = "title"; alert("title")</script>'
XSS_TEXT = (
    "Officers searched the home of a Crimean Tatar activist in Bakhchysarai on Tuesday, xsspayload witnesses said.\n\n"
    'The page quoted a caption: <img src=x onerror="window.__xss = \'img\'; alert(1)"> and a block '
    "<script>window.__xss = 'body'; alert(2)</script> that must stay text.\n\n"
    "The activist was detained and taken to the FSB building in Simferopol, according to Crimean Solidarity. "
    "Relatives said the detention in Crimea was the third this year."
)
XSS_URL = "http://127.0.0.1/hostile/night-raid"
XSS_ID = article_id_for(XSS_URL)


def add_hostile_article(db: Path) -> str:
    """The hostile article, stored as the crawl stores one (with an evidence snapshot of the raw page)."""
    fingerprint = Fingerprint.of(XSS_TEXT)
    record = {
        "id": XSS_ID, "url": XSS_URL, "source_id": "demo-hostile", "title": XSS_TITLE, "text": XSS_TEXT,
        "author": "<b onmouseover=alert(3)>x</b>", "lang": "en", "published_at": "2026-10-14T09:00:00+03:00",
        "fetched_at": "2026-11-20T10:00:00+00:00", "content_hash": fingerprint.content_hash,
        "minhash": fingerprint.minhash, "shingle_count": fingerprint.shingle_count, "near_duplicate_of": None,
        "near_duplicate_score": None,
    }
    raw = f"<html><body><h1>{XSS_TITLE}</h1><script>alert('raw')</script></body></html>".encode()
    with Store.open(db) as store:
        store.save_article(record, fingerprint.bands())
        store.save_snapshot(XSS_ID, XSS_URL, Evidence.of(raw), record["fetched_at"], 200, "text/html", "utf-8")
    return XSS_ID


def build_web_store(db: Path) -> None:
    """Demo corpus + the hostile article, enriched, indexed and clustered into incidents."""
    from pipelines.enrich import enrich
    from pipelines.incidents import cluster_pending
    from pipelines.index import backend_from_settings, index_pending

    store_with_corpus(db)
    add_hostile_article(db)
    with Store.open(db) as store:
        enrich(store)
        index_pending(store, backend_from_settings(db, store))
        cluster_pending(store)


@pytest.fixture(scope="module")
def web_db(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("web") / "monitor.db"
    build_web_store(db)
    return db


@pytest.fixture(scope="module")
def client(web_db: Path) -> TestClient:
    with TestClient(create_app(web_db, api_token=TOKEN, sources=web_db.parent / "none.toml")) as c:
        yield c


# ------------------------------------------------------------------------------------------------- search
def test_search_returns_hits_snippets_and_facets(client):
    r = client.get("/api/search", params={"q": "detained", "facets": "true", "limit": 5})
    assert r.status_code == 200
    body = r.json()
    assert body["total"] > 5 and len(body["hits"]) == 5
    assert any("<b>" in h["snippet_html"] for h in body["hits"])
    assert all("<b>" not in h["snippet"] for h in body["hits"])
    assert set(body["facets"]) >= {"type", "source", "place", "person", "month"}
    place = body["facets"]["place"]
    assert place and all({"value", "count", "label"} <= set(p) for p in place)
    assert any(p["label"] != p["value"] for p in place)  # ids shown with their names


def test_search_pagination_and_date_sort(client):
    first = client.get("/api/search", params={"q": "type:detention", "limit": 3, "sort": "date"}).json()
    second = client.get("/api/search", params={"q": "type:detention", "limit": 3, "offset": 3, "sort": "date"}).json()
    assert first["total"] == second["total"] > 6
    ids = [h["id"] for h in first["hits"] + second["hits"]]
    assert len(set(ids)) == 6
    dates = [h["published_at"] for h in first["hits"] + second["hits"]]
    assert dates == sorted(dates, reverse=True)


def test_entity_filter_finds_aliases(client):
    body = client.get("/api/search", params={"q": 'person:"Джемилев"'}).json()
    assert body["total"] >= 1
    assert body == client.get("/api/search", params={"q": "person:Jemilev"}).json() | {"query": body["query"]}


def test_malformed_query_is_400_with_pointer(client):
    r = client.get("/api/search", params={"q": "type:search AND (raid"})
    assert r.status_code == 400
    body = r.json()
    assert "not closed" in body["error"] and body["column"] == 22  # the end of the query
    assert body["pointer"] == "type:search AND (raid\n" + " " * 21 + "^"


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({"q": "x", "limit": 0}, "limit"),
        ({"q": "x", "limit": "many"}, "limit"),
        ({"q": "x", "offset": -1}, "offset"),
        ({"q": "x", "sort": "oldest"}, "sort"),
        ({}, "q"),
        ({"q": "x" * 1001}, "q"),
    ],
)
def test_bad_parameters_are_422_naming_the_parameter(client, params, names):
    r = client.get("/api/search", params=params)
    assert r.status_code == 422
    body = r.json()
    assert body["error"].startswith(f"{names}: ")
    assert "Traceback" not in r.text


# ----------------------------------------------------------------------------------------------- articles
def _article_id(client, query: str) -> str:
    return client.get("/api/search", params={"q": query, "limit": 1}).json()["hits"][0]["id"]


def test_article_has_text_entities_events_quotes_claims(client):
    article_id = _article_id(client, "type:search has:quote")
    a = client.get(f"/api/articles/{article_id}").json()
    assert a["id"] == article_id and a["text"] and a["title"]
    assert a["entities"] and all(e["id"] and e["name"] for e in a["entities"])
    assert any(e["type"] == "search" and e["modality"] == "actual" for e in a["events"])
    assert a["quotes"] and all(q["text"] for q in a["quotes"])
    assert isinstance(a["claims"], list)


def test_article_errors(client):
    assert client.get("/api/articles/0123456789abcdef").status_code == 404
    r = client.get("/api/articles/not-an-id")
    assert r.status_code == 422 and r.json()["error"].startswith("article_id: ")


def test_snapshot_is_served_as_inert_text(client):
    a = client.get(f"/api/articles/{XSS_ID}").json()
    assert len(a["snapshots"]) == 1
    r = client.get(a["snapshots"][0]["href"])
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    assert r.headers["content-disposition"].startswith("attachment")
    assert "sandbox" in r.headers["content-security-policy"]
    assert b"<script>alert('raw')</script>" in r.content  # the evidence is kept byte for byte


# ---------------------------------------------------------------------------------------------- incidents
def test_incident_list_and_filters(client, web_db):
    body = client.get("/api/incidents", params={"limit": 200}).json()
    with Store.open(web_db) as store:
        active = store.conn.execute("SELECT COUNT(*) FROM incidents WHERE status = 'active'").fetchone()[0]
    assert body["total"] == active > 5 and len(body["incidents"]) == min(active, 200)
    first = body["incidents"][0]
    assert {"id", "type", "title", "date", "place_text", "victims", "articles", "sources"} <= set(first)
    dates = [i["date"] or "" for i in body["incidents"]]
    assert dates == sorted(dates, reverse=True)
    searches = client.get("/api/incidents", params={"type": "search"}).json()
    assert searches["total"] > 0 and all(i["type"] == "search" for i in searches["incidents"])
    placed = next(i for i in body["incidents"] if i["place_id"])
    at = client.get("/api/incidents", params={"place": placed["place_id"]}).json()
    assert placed["id"] in {i["id"] for i in at["incidents"]}
    page2 = client.get("/api/incidents", params={"limit": 2, "offset": 2}).json()
    assert [i["id"] for i in page2["incidents"]] == [i["id"] for i in body["incidents"][2:4]]
    assert client.get("/api/incidents", params={"type": "raid"}).status_code == 422
    assert client.get("/api/incidents", params={"limit": 500}).status_code == 422


def test_incident_detail(client):
    listed = client.get("/api/incidents", params={"limit": 200}).json()["incidents"]
    busiest = max(listed, key=lambda i: i["articles"])
    i = client.get(f"/api/incidents/{busiest['id']}").json()
    assert i["id"] == busiest["id"] and len(i["reports"]) == i["articles"] >= 1
    assert i["mentions"] and all(m["sentence"] and m["article_id"] for m in i["mentions"])
    assert {m["article_id"] for m in i["mentions"]} == {a["id"] for a in i["reports"]}
    assert isinstance(i["quotes"], list) and isinstance(i["victims"], list)
    page = client.get(f"/incidents/{busiest['id']}")
    assert page.status_code == 200 and 'id="incident-reports"' in page.text
    assert client.get("/api/incidents/inc-0000000000000000").status_code == 404
    assert client.get("/api/incidents/42").status_code == 422


def test_incident_timeline_counts_each_incident_once(client, web_db):
    body = client.get("/api/stats/timeline").json()
    assert body["unit"] == "incidents"
    with Store.open(web_db) as store:
        placeable = store.conn.execute(
            "SELECT COUNT(*) FROM incidents WHERE status = 'active' AND recap_only = 0 "
            "AND (event_date IS NULL OR length(event_date) >= 7)"
        ).fetchone()[0]
    assert body["total"] == placeable > 5
    assert all(re.fullmatch(r"\d{4}-\d{2}", p) for p in body["periods"])
    events = client.get("/api/stats/timeline", params={"unit": "events"}).json()
    assert events["total"] > body["total"]  # several articles and mentions per incident


def test_incidents_on_the_map_and_in_the_case_timeline(client):
    places = client.get("/api/places").json()
    assert places["measure"] == "incidents"
    assert any(p["incidents"] > 0 and p["href"].startswith("/incidents?place=") for p in places["points"])
    listed = client.get("/api/incidents", params={"limit": 200}).json()["incidents"]
    case = next(i for i in listed if any(v["entity_id"] for v in i["victims"]))
    victim = next(v["entity_id"] for v in case["victims"] if v["entity_id"])
    entity = client.get(f"/api/entities/{victim}")
    if entity.status_code == 200:  # victims the store knows as entities get a page with their case timeline
        assert case["id"] in {i["id"] for i in entity.json()["incidents"]}
    cases = client.get("/api/incidents", params={"victim": victim}).json()
    assert case["id"] in {i["id"] for i in cases["incidents"]}


# ----------------------------------------------------------------------------------------------- entities
def test_entity_aliases_mentions_and_quotes(client):
    e = client.get("/api/entities/person:mustafa-dzhemilev").json()
    assert e["name"] == "Mustafa Dzhemilev"
    assert "Jemilev" in e["aliases"] and "Mustafa Cemilev" in e["gazetteer_aliases"]
    assert e["mentions_by_month"] and all(m["articles"] >= 1 for m in e["mentions_by_month"])
    assert sum(m["mentions"] for m in e["mentions_by_month"]) == e["mention_count"]
    assert isinstance(e["quotes"], list) and isinstance(e["case_timeline"], list)


def test_entity_errors(client):
    assert client.get("/api/entities/person:nobody-at-all").status_code == 404
    assert client.get("/api/entities/DROP TABLE").status_code == 422


# ------------------------------------------------------------------------------------------------- stats
def test_event_timeline_by_month_and_week(client, web_db):
    month = client.get("/api/stats/timeline", params={"unit": "events"}).json()
    assert month["interval"] == "month" and month["periods"] == sorted(month["periods"])
    assert all(len(s["counts"]) == len(month["periods"]) for s in month["series"])
    with Store.open(web_db) as store:
        expected = sum(n for _, _, n in store.web_events_timeline("month"))
    assert month["total"] == expected > 0
    week = client.get("/api/stats/timeline", params={"interval": "week", "type": ["search", "detention"],
                                                     "unit": "events"}).json()
    assert {s["type"] for s in week["series"]} <= {"search", "detention"}
    assert all(time.strptime(p, "%Y-%m-%d").tm_wday == 0 for p in week["periods"])  # Mondays
    assert week["total"] == sum(s["total"] for s in month["series"] if s["type"] in ("search", "detention"))
    narrowed = client.get("/api/stats/timeline", params={"from": "2026-10-01", "to": "2026-10-31",
                                                         "unit": "events"}).json()
    assert narrowed["periods"] == ["2026-10"]


@pytest.mark.parametrize(
    ("params", "start"),
    [({"type": "raid"}, "type: unknown value 'raid'; use one of 'search'"), ({"interval": "day"}, "interval: "),
     ({"to": "0"}, "to: use a date YYYY-MM-DD (got '0')"), ({"from": "1700000000"}, "from: use a date"),
     ({"from": "2026-13-01"}, "from: "), ({"from": "2026-10-02", "to": "2026-10-01"}, "from (2026-10-02) is after"),
     ({"source": "demo-crimea-herald"}, "source: incidents are reported by several sources"),
     ({"unit": "articles"}, "unit: ")],
)
def test_timeline_bad_parameters(client, params, start):
    r = client.get("/api/stats/timeline", params=params)
    assert r.status_code == 422
    assert r.json()["error"].startswith(start)


def test_places_for_the_map(client):
    body = client.get("/api/places").json()
    names = {p["name"] for p in body["points"]}
    assert {"Simferopol", "Bakhchysarai"} <= names
    b = body["bounds"]
    assert all(b["lat_min"] <= p["lat"] <= b["lat_max"] and b["lon_min"] <= p["lon"] <= b["lon_max"]
               for p in body["points"])
    assert any(p["events"] > 0 for p in body["points"])


def test_sources_health(client, web_db):
    body = client.get("/api/sources").json()
    by_id = {s["id"]: s for s in body["sources"]}
    assert by_id["demo-crimea-herald"]["articles"] > 0
    assert by_id["demo-crimea-herald"]["health"] == "ok"
    assert body["registry_error"]  # the test's sources file does not exist: said, not crashed
    with Store.open(web_db) as store:
        store.record_fetch_error("http://127.0.0.1/feed.xml", "demo-steppe-courier", "HTTP 500", 500)
    failing = {s["id"]: s for s in client.get("/api/sources").json()["sources"]}["demo-steppe-courier"]
    assert failing["health"] == "failing" and failing["last_error"] == "HTTP 500"


# ---------------------------------------------------------------------------------------------- security
def test_security_headers_and_no_cors(client):
    for path in ("/", "/api/search?q=crimea", "/static/app.js"):
        r = client.get(path, headers={"Origin": "https://evil.example"})
        assert r.headers["content-security-policy"] == CSP
        assert r.headers["x-content-type-options"] == "nosniff"
        assert "access-control-allow-origin" not in r.headers
    assert "unsafe-inline" not in CSP and "script-src 'self'" in CSP
    preflight = client.options("/api/search", headers={"Origin": "https://evil.example",
                                                       "Access-Control-Request-Method": "GET"})
    assert "access-control-allow-origin" not in preflight.headers


def test_hostile_article_is_escaped_everywhere(client):
    page = client.get(f"/articles/{XSS_ID}").text
    assert "<script>window.__xss" not in page and "<img src=x" not in page and "<b onmouseover" not in page
    assert "&lt;script&gt;window.__xss" in page and "&lt;img src=x onerror=" in page
    results = client.get("/search", params={"q": "xsspayload"}).text
    assert "Night raid report &lt;script&gt;" in results and "<script>window" not in results
    api = client.get("/api/search", params={"q": "onerror"}).json()
    hit = next(h for h in api["hits"] if h["id"] == XSS_ID)
    assert "<img" not in hit["snippet_html"] and "&lt;img" in hit["snippet_html"]


def test_script_tags_in_embedded_json_cannot_close_the_element(client, web_db):
    # the dashboard embeds statements and place names as JSON: "</script>" inside must come out escaped
    page = client.get("/").text
    for block in page.split('type="application/json"')[1:]:
        payload = block.split(">", 1)[1].split("</script>", 1)[0]
        json.loads(payload)
        assert "<" not in payload


class _FailingBackend:
    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def search(self, request: SearchRequest) -> None:
        raise self.exc


def test_errors_never_leak_tracebacks(web_db):
    app = create_app(web_db, backend=_FailingBackend(RuntimeError("secret internals at /srv/x.py line 3")))
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/api/search", params={"q": "crimea"})
        assert r.status_code == 500
        assert r.json() == {"error": "internal error; the server log has the details"}
        page = c.get("/search", params={"q": "crimea"})
        assert page.status_code == 500 and "secret internals" not in page.text and "Traceback" not in page.text


@pytest.mark.parametrize("snapshot", ["9223372036854775808", "99999999999999999999999", "0", "-1", "1.5", "x"])
def test_snapshot_ids_are_checked_by_type_and_range(client, snapshot):
    article_id = _article_id(client, "detained")
    r = client.get(f"/articles/{article_id}/snapshots/{snapshot}")
    assert r.status_code == 422, r.text  # 9223372036854775808 was a 500 (an OverflowError in SQLite)
    assert "snapshot_id" in r.text


def test_the_largest_snapshot_id_is_a_plain_404(client):
    article_id = _article_id(client, "detained")
    assert client.get(f"/articles/{article_id}/snapshots/9223372036854775807").status_code == 404


def test_every_response_has_the_security_headers_errors_included(web_db):
    app = create_app(web_db, backend=_FailingBackend(RuntimeError("boom")))
    with TestClient(app, raise_server_exceptions=False) as c:
        for path, status in (("/api/search?q=crimea", 500), ("/search?q=crimea", 500), ("/no-such-page", 404),
                             ("/api/search", 422), ("/api/search?q=(", 400), ("/", 200)):
            r = c.get(path)
            assert r.status_code == status, path
            assert r.headers.get("content-security-policy") == CSP, path
            assert r.headers.get("x-content-type-options") == "nosniff", path
            assert r.headers.get("x-frame-options") == "DENY", path


def test_backend_down_is_503(web_db):
    app = create_app(web_db, backend=_FailingBackend(SearchBackendUnavailable("Elasticsearch at 127.0.0.1:9 refused")))
    with TestClient(app) as c:
        r = c.get("/api/search", params={"q": "crimea"})
        assert r.status_code == 503 and "refused" in r.json()["error"]


# ----------------------------------------------------------------------------------------- writes/tokens
def test_write_endpoints_need_the_token(client, web_db):
    assert client.post("/api/crawl").status_code == 401
    r = client.post("/api/crawl", headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert client.post("/api/crawl", headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401
    with TestClient(create_app(web_db, api_token="")) as no_token:
        r = no_token.post("/api/crawl", headers={"Authorization": "Bearer "})
        assert r.status_code == 403 and "CRIMEA_MONITOR_API_TOKEN" in r.json()["error"]


def test_crawl_through_the_api(tmp_path, demo_site):
    from tests.conftest import FAST_CRAWL_ENV, write_sources

    sources = write_sources(demo_site, tmp_path)
    db = tmp_path / "crawl.db"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    scratch = tmp_path / "tmp"  # the temporary folder of the server and its crawl: other processes share /tmp
    scratch.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        for key, value in FAST_CRAWL_ENV.items():
            mp.setenv(key, value)
        mp.setenv("TMPDIR", str(scratch))
        mp.setattr(tempfile, "tempdir", str(scratch))
        with TestClient(create_app(db, api_token=TOKEN, sources=sources)) as c:
            r = c.post("/api/crawl", json={"sources": ["no-such-source"]}, headers=auth)
            assert r.status_code == 422 and "'no-such-source' is not an enabled source" in r.json()["error"]
            r = c.post("/api/crawl", json={"sources": ["demo-steppe-courier"]}, headers=auth)
            assert r.status_code == 202 and r.json()["job"]["running"]
            assert c.post("/api/crawl", json={}, headers=auth).status_code == 409  # one at a time
            deadline = time.monotonic() + 120
            while (job := c.get("/api/crawl").json()["job"])["running"]:
                assert time.monotonic() < deadline, "crawl did not finish"
                time.sleep(0.5)
    assert job["exit_code"] == 0, job
    assert job["report"][0]["source_id"] == "demo-steppe-courier" and job["report"][0]["new"] > 0
    with Store.open(db) as store:
        assert store.count_articles("source_id") == {"demo-steppe-courier": job["report"][0]["new"]}
    assert list(scratch.iterdir()) == []  # each crawl used to leave a folder with its report behind


# --------------------------------------------------------------------------------------------------- pages
def test_search_page_works_without_javascript(client):
    r = client.get("/search", params={"q": "detained type:detention"})
    assert r.status_code == 200
    html = r.text
    assert '<form class="search" method="get" action="/search"' in html
    assert 'data-facet="place"' in html and "/search?q=detained+type%3Adetention+place%3A" in html
    assert "<mark>detained</mark>" in html
    assert html.count('class="hit"') == 20 and 'rel="next"' in html
    assert client.get("/search", params={"q": "detained type:detention", "page": 2}).text.count('class="hit"') > 0


def test_search_page_shows_the_pointer_for_a_malformed_query(client):
    r = client.get("/search", params={"q": "date:2024-13"})
    assert r.status_code == 400
    assert 'id="query-error"' in r.text and "^" in r.text


def test_pages_render(client):
    for path, marker in [("/", 'id="timeline-data"'), ("/sources", "demo-crimea-herald"),
                         ("/incidents", 'class="incident"'), ("/incidents?type=search", 'id="incident-summary"'),
                         ("/entities/person:mustafa-dzhemilev", "Mustafa Dzhemilev"), ("/docs", "/api/search")]:
        r = client.get(path)
        assert r.status_code == 200, path
        assert marker in r.text, path
    assert client.get("/nowhere").status_code == 404
    assert "/api/search" in client.get("/openapi.json").json()["paths"]


# -------------------------------------------------------------------------------------------- alert rules
ALERTS_TOML = """# desk alerts (this comment must survive edits)
[channels.console]
type = "console"

[channels.hook]
type = "webhook"
url = "http://127.0.0.1:9/hook?token=do-not-leak"

[[rules]]
name = "disappearances"
query = "type:disappearance OR type:torture"
channels = ["console"]
"""


def test_alert_rules_read_and_write(tmp_path, web_db):
    alerts = tmp_path / "alerts.toml"
    alerts.write_text(ALERTS_TOML, encoding="utf-8")
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with TestClient(create_app(web_db, api_token=TOKEN, alerts=alerts)) as c:
        body = c.get("/api/alerts/rules").json()
        assert [r["name"] for r in body["rules"]] == ["disappearances"]
        assert {"name": "hook", "type": "webhook"} in body["channels"]
        assert "do-not-leak" not in json.dumps(body)
        rule = {"query": 'type:search place:"Bakhchysarai"', "channels": ["console", "hook"], "min_sources": 2}
        assert c.put("/api/alerts/rules/searches", json=rule).status_code == 401
        r = c.put("/api/alerts/rules/searches", json=rule, headers=auth)
        assert r.status_code == 200 and r.json()["min_sources"] == 2
        r = c.put("/api/alerts/rules/disappearances", json={"query": "type:disappearance", "channels": ["console"]},
                  headers=auth)
        assert r.status_code == 200
        names = {r["name"]: r for r in c.get("/api/alerts/rules").json()["rules"]}
        assert names["disappearances"]["query"] == "type:disappearance" and "searches" in names
        bad = c.put("/api/alerts/rules/bad", json={"query": "type:search AND (", "channels": ["console"]},
                    headers=auth)
        assert bad.status_code == 422 and "rule 'bad': query:" in bad.json()["error"]
        unknown = c.put("/api/alerts/rules/bad", json={"query": "x", "channels": ["pager"]}, headers=auth)
        assert unknown.status_code == 422 and "unknown channel 'pager'" in unknown.json()["error"]
        assert c.put("/api/alerts/rules/bad name", json=rule, headers=auth).status_code == 422
        assert c.delete("/api/alerts/rules/searches", headers=auth).status_code == 204
        assert c.delete("/api/alerts/rules/searches", headers=auth).status_code == 404
    text = alerts.read_text(encoding="utf-8")
    assert text.startswith("# desk alerts (this comment must survive edits)") and "bad" not in text
    from alerts.rules import load_alerts

    assert [r.name for r in load_alerts(alerts).rules] == ["disappearances"]


def test_rule_edits_keep_the_file_mode(tmp_path, web_db):
    import os
    import stat

    alerts = tmp_path / "alerts.toml"
    alerts.write_text(ALERTS_TOML, encoding="utf-8")
    alerts.chmod(0o644)  # the daemon may read it as another user
    if os.getuid() == 0:  # only root can give the file to someone else
        os.chown(alerts, 12345, 12346)
    owner = (os.stat(alerts).st_uid, os.stat(alerts).st_gid)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with TestClient(create_app(web_db, api_token=TOKEN, alerts=alerts)) as c:
        for name in ("searches", "disappearances"):
            r = c.put(f"/api/alerts/rules/{name}", json={"query": "type:search", "channels": ["console"]},
                      headers=auth)
            assert r.status_code == 200, r.text
            assert stat.S_IMODE(os.stat(alerts).st_mode) == 0o644
            assert (os.stat(alerts).st_uid, os.stat(alerts).st_gid) == owner


def test_rule_descriptions_with_control_characters_and_huge_digests(tmp_path, web_db):
    from alerts.rules import load_alerts

    alerts = tmp_path / "alerts.toml"
    alerts.write_text(ALERTS_TOML, encoding="utf-8")
    auth = {"Authorization": f"Bearer {TOKEN}"}
    description = "tab\there, DEL \x7f, BEL \x07, quote \" and backslash \\ \u2028 end"
    with TestClient(create_app(web_db, api_token=TOKEN, alerts=alerts)) as c:
        r = c.put("/api/alerts/rules/odd", json={"query": "type:search", "channels": ["console"],
                                                 "description": description}, headers=auth)
        assert r.status_code == 200, r.text
        assert c.get("/api/alerts/rules").json()["rules"][-1]["description"] == description
        huge = c.put("/api/alerts/rules/slow", json={"query": "type:search", "channels": ["console"],
                                                     "digest": "every 99999999999999999999 hours"}, headers=auth)
        assert huge.status_code == 422 and "rule 'slow': digest interval" in huge.json()["error"]
    assert load_alerts(alerts).rule("odd").description == description
    assert "slow" not in alerts.read_text(encoding="utf-8")


# --------------------------------------------------------------------------------------------------- serve
def test_serve_command_serves_on_loopback(tmp_path, web_db):
    import shutil
    import socket
    import subprocess
    import sys
    import urllib.request

    from tests.conftest import cli_env

    db = tmp_path / "served.db"
    shutil.copy(web_db, db)
    with Store.open(db) as store:  # one enriched article the index does not have yet: serve indexes it first
        store.conn.execute("UPDATE articles SET status = 'enriched' WHERE id = ?", (XSS_ID,))
        store.conn.execute("UPDATE articles SET title = 'Renamed before serving' WHERE id = ?", (XSS_ID,))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "monitor", "serve", "--port", str(port)],
                               env=cli_env(db), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/search?q=renamed", timeout=2) as r:
                    body = json.loads(r.read())
                    break
            except OSError:
                assert process.poll() is None, process.stderr.read()
                assert time.monotonic() < deadline, "serve did not answer"
                time.sleep(0.2)
        assert [h["id"] for h in body["hits"]] == [XSS_ID]
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=15)
    assert "indexed 1 newly enriched article" in out and f"http://127.0.0.1:{port}/" in out


# ------------------------------------------------------------------------------------------ the OpenAPI spec
def test_dates_are_days_never_unix_times(client):
    for path in ("/api/incidents", "/api/stats/timeline"):
        for name in ("from", "to"):
            r = client.get(path, params={name: "0"})  # was read as 1970-01-01
            assert r.status_code == 422 and r.json()["error"] == f"{name}: use a date YYYY-MM-DD (got '0')"
    assert client.get("/api/incidents", params={"from": "2024-01-01", "to": "2026-12-31"}).status_code == 200


def test_the_spec_documents_error_codes_and_type_enums(client):
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    expected = {
        ("/api/search", "get"): {"400", "422", "503"},
        ("/api/articles/{article_id}", "get"): {"404"},
        ("/api/incidents/{incident_id}", "get"): {"404"},
        ("/api/entities/{entity_id}", "get"): {"404"},
        ("/api/crawl", "post"): {"401", "403", "409", "422"},
        ("/api/alerts/rules", "get"): {"409"},
        ("/api/alerts/rules/{name}", "put"): {"401", "403", "409", "422"},
        ("/api/alerts/rules/{name}", "delete"): {"401", "403", "404"},
    }
    for (path, method), codes in expected.items():
        assert codes <= set(paths[path][method]["responses"]), (path, method)
    event_type = spec["components"]["schemas"]["EventType"]
    assert "detention" in event_type["enum"] and "search" in event_type["enum"]
    for path in ("/api/incidents", "/api/stats/timeline"):
        (param,) = [p for p in paths[path]["get"]["parameters"] if p["name"] == "type"]
        assert param["schema"]["anyOf"][0]["items"] == {"$ref": "#/components/schemas/EventType"}
    assert "search | detention" in client.get("/docs").text  # the docs page shows the enum, not a bare $ref


def test_the_server_keeps_to_its_spec(web_db, tmp_path):
    """A bounded schemathesis run over every API operation (writes with the token): each status code, header and
    body the server answers must be in its spec."""
    alerts = tmp_path / "alerts.toml"  # rule writes go to a scratch file
    alerts.write_text('[channels.console]\ntype = "console"\n', encoding="utf-8")
    app = create_app(web_db, api_token=TOKEN, sources=tmp_path / "none.toml", alerts=alerts)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=5, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def agrees(case: schemathesis.Case) -> None:
            # any string is a schema-valid query, and a malformed one is a documented 400: not a rejected request
            case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"},
                                   excluded_checks=[schemathesis.checks.positive_data_acceptance])

        agrees()
