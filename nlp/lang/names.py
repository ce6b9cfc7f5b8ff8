"""Base forms of the names in ru/uk/crh docs, for linking and display.

A Russian span carries natasha's case and gender of its last word (``token.morph``), which breaks ties such as
"Эдема Муратова" (his genitive) vs "Ленура Муратова" (her nominative); Ukrainian spans are read by pymorphy3
alone. Crimean Tatar names are kept as written (their places are found with suffixes stripped by the gazetteer).
"""

from __future__ import annotations

from spacy.tokens import Span

from nlp.lang import CYRILLIC
from nlp.lang.morph import nominative

__all__ = ["base_form"]


def base_form(span: Span) -> str:
    """The span's name in the nominative (its text for other languages)."""
    lang = span.doc.lang_
    words = [t.text for t in span if not (t.is_punct and t.text not in "-")]
    if lang not in CYRILLIC or not words or not any("\u0400" <= ch <= "\u04ff" for ch in span.text):
        return span.text
    last = span[-1].morph
    case = (last.get("Case") or [None])[0]
    gender = (last.get("Gender") or [None])[0]
    return nominative(words, lang, case, gender)
