"""Main-text extraction: one step shared by every spider.

trafilatura does the work (title, main text without boilerplate or comments, author, publication date with htmldate
as its date engine, ``<link rel=canonical>``); py3langid names the language when the page does not. Extraction is
CPU-bound, so spiders run it in a process pool (see ``Extractor``) to keep the Scrapy reactor free for downloads.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import re
import threading
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import lxml.html
from htmldate import find_date

from crawlers.fingerprint import Fingerprint
from items import Evidence

_TEXT_LANG_MIN_CHARS = 200
_XML_DECLARATION = re.compile(r"^[\s\ufeff]*<\?xml[^>]*\?>", re.IGNORECASE)
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)
NAVIGATION_TITLES_FILE = Path(__file__).with_name("navigation_titles.txt")


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


@lru_cache(maxsize=1)
def navigation_titles() -> frozenset[str]:
    """Headings that name a menu, a section or a comment form rather than an article (a data file, one a line)."""
    lines = NAVIGATION_TITLES_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(_title_key(line) for line in lines if line.strip() and not line.lstrip().startswith("#"))


def _title_key(title: str) -> str:
    return " ".join(_NOT_WORD.sub(" ", title.casefold()).split())


def looks_like_navigation(title: str) -> bool:
    return _title_key(title) in navigation_titles()


def _page_titles(tree: lxml.html.HtmlElement) -> list[str]:
    """The page's own statements of its title, in order of trust: og:title, <title>, the first <h1>."""
    found = [str(v) for v in tree.xpath('//meta[@property="og:title"]/@content')[:1]]
    found += [str(v) for v in tree.xpath("//title/text()")[:1]]
    found += [h1.text_content() for h1 in tree.xpath("//h1")[:1]]
    return [" ".join(t.split()) for t in found if t.strip()]


def _choose_title(extracted: str, tree: lxml.html.HtmlElement) -> str:
    if extracted and not looks_like_navigation(extracted):
        return extracted
    return next((t for t in _page_titles(tree) if not looks_like_navigation(t)), extracted)


def _bare_extraction(html: str, url: str, fast: bool):  # type: ignore[no-untyped-def]
    import trafilatura

    return trafilatura.bare_extraction(
        html,
        url=url,
        fast=fast,
        include_comments=False,
        include_tables=False,
        with_metadata=True,
        # htmldate's extensive search runs dateparser over page text: ~16 ms a page, most of the extraction time.
        # Meta tags, <time> and JSON-LD carry the date on news pages; find_date below still looks at the URL.
        date_extraction_params={"extensive_search": False, "original_date": True, "outputformat": "%Y-%m-%d"},
    )


def extract(html: str, url: str, full_below: int = 0) -> Extracted:
    """Extract an article from decoded HTML. Never raises on bad markup: an unusable page gives empty text.

    trafilatura runs in fast mode first; when that gives fewer than ``full_below`` characters it runs again in its
    default mode, which compares its result with readability's and jusText's (table layouts, teaser-only
    <article> elements) and costs about twice as much, so only short results pay for it.
    """
    # lxml refuses a str that declares an encoding (XHTML's <?xml ...?>); the text is decoded already.
    html = _XML_DECLARATION.sub("", html, count=1)
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
    doc = _bare_extraction(html, url, fast=True)
    if full_below > 0 and len((doc.text or "") if doc is not None else "") < full_below:
        full = _bare_extraction(html, url, fast=False)
        if full is not None and len(full.text or "") > len((doc.text or "") if doc is not None else ""):
            doc = full
    if doc is None:
        return Extracted(canonical_url=canonical, lang=declared_lang, title=_choose_title("", tree))
    title = _choose_title((doc.title or "").strip(), tree)
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


def _extract_page(body: bytes, encoding: str, url: str, full_below: int) -> tuple[dict, Evidence, Fingerprint]:
    """Everything CPU-heavy about a page, done in a worker: decode, extract, fingerprint the text, hash and
    compress the evidence."""
    extracted = extract(body.decode(encoding or "utf-8", errors="replace"), url, full_below)
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

    def __init__(self, workers: int, full_below: int = 0) -> None:
        self.workers = workers
        self.full_below = full_below
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
            fields, evidence, fingerprint = _extract_page(body, encoding, url, self.full_below)
        else:
            fields, evidence, fingerprint = await asyncio.get_running_loop().run_in_executor(
                pool, _extract_page, body, encoding, url, self.full_below
            )
        return Extracted(**fields), evidence, fingerprint

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


_shared: Extractor | None = None
_users = 0


def acquire_extractor(workers: int, full_below: int = 0) -> Extractor:
    """One pool per process, however many spiders run at once (2 cores do not want 2 pools per spider)."""
    global _shared, _users
    if _shared is None:
        _shared = Extractor(workers, full_below)
    _users += 1
    return _shared


def release_extractor() -> None:
    global _shared, _users
    _users = max(0, _users - 1)
    if _users == 0 and _shared is not None:
        _shared.close()
        _shared = None
