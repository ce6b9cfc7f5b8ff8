"""Two fictional Telegram channels of the demo site, served in the markup of Telegram's public web preview
(``t.me/s/NAME``): message blocks with ``data-post``, the date link with its ``<time datetime>``, view counts, the
"edited" mark, forwarded-from and reply headers, photo captions, link previews and the "more" link for paging.

The posts report the demo corpus' fictional incidents first, hours before the outlets' articles. Each channel has
two stages: what its first poll sees, and what every later poll sees (one post edited, one deleted, one new).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from html import escape

BANNER = "Demo data: the persons and incidents in this channel are fictional."


@dataclass(frozen=True)
class DemoChannel:
    name: str  # the username in the URL
    title: str
    lang: str
    description: str


@dataclass(frozen=True)
class DemoPost:
    channel: str
    id: int
    posted_at: str  # ISO 8601, UTC, as the preview's <time datetime> gives it
    text: str
    views: int
    edited_text: str | None = None  # the text from the second stage on, marked "edited"
    deleted_later: bool = False  # gone from the second stage on
    later: bool = False  # appears only from the second stage on
    links: tuple[str, ...] = ()  # corpus ids of demo articles the post links
    forwarded_from: str | None = None  # "channel/id" of the forwarded original
    reply_to: int | None = None
    photo: bool = False  # the text is a photo's caption
    extra: dict[str, str] = field(default_factory=dict)


CHANNELS = {
    "demo_peninsula_alerts": DemoChannel(
        "demo_peninsula_alerts", "Peninsula Alerts (demo)", "en",
        "Searches, detentions and court hearings in Crimea as they happen. " + BANNER),
    "demo_krym_svodka": DemoChannel(
        "demo_krym_svodka", "Крымская сводка (демо)", "ru",
        "Обыски, задержания и суды в Крыму. Демо-данные: люди и события вымышлены."),
}

POSTS: tuple[DemoPost, ...] = (
    # --- Peninsula Alerts (en) -------------------------------------------------------------------------------------
    DemoPost("demo_peninsula_alerts", 101, "2026-09-08T04:10:00+00:00",
             "Searches have been under way since dawn at six homes in the village of Stroganovka near Simferopol. "
             "FSB officers detained Enver Seitumerov, Rustem Abduraimov and Server Kurtumerov, their relatives say. "
             "Lawyers are on their way.", 2140),
    DemoPost("demo_peninsula_alerts", 102, "2026-09-08T11:05:00+00:00",
             "Crimea Herald has published the details of this morning's searches in Stroganovka, where four "
             "Crimean Tatar men were detained by the FSB. Read the report:", 1810, links=("d001",)),
    DemoPost("demo_peninsula_alerts", 103, "2026-09-08T19:30:00+00:00",
             "Rustem Kurtmollaev, a Crimean Tatar man from Bilohirsk, has been missing since he got into a minibus "
             "this morning. His family fears he was abducted and asks anyone who saw him to call.", 3320),
    DemoPost("demo_peninsula_alerts", 104, "2026-10-22T05:30:00+00:00",
             "FSB officers are searching four homes in Simferopol's Kamenka district this morning. Eskender Useinov "
             "and Fevzi Ametkhanov have been detained, according to their families.", 2975, photo=True),
    DemoPost("demo_peninsula_alerts", 105, "2026-11-09T06:20:00+00:00",
             "Searches in Saky this morning: FSB officers detained Vitalii Moskalenko and Ruslan Ametov.", 2410,
             edited_text="Searches in Saky this morning: FSB officers detained Vitalii Moskalenko, Ruslan Ametov "
                         "and Dmytro Kravchuk. A fourth man has not been heard from since the searches."),
    DemoPost("demo_peninsula_alerts", 106, "2026-11-09T09:45:00+00:00",
             "Relatives of the men detained in Saky are waiting outside the FSB building in Simferopol. Nobody has "
             "told them where the men are held.", 1288, reply_to=105, photo=True),
    DemoPost("demo_peninsula_alerts", 107, "2026-11-10T08:00:00+00:00",
             "Unconfirmed: we are receiving reports of searches in Armiansk this morning. We are checking them and "
             "will post once we know more.", 944, deleted_later=True),
    DemoPost("demo_peninsula_alerts", 108, "2026-11-11T05:10:00+00:00",
             "В Бахчисарае и Строгоновке с утра идут обыски у крымских татар. Задержаны Эдем Муратов, Ризван Велиев "
             "и Энвер Эминов, сообщают родственники.", 1502, forwarded_from="demo_krym_svodka/53"),
    # posted when the second stage is first shown (its time is set then): what a monitor learns while it runs
    DemoPost("demo_peninsula_alerts", 109, "",
             "FSB officers searched the home of Crimean Tatar activist Lenur Seidametov in Dzhankoi this morning and "
             "detained him. His lawyer has not been allowed to see him.", 410, later=True),
    # --- Крымская сводка (ru) --------------------------------------------------------------------------------------
    DemoPost("demo_krym_svodka", 51, "2026-09-22T16:00:00+00:00",
             "В Керчи полиция задержала местную жительницу Ольгу Гордиенко из-за видео, на котором она поет "
             "украинскую песню. Её доставили в отдел полиции.", 5120),
    DemoPost("demo_krym_svodka", 52, "2026-10-08T06:30:00+00:00",
             "Канал переходит на новый формат: теперь мы публикуем сводку каждое утро. Спасибо, что читаете нас.",
             3011),
    DemoPost("demo_krym_svodka", 53, "2026-11-11T04:45:00+00:00",
             "В Бахчисарае и Строгоновке с утра идут обыски у крымских татар. Задержаны Эдем Муратов, Ризван Велиев "
             "и Энвер Эминов, сообщают родственники.", 6480),
    DemoPost("demo_krym_svodka", 54, "2026-11-11T13:00:00+00:00",
             "Подробности обысков в Бахчисарае и Строгоновке опубликовал «Степной курьер»:", 4210, links=("d064",)),
)


def _stage_posts(channel: str, stage: int, now: str = "") -> list[DemoPost]:
    posts = [replace(p, posted_at=p.posted_at or now) for p in POSTS if p.channel == channel]
    if stage == 0:
        return [p for p in posts if not p.later]
    return [p for p in posts if not p.deleted_later]


def _views(count: int) -> str:
    return f"{count / 1000:.1f}K".replace(".0K", "K") if count >= 1000 else str(count)


def _message(post: DemoPost, channel: DemoChannel, base: str, stage: int,
             article_url: Callable[[str], str | None]) -> str:
    edited = stage > 0 and post.edited_text is not None
    text = post.edited_text if edited else post.text
    body = escape(text)
    for corpus_id in post.links:
        url = article_url(corpus_id)
        if url:
            body += (f'<br/><br/><a href="{escape(url)}" target="_blank" rel="noopener" '
                     f'onclick="return confirm(\'Open this link?\')">{escape(url)}</a>')
    link = f"{base}/{channel.name}/{post.id}"
    header = ""
    if post.forwarded_from:
        origin_channel, _, _ = post.forwarded_from.partition("/")
        origin = CHANNELS[origin_channel].title if origin_channel in CHANNELS else origin_channel
        header += (f'<div class="tgme_widget_message_forwarded_from accent_color">Forwarded from <a '
                   f'class="tgme_widget_message_forwarded_from_name" href="{base}/{post.forwarded_from}">'
                   f'<span dir="auto">{escape(origin)}</span></a></div>')
    if post.reply_to is not None:
        quoted = next((p for p in POSTS if p.channel == post.channel and p.id == post.reply_to), None)
        header += (f'<a class="tgme_widget_message_reply" href="{base}/{channel.name}/{post.reply_to}">'
                   f'<div class="tgme_widget_message_author accent_color"><span class="tgme_widget_message_author_name"'
                   f' dir="auto">{escape(channel.title)}</span></div><div class="tgme_widget_message_metatext js-'
                   f'message_reply_text" dir="auto">{escape((quoted.text if quoted else "")[:80])}</div></a>')
    media = ""
    if post.photo:
        media = (f'<a class="tgme_widget_message_photo_wrap" href="{link}?single" style="width:800px;'
                 f'background-image:url(\'{base}/static/demo-photo-{post.id}.jpg\')"><div '
                 f'class="tgme_widget_message_photo" style="padding-top:56.25%"></div></a>')
    preview = ""
    if post.links and article_url(post.links[0]):
        preview = (f'<a class="tgme_widget_message_link_preview" href="{escape(article_url(post.links[0]) or "")}">'
                   f'<div class="link_preview_site_name accent_color" dir="auto">Demo outlet</div></a>')
    meta = "edited &nbsp;" if edited else ""
    return f"""<div class="tgme_widget_message_wrap js-widget_message_wrap"><div class="tgme_widget_message text_not_supported_wrap js-widget_message" data-post="{channel.name}/{post.id}" data-view="demo{post.id}">
  <div class="tgme_widget_message_user"><a href="{base}/{channel.name}"><i class="tgme_widget_message_user_photo bgcolor0" data-content="{escape(channel.title[:1])}"></i></a></div>
  <div class="tgme_widget_message_bubble">
    <i class="tgme_widget_message_bubble_tail"></i>
    <div class="tgme_widget_message_author accent_color"><a class="tgme_widget_message_owner_name" href="{base}/{channel.name}"><span dir="auto">{escape(channel.title)}</span></a></div>
    {header}{media}<div class="tgme_widget_message_text js-message_text" dir="auto">{body}</div>{preview}
    <div class="tgme_widget_message_footer compact js-message_footer">
      <div class="tgme_widget_message_info short js-message_info">
        <span class="tgme_widget_message_views">{_views(post.views + 37 * stage)}</span><span class="copyonly"> views</span><span class="tgme_widget_message_meta">{meta}<a class="tgme_widget_message_date" href="{link}"><time datetime="{post.posted_at}" class="time">{post.posted_at[11:16]}</time></a></span>
      </div>
    </div>
  </div>
