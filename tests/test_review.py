"""Analysts in the loop: accounts, logins, roles, CSRF, the review API and CLI, the audit chain, and human decisions
that outlive ``enrich --all``; on the demo corpus, enriched and clustered by the real pipeline.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from indexer import audit, reviews, users
from indexer.store import Store
from monitor.web.app import create_app
from tests.conftest import run_cli
from tests.test_api import build_web_store

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def review_db(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("review") / "monitor.db"
    build_web_store(db)
    with Store.open(db) as store:
        users.add(store, "ana", "analyst", PASSWORD)
        users.add(store, "vic", "viewer", PASSWORD)
    return db


@pytest.fixture
def db(review_db, tmp_path) -> Path:
    """A private copy of the reviewed store for a test that changes it."""
    copy = tmp_path / "monitor.db"
    shutil.copy(review_db, copy)
    return copy


def token(db: Path, name: str) -> dict[str, str]:
    with Store.open(db) as store:
        return {"Authorization": f"Bearer {users.new_token(store, name)}"}


def queue_ids(db: Path, n: int) -> list[str]:
    with Store.open(db) as store:
        return [r["id"] for r in reviews.queue(store, n)]


def login(client: TestClient, name: str, password: str = PASSWORD) -> tuple[int, str]:
    """Log in through the form; (status, CSRF token of the session or the error message)."""
    form = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    r = client.post("/login", data={"name": name, "password": password, "csrf": csrf}, follow_redirects=False)
    if r.status_code != 303:
        return r.status_code, re.search(r'id="login-error">([^<]+)<', r.text).group(1)
    page = client.get("/incidents")
    return 303, re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


# ----------------------------------------------------------------------------------------------- accounts
def test_users_cli(db, monkeypatch):
    import settings as config
    from monitor.cli import app

    monkeypatch.setattr(config, "DB", str(db))
    cli = CliRunner()
    r = cli.invoke(app, ["users", "add", "olga", "--role", "admin"], input="s3cret-pass\ns3cret-pass\n")
    assert r.exit_code == 0, r.output
    assert cli.invoke(app, ["users", "add", "olga", "--password", "whatever1"]).exit_code == 1
    assert "unknown role" in str(cli.invoke(app, ["users", "add", "x", "--role", "boss", "--password", "p" * 9])
                                 .exception)
    r = cli.invoke(app, ["users", "list", "--json"])
    assert '"name": "olga"' in r.output and '"role": "admin"' in r.output
    issued = cli.invoke(app, ["users", "token", "olga"]).output.strip()
    with TestClient(create_app(db)) as client:
        auth = {"Authorization": f"Bearer {issued}"}
        assert client.get("/api/incidents", headers=auth).status_code == 200
        with Store.open(db) as store:  # stored hashed
            stored = store.conn.execute("SELECT token_hash FROM api_tokens").fetchall()
        assert stored and issued not in [row[0] for row in stored]
        assert cli.invoke(app, ["users", "revoke", "olga"]).exit_code == 0
        assert client.get("/api/incidents", headers=auth).status_code == 401
        assert login(client, "olga", "s3cret-pass")[0] == 303
        assert cli.invoke(app, ["users", "passwd", "olga", "--password", "new-pass-123"]).exit_code == 0
        assert login(client, "olga", "s3cret-pass")[0] == 401 and login(client, "olga", "new-pass-123")[0] == 303
        assert cli.invoke(app, ["users", "disable", "olga"]).exit_code == 0
        assert login(client, "olga", "new-pass-123")[0] == 401
    with Store.open(db) as store:
        actions = [e["action"] for e in audit.entries(store, subject="user:olga")]
    assert actions == ["user.disable", "login", "user.passwd", "login", "user.revoke", "user.token", "user.add"]


def test_reading_needs_a_login_unless_public(review_db):
    with TestClient(create_app(review_db)) as client:
        r = client.get("/incidents", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Fincidents"
        assert client.get("/api/incidents").status_code == 401
        assert client.get("/api/search", params={"q": "crimea"}).status_code == 401
        assert client.get("/api/incidents", headers=token(review_db, "vic")).status_code == 200
    with TestClient(create_app(review_db, public_read=True)) as client:
        assert client.get("/incidents").status_code == 200
        assert client.post(f"/api/incidents/{queue_ids(review_db, 1)[0]}/confirm").status_code == 401


def test_session_cookie_and_no_user_enumeration(review_db):
    with TestClient(create_app(review_db), base_url="https://testserver") as client:
        form = client.get("/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
        r = client.post("/login", data={"name": "ana", "password": PASSWORD, "csrf": csrf, "next": "//evil.example/"},
                        follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/"  # never off-site after login
        cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("cm_session="))
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" in cookie
    with TestClient(create_app(review_db)) as client:
        unknown, wrong = login(client, "nobody-here"), login(client, "ana", "wrong password")
        assert unknown == wrong == (401, "wrong name or password")


def test_ten_failed_logins_throttle_the_account(db):
    with TestClient(create_app(db)) as client:
        for _ in range(10):
            assert login(client, "ana", "guess")[0] == 401
        status, message = login(client, "ana")  # the right password no longer helps
        assert status == 429 and "too many failed logins" in message
        assert login(client, "vic")[0] == 303  # another account from the same client still logs in
        for _ in range(10):
            login(client, "no-such-user", "guess")
        assert login(client, "no-such-user", "guess")[0] == 429  # unknown names throttle alike


def test_forms_and_session_writes_need_the_csrf_token(db):
    incident = queue_ids(db, 1)[0]
    with TestClient(create_app(db)) as client:
        _, csrf = login(client, "ana")
        assert client.post(f"/review/{incident}/confirm", data={}).status_code == 403
        assert client.post(f"/review/{incident}/confirm", data={"csrf": "forged"}).status_code == 403
        assert client.post(f"/api/incidents/{incident}/confirm").status_code == 403
        with Store.open(db) as store:
            assert reviews.review(store, incident)["status"] == "new"
        r = client.post(f"/api/incidents/{incident}/confirm", headers={"X-CSRF-Token": csrf})
        assert r.status_code == 200 and r.json()["review"]["status"] == "confirmed"
        r = client.post("/login", data={"name": "ana", "password": PASSWORD}, follow_redirects=False)
        assert r.status_code == 403  # the login form has its own token


def test_a_viewer_gets_403_on_every_write(review_db):
    """Every route that writes, found from the app itself, in the API (token) and the UI (session + CSRF)."""
    from monitor.web import api, pages, review

    incident = queue_ids(review_db, 1)[0]
    app = create_app(review_db)
    writes = [(method, route.path) for router in (api.router, pages.router, review.api_router, review.page_router)
              for route in router.routes for method in getattr(route, "methods", ())
              if method in ("POST", "PUT", "PATCH", "DELETE")]
    assert len(writes) >= 15
    with TestClient(app) as client:
        viewer_token = token(review_db, "vic")
        _, csrf = login(client, "vic")
        for method, path in writes:
            url = path.format(incident_id=incident, article_id="0" * 16, name="rule")
            headers = viewer_token if path.startswith("/api") else {}
            r = client.request(method, url, headers=headers, data=None if path.startswith("/api") else {"csrf": csrf})
            assert r.status_code == 403, (method, path, r.status_code)
        page = client.get(f"/incidents/{incident}")
        assert page.status_code == 200 and 'id="confirm-button"' not in page.text
    with Store.open(review_db) as store:
        assert reviews.review(store, incident)["status"] == "new"


# -------------------------------------------------------------------------------------------------- review
def test_review_through_the_api(db):
    a, b, c, d = queue_ids(db, 4)
    auth = token(db, "ana")
    with TestClient(create_app(db)) as client:
        assert client.get("/api/review/queue", headers=auth).json()["incidents"][0]["id"] == a
        r = client.post(f"/api/incidents/{a}/confirm", json={"notes": "checked with the family"}, headers=auth)
        assert r.status_code == 200 and r.json()["review"]["status"] == "confirmed"
        r = client.patch(f"/api/incidents/{a}", json={"victims": ["Ivan Testov"], "count": 1, "legal_article": "212"},
                         headers=auth)
        assert r.status_code == 200
        body = r.json()
        assert [v["text"] for v in body["victims"]] == ["Ivan Testov"] and body["count"] == 1
        assert body["review"]["legal_article"] == "212" and "victims" in body["corrected"]
        with Store.open(db) as store:  # merge by picking: active incidents of the same type, nearest first
            picked = [store.incident(m["id"]) for m in body["merge_candidates"]]
        assert picked and all(p["type"] == body["type"] and p["status"] == "active" and p["id"] != a for p in picked)
        bad = client.patch(f"/api/incidents/{a}", json={"event_date": "2026-13-01"}, headers=auth)
        assert bad.status_code == 422 and "not a date" in bad.json()["error"]
        assert client.post(f"/api/incidents/{b}/reject", json={"reason": "because"}, headers=auth).status_code == 422
        r = client.post(f"/api/incidents/{b}/reject", json={"reason": "not_in_crimea"}, headers=auth)
        assert r.json()["review"] == {**r.json()["review"], "status": "rejected", "reason": "not_in_crimea"}
        r = client.post(f"/api/incidents/{c}/merge", json={"into": d}, headers=auth)
        assert r.status_code == 200 and r.json()["id"] == d
        assert client.get(f"/api/incidents/{c}", headers=auth).json()["id"] == d  # the old id resolves
        with Store.open(db) as store:
            assert reviews.review(store, c)["status"] == "merged" and reviews.review(store, c)["merged_into"] == d
        reports = [x["id"] for x in client.get(f"/api/incidents/{d}", headers=auth).json()["reports"]]
        assert len(reports) >= 2
        r = client.delete(f"/api/incidents/{d}/articles/{reports[0]}", headers=auth)
        assert r.status_code == 200 and reports[0] not in [x["id"] for x in r.json()["reports"]]
        r = client.put(f"/api/incidents/{d}/articles/{reports[0]}", headers=auth)
        assert reports[0] in [x["id"] for x in r.json()["reports"]]
        history = client.get(f"/api/incidents/{a}/history", headers=auth).json()["history"]
        assert [h["action"] for h in history] == ["review.edit", "review.confirm"]
        assert history[0]["actor"] == "ana" and history[0]["after"]["victims"] == ["Ivan Testov"]
        assert history[0]["before"]["victims"] != ["Ivan Testov"]
        assert "review.merge" in [h["action"] for h in client.get(f"/api/incidents/{d}/history",
                                                                   headers=auth).json()["history"]]
        assert client.get(f"/api/incidents/inc-{'0' * 12}/history", headers=auth).status_code == 404


def test_audit_verify_names_the_tampered_row(db):
    first, second = queue_ids(db, 2)
    with Store.open(db) as store:
        from pipelines import review

        review.confirm(store, first, "ana")
        review.reject(store, second, "ana", "duplicate")
        seq = audit.entries(store, subject=first)[0]["seq"]
        head = audit.entries(store, limit=1)[0]["hash"]
    ok = run_cli(["audit", "verify"], db)
    assert ok.returncode == 0 and "chain verified" in ok.stdout and f"head {head}" in ok.stdout
    with Store.open(db) as store:
        with pytest.raises(Exception, match="append-only"):
            store.conn.execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = ?", (seq,))
        # someone with the file can drop the guard; the chain still tells
        store.conn.execute("DROP TRIGGER audit_log_no_update")
        store.conn.execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = ?", (seq,))
    bad = run_cli(["audit", "verify"], db)
    assert bad.returncode == 1 and f"broken at row {seq}" in bad.stderr and "edited" in bad.stderr
    log = run_cli(["audit", "log", "--incident", first, "--json"], db)
    assert log.returncode == 0 and '"action": "review.confirm"' in log.stdout and second not in log.stdout


# ---------------------------------------------------------------------------------------- decisions last
def test_human_decisions_survive_enrich_all(db):
    """Review the demo's incidents from the CLI, re-enrich everything, and find every decision and edit intact."""
    from pipelines.review import article_ids, state

    confirmed, rejected, gone, kept, split_me = queue_ids(db, 5)
    with Store.open(db) as store:
        multi = [r["id"] for r in reviews.queue(store, 200) if r["article_count"] >= 2
                 and r["id"] not in (confirmed, rejected, gone, kept)]
    split_me = multi[0]
    steps = [
        ["review", "confirm", confirmed, "--by", "ana"],
        ["review", "edit", confirmed, "--set", "victims=Ivan Testov; Olena Example", "--set", "count=2", "--by", "ana"],
        ["review", "reject", rejected, "--reason", "not_an_incident", "--by", "ana"],
        ["review", "merge", gone, "--into", kept, "--by", "ana"],
        ["review", "confirm", kept, "--by", "ana"],
    ]
    for args in steps:
        r = run_cli(args, db)
        assert r.returncode == 0, (args, r.stderr)
    with Store.open(db) as store:
        parts = article_ids(store, split_me)
        detached = article_ids(store, kept)[-1]
    assert run_cli(["review", "split", split_me, "--part", parts[0], "--part", ",".join(parts[1:])],
                   db).returncode == 0
    assert run_cli(["review", "detach", kept, detached], db).returncode == 0
    with Store.open(db) as store:
        before = {i: state(store, i) for i in (confirmed, rejected, gone, kept, split_me)}
        split_parts = before[split_me]["parts"]
        before.update({p: state(store, p) for p in split_parts})
        queue_before = {r["id"] for r in reviews.queue(store, 1000)}

    r = run_cli(["enrich", "--all"], db, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    # unchanged NLP output leaves clustering alone; --recluster makes it redo every article from scratch
    r = run_cli(["incidents", "--recluster", "--limit", "1"], db, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]

    with Store.open(db) as store:
        after = {i: state(store, i) for i in before}
        assert store.resolve_incident(gone) == kept
        assert detached not in article_ids(store, kept)
        queue_after = {r["id"] for r in reviews.queue(store, 1000)}
    assert after == before
    assert after[confirmed]["victims"] == ["Ivan Testov", "Olena Example"] and after[confirmed]["count"] == 2
    assert after[rejected]["status"] == "rejected" and rejected not in queue_after
    assert not ({confirmed, rejected, kept, split_me} & queue_after)
    assert len(queue_after) <= len(queue_before) + 1  # the detached article may open one new incident


# ------------------------------------------------------------------------------------- alerts and exports
def test_alert_rules_filter_on_review_status(db, tmp_path):
    from alerts.rules import load_alerts
    from pipelines import review
    from pipelines.alerting import run_alerts

    alerts = tmp_path / "alerts.toml"
    alerts.write_text('[channels.desk]\ntype = "console"\n\n[[rules]]\nname = "verified"\nquery = "status:confirmed"\n'
                      'channels = ["desk"]\n\n[[rules]]\nname = "triage"\nquery = "status:new type:search"\n'
                      'channels = ["desk"]\n', encoding="utf-8")
    config = load_alerts(alerts)
    with Store.open(db) as store:
        first = run_alerts(store, config, deliver=False)
        assert first.fired == []  # every incident is older than the rules
        searches = [r["id"] for r in reviews.queue(store, 500) if r["type"] == "search" and not r["recap_only"]]
        review.confirm(store, searches[0], "ana")
        second = run_alerts(store, config, deliver=False)
        # confirmed after the rule was made: news to the verified channel; an old new incident is not
        assert second.fired == [("verified", searches[0])]
        backfill = run_alerts(store, config, deliver=False, backfill=True)
        fired = {i for rule, i in backfill.fired if rule == "triage"}
        assert searches[1] in fired and searches[0] not in fired
    with TestClient(create_app(db, public_read=True)) as client:
        r = client.get("/api/search", params={"q": "status:confirmed"})
        assert r.status_code == 400 and "alert rules" in r.json()["error"]


def test_incidents_export(db, monkeypatch):
    import csv
    import io
    import json

    import settings as config
    from monitor.cli import app
    from pipelines import review

    first, second = queue_ids(db, 2)
    with Store.open(db) as store:
        review.confirm(store, first, "ana")
        review.edit(store, first, "ana", {"victims": "Ivan Testov; Olena Example", "legal_article": "Art. 212"})
        review.reject(store, second, "ana", "duplicate")
    monkeypatch.setattr(config, "DB", str(db))
    cli = CliRunner()
    out = cli.invoke(app, ["incidents", "export", "--status", "confirmed"])
    assert out.exit_code == 0, out.output
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert [r["id"] for r in rows] == [first]
    assert rows[0]["victims"] == "Ivan Testov; Olena Example" and rows[0]["legal_article"] == "Art. 212"
    assert rows[0]["sources"].startswith("http://127.0.0.1/") and rows[0]["reviewed_by"] == "ana"
    out = cli.invoke(app, ["incidents", "--status", "rejected", "--format", "jsonl"])
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert [(x["id"], x["reason"]) for x in lines] == [(second, "duplicate")]
    out = cli.invoke(app, ["incidents", "export", "--status", "confirmed", "--format", "uwazi"])
    uwazi = list(csv.DictReader(io.StringIO(out.stdout)))
    assert uwazi[0]["title"] and uwazi[0]["victims"] == "Ivan Testov|Olena Example"
    assert re.fullmatch(r"-?[\d.]+\|-?[\d.]+", uwazi[0]["geolocation"]) or uwazi[0]["geolocation"] == ""
    assert cli.invoke(app, ["incidents", "export", "--status", "approved"]).exit_code == 2
    with TestClient(create_app(db)) as client:
        auth = token(db, "vic")
        r = client.get("/api/export/incidents", params={"status": "confirmed"}, headers=auth)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        assert r.text == cli.invoke(app, ["incidents", "export", "--status", "confirmed"]).stdout
        assert client.get("/api/export/incidents", params={"format": "xml"}, headers=auth).status_code == 422
        listed = client.get("/api/incidents", params={"limit": 200}, headers=auth).json()["incidents"]
        assert {i["id"]: i["review_status"] for i in listed}[second] == "rejected"
        assert '<td class="status-' in client.get("/incidents", headers=auth).text


def test_monthly_report(db, monkeypatch):
    import settings as config
    from monitor.cli import app
    from pipelines import review

    with Store.open(db) as store:
        september = [r["id"] for r in reviews.queue(store, 500)
                     if (r["event_date"] or r["first_reported_at"] or "")[:7] == "2026-09"][:3]
        for incident in september:
            review.confirm(store, incident, "ana")
        dated = store.incident(september[0])
    monkeypatch.setattr(config, "DB", str(db))
    cli = CliRunner()
    md = cli.invoke(app, ["report", "--month", "2026-09"]).stdout
    assert "3 confirmed incidents (2026-09-01 to 2026-09-30)" in md and "## Per week" in md
    assert all(f"`{i}`" in md for i in september) and "<http://127.0.0.1/" in md
    csv_text = cli.invoke(app, ["report", "--month", "2026-09", "--format", "csv"]).stdout
    assert f"type,{dated['type']}," in csv_text
    html = cli.invoke(app, ["report", "--month", "2026-09", "--format", "html"]).stdout
    assert "<style>" in html and html.count("<meter") >= 3 and "/static/app.js" not in html
    assert cli.invoke(app, ["report", "--month", "2026-13"]).exit_code == 1
    assert "0 confirmed incidents" in cli.invoke(app, ["report", "--month", "2026-10"]).stdout
    with TestClient(create_app(db)) as client:
        _, _ = login(client, "vic")  # a viewer may read the report
        page = client.get("/report", params={"month": "2026-09"})
        assert page.status_code == 200 and 'id="report-chart-data"' in page.text and 'id="report-map-data"' in page.text
        assert page.text.count('<li><b>') == 3
        assert client.get("/report", params={"month": "Sept"}).status_code == 422


def test_gold_export_of_reviewed_articles(db, tmp_path, monkeypatch):
    import json

    import settings as config
    from monitor.cli import app
    from pipelines import review
    from pipelines.gold import _article_incidents

    with Store.open(db) as store:
        # an article reporting two or more incidents: confirm the first, correct its victims, reject the others
        article, incidents = next((a, sorted(_article_incidents(store, a))) for (a,) in store.conn.execute(
            "SELECT article_id FROM incident_mentions GROUP BY article_id HAVING COUNT(DISTINCT incident_id) >= 2 "
            "ORDER BY article_id"))
        text = store.article(article).text
        keep, *others = incidents
        review.confirm(store, keep, "ana")
        review.edit(store, keep, "ana", {"victims": "Nobody Inventedname; " + text.split()[0]})
        for other in others:
            review.reject(store, other, "ana", "not_an_incident")
        kept = store.incident(keep)
    monkeypatch.setattr(config, "DB", str(db))
    out = CliRunner().invoke(app, ["gold", "export", "--reviewed"])
    assert out.exit_code == 0, out.output
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    item = next(i for i in lines if i["id"] == article)
    assert item["text"] == text and item["about_crimea"] is True
    assert [e["incident"] for e in item["events"]] == [keep]  # rejected incidents are no events
    assert item["events"][0]["type"] == kept["type"] and item["events"][0]["negated_or_hypothetical"] is False
    assert item["events"][0]["victims"] == [text.split()[0]]  # the corrected victim this article names
    gold = tmp_path / "reviewed.jsonl"
    gold.write_text(out.stdout, encoding="utf-8")
    scored = run_cli(["eval", str(gold), "--json"], db)
    assert scored.returncode == 0, scored.stderr
    assert json.loads(scored.stdout)["items"] == len(lines)
    assert CliRunner().invoke(app, ["gold", "export"]).exit_code == 1  # must say which articles
