"""Alert rules, matching, delivery over real local servers (SMTP, HTTP), once-only firing and the flood guard."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from alerts.channels import SIGNATURE_HEADER
from alerts.rules import AlertConfigError, load_alerts
from indexer.store import Store
from pipelines.alerting import run_alerts
from pipelines.incidents import cluster_pending
from tests.conftest import run_cli
from tests.incident_helpers import add_article, event

KURT = "person:~rustem-kurtmollaev"
SECRET = "s3cret-key"


def _config(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "alerts.toml"
    path.write_text(f'[channels.log]\ntype = "jsonl"\npath = "{tmp_path / "alerts.jsonl"}"\n\n{body}', "utf-8")
    return path


def _lines(tmp_path: Path) -> list[dict]:
    path = tmp_path / "alerts.jsonl"
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()] if path.exists() else []


def _cycle(store: Store, config_path: Path, **kwargs: object) -> object:
    cluster_pending(store)
    return run_alerts(store, load_alerts(config_path), **kwargs)


# --- rule validation ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ('name = "r1"\nquery = "type:search AND ("\nchannels = ["log"]', "rule 'r1': query:"),
        ('name = "r2"\nquery = "type:search"\nchannels = ["nowhere"]', "rule 'r2': unknown channel 'nowhere'"),
        ('name = "r3"\nquery = "type:search"\nchannels = ["log"]\nmin_sources = 0', "rule 'r3': min_sources"),
        ('name = "r4"\nquery = "type:search"\nchannels = ["log"]\ndigest = "weekly"', "rule 'r4': digest"),
        ('name = "r5"\nchannels = ["log"]', "rule 'r5': query is missing"),
        ('name = "r6"\nquery = "x"\nchannels = ["log"]\nchanels = ["log"]', "rule 'r6': unknown key(s) chanels"),
    ],
)
def test_invalid_rules_name_the_rule_and_the_problem(tmp_path: Path, rule: str, message: str) -> None:
    path = _config(tmp_path, f"[[rules]]\n{rule}\n")
    with pytest.raises(AlertConfigError) as info:
        load_alerts(path)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_invalid_file_fails_the_cli_with_one_line(tmp_path: Path) -> None:
    path = _config(tmp_path, '[[rules]]\nname = "bad"\nquery = "date:2024-13-01"\nchannels = ["log"]\n')
    result = run_cli(["alerts", "list"], tmp_path / "m.db", CRIMEA_MONITOR_ALERTS=str(path))
    assert result.returncode == 2
    assert "rule 'bad': query: invalid date" in result.stderr and "Traceback" not in result.stderr


def test_a_huge_digest_interval_is_refused_in_one_line(tmp_path: Path) -> None:
    path = _config(tmp_path, '[[rules]]\nname = "slow"\nquery = "type:search"\nchannels = ["log"]\n'
                             'digest = "every 99999999999999999999 hours"\n')
    with pytest.raises(AlertConfigError, match="rule 'slow': digest interval of 99999999999999999999 hours is too"):
        load_alerts(path)
    result = run_cli(["alerts", "list"], tmp_path / "m.db", CRIMEA_MONITOR_ALERTS=str(path))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and "at most 8784 hours" in result.stderr


def test_one_broken_rule_never_blocks_the_others(tmp_path: Path) -> None:
    from dataclasses import replace

    from pipelines.alerting import default_resolver

    config = load_alerts(_config(tmp_path, """
[[rules]]
name = "digest"
query = "type:search"
channels = ["log"]
digest = "every 1 hours"

[[rules]]
name = "broken"
query = "person:boom OR type:search"
channels = ["log"]

[[rules]]
name = "searches"
query = "type:search"
channels = ["log"]
"""))
    # a digest interval that overflows dates (what an unchecked file could hold) and a rule whose matching fails
    digest, broken, searches = config.rules
    config = replace(config, rules=(replace(digest, digest_hours=10**20), broken, searches))

    class Failing:
        def __init__(self, store: Store) -> None:
            self.resolver = default_resolver(store)

        def resolve(self, field: str, value: str) -> set[str]:
            if value == "boom":
                raise RuntimeError("the entity table is locked")
            return self.resolver.resolve(field, value)

    with Store.open(tmp_path / "m.db") as store:
        run_alerts(store, config, resolver=Failing(store))
        add_article(store, "a1", "2026-09-08T10:00:00+03:00", [event("search", "2026-09-08", KURT)])
        cluster_pending(store)
        first = run_alerts(store, config, resolver=Failing(store))  # the digest goes out: its clock starts
        add_article(store, "a2", "2026-10-08T10:00:00+03:00", [event("search", "2026-10-08", KURT)])
        cluster_pending(store)
        second = run_alerts(store, config, resolver=Failing(store))
    assert sorted(rule for rule, _ in first.fired + second.fired) == ["digest", "digest", "searches", "searches"]
    assert second.delivery.sent == 1 and second.delivery.failed == 1
    assert [e.split(":")[0] for e in second.errors] == ["rule 'broken' failed", "delivery failed"]
    assert "OverflowError" in second.errors[1]
    assert sorted(line["rule"] for line in _lines(tmp_path)) == ["digest", "searches", "searches"]


def test_default_alerts_toml_is_valid() -> None:
    config = load_alerts(Path(__file__).resolve().parent.parent / "alerts.toml")
    assert {c.type for c in config.channels.values()} == {"console", "jsonl"} and len(config.rules) >= 3


# --- firing once ------------------------------------------------------------------------------------------------
def test_update_without_realert_and_two_rules_each_once_across_restarts(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    config = _config(tmp_path, """
[[rules]]
name = "searches"
query = "type:search"
channels = ["log"]

