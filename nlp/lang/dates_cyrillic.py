"""Russian and Ukrainian date expressions, resolved against the publication date like English ones.

"5 березня", "27 марта 2019 года", "в среду", "вчора", "в марте 2024 года", "в 2019 году": the words come from the
``[dates]`` tables of the lexicons; the expression is rewritten in English and handed to :func:`nlp.dates.resolve`,
so both languages follow the same rules (a weekday is the latest such day on or before publication, a day-month
without a year that would lie in the future is last year's).
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

from nlp.dates import Resolved, resolve
from nlp.lexicons import lexicon

__all__ = ["find_date"]

_EN_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
              "november", "december")  # fmt: skip
_EN_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@lru_cache(maxsize=4)
def _patterns(lang: str) -> list[tuple[re.Pattern[str], str]]:
    table = lexicon(lang)["dates"]
    months = "|".join(table["months"])
    alone = "|".join(f"(?:{m})" for m in table["months_alone"])
    days = "|".join(f"(?:{d})" for d in table["weekdays"])
    years = "|".join(table["year_word"])
    return [
        (re.compile(rf"\b(\d{{1,2}})\s+({months})(?:\s+(\d{{4}}))?", re.I), "day_month"),
        (re.compile(rf"\b({alone})\w*\s+(\d{{4}})\s*(?:{years})?", re.I), "month_year"),
        (re.compile(rf"\b(\d{{4}})\s+(?:{years})\b", re.I), "year"),
        (re.compile(rf"\b(?:{'|'.join(table['day_before_yesterday'])})\b", re.I), "day_before_yesterday"),
        (re.compile(rf"\b(?:{'|'.join(table['yesterday'])})\b", re.I), "yesterday"),
        (re.compile(rf"\b({days})\w*", re.I), "weekday"),
        (re.compile(rf"\b(?:{'|'.join(table['today'])})\b", re.I), "today"),
    ]


def _index(options: tuple[str, ...], word: str) -> int | None:
    for i, option in enumerate(options):
        if re.fullmatch(rf"(?:{option})\w*", word, re.I):
            return i
    return None


def find_date(text: str, lang: str, published: date | None, near: int = 0) -> Resolved | None:
    """The date expression of ``text`` nearest to character ``near``, resolved; None when there is none."""
    table = lexicon(lang)["dates"]
    found: list[tuple[int, Resolved]] = []
    for pattern, kind in _patterns(lang):
        for m in pattern.finditer(text):
            english: str | None = None
            if kind == "day_month":
                month = _index(table["months"], m.group(2))
                if month is not None:
                    english = f"{int(m.group(1))} {_EN_MONTHS[month]} {m.group(3) or ''}"
            elif kind == "month_year":
                month = _index(table["months_alone"], m.group(1))
                if month is not None:
                    english = f"{_EN_MONTHS[month]} {m.group(2)}"
            elif kind == "year":
                english = f"in {m.group(1)}"
            elif kind == "weekday":
                day = _index(table["weekdays"], m.group(1))
                if day is not None:
                    english = f"on {_EN_DAYS[day]}"
            else:
                english = kind.replace("_", " ")
            if english is None or re.search(r"(?<![\w])(?:до|по)\s+$", text[: m.start()], re.I):
                continue  # "до 10 января" is when custody ends, not when anything happened
            res = resolve(english.strip(), published)
            if res is not None:
                found.append((abs(m.start() - near), res))
        if found and kind in {"day_month", "month_year"}:
            break  # an explicit date beats a weekday or "yesterday" in the same sentence
    if not found:
        return None
    return min(found, key=lambda f: f[0])[1]
