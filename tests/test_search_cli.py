"""The search commands end to end: ``python -m monitor search|entity|export|reindex`` in a subprocess, with
CRIMEA_MONITOR_DB pointing at a real store and the Tantivy index beside it."""

from __future__ import annotations

import csv
import io
import json

import pytest

from indexer.store import Store
from monitor.commands_search import csv_cell, snippet_markup, snippet_plain, snippet_text
from tests.conftest import run_cli
from tests.test_index_pipeline import DZHEMILEV, build_store, closed_port


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    """Enriched, not indexed: the first search indexes them (on start)."""
    path = tmp_path_factory.mktemp("cli") / "monitor.db"
    build_store(path)
    return path


def search_json(db, *args: str) -> dict:
    result = run_cli(["search", *args, "--json"], db)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def hit_ids(data: dict) -> set[str]:
    return {h["id"] for h in data["hits"]}


def test_search_indexes_pending_on_start_and_spellings_agree(db):
    first = search_json(db, "person:Dzhemilev")
    with Store.open(db) as store:
        assert store.article_ids_with_status("enriched") == []
        assert len(store.article_ids_with_status("indexed")) == 4
    assert (db.parent / "monitor.index").is_dir()  # the index lives beside the store
    assert hit_ids(first) == {"a1", "a2", "a3"}
    assert first["total"] == 3
    assert hit_ids(search_json(db, "person:Jemilev")) == hit_ids(first)
    assert hit_ids(search_json(db, "person:Джемилев")) == hit_ids(first)


def test_search_place_type_and_facets(db):
    assert hit_ids(search_json(db, "place:Bakhchisaray")) == {"a2"}
    assert hit_ids(search_json(db, "type:detention")) == {"a4"}
    data = search_json(db, "type:detention modality:any", "--facets", "--sort", "date")
    assert [h["id"] for h in data["hits"]] == ["a4", "a2"]  # newest first
    assert dict(map(tuple, data["facets"]["type"])) == {"detention": 2, "search": 1}
    assert dict(map(tuple, data["facets"]["month"])) == {"2024-04": 1, "2025-01": 1}
    assert data["hits"][0]["published_at"] == "2025-01-07T09:30:00+00:00"


def test_search_paging(db):
    page1 = search_json(db, "person:Dzhemilev", "--sort", "date", "--limit", "2")
    page2 = search_json(db, "person:Dzhemilev", "--sort", "date", "--limit", "2", "--offset", "2")
    assert [h["id"] for h in page1["hits"]] == ["a3", "a2"]
    assert [h["id"] for h in page2["hits"]] == ["a1"]
    assert page1["total"] == page2["total"] == 3


def test_seed_query_of_the_issue(db):
    data = search_json(db, '"Crimean Tatars" type:deportation')
    assert hit_ids(data) == {"a1"}
    assert "<b>" in data["hits"][0]["snippet_html"]


def test_rich_output_renders_untrusted_text_literally(db):
    result = run_cli(["search", "journalist", "--facets"], db)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "1 result for journalist" in out
    assert "Journalist detained" in out and "zmina" in out and "2025-01-07" in out
    assert " detention " in out  # the incident-type badge
    assert "[red]boom[/red]" in out  # article text is never rich markup
    assert "<script>alert(1)</script>" in out  # HTML entities of the snippet are decoded for the terminal
    assert "<b>" not in out  # highlight tags become styles
    assert "Facets" in out


def test_malformed_query_exits_2_with_a_caret(db):
    result = run_cli(["search", "(detained AND"], db)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines[0].startswith("error: invalid query:")
    assert "column" in lines[0]
    query_line = lines.index("(detained AND")
    caret = lines[query_line + 1]
    assert caret.strip() == "^" and len(caret) - 1 == len("(detained AND")
    result = run_cli(["export", 'person:"unclosed', "--format", "csv"], db)
    assert result.returncode == 2 and "^" in result.stderr


def test_export_jsonl_and_csv(db, tmp_path):
    out = tmp_path / "hits.jsonl"
    result = run_cli(["export", "type:detention modality:any", "--format", "jsonl", "--output", str(out),
                      "--sort", "date"], db)
    assert result.returncode == 0, result.stderr
    assert "exported 2 articles" in result.stderr
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["a4", "a2"]
    assert rows[1] == {
        **rows[1],
        "source": "krymr",
        "lang": "en",
        "title": "Homes searched in Bakhchysarai",
        "url": "https://example.org/krymr/a2",
        "event_types": ["search"],
        "published_at": "2024-04-02T00:00:00+00:00",
    }
    assert "snippet" in rows[1] and "<b>" not in rows[1]["snippet"]

    result = run_cli(["export", "person:Jemilev", "--format", "csv", "--sort", "date"], db)
    assert result.returncode == 0, result.stderr
    table = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["id"] for r in table] == ["a3", "a2", "a1"]
    assert table[2]["event_types"] == "deportation"
    assert table[0]["title"] == "Джемилев о штрафах"

    result = run_cli(["export", "journalist", "--format", "csv"], db)
    (row,) = csv.DictReader(io.StringIO(result.stdout))
    assert row["title"].startswith("'=HYPERLINK")  # never a live spreadsheet formula