[[rules]]
name = "kurtmollaev"
query = "person:~rustem-kurtmollaev AND Bakhchysarai"
channels = ["log"]

[[rules]]
name = "corroborated"
query = "type:search"
min_sources = 2
channels = ["log"]
""")
    with Store.open(db) as store:
        _cycle(store, config)  # rules are registered before any incident exists
        add_article(store, "a1", "2026-09-08T10:00:00+03:00",
                    [event("search", "2026-09-08", KURT, place="place:bakhchysarai")],
                    text="Officers searched a house in Bakhchysarai.")
        report = _cycle(store, config)
        assert sorted(rule for rule, _ in report.fired) == ["kurtmollaev", "searches"]
    with Store.open(db) as store:  # a restart: nothing is sent again
        report = _cycle(store, config)
        assert report.fired == [] and report.delivery.sent == 0
        # the same incident from a second source: updated (now corroborated) but not re-alerted by the others
        add_article(store, "b1", "2026-09-09T10:00:00+03:00", [event("search", None, KURT)], source="demo-b")
        report = _cycle(store, config)
        assert [rule for rule, _ in report.fired] == ["corroborated"]
        [incident] = store.list_incidents()
        assert incident["article_count"] == 2
    lines = _lines(tmp_path)
    assert sorted(line["rule"] for line in lines) == ["corroborated", "kurtmollaev", "searches"]
    assert len({line["alert_id"] for line in lines}) == 3


def test_flood_guard_over_an_existing_corpus(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    config = _config(tmp_path, '[[rules]]\nname = "all"\nquery = "type:search OR type:detention"\n'
                               'channels = ["log"]\n')
    with Store.open(db) as store:
        for n in range(5):
            add_article(store, f"old{n}", f"2026-09-0{n + 1}T10:00:00+03:00",
                        [event("detention", f"2026-09-0{n + 1}", f"person:~person-number{n}")])
        cluster_pending(store)  # an existing corpus, clustered before alerting was set up
    env = {"CRIMEA_MONITOR_ALERTS": str(config)}
    first = run_cli(["alerts", "run"], db, **env)
    assert first.returncode == 0, first.stderr
    assert "0 fired" in first.stderr and _lines(tmp_path) == []
    with Store.open(db) as store:
        add_article(store, "new", "2026-09-20T10:00:00+03:00", [event("search", "2026-09-20", KURT)])
    second = run_cli(["alerts", "run"], db, **env)
    assert "1 fired" in second.stderr and [line["incident"]["type"] for line in _lines(tmp_path)] == ["search"]
    backfill = run_cli(["alerts", "run", "--backfill"], db, **env)
    assert "5 fired" in backfill.stderr and len(_lines(tmp_path)) == 6
    log = run_cli(["alerts", "log", "--json"], db, **env)
    assert len(log.stdout.splitlines()) == 6


def _reenrich(store: Store, slug: str, published: str, events: list) -> None:
    """The article ``slug`` enriched again (better NLP) into ``events``."""
    add_article(store, slug, published, events)
    store.conn.execute("UPDATE articles SET clustered_at = '2000-01-01' WHERE url LIKE ?", (f"%/{slug}",))


def test_re_enrichment_never_alerts_old_reports_nor_alerted_incidents_again(tmp_path: Path) -> None:
    config = _config(tmp_path, '[[rules]]\nname = "kurt"\nquery = "person:~rustem-kurtmollaev"\n'
                               'channels = ["log"]\n\n[[rules]]\nname = "any"\nquery = "type:search OR type:detention"'
                               '\nchannels = ["log"]\n')
    seit = "person:~enver-seitumerov"
    with Store.open(tmp_path / "m.db") as store:
        add_article(store, "old", "2026-08-01T10:00:00+03:00", [event("search", "2026-08-01", seit)])
        _cycle(store, config)  # the rules are created after this report
        add_article(store, "a1", "2026-09-08T10:00:00+03:00", [event("search", "2026-09-08", KURT)])
        add_article(store, "b1", "2026-09-08T12:00:00+03:00", [event("search", "2026-09-08", seit)])
        first = _cycle(store, config)
        assert sorted(rule for rule, _ in first.fired) == ["any", "any", "kurt"]
        [kurt_incident] = [i for rule, i in first.fired if rule == "kurt"]
        # better NLP: the old report also tells of a detention (an incident nobody knew, but old news to the rules)
        _reenrich(store, "old", "2026-08-01T10:00:00+03:00",
                  [event("search", "2026-08-01", seit), event("detention", "2026-08-01", seit)])
        # ... and a1 is read as the search of both men: its incident moves into b1's, which now names Kurtmollaev
        _reenrich(store, "a1", "2026-09-08T10:00:00+03:00", [event("search", "2026-09-08", KURT, seit)])
        second = _cycle(store, config)
        assert second.fired == []
        moved_to = store.resolve_incident(kurt_incident)
        assert moved_to != kurt_incident and moved_to in {r["id"] for r in store.list_incidents()}
        assert sorted(r["type"] for r in store.list_incidents()) == ["detention", "search", "search"]
    assert len(_lines(tmp_path)) == 3


# --- webhook --------------------------------------------------------------------------------------------------
class _Hook:
    """A real HTTP server on 127.0.0.1 that fails the first ``fail`` requests, then checks signatures."""

    def __init__(self, fail: int = 0) -> None:
        self.fail = fail
        self.requests: list[tuple[bytes, str | None]] = []
        self.accepted: list[dict] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.requests.append((body, self.headers.get(SIGNATURE_HEADER)))
                if len(hook.requests) <= hook.fail:
                    self.send_response(503)
                    self.end_headers()
                    return
                expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
                ok = hmac.compare_digest(expected, self.headers.get(SIGNATURE_HEADER) or "")
                if ok:
                    hook.accepted.append(json.loads(body))
                self.send_response(204 if ok else 401)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook() -> Iterator[_Hook]:
    server = _Hook(fail=2)
    yield server
    server.close()


def _webhook_config(tmp_path: Path, url: str) -> Path:
    return _config(tmp_path, f'[channels.hook]\ntype = "webhook"\nurl = "{url}"\nsecret_env = "TEST_HOOK_SECRET"\n\n'
                             '[[rules]]\nname = "hooked"\nquery = "type:search"\nchannels = ["hook"]\n')


def test_webhook_failing_twice_is_delivered_on_the_third_run(tmp_path: Path, hook: _Hook,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_HOOK_SECRET", SECRET)
    monkeypatch.setattr("settings.ALERT_WEBHOOK_RETRIES", 0)
    config = _webhook_config(tmp_path, hook.url)
    db = tmp_path / "m.db"
    with Store.open(db) as store:
        _cycle(store, config)
        add_article(store, "a1", "2026-09-08T10:00:00+03:00", [event("search", "2026-09-08", KURT)])
        results = []
        for _ in range(4):
            report = _cycle(store, config)
            results.append((len(report.fired), report.delivery.sent, report.delivery.failed))
        assert results == [(1, 0, 1), (0, 0, 1), (0, 1, 0), (0, 0, 0)]
        attempts = store.delivery_log()
        assert [row["ok"] for row in reversed(attempts)] == [0, 0, 1]
        assert "HTTP 503" in attempts[-1]["error"]
    assert len(hook.requests) == 3 and len(hook.accepted) == 1
    assert hook.accepted[0]["alerts"][0]["incident"]["type"] == "search"


def test_webhook_retries_with_backoff_within_a_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server = _Hook(fail=1)
    try:
        monkeypatch.setenv("TEST_HOOK_SECRET", SECRET)
        monkeypatch.setattr("settings.ALERT_WEBHOOK_RETRIES", 2)
        monkeypatch.setattr("settings.ALERT_RETRY_BACKOFF_BASE", 0.2)
        config = _webhook_config(tmp_path, server.url)
        with Store.open(tmp_path / "m.db") as store:
            _cycle(store, config)
            add_article(store, "a1", "2026-09-08T10:00:00+03:00", [event("search", "2026-09-08", KURT)])
            started = time.monotonic()
            report = _cycle(store, config)
            assert report.delivery.sent == 1 and time.monotonic() - started >= 0.2
            assert [row["ok"] for row in reversed(store.delivery_log())] == [0, 1]
        assert len(server.accepted) == 1
    finally:
        server.close()


def test_webhook_with_a_wrong_secret_is_rejected_and_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server = _Hook()
    try:
        monkeypatch.setenv("TEST_HOOK_SECRET", "not-the-secret")
        monkeypatch.setattr("settings.ALERT_WEBHOOK_RETRIES", 0)
        config = _webhook_config(tmp_path, server.url)
        with Store.open(tmp_path / "m.db") as store:
            _cycle(store, config)
            add_article(store, "a1", "2026-09-08T10:00:00+03:00", [event("search", "2026-09-08", KURT)])
            report = _cycle(store, config)
            assert report.delivery.failed == 1 and store.alert_counts()["pending"] == 1
        assert server.accepted == []
    finally:
        server.close()


# --- e-mail ---------------------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_email_alert_reaches_a_real_smtp_server(tmp_path: Path) -> None:
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received = []

    class Keep(Message):
        def handle_message(self, message) -> None:
            received.append(message)

    port = _free_port()
    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        config = _config(tmp_path, f'[channels.mail]\ntype = "email"\nhost = "127.0.0.1"\nport = {port}\n'
                                   'sender = "monitor@example.org"\nto = ["desk@example.org"]\n\n'
                                   '[[rules]]\nname = "mailed"\nquery = "type:detention"\nchannels = ["mail"]\n')
        with Store.open(tmp_path / "m.db") as store:
            _cycle(store, config)
            add_article(store, "a1", "2026-09-08T10:00:00+03:00",
                        [event("detention", "2026-09-08", KURT, place="place:bakhchysarai")])
            report = _cycle(store, config)
            assert report.delivery.sent == 1
    finally:
        controller.stop()
    [message] = received
    assert message["To"] == "desk@example.org" and "[mailed] detention in Bakhchysarai" in message["Subject"]
    body = message.get_payload()[0].get_payload(decode=True).decode()
    assert "Kurtmollaev" in body


def test_digest_rule_sends_one_message_for_several_incidents(tmp_path: Path) -> None:
    config = _config(tmp_path, '[[rules]]\nname = "daily"\nquery = "type:search"\nchannels = ["log"]\n'
                               'digest = "every 24 hours"\n')
    with Store.open(tmp_path / "m.db") as store:
        _cycle(store, config)
        add_article(store, "a1", "2026-09-08T10:00:00+03:00", [event("search", "2026-09-08", KURT)])
        add_article(store, "a2", "2026-09-20T10:00:00+03:00", [event("search", "2026-09-20", KURT)])
        first = _cycle(store, config)
        assert first.delivery.sent == 2
        add_article(store, "a3", "2026-10-20T10:00:00+03:00", [event("search", "2026-10-20", KURT)])
        second = _cycle(store, config)
        assert len(second.fired) == 1 and second.delivery.waiting == 1 and second.delivery.sent == 0


def test_health_notice_goes_out_by_email_like_an_alert(tmp_path: Path) -> None:
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    from monitor.daemon.notify import AlertChannelsNotifier
    from pipelines.health import HealthNotice

    received = []

    class Keep(Message):
        def handle_message(self, message) -> None:
            received.append(message)

    port = _free_port()
    alerts = tmp_path / "alerts.toml"
    alerts.write_text(f'[channels.mail]\ntype = "email"\nhost = "127.0.0.1"\nport = {port}\n'
                      'sender = "monitor@example.org"\nto = ["desk@example.org"]\n', encoding="utf-8")
    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        notice = HealthNotice(problem_id=7, subject="qha", kind="stale", detail="nothing new for 9 days",
                              recovery=False, opened_at="2026-11-20T10:00:00+00:00")
        AlertChannelsNotifier(alerts, "*").deliver(notice)
    finally:
        controller.stop()
    [message] = received
    assert message["Subject"] == "[health] [crimea-monitor] health problem: qha is stale"
    assert "nothing new for 9 days" in message.get_payload()[0].get_payload(decode=True).decode()


def test_about_filter_in_rules_and_the_incident_list(tmp_path: Path) -> None:
    from alerts.matching import incident_doc, matches
    from indexer.query import parse, with_default_about
    from pipelines.alerting import default_resolver

    with Store.open(tmp_path / "about.db") as store:
        add_article(store, "raid", "2026-09-08T10:00:00+03:00",
                    [event("search", "2026-09-08", "Enver Seitumerov", place="place:bakhchysarai")])
        cluster_pending(store)
        (row,) = store.list_incidents()
        doc = incident_doc(store, row["id"])
        assert doc is not None and doc.about_crimea
        resolver = default_resolver(store)
        assert matches(parse("type:search about:crimea"), doc, resolver)
        assert not matches(parse("type:search NOT about:crimea"), doc, resolver)
        assert matches(with_default_about(parse("type:search")), doc, resolver)
        doc.about_crimea = False  # as if every report were judged not about Crimea
        assert not matches(with_default_about(parse("type:search")), doc, resolver)
        assert matches(with_default_about(parse("type:search about:any")), doc, resolver)
