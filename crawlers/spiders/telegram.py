"""Public Telegram channels, read from their web preview (``https://t.me/s/NAME``): no account, no API key.

The preview page lists the channel's latest posts (about twenty), oldest first, each a ``tgme_widget_message``
block whose ``data-post`` is ``channel/id``; a "more" link (``tme_messages_more``, ``?before=ID``) pages back.

- The first poll of a channel pages back until it has ``TELEGRAM_FIRST_POLL_POSTS`` posts or the channel's start;
  later polls read the newest page, and page back only while it does not reach the highest post id already stored
  (the FrontierMiddleware hands that id to the spider from the store).
- Every post on a page becomes an ``ArticleItem`` (its permalink is the article URL, the page it was read from is its
  evidence), and every page a ``PostWindow``: the range of ids it covers, so the store can mark a post it holds in
  that range and no longer sees as deleted. The newest page covers everything above its oldest post: a preview
  always shows the latest posts, so a stored post newer than all of them was deleted.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

from parsel import Selector
from scrapy.http import Response, TextResponse

from crawlers.spiders.base import SourceSpider, exchange_of, utc_now
from items import ArticleItem, Evidence, FetchFailure, PostInfo, PostWindow

_VIEWS_RE = re.compile(r"^\s*([\d.,]+)\s*([KM]?)\s*$", re.IGNORECASE)
_SENTENCE_END_RE = re.compile(r"(?<=[.!?…])\s")


def parse_views(text: str | None) -> int | None:
    """'4.85K' -> 4850, '1.2M' -> 1200000, '857' -> 857 (the preview rounds large counts)."""
    match = _VIEWS_RE.match(text or "")
    if not match:
        return None
    number = float(match.group(1).replace(",", "."))
    return round(number * {"": 1, "K": 1_000, "M": 1_000_000}[match.group(2).upper()])


def _text_of(node: Selector | None) -> str:
    """The visible text of a message body: <br> as line breaks, whitespace of the HTML source collapsed."""
    if node is None:
        return ""
    html = node.get() or ""
    html = re.sub(r"<br\s*/?>", "\n", html, flags=re.IGNORECASE)
    text = "".join(Selector(text=html).xpath("//text()").getall())
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return "\n".join(line for line in lines if line).strip()


def _title(channel_title: str, text: str) -> str:
    first = _SENTENCE_END_RE.split(text.strip(), maxsplit=1)[0].split("\n", 1)[0]
    if len(first) > 110:
        first = first[:107].rsplit(" ", 1)[0] + "…"
    return f"{channel_title}: {first}" if first else channel_title


class TelegramSpider(SourceSpider):
    name = "telegram"
    kind = "telegram"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.last_post_id = 0  # the highest post id stored for this channel; set by the FrontierMiddleware
        self.collected = 0

    async def start(self) -> AsyncIterator[Any]:
        yield self.listing_request(self.source.start_urls[0], self.parse_page, before=None)

    @property
    def depth(self) -> int:
        return max(1, self.settings.getint("TELEGRAM_FIRST_POLL_POSTS", 100))

    def _page_url(self, before: int) -> str:
        parts = urlsplit(self.source.start_urls[0])
        return parts._replace(query=urlencode({"before": before}), fragment="").geturl()

    def permalink(self, post: str) -> str:
        """``channel/123`` -> the post's own URL on the host the preview came from (https://t.me/channel/123)."""
        return urljoin(self.source.start_urls[0], "/" + post)

    def parse_page(self, response: Response) -> Iterator[Any]:
        before = response.meta.get("before")
        page = response if isinstance(response, TextResponse) else None
        messages = page.css(".tgme_widget_message[data-post]") if page is not None else []
        if page is None or (not messages and not page.css(".tgme_channel_history, .tgme_channel_info")):
            self.logger.warning("%s of source %s is not a channel preview page", response.url, self.source.id)
            yield FetchFailure(self.source.id, response.url, "not a channel page", permanent=False, is_feed=True)
            return
        self.crawler.stats.inc_value("monitor/feeds_parsed")
        fetched_at = utc_now()
        evidence = Evidence.of(response.body)
        exchange = exchange_of(response)
        header = page.css(".tgme_channel_info_header_title")
        channel_title = " ".join(header[0].css("::text").getall()).strip() if header else ""
        channel_title = channel_title or self.source.name
        ids: list[int] = []
        for message in messages:
            item = self._post_item(message, response, channel_title, fetched_at, evidence, exchange)
            if item is None:
                self.crawler.stats.inc_value("monitor/errors/malformed post")
                continue
            assert item.post is not None
            ids.append(item.post.post_id)
            yield item
        if ids or before is not None:
            low = min(ids) if ids else int(before)
            high = int(before) - 1 if before is not None else max([*ids, self.last_post_id])
            channel = self.source.channel or ""
            yield PostWindow(self.source.id, channel, low, high, sorted(ids), fetched_at)
        self.collected += len(ids)
        more = page.css("a.tme_messages_more[data-before]::attr(data-before)").get()
        if not ids or not more or not more.isdigit():
            return
        oldest = min(ids)
        wanted = self.collected < self.depth and (self.last_post_id == 0 or oldest > self.last_post_id + 1)
        if wanted:
            yield self.listing_request(self._page_url(int(more)), self.parse_page, before=int(more))

    def _post_item(self, message: Selector, response: Response, channel_title: str, fetched_at: str,
                   evidence: Evidence, exchange: Any) -> ArticleItem | None:
        post = message.attrib.get("data-post", "")
        channel, _, number = post.rpartition("/")
        if not channel or not number.isdigit():
            self.logger.info("post without a usable data-post (%r) on %s", post, response.url)
            return None
        bubble_text = message.css(".tgme_widget_message_bubble > .tgme_widget_message_text")
        body = bubble_text[0] if bubble_text else None
        if body is None:
            direct = message.xpath(".//div[contains(@class, 'tgme_widget_message_text')]"
                                   "[not(ancestor::a[contains(@class, 'tgme_widget_message_reply')])]")
            body = direct[0] if direct else None
        text = _text_of(body)
        links = []
        if body is not None:
            for href in body.css("a::attr(href)").getall():
                href = href.replace("&amp;", "&")  # the preview double-escapes '&' in links
                if href.startswith(("http://", "https://")) and href not in links:
                    links.append(href)
        preview_link = message.css("a.tgme_widget_message_link_preview::attr(href)").get()
        if preview_link and preview_link not in links:
            links.append(preview_link)
        captions = []
        has_media = bool(message.css(".tgme_widget_message_photo_wrap, .tgme_widget_message_video_player, "
                                     ".tgme_widget_message_document"))
        if has_media and text:
            captions.append(text)  # on a photo, video or document post the text is that media's caption
        for title in message.css(".tgme_widget_message_document_title ::text").getall():
            if title.strip():
                captions.append(title.strip())
        if not text and captions:
            text = "\n".join(captions)
        forwarded = message.css(".tgme_widget_message_forwarded_from_name")
        forwarded_from = None
        if forwarded:
            forwarded_from = forwarded.attrib.get("href") or " ".join(forwarded.css("::text").getall()).strip()
        reply_href = message.css("a.tgme_widget_message_reply::attr(href)").get()
        reply_to = "/".join(urlsplit(reply_href).path.strip("/").split("/")[-2:]) if reply_href else None
        posted_at = message.css(".tgme_widget_message_date time::attr(datetime)").get()
        meta = " ".join(message.css(".tgme_widget_message_meta ::text").getall())
        info = PostInfo(
            channel=channel,
            post_id=int(number),
            posted_at=posted_at,
            views=parse_views(message.css(".tgme_widget_message_views::text").get()),
            forwarded_from=forwarded_from,
            reply_to=reply_to,
            links=links,
            captions=captions,
            edited="edited" in meta.lower(),
        )
        url = self.permalink(post)
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1").strip()
        return ArticleItem(
            source_id=self.source.id,
            url=url,
            final_url=response.url,
            fetched_at=fetched_at,
            http_status=response.status,
            content_type=content_type,
            evidence=evidence,
            encoding=getattr(response, "encoding", "") or "",
            title=_title(channel_title, text),
            text=text,
            author=channel_title,
            published_at=posted_at,
            lang=self.source.language,
            page_canonical_url=url,
            exchange=exchange,
            post=info,
        )
