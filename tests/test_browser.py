"""The web UI in a real headless Chromium (Debian's /usr/bin/chromium driven by Playwright) against uvicorn on
127.0.0.1: search, facets, incidents, the chart and the map, and hostile article content that must stay text.

Screenshots go to the test's temporary directory (``pytest --basetemp=DIR`` keeps them somewhere known).
"""

from __future__ import annotations

import re
import shutil
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import CHROMIUM
from tests.test_api import XSS_ID, build_web_store

pytestmark = pytest.mark.skipif(
    shutil.which(CHROMIUM) is None,
    reason=f"{CHROMIUM} is missing: install Debian's browser with `apt-get install -y chromium`",
)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """uvicorn serving the app on 127.0.0.1 (a free port) in a thread of this process."""
    import uvicorn

    from monitor.web.app import create_app

    db = tmp_path_factory.mktemp("browser") / "monitor.db"
    build_web_store(db)
    config = uvicorn.Config(create_app(db, public_read=True), host="127.0.0.1", port=0, log_level="warning",
                            access_log=False)
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    port = srv.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}", db
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def page(browser, server):
    """A fresh page that records dialogs, page errors and CSP violations."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    p = context.new_page()
    p.dialogs = []  # type: ignore[attr-defined]
    p.errors = []  # type: ignore[attr-defined]

    def on_dialog(dialog) -> None:
        p.dialogs.append(dialog.message)  # type: ignore[attr-defined]
        dialog.dismiss()

    p.on("dialog", on_dialog)
    p.on("pageerror", lambda exc: p.errors.append(str(exc)))  # type: ignore[attr-defined]
    yield p
    context.close()


def shot(p, tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.png"
    p.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 5_000
    return path


def test_dashboard_draws_the_chart_and_the_map(page, server, tmp_path):
    base, _ = server
    page.goto(base + "/")
    page.wait_for_selector("#timeline-chart[data-drawn] svg")
    page.wait_for_selector("#places-map[data-drawn] svg")
    assert page.locator("#timeline-chart rect.segment").count() >= 10
    assert page.locator("#timeline-chart text.legend").count() >= 5
    assert page.locator("#places-map path.land").count() == 1
    assert page.locator("#places-map circle.point.hot").count() >= 5
    box = page.locator("#places-map svg").bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 150
    # a bar segment links to the search for its type and month
    href = page.locator("#timeline-chart a").first.get_attribute("href")
    assert href is not None and re.match(r"^/search\?q=type%3A\w+%20date%3A\d{4}-\d{2}$", href)
    shot(page, tmp_path, "dashboard")
    assert page.errors == [] and page.dialogs == []


def test_search_and_click_a_facet(page, server, tmp_path):
    base, _ = server
    page.goto(base + "/search")
    page.fill("#q", "detained")
    page.press("#q", "Enter")
    page.wait_for_selector("#result-summary")
    before = int(re.search(r"(\d+) results?", page.inner_text("#result-summary")).group(1))
    assert before > 5
    assert page.locator("ol.hits mark").count() > 0
    facet = page.locator('[data-facet="place"] a').first
    value = facet.get_attribute("data-value")
    facet.click()
    page.wait_for_load_state()
    assert "place%3A" in page.url
    assert value in page.input_value("#q")
    after = int(re.search(r"(\d+) results?", page.inner_text("#result-summary")).group(1))
    assert 0 < after <= before
    shot(page, tmp_path, "search-facet")
    page.locator("ol.hits h2 a").first.click()
    page.wait_for_selector("#article-text")
    assert page.locator("#article-text a.mention").count() > 0


def test_open_an_incident(page, server, tmp_path):
    base, _ = server
    page.goto(base + "/")
    page.wait_for_selector("#places-map[data-drawn] svg")
    assert page.locator("#places-map a[href^='/incidents?place=']").count() > 0  # incidents on the map
    page.locator("header nav a", has_text="Incidents").click()
    page.wait_for_selector("#incident-summary")
    assert page.locator("tr.incident").count() > 5
    link = page.locator("tr.incident td:nth-child(3) a").first
    title = link.inner_text()
    link.click()
    page.wait_for_selector("#incident-title")
    assert page.inner_text("#incident-title") == title
    assert page.locator("#incident-reports li").count() >= 1
    shot(page, tmp_path, "incident")
    page.locator("#incident-reports a").first.click()
    page.wait_for_selector("#article-text")
    assert page.errors == [] and page.dialogs == []


def test_hostile_article_shows_as_text(page, server, tmp_path):
    base, _ = server
    page.goto(f"{base}/articles/{XSS_ID}")
    page.wait_for_selector("#article-text")
    assert '<script>window.__xss = "title"' in page.inner_text("#article-title")
    text = page.inner_text("#article-text")
    assert "<img src=x onerror=" in text and "<script>window.__xss = 'body'" in text
    assert page.locator("#article-text img, #article-text script, main script").count() == 0
    page.goto(base + "/search?q=xsspayload")
    page.wait_for_selector("ol.hits")
    assert "<script>" in page.inner_text("ol.hits")
    page.wait_for_timeout(300)
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.dialogs == [] and page.errors == []
    shot(page, tmp_path, "hostile")


def test_search_works_without_javascript(browser, server):
    base, _ = server
    context = browser.new_context(java_script_enabled=False)
    p = context.new_page()
    p.goto(base + "/")
    p.fill("header input[name=q]", "type:search")
    p.press("header input[name=q]", "Enter")
    p.wait_for_selector("#result-summary")
    assert p.locator("li.hit").count() > 0
    p.locator('[data-facet="type"] a').first.click()
    p.wait_for_selector("#result-summary")
    assert p.locator("li.hit").count() > 0
    context.close()