def test_entity_command(db):
    result = run_cli(["entity", "Джемилев", "--json"], db)
    assert result.returncode == 0, result.stderr
    (profile,) = json.loads(result.stdout)
    assert profile["id"] == DZHEMILEV
    assert profile["name"] == "Mustafa Dzhemilev"
    assert profile["mention_count"] == 4
    assert set(profile["aliases"]) == {"Jemilev", "Mustafa Jemilev", "Dzhemilev", "Джемилев"}
    assert {a["id"] for a in profile["articles"]} == {"a1", "a2", "a3"}
    assert profile["quotes"][0]["text"] == "They want us gone from our land,"

    result = run_cli(["entity", "Ivan Petrov"], db)
    assert result.returncode == 0, result.stderr
    assert "person:~ivan-petrov" in result.stdout
    assert "Incidents where a victim" in result.stdout and "detention" in result.stdout
    assert "aliases seen: " in result.stdout and "Petrov" in result.stdout

    result = run_cli(["entity", "Nobody Atall"], db)
    assert result.returncode == 1 and "no known person" in result.stderr


def test_reindex_rebuilds(db):
    result = run_cli(["reindex"], db)
    assert result.returncode == 0, result.stderr
    assert "reindexed 4 documents into tantivy in" in result.stdout
    assert hit_ids(search_json(db, "place:Bakhchisaray")) == {"a2"}


def test_reindex_into_an_empty_index_dir(tmp_path):
    build_store(tmp_path / "m.db")
    index_dir = tmp_path / "custom-index"
    result = run_cli(["reindex"], tmp_path / "m.db", CRIMEA_MONITOR_INDEX_DIR=str(index_dir))
    assert result.returncode == 0, result.stderr
    assert index_dir.is_dir()
    result = run_cli(["search", "person:Jemilev", "--json"], tmp_path / "m.db", CRIMEA_MONITOR_INDEX_DIR=str(index_dir))
    assert len(json.loads(result.stdout)["hits"]) == 3


def test_elasticsearch_down_is_one_line_and_loses_nothing(tmp_path):
    build_store(tmp_path / "m.db")
    env = {
        "CRIMEA_MONITOR_SEARCH_BACKEND": "elasticsearch",
        "CRIMEA_MONITOR_ELASTICSEARCH_URL": f"http://127.0.0.1:{closed_port()}",
    }
    for args in (["search", "crimean"], ["reindex"], ["export", "crimean"]):
        result = run_cli(args, tmp_path / "m.db", **env)
        assert result.returncode == 1, (args, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr
        (line,) = result.stderr.strip().splitlines()
        assert line.startswith("error: Elasticsearch at http://127.0.0.1:") and "unavailable" in line
    with Store.open(tmp_path / "m.db") as store:
        assert len(store.article_ids_with_status("enriched")) == 4


def test_elasticsearch_without_url_is_a_clear_error(tmp_path):
    build_store(tmp_path / "m.db", ("a1",))
    result = run_cli(["search", "crimean"], tmp_path / "m.db", CRIMEA_MONITOR_SEARCH_BACKEND="elasticsearch")
    assert result.returncode == 1
    assert "CRIMEA_MONITOR_ELASTICSEARCH_URL" in result.stderr and "Traceback" not in result.stderr


# ------------------------------------------------------------------------------------------ unit: rendering
def test_snippet_conversion_escapes_markup():
    html_snippet = "the <b>FSB</b> said [bold]x[/bold] &lt;script&gt; &amp; \x1b[31mred"
    text = snippet_text(html_snippet)
    assert text.plain == "the FSB said [bold]x[/bold] <script> & [31mred"
    assert [text.plain[s.start:s.end] for s in text.spans] == ["FSB"]
    markup = snippet_markup(html_snippet)
    assert "\\[bold]" in markup and "FSB" in markup
    assert snippet_plain("<b>a</b> b") == "a b"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("=1+1", "'=1+1"), ("+7", "'+7"), ("-x", "'-x"), ("@SUM(A1)", "'@SUM(A1)"), ("plain", "plain"), (None, "")],
)
def test_csv_cells_are_never_formulas(value, expected):
    assert csv_cell(value) == expected


def test_search_works_while_another_process_writes_the_index(tmp_path):
    """The daemon keeps the Tantivy writer open; a search from the command line still answers meanwhile."""
    from pipelines.index import backend_from_settings

    db = tmp_path / "m.db"
    build_store(db)
    with Store.open(db) as store:
        holder = backend_from_settings(db, store, kind="tantivy", index_dir="")
        holder.index([])  # takes the index's writer lock and keeps it, as a long-running writer does
        try:
            result = run_cli(["search", "crimean", "--limit", "1"], db)
        finally:
            holder.close()
    assert result.returncode == 0, result.stderr
    assert "searching without catching up" in result.stderr
