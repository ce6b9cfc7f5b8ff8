"""Resolve date expressions of a news article against its publication date.

``resolve("on Tuesday", date(2026, 9, 10))`` -> ``("2026-09-08", "day")``: a weekday is the most recent such day on
or before publication ("last Tuesday" is strictly before), "last week" is the Monday of the previous week with week
precision, "earlier this month" the publication month, "14 October" the 14th of October of the publication year (or
of the year before when that would lie in the future), "March 2025" a month, "in 2019" a year.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

__all__ = ["Resolved", "parse_published", "resolve"]

Resolved = tuple[str, str]  # (YYYY-MM-DD | YYYY-MM | YYYY, precision day | week | month | year)

WEEKDAYS = {d: i for i, d in enumerate(["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"])}
MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
         "november", "december"]
    )
}  # fmt: skip
MONTHS.update({m[:3]: i for m, i in list(MONTHS.items())})
MONTHS["sept"] = 9
_NUM_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
              "ten": 10, "eleven": 11, "twelve": 12, "a": 1, "an": 1}  # fmt: skip
_MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))
_DAY_MONTH_RE = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH_RE})\.?(?:\s*,?\s*(\d{{4}}))?\b", re.I)
_MONTH_DAY_RE = re.compile(rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:\s*,?\s*(\d{{4}}))?", re.I)
_MONTH_YEAR_RE = re.compile(rf"\b({_MONTH_RE})\s+(?:of\s+)?(\d{{4}})\b", re.I)
_MONTH_RE_ONLY = re.compile(rf"\b({_MONTH_RE})\b", re.I)
_ISO_RE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_YEAR_RE = re.compile(r"\b(19[5-9]\d|20\d\d)\b")
_WEEKDAY_RE = re.compile(r"\b(last\s+|this\s+|next\s+)?(" + "|".join(WEEKDAYS) + r")\b", re.I)
_AGO_RE = re.compile(r"\b(\d+|" + "|".join(_NUM_WORDS) + r")\s+(day|week|month|year)s?\s+ago\b", re.I)
# "on Sunday" after "since" or "until" still names the day; "next Monday" lies in the future and is kept too.


def parse_published(value: str | None) -> date | None:
    """The date part of an ISO date or datetime string, or None."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        m = _ISO_RE.search(value)
        if m:
            try:
                return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                return None
    return None


def _num(text: str) -> int:
    return int(text) if text.isdigit() else _NUM_WORDS[text.lower()]


def _past_year(month: int, day: int, pub: date) -> int:
    """News reports past events: a day-month later than a few days after publication belongs to the year before."""
    try:
        candidate = date(pub.year, month, day)
    except ValueError:
        return pub.year
    return pub.year - 1 if candidate > pub + timedelta(days=7) else pub.year


def _month_start(d: date) -> date:
    return d.replace(day=1)


def resolve(text: str, published: date | None) -> Resolved | None:
    """Resolve one date expression; None when it names no resolvable date or needs a publication date we lack."""
    low = text.lower().strip()
    m = _ISO_RE.search(low)
    if m:
        return f"{m.group(1)}-{m.group(2)}-{m.group(3)}", "day"
    m = _DAY_MONTH_RE.search(low) or None
    if m:
        day, month, year = int(m.group(1)), MONTHS[m.group(2).lower()], m.group(3)
        return _day(year, month, day, published)
    m = _MONTH_DAY_RE.search(low)
    if m and not _MONTH_YEAR_RE.fullmatch(m.group(0)):
        month, day, year = MONTHS[m.group(1).lower()], int(m.group(2)), m.group(3)
        if day <= 31:
            return _day(year, month, day, published)
    m = _MONTH_YEAR_RE.search(low)
    if m:
        return f"{int(m.group(2)):04d}-{MONTHS[m.group(1).lower()]:02d}", "month"
    if published is not None:
        rel = _relative(low, published)
        if rel is not None:
            return rel
    m = _YEAR_RE.search(low)
    if m:
        return m.group(1), "year"
    m = _MONTH_RE_ONLY.search(low)
    if m and published is not None and m.group(1).lower() not in {"may", "mar"}:
        month = MONTHS[m.group(1).lower()]
        year = published.year if month <= published.month else published.year - 1
        return f"{year:04d}-{month:02d}", "month"
    return None


def _day(year: str | None, month: int, day: int, published: date | None) -> Resolved | None:
    if year is None:
        if published is None:
            return None
        y = _past_year(month, day, published)
    else:
        y = int(year)
    try:
        return date(y, month, day).isoformat(), "day"
    except ValueError:
        return None


def _relative(low: str, pub: date) -> Resolved | None:
    if "day before yesterday" in low:
        return (pub - timedelta(days=2)).isoformat(), "day"
    if "yesterday" in low or "last night" in low:
        return (pub - timedelta(days=1)).isoformat(), "day"
    if re.search(r"\b(today|this morning|this afternoon|this evening|tonight)\b", low):
        return pub.isoformat(), "day"
    m = _AGO_RE.search(low)
    if m:
        n, unit = _num(m.group(1)), m.group(2).lower()
        if unit == "day":
            return (pub - timedelta(days=n)).isoformat(), "day"
        if unit == "week":
            d = pub - timedelta(weeks=n)
            return (d - timedelta(days=d.weekday())).isoformat(), "week"
        if unit == "month":
            y, mth = divmod(pub.year * 12 + pub.month - 1 - n, 12)
            return f"{y:04d}-{mth + 1:02d}", "month"
        return f"{pub.year - n:04d}", "year"
    m = _WEEKDAY_RE.search(low)
    if m:
        which = (m.group(1) or "").strip()
        target = WEEKDAYS[m.group(2).lower()]
        delta = (pub.weekday() - target) % 7
        if which == "last" and delta == 0:
            delta = 7
        if which == "next":
            return (pub + timedelta(days=(target - pub.weekday()) % 7 or 7)).isoformat(), "day"
        return (pub - timedelta(days=delta)).isoformat(), "day"
    if "last week" in low or "previous week" in low:
        d = pub - timedelta(days=7)
        return (d - timedelta(days=d.weekday())).isoformat(), "week"
    if "this week" in low:
        return (pub - timedelta(days=pub.weekday())).isoformat(), "week"
    if "last month" in low or "previous month" in low:
        d = _month_start(pub) - timedelta(days=1)
        return f"{d.year:04d}-{d.month:02d}", "month"
    if "this month" in low:
        return f"{pub.year:04d}-{pub.month:02d}", "month"
    if "last year" in low or "previous year" in low:
        return f"{pub.year - 1:04d}", "year"
    if "this year" in low:
        return f"{pub.year:04d}", "year"
    return None
