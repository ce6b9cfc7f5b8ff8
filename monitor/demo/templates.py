"""HTML of the four fictional outlets of the demo site: different layouts, navigation, ads, comments, related links.

The differences are the point: extraction has to find the article in each of them and leave the rest out.
"""

from __future__ import annotations

from html import escape

from monitor.demo.corpus import OUTLETS, DemoArticle

BANNER = "Demo data: the persons and incidents on this site are fictional."

_COMMENTS = [
    ("Reader_1984", "Thank you for reporting this. Where can I send a donation?"),
    ("Observer", "This is a disgrace. The world must not look away."),
    ("anon", "First! Subscribe to my channel for more news."),
]


def _paragraphs(article: DemoArticle) -> str:
    return "\n".join(f"<p>{escape(p)}</p>" for p in article.paragraphs)


def _related(outlet: str, others: list[DemoArticle], url_for) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(f'<li><a href="{url_for(a)}">{escape(a.title)}</a></li>' for a in others[:4])


def _comments() -> str:
    return "\n".join(
        f'<div class="comment"><span class="nick">{escape(n)}</span><p>{escape(t)}</p></div>' for n, t in _COMMENTS
    )


def herald(article: DemoArticle, related: list[DemoArticle], url_for, canonical: str) -> str:  # type: ignore[no-untyped-def]
    date = article.published_at.isoformat()
    return f"""<!DOCTYPE html>
<html lang="{article.lang}"><head><meta charset="utf-8">
<title>{escape(article.title)} | Crimea Herald</title>
<link rel="canonical" href="{canonical}">
<meta property="og:title" content="{escape(article.title)}">
<meta property="article:published_time" content="{date}">
<meta name="author" content="{escape(article.author)}">
</head><body>
<header><div class="demo-banner">{BANNER}</div>
<nav><a href="/crimea-herald/">Home</a> | <a href="/crimea-herald/politics/">Politics</a> |
<a href="/crimea-herald/human-rights/">Human rights</a> | <a href="/crimea-herald/about/">About us</a></nav></header>
<div class="ad-banner"><a href="/ads/click?id=7">Cheap flights to Istanbul! Book now and save 30%</a></div>
<article class="post">
<h1 class="headline">{escape(article.title)}</h1>
<div class="byline">By <span class="author">{escape(article.author)}</span> · <time datetime="{date}">
{article.published_at:%d %B %Y, %H:%M}</time></div>
<div class="post-content">
{_paragraphs(article)}
</div>
<div class="share">Share: <a href="/share/fb">Facebook</a> <a href="/share/tw">X</a> <a href="/share/tg">Telegram</a></div>
</article>
<aside class="related"><h3>Related</h3><ul>{_related("crimea-herald", related, url_for)}</ul></aside>
<section class="comments"><h3>Comments (3)</h3>{_comments()}</section>
<footer>© 2026 Crimea Herald (fictional demo outlet). <a href="/crimea-herald/privacy/">Privacy</a></footer>
</body></html>"""


def peninsula(article: DemoArticle, related: list[DemoArticle], url_for, canonical: str) -> str:  # type: ignore[no-untyped-def]
    date = article.published_at.isoformat()
    canonical_tag = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    return f"""<!DOCTYPE html>
<html lang="{article.lang}"><head><meta charset="utf-8"><title>{escape(article.title)} — Peninsula Watch</title>
{canonical_tag}
<meta name="description" content="{escape(article.paragraphs[0][:150])}">
</head><body>
<div id="top-bar">{BANNER} <a href="/peninsula-watch/subscribe">Subscribe</a> <a href="/peninsula-watch/login">Log in</a></div>
<div id="menu"><ul><li><a href="/peninsula-watch/">Front page</a></li><li><a href="/peninsula-watch/crimea/">Crimea</a></li>
<li><a href="/peninsula-watch/world/">World</a></li></ul></div>
<main>
<div class="story-header"><h1>{escape(article.title)}</h1>
<p class="meta">Published <time datetime="{date}">{article.published_at:%Y-%m-%d}</time> by {escape(article.author)}</p></div>
<div class="story-body">
{_paragraphs(article)}
</div>
<div class="newsletter-box">Get our daily briefing. <form><input type="email"><button>Sign up</button></form></div>
</main>
<div id="sidebar"><h4>Most read</h4><ol>{_related("peninsula-watch", related, url_for)}</ol>
<div class="advert">Advertisement: Learn English online in 30 days!</div></div>
<section id="comments"><h4>Discussion</h4>{_comments()}</section>
<div id="footer">Peninsula Watch is a fictional outlet of the Crimea Monitor demo.</div>
</body></html>"""


