"""Reviewing incidents in a real headless Chromium against uvicorn on 127.0.0.1, logged in as an analyst: the queue
from the keyboard, confirm, edit a victim, merge two, reject one, see the history; a viewer sees no forms and is
refused a forged write.
"""

from __future__ import annotations

import re

import pytest

from indexer import reviews, users
from indexer.store import Store
from tests.test_browser import pytestmark  # noqa: F401 - skipped alike when Chromium is missing
from tests.test_review import PASSWORD


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    import threading
    import time

    import uvicorn

    from monitor.web.app import create_app
    from tests.test_api import build_web_store

    db = tmp_path_factory.mktemp("browser-review") / "monitor.db"
    build_web_store(db)
    with Store.open(db) as store:
        users.add(store, "ana", "analyst", PASSWORD)
        users.add(store, "vic", "viewer", PASSWORD)
    srv = uvicorn.Server(uvicorn.Config(create_app(db), host="127.0.0.1", port=0, log_level="warning",
                                        access_log=False))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{srv.servers[0].sockets[0].getsockname()[1]}", db
    srv.should_exit = True
    thread.join(timeout=10)


def log_in(browser, base: str, name: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))  # type: ignore[attr-defined]
    page.goto(base + "/review")
    assert "/login?next=%2Freview" in page.url  # reading needs a login
    page.fill("#login-name", name)
    page.fill("#login-password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_selector("#whoami")
    return context, page


def test_analyst_reviews_incidents(browser, server, tmp_path):
    base, db = server
    context, page = log_in(browser, base, "ana")
    assert page.url.endswith("/review")
    assert page.locator(".review-item").count() == 20
    assert page.locator(".review-item .evidence mark").count() > 0  # the words that made the event, highlighted
    first = page.locator(".review-item").first.get_attribute("data-incident")
    second = page.locator(".review-item").nth(1).get_attribute("data-incident")
    page.keyboard.press("c")  # confirm the focused (first) incident from the keyboard
    page.wait_for_load_state()
    page.wait_for_selector("#review-queue")
    assert page.locator(f'[data-incident="{first}"]').count() == 0
    # reject the next one with a reason
    item = page.locator(f'[data-incident="{second}"]')
    item.locator("select[name=reason]").select_option("not_in_crimea")
    item.locator("button.reject").click()
    page.wait_for_selector("#review-queue")
    assert page.locator(f'[data-incident="{second}"]').count() == 0

    # edit the confirmed incident's victim
    page.goto(f"{base}/incidents/{first}")
    assert page.inner_text("#review-status") == "confirmed"
    page.click("#edit-panel summary")
    page.fill("#edit-victims", "Ivan Testov")
    page.click("#edit-save")
    page.wait_for_selector("#incident-victims")
    assert page.inner_text("#incident-victims").startswith("Ivan Testov")

    # merge two incidents by picking the other one
    third, fourth = [page_id for page_id in _queue(db)[:2]]
    page.goto(f"{base}/incidents/{third}")
    page.fill("#merge-into", fourth)
    page.click("#merge-button")
    page.wait_for_selector("#incident-title")
    assert page.url.endswith(f"/incidents/{fourth}")
    assert third in page.inner_text("#incident-history")

    # the history of the confirmed incident: who did what, before and after
    page.goto(f"{base}/incidents/{first}")
    history = page.inner_text("#incident-history")
    assert "ana review.edit" in history and "ana review.confirm" in history and "Ivan Testov" in history
    page.screenshot(path=str(tmp_path / "reviewed.png"), full_page=True)
    assert page.errors == []  # type: ignore[attr-defined]
    context.close()
    with Store.open(db) as store:
        assert reviews.review(store, second)["reason"] == "not_in_crimea"
        assert reviews.review(store, third)["merged_into"] == fourth


def test_viewer_sees_no_forms_and_is_refused(browser, server):
    base, db = server
    context, page = log_in(browser, base, "vic")
    assert page.locator("text=this needs the analyst role").count() == 1  # /review is for analysts
    incident = _queue(db)[0]
    page.goto(f"{base}/incidents/{incident}")
    assert page.locator("#incident-review form").count() == 0
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.content()).group(1)  # the logout form's token
    r = page.request.post(f"{base}/review/{incident}/confirm", form={"csrf": csrf})
    assert r.status == 403
    r = page.request.post(f"{base}/api/incidents/{incident}/confirm", headers={"X-CSRF-Token": csrf})
    assert r.status == 403
    context.close()


def _queue(db) -> list[str]:  # type: ignore[no-untyped-def]
    with Store.open(db) as store:
        return [r["id"] for r in reviews.queue(store, 10)]
