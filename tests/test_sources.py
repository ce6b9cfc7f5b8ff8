"""The sources registry: the shipped file is valid; every kind of mistake gets one message naming file, line, key."""

from __future__ import annotations

from pathlib import Path

import pytest

import settings
from crawlers.sources import SourcesError, load_sources, parse_duration, parse_sources, select
from tests.conftest import run_cli

GOOD = """
[[source]]
id = "one"
name = "One"
kind = "feed"
start_urls = ["https://one.example/feed"]

[[source]]
id = "two"
name = "Two"
kind = "site"
start_urls = ["https://two.example/news/"]
article_pattern = "/news/\\\\d+"
interval = "2h"
language = "uk"
"""


def test_default_sources_file_lists_the_outlets():
    sources = load_sources(settings.SOURCES)
    ids = {s.id for s in sources}
    assert len(sources) >= 15
    for expected in ("qha", "krymr", "crimeahrg", "khpg", "zmina", "ctrcenter", "krymsos", "avdet", "ukrinform",
                     "pravda", "ohchr-ukraine", "hrw", "amnesty", "ovdinfo", "meduza"):
        assert expected in ids
    for source in sources:
        assert all(source.allows(url) for url in source.start_urls)


def test_good_file_parses_with_defaults():
    one, two = parse_sources(GOOD, "s.toml")
    assert one.interval_seconds == 3600 and one.language == "en" and one.allowed_domains == ("one.example",)
    assert two.interval_seconds == 7200 and two.article_pattern == "/news/\\d+" and two.language == "uk"
    assert two.allows("https://www.two.example/x") and not two.allows("https://evil.example/x")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (('id = "two"', 'id = "one"'), "s.toml:9, key 'id': duplicate id 'one'"),
        (('interval = "2h"', 'intervall = "2h"'), "s.toml:14 (source #2, id 'two'), key 'intervall': unknown key"),
        (('["https://one.example/feed"]', '["ftp://one.example/feed"]'), "key 'start_urls': 'ftp://one.example/feed'"),
        (('language = "uk"', "language = 7"), "key 'language': wrong type int; expected str"),
        (('kind = "feed"', 'kind = "rss"'), "key 'kind': 'rss' is not a kind; use one of feed, sitemap, site"),
        (('interval = "2h"', 'interval = "often"'), "key 'interval': 'often' is not a duration"),
        (('article_pattern = "/news/\\\\d+"', 'article_pattern = "(["'), "key 'article_pattern': not a valid regular"),
        (('name = "One"\n', ""), "missing required key 'name'"),
        (('id = "one"', 'id = "One Source"'), "key 'id': use lower-case letters"),
        (('start_urls = ["https://one.example/feed"]', 'start_urls = "https://one.example/feed"'),
         "key 'start_urls': wrong type str; expected list"),
        (("[[source]]\nid = \"two\"", "[[source]\nid = \"two\""), "s.toml: not valid TOML"),
    ],
)
def test_each_mistake_has_a_pointed_message(change, expected):
    old, new = change
    text = GOOD.replace(old, new, 1)
    assert text != GOOD
    with pytest.raises(SourcesError) as info:
        parse_sources(text, "s.toml")
    assert expected in str(info.value)
    assert "\n" not in str(info.value)


def test_start_url_outside_allowed_domains_is_refused():
    text = GOOD.replace('kind = "feed"', 'kind = "feed"\nallowed_domains = ["other.example"]', 1)
    with pytest.raises(SourcesError, match="outside allowed_domains; add its host"):
        parse_sources(text, "s.toml")


def test_site_source_needs_an_article_pattern():
    text = GOOD.replace('article_pattern = "/news/\\\\d+"\n', "", 1)
    with pytest.raises(SourcesError, match="key 'article_pattern': a source of kind 'site' needs a regex"):
        parse_sources(text, "s.toml")


def test_missing_file_and_unknown_id():
    with pytest.raises(SourcesError, match="no such sources file; create it or set CRIMEA_MONITOR_SOURCES"):
        load_sources("/nonexistent/sources.toml")
    sources = parse_sources(GOOD, "s.toml")
    with pytest.raises(SourcesError, match="unknown source id 'three'; known: one, two"):
        select(sources, ["three"])
    assert [s.id for s in select(sources, ["two"])] == ["two"]


def test_durations():
    assert parse_duration(15) == 900
    assert parse_duration("90s") == 90
    assert parse_duration("1d") == 86400
    for bad in ("0m", "5 weeks", -3, True):
        with pytest.raises(ValueError):
            parse_duration(bad)


def test_cli_reports_a_bad_file_in_one_line(tmp_path: Path):
    bad = tmp_path / "sources.toml"
    bad.write_text(GOOD.replace('kind = "feed"', 'kind = "rss"', 1), encoding="utf-8")
    for args in (["sources", "list"], ["crawl"], ["init"]):
        result = run_cli(args, tmp_path / "m.db", bad)
        assert result.returncode == 1, (args, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and f"{bad}:5" in lines[0] and "'rss' is not a kind" in lines[0], lines