def black_sea(article: DemoArticle, related: list[DemoArticle], url_for, canonical: str, prefix: str = "") -> str:  # type: ignore[no-untyped-def]
    date = article.published_at.isoformat()
    lead = f"<p><em>{escape(prefix)}</em></p>" if prefix else ""
    canonical_tag = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    return f"""<html lang="{article.lang}"><head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>Black Sea Daily - {escape(article.title)}</title>
{canonical_tag}
<script type="application/ld+json">{{"@context": "https://schema.org", "@type": "NewsArticle",
"datePublished": "{date}", "author": {{"@type": "Person", "name": "{escape(article.author)}"}}}}</script>
</head><body>
<table width="100%"><tr><td class="logo"><a href="/black-sea-daily/">BLACK SEA DAILY</a></td>
<td class="banner">{BANNER}</td></tr></table>
<div id="navigation"><a href="/black-sea-daily/">News</a> · <a href="/black-sea-daily/opinion/">Opinion</a> ·
<a href="/black-sea-daily/sport/">Sport</a> · <a href="/black-sea-daily/weather/">Weather</a></div>
<div id="content"><div class="entry">
<h2 class="entry-title">{escape(article.title)}</h2>
<div class="entry-meta"><span class="date">{article.published_at:%d.%m.%Y}</span>
<span class="author vcard">{escape(article.author)}</span></div>
<div class="entry-text">
{lead}
{_paragraphs(article)}
</div></div>
<div class="tags">Tags: <a href="/black-sea-daily/tag/crimea/">Crimea</a> <a href="/black-sea-daily/tag/rights/">Rights</a></div>
<div class="read-also"><b>Read also:</b><ul>{_related("black-sea-daily", related, url_for)}</ul></div>
<div class="ads"><img src="/ads/casino.gif" alt="Casino bonus 200%"></div>
<div class="comments-area">{_comments()}</div>
</div></body></html>"""


def steppe(article: DemoArticle, related: list[DemoArticle], url_for, canonical: str, charset: str = "utf-8") -> str:  # type: ignore[no-untyped-def]
    date = article.published_at.isoformat()
    return f"""<!DOCTYPE html>
<html lang="{article.lang}"><head><meta charset="{charset}">
<title>{escape(article.title)} / Steppe Courier</title>
<link rel="canonical" href="{canonical}">
<meta property="article:published_time" content="{date}">
</head><body>
<div class="header"><span class="logo">Steppe Courier</span> <span class="demo">{escape(BANNER)}</span>
<ul class="nav"><li><a href="/steppe-courier/">Latest</a></li><li><a href="/steppe-courier/page/2/">Archive</a></li></ul></div>
<div class="container"><div class="col-main">
<div class="article-full" itemscope itemtype="https://schema.org/NewsArticle">
<h1 itemprop="headline">{escape(article.title)}</h1>
<div class="article-date" itemprop="datePublished" content="{date}">{article.published_at:%d.%m.%Y %H:%M}</div>
<div class="article-text" itemprop="articleBody">
{_paragraphs(article)}
</div></div></div>
<div class="col-side"><div class="widget">{_related("steppe-courier", related, url_for)}</div>
<div class="widget ad">Реклама: купите квартиру у моря!</div></div></div>
<div class="footer">Steppe Courier (fictional demo outlet)</div>
</body></html>"""


def listing(outlet: str, items: list[tuple[str, str]], next_page: str | None = None) -> str:
    links = "\n".join(f'<li><a href="{url}">{escape(title)}</a></li>' for url, title in items)
    more = f'<a class="next" href="{next_page}">Older stories</a>' if next_page else ""
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{OUTLETS.get(outlet, outlet)}</title></head>
<body><div class="demo-banner">{BANNER}</div><h1>{OUTLETS.get(outlet, outlet)}</h1><ul>{links}</ul>{more}</body></html>"""
