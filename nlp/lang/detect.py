"""Which pipeline an article goes to: ``en``, ``ru``, ``uk`` or ``crh``.

A page can mix languages (a Ukrainian report quoting a Russian court ruling, an English page with a Russian
caption): each sentence is given a language and the article goes by the majority of its letters. Cyrillic sentences
are told apart by py3langid restricted to Russian and Ukrainian; Latin sentences are Crimean Tatar when enough of
their words carry its letters (ç ş ğ ı ñ ö ü â, a q not followed by u) or are its frequent words (lexicon ``crh``),
else English (the English pipeline is also the fallback for every other language, as before).
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from typing import Any

from nlp.lexicons import words

__all__ = ["PIPELINE_LANGUAGES", "detect_language", "sentence_language"]

#: languages with a pipeline of their own (every other language goes to the English one)
PIPELINE_LANGUAGES = frozenset({"ru", "uk", "crh"})

_SENTENCE_RE = re.compile(r"[^.!?\n]+[.!?…]*")
_CYR_RE = re.compile(r"[\u0400-\u04ff]")
_LAT_RE = re.compile(r"[A-Za-z\u00c0-\u024f]")
_WORD_RE = re.compile(r"[^\W\d_]+")
_CRH_LETTERS = frozenset("çşğıñöüâ")
_SAMPLE = 4000  # characters: the first few paragraphs decide, as in the crawler's language detection


@lru_cache(maxsize=1)
def _ru_uk_identifier() -> Any:
    from py3langid.langid import _load_identifier

    # a private identifier: py3langid's module-level one is shared with the crawler, which needs every language
    return _load_identifier(langs=["ru", "uk"])


def _crimean_tatar_word(word: str) -> bool:
    low = word.casefold()
    if any(ch in _CRH_LETTERS for ch in low):
        return True
    return any(ch == "q" and low[i + 1 : i + 2] != "u" for i, ch in enumerate(low))


def sentence_language(sentence: str) -> str | None:
    """The language of one sentence, or None when it has too few letters to tell."""
    cyr = len(_CYR_RE.findall(sentence))
    lat = len(_LAT_RE.findall(sentence))
    if cyr + lat < 3:
        return None
    if cyr > lat:
        low = sentence.casefold()
        if any(ch in "іїєґ" for ch in low) and not any(ch in "ыэъё" for ch in low):
            return "uk"
        if any(ch in "ыэъё" for ch in low) and not any(ch in "іїєґ" for ch in low):
            return "ru"
        lang, _ = _ru_uk_identifier().classify(sentence)
        return str(lang)
    tokens = _WORD_RE.findall(sentence)
    if not tokens:
        return "en"
    common = words("crh", "detect", "words")
    marked = sum(1 for t in tokens if _crimean_tatar_word(t) or t.casefold() in common)
    return "crh" if marked / len(tokens) >= 0.2 else "en"


def detect_language(text: str) -> str:
    """The language of an article: the language of most of its letters, sentence by sentence."""
    votes: Counter[str] = Counter()
    for m in _SENTENCE_RE.finditer((text or "")[:_SAMPLE]):
        sentence = m.group(0)
        lang = sentence_language(sentence)
        if lang is not None:
            votes[lang] += len(sentence)
    if not votes:
        return "en"
    return votes.most_common(1)[0][0]