</div></div>"""


def channel_page(name: str, base: str, stage: int, before: int | None, page_size: int,
                 article_url: Callable[[str], str | None], now: str = "") -> str | None:
    """The preview page of a channel (None: no such channel): the newest ``page_size`` posts below ``before``.

    ``now`` is the publication time of the posts that appear in the second stage.
    """
    channel = CHANNELS.get(name)
    if channel is None:
        return None
    posts = [p for p in _stage_posts(name, stage, now) if before is None or p.id < before]
    shown = posts[-page_size:]
    more = ""
    if shown and len(posts) > len(shown):
        oldest = shown[0].id
        more = (f'<a class="tme_messages_more js-messages_more" data-before="{oldest}" '
                f'href="/s/{name}?before={oldest}"></a>')
    messages = "\n".join(_message(p, channel, base, stage, article_url) for p in shown)
    return f"""<!DOCTYPE html>
<html lang="{channel.lang}"><head><meta charset="utf-8">
<title>{escape(channel.title)} – Telegram</title>
<meta property="og:title" content="{escape(channel.title)}">
<meta property="og:description" content="{escape(channel.description)}">
<link rel="canonical" href="{base}/s/{name}">
</head>
<body class="widget_frame_base tgme_webpreview_page">
<header class="tgme_header search_collapsed"><div class="tgme_header_info"><div class="tgme_channel_info_header_title"><span dir="auto">{escape(channel.title)}</span></div></div></header>
<main class="tgme_main">
<section class="tgme_right_column"><div class="tgme_channel_info">
  <div class="tgme_channel_info_header"><div class="tgme_channel_info_header_title"><span dir="auto">{escape(channel.title)}</span></div>
  <div class="tgme_channel_info_header_username"><a href="{base}/{name}">@{name}</a></div></div>
  <div class="tgme_channel_info_description">{escape(channel.description)}</div>
  <p class="demo-banner">{escape(BANNER)}</p>
</div></section>
<section class="tgme_channel_history js-message_history">
{more}
{messages}
</section>
</main>
</body></html>"""


def post_page(name: str, post_id: int, base: str, stage: int, article_url: Callable[[str], str | None],
              now: str = "") -> str | None:
    """A post's own page (its permalink), or None when there is no such post (or it was deleted)."""
    channel = CHANNELS.get(name)
    post = next((p for p in _stage_posts(name, stage, now) if p.id == post_id), None)
    if channel is None or post is None:
        return None
    return (f'<!DOCTYPE html><html lang="{channel.lang}"><head><meta charset="utf-8"><title>{escape(channel.title)}'
            f'</title></head><body class="tgme_page_body"><p class="demo-banner">{escape(BANNER)}</p>'
            f"{_message(post, channel, base, stage, article_url)}</body></html>")
