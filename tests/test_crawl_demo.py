"""One real crawl of the demo site (a real HTTP server on 127.0.0.1), then one test per trap and per guarantee."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from indexer.store import Store
from monitor.demo.corpus import load_corpus
from monitor.demo.site import SYNDICATION_NOTE, DemoSite
from pipelines.canonicalise import canonical_url
from tests.conftest import crawl_json, write_sources


@pytest.fixture(scope="module")
def crawled(tmp_path_factory, demo_site: DemoSite):
    directory = tmp_path_factory.mktemp("crawl")
    db = directory / "monitor.db"
    reports = crawl_json(db, write_sources(demo_site, directory))
    store = Store.open(db)
    yield demo_site, store, reports
    store.close()


def _stored_with(store: Store, paragraph: str) -> list[dict]:
    rows = store.conn.execute("SELECT * FROM articles WHERE instr(text, ?) > 0", (paragraph,)).fetchall()
    return [dict(r) for r in rows]


def _frontier(store: Store, url: str) -> dict:
    row = store.frontier_entry(url)
    assert row is not None, f"{url} never reached the frontier"
    return dict(row)


def test_every_corpus_article_is_stored_exactly_once(crawled):
    _site, store, _reports = crawled
    corpus = load_corpus()
    originals = store.conn.execute("SELECT COUNT(*) FROM articles WHERE near_duplicate_of IS NULL").fetchone()[0]
    assert originals == len(corpus)
    for article in corpus:
        rows = [r for r in _stored_with(store, article.paragraphs[1]) if r["near_duplicate_of"] is None]
        assert len(rows) == 1, f"{article.id} stored {len(rows)} times"


def test_report_counts_match_the_store(crawled):
    _site, store, reports = crawled
    new = sum(r["new"] for r in reports.values())
    assert new == store.conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    assert all(r["updated"] == 0 for r in reports.values())


def test_extracted_fields_and_three_dates(crawled):
    _site, store, _ = crawled
    for article in load_corpus():
        row = next(r for r in _stored_with(store, article.paragraphs[1]) if r["near_duplicate_of"] is None)
        assert row["title"] == article.title
        assert row["published_at"][:10] == article.published_at.date().isoformat()
        assert row["lang"] == article.lang
        assert row["first_seen_at"][:10] != row["published_at"][:10] or row["first_seen_at"] >= row["published_at"]
        # navigation, ads, banners and reader comments stay out of the text
        for junk in ("Subscribe to my channel", "Cheap flights", "Casino", "Demo data:", "Most read"):
            assert junk not in row["text"], (article.id, junk)
        for paragraph in article.paragraphs:
            assert paragraph in row["text"], (article.id, paragraph[:60])


def test_raw_html_is_kept_as_evidence(crawled):
    site, store, _ = crawled
    article = load_corpus()[0]
    row = _stored_with(store, article.paragraphs[1])[0]
    snapshots = store.snapshots(row["id"])
    served, _charset = site.article_page(article)
    assert any(s["sha256"] == hashlib.sha256(served).hexdigest() for s in snapshots)
    own = next(s for s in snapshots if s["sha256"] == hashlib.sha256(served).hexdigest())
    assert store.snapshot_html(own["id"]) == served
    assert own["first_fetched_at"] and own["http_status"] == 200


def test_trap_404_entry_is_skipped_with_reason(crawled):
    site, store, reports = crawled
    entry = _frontier(store, f"{site.base_url}/crimea-herald/news/2026/11/deleted-story.html")
    assert (entry["state"], entry["reason"]) == ("skipped", "http 404")
    assert reports["demo-crimea-herald"]["skipped"]["http 404"] == 1


def test_trap_redirect_chain_stores_final_url_once(crawled):
    site, store, _ = crawled
    target = site.redirected()
    start = f"{site.base_url}/crimea-herald/go/{target.slug}"
    entry = _frontier(store, start)
    assert entry["state"] == "done"
    article = store.article(entry["article_id"])
    assert article.url == site.base_url + site.url_for(target)
    kinds = {u["url"]: u["kind"] for u in store.article_urls(article.id)}
    assert kinds[start] == "redirect"
    assert kinds[f"{site.base_url}/crimea-herald/r/{target.slug}"] == "redirect"


def test_trap_redirect_loop_is_skipped(crawled):
    site, store, reports = crawled
    entry = _frontier(store, f"{site.base_url}/crimea-herald/loop/a")
    assert (entry["state"], entry["reason"]) == ("skipped", "redirect loop")
    assert reports["demo-crimea-herald"]["skipped"]["redirect loop"] == 1


def test_trap_windows_1251_page_is_decoded(crawled):
    site, store, _ = crawled
    article = site.windows_1251()
    assert article is not None, "the corpus needs a Russian article encodable as windows-1251"
    body, charset = site.article_page(article)
    assert charset == "windows-1251"
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    rows = _stored_with(store, article.paragraphs[0])
    assert len(rows) == 1 and rows[0]["lang"] == "ru"


def test_trap_same_article_under_two_urls(crawled):
    site, store, _ = crawled
    printed = site.printed()
    clean = site.base_url + site.url_for(printed)
    print_url = f"{site.base_url}/peninsula-watch/print/{printed.slug}"
    tracked = f"{clean}?utm_source=atom&utm_medium=feed#comments"
    assert canonical_url(tracked) == clean  # tracking parameters and #fragment gone
    rows = _stored_with(store, printed.paragraphs[1])
    assert len(rows) == 1, "one article row for the story, its print version and its tracked link"
    article = rows[0]
    # whichever of the two pages was fetched first is the article; the other is recorded as its duplicate
    assert article["url"] in (clean, print_url)
    other = print_url if article["url"] == clean else clean
    urls = {u["url"]: u["kind"] for u in store.article_urls(article["id"])}
    assert urls[other] == "duplicate"
    assert _frontier(store, tracked)["article_id"] == article["id"]


def test_trap_syndicated_near_copy_is_linked(crawled):
    site, store, reports = crawled
    original = site.syndicated()
    rows = store.conn.execute("SELECT * FROM articles WHERE instr(text, ?) > 0", (SYNDICATION_NOTE,)).fetchall()
    assert len(rows) == 1
    copy = rows[0]
    first = next(r for r in _stored_with(store, original.paragraphs[1]) if r["near_duplicate_of"] is None)
    assert copy["near_duplicate_of"] == first["id"]
    assert copy["near_duplicate_score"] >= 0.8
    # counted by the source whose article completed the pair (sources are crawled concurrently)
    assert sum(r["near_duplicates"] for r in reports.values()) == 1


def test_trap_oversized_page_is_skipped(crawled):
    site, store, _ = crawled
    entry = _frontier(store, f"{site.base_url}/crimea-herald/news/2026/11/full-report-archive.html")
    assert (entry["state"], entry["reason"]) == ("skipped", "too large")


def test_trap_slow_endpoint_times_out_and_stays_queued(crawled):
    site, store, reports = crawled
    entry = _frontier(store, f"{site.base_url}/steppe-courier/article/999-slow-report.html")
    assert entry["state"] == "pending" and entry["reason"] == "timeout" and entry["attempts"] == 1
    assert reports["demo-steppe-courier"]["errors"]["timeout"] == 1
    assert reports["demo-steppe-courier"]["new"] == len(site.by_outlet["steppe-courier"])


def test_trap_pdf_link_is_skipped_as_not_html(crawled):
    site, store, _ = crawled
    entry = _frontier(store, f"{site.base_url}/crimea-herald/files/annual-report-2026.pdf")
    assert (entry["state"], entry["reason"]) == ("skipped", "not HTML")


def test_trap_page_disallowed_by_robots_is_never_fetched(crawled):
    site, store, _ = crawled
    url = f"{site.base_url}/black-sea-daily/private/editorial-memo/"
    entry = _frontier(store, url)
    assert (entry["state"], entry["reason"]) == ("skipped", "disallowed by robots.txt")
    assert site.hits.get("/black-sea-daily/private/editorial-memo/", 0) == 0


def test_trap_broken_feed_is_an_error_but_the_source_still_works(crawled):
    site, store, reports = crawled
    report = reports["demo-peninsula-watch"]
    assert report["errors"] == {"broken feed": 1}
    assert report["new"] == len(site.by_outlet["peninsula-watch"])
    state = store.fetch_state(f"{site.base_url}/peninsula-watch/feed-broken.xml")
    assert state["errors"] == 1 and state["last_error"] == "broken feed"


def test_trap_too_short_page_is_skipped(crawled):
    site, store, _ = crawled
    entry = _frontier(store, f"{site.base_url}/crimea-herald/live/updates.html")
    assert (entry["state"], entry["reason"]) == ("skipped", "too short")


def test_trap_link_off_allowed_domains_is_not_fetched(crawled):
    site, store, _ = crawled
    url = f"http://localhost:{site.port}/crimea-herald/news/partner-story.html"
    entry = _frontier(store, url)
    assert (entry["state"], entry["reason"]) == ("skipped", "off allowed domains")
    assert site.hits.get("/crimea-herald/news/partner-story.html", 0) == 0


def test_sitemap_index_news_and_gzip_sitemaps_are_all_read(crawled):
    site, _store, reports = crawled
    expected = len(site.by_outlet["black-sea-daily"]) + 1  # + the syndicated copy
    assert reports["demo-black-sea-daily"]["new"] == expected
    assert site.hits.get("/black-sea-daily/sitemap-archive.xml.gz") == 1


def test_status_command_shows_queues(crawled, tmp_path: Path):
    from tests.conftest import run_cli

    _site, store, _ = crawled
    result = run_cli(["status", "--json"], Path(store.path))
    assert result.returncode == 0, result.stderr
    import json

    data = json.loads(result.stdout)
    assert data["articles_by_status"]["fetched"] == sum(data["articles_by_source"].values())
    assert data["frontier"]["pending"] == 1  # the slow page, queued for the next crawl
