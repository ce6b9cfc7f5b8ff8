"""The bundled demo corpus: articles we wrote (fictional persons and incidents) plus the user's seed article.

Each line of ``corpus/articles*.jsonl`` is a gold item in the format of the evaluation (EVAL.md) with the extra
keys the demo site needs (outlet, slug, title, author, published_at, lang). The same file is the NLP dev set.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path

OUTLETS = {
    "crimea-herald": "Crimea Herald",
    "peninsula-watch": "Peninsula Watch",
    "black-sea-daily": "Black Sea Daily",
    "steppe-courier": "Steppe Courier",
}


@dataclass(frozen=True)
class DemoArticle:
    id: str
    outlet: str
    slug: str
    title: str
    author: str
    published_at: datetime
    lang: str
    text: str
    fictional: bool
    gold: dict

    @property
    def paragraphs(self) -> list[str]:
        return [p.strip() for p in self.text.split("\n\n") if p.strip()]


def corpus_dir() -> Path:
    return Path(str(resources.files("monitor.demo") / "corpus"))


def gold_files() -> list[Path]:
    return sorted(corpus_dir().glob("articles*.jsonl"))


@lru_cache(maxsize=1)
def load_corpus() -> tuple[DemoArticle, ...]:
    articles = []
    for path in gold_files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
                articles.append(
                    DemoArticle(
                        id=raw["id"],
                        outlet=raw["outlet"],
                        slug=raw["slug"],
                        title=raw["title"],
                        author=raw.get("author", ""),
                        published_at=datetime.fromisoformat(raw["published_at"]),
                        lang=raw.get("lang", "en"),
                        text=raw["text"],
                        fictional=bool(raw.get("fictional", True)),
                        gold=raw,
                    )
                )
            except (KeyError, ValueError) as exc:
                raise ValueError(f"{path.name}:{number}: bad demo article ({exc})") from exc
            if articles[-1].outlet not in OUTLETS:
                raise ValueError(f"{path.name}:{number}: unknown outlet {articles[-1].outlet!r}")
    articles.sort(key=lambda a: (a.published_at, a.id))
    return tuple(articles)
