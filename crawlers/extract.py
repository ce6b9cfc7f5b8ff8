"""Main-text extraction: one step shared by every spider.

trafilatura does the work (title, main text without boilerplate or comments, author, publication date with htmldate
as its date engine, ``<link rel=canonical>``); py3langid names the language when the page does not. Extraction is
CPU-bound, so spiders run it in a process pool (see ``Extractor``) to keep the Scrapy reactor free for downloads.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import asdict, dataclass

import lxml.html
from htmldate import find_date

from crawlers.fingerprint import Fingerprint
from items import Evidence

_TEXT_LANG_MIN_CHARS = 200


@dataclass
class Extracted:
    title: str = ""
    text: str = ""
    author: str = ""
    published_at: str | None = None
    lang: str = ""
    canonical_url: str = ""


def _detect_language(text: str) -> str:
    import py3langid

    lang, _score = py3langid.classify(text[:1500])  # cost grows with length; 1,500 characters decide it
    return str(lang)


def _page_language(tree: lxml.html.HtmlElement) -> str:
    declared = tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang") or ""
    if not declared:
        for content in tree.xpath('//meta[@http-equiv="content-language" or @property="og:locale"]/@content'):
            declared = content
            break
    return declared.split("-")[0].split("_")[0].strip().lower()


def extract(html: str, url: str) -> Extracted:
    """Extract an article from decoded HTML. Never raises on bad markup: an unusable page gives empty text."""
    import trafilatura

    if not html.strip():
        return Extracted()
    try:
        tree = lxml.html.fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return Extracted()
    declared_lang = _page_language(tree)
    canonical = ""
    for href in tree.xpath('//link[@rel="canonical"]/@href'):
        canonical = href.strip()
        break
    doc = trafilatura.bare_extraction(
        html,
        url=url,
        fast=True,
        include_comments=False,
        include_tables=False,
        with_metadata=True,
        # htmldate's extensive search runs dateparser over page text: ~16 ms a page, most of the extraction time.
        # Meta tags, <time> and JSON-LD carry the date on news pages; find_date below still looks at the URL.
        date_extraction_params={"extensive_search": False, "original_date": True, "outputformat": "%Y-%m-%d"},
    )
    if doc is None:
        return Extracted(canonical_url=canonical, lang=declared_lang)
    title = (doc.title or "").strip()
    text = (doc.text or "").strip()
    # trafilatura keeps the <h1> as the first line of the text; the title is stored on its own.
    first, _, rest = text.partition("\n")
    if title and first.strip() == title:
        text = rest.strip()
    published = doc.date
    if not published:
        published = find_date(html, url=url, original_date=True, extensive_search=False)
    lang = declared_lang
    if len(text) >= _TEXT_LANG_MIN_CHARS or not lang:
        lang = _detect_language(text) if text else declared_lang
    return Extracted(
        title=title,
        text=text,
        author=(doc.author or "").strip(),
        published_at=published or None,
        lang=lang,
        canonical_url=canonical,
    )


def _extract_page(body: bytes, encoding: str, url: str) -> tuple[dict, Evidence, Fingerprint]:
    """Everything CPU-heavy about a page, done in a worker: decode, extract, fingerprint the text, hash and
    compress the evidence."""
    extracted = extract(body.decode(encoding or "utf-8", errors="replace"), url)
    return asdict(extracted), Evidence.of(body), Fingerprint.of(extracted.text)


def _exit_with_parent(parent: int) -> None:
    # A crawl killed with SIGKILL cannot shut its pool down, and its workers would live on (~200 MB each).
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def _warm_up() -> None:
    import py3langid
    import trafilatura  # noqa: F401

    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True, name="parent-watch").start()
    py3langid.classify("warm up the language model once per worker")


class Extractor:
    """Runs ``extract`` in worker processes (or inline with ``workers=0``) and awaits it from asyncio callbacks."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: Executor | None = None

    def _executor(self) -> Executor | None:
        if self.workers <= 0:
            return None
        if self._pool is None:
            # spawn, not fork: the parent runs a Twisted reactor and threads that must not be copied.
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(self.workers, mp_context=context, initializer=_warm_up)
        return self._pool

    async def __call__(self, body: bytes, encoding: str, url: str) -> tuple[Extracted, Evidence, Fingerprint]:
        """Extract an article from the raw body, decoded with the encoding Scrapy resolved for the response."""
        pool = self._executor()
        if pool is None:
            fields, evidence, fingerprint = _extract_page(body, encoding, url)
        else:
            fields, evidence, fingerprint = await asyncio.get_running_loop().run_in_executor(
                pool, _extract_page, body, encoding, url
            )
        return Extracted(**fields), evidence, fingerprint

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


_shared: Extractor | None = None
_users = 0


def acquire_extractor(workers: int) -> Extractor:
    """One pool per process, however many spiders run at once (2 cores do not want 2 pools per spider)."""
    global _shared, _users
    if _shared is None:
        _shared = Extractor(workers)
    _users += 1
    return _shared


def release_extractor() -> None:
    global _shared, _users
    _users = max(0, _users - 1)
    if _users == 0 and _shared is not None:
        _shared.close()
        _shared = None
