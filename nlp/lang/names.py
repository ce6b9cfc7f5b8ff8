"""Base forms of the names in ru/uk/crh docs, for linking and display.

A Russian span carries natasha's case and gender of its last word (``token.morph``), which breaks ties such as
"Эдема Муратова" (his genitive) vs "Ленура Муратова" (her nominative); Ukrainian spans are read by pymorphy3
alone. Crimean Tatar names are kept as written (their places are found with suffixes stripped by the gazetteer).
"""

from __future__ import annotations

from spacy.tokens import Span

from nlp.lang import CYRILLIC
from nlp.lang.morph import nominative

__all__ = ["base_form", "base_of_text"]


def base_form(span: Span) -> str:
    """The span's name in the nominative (its text for other languages)."""
    lang = span.doc.lang_
    words = [t.text for t in span if not (t.is_punct and t.text not in "-")]
    if lang not in CYRILLIC or not words or not any("\u0400" <= ch <= "\u04ff" for ch in span.text):
        return span.text
    last = span[-1].morph
    case = (last.get("Case") or [None])[0]
    gender = (last.get("Gender") or [None])[0]
    verb_gender = _verb_gender(span)
    if verb_gender is not None:
        case, gender = "Nom", verb_gender
    return nominative(words, lang, case, gender, singular=span.label_ == "PERSON")


def _verb_gender(span: Span) -> str | None:
    """The gender of a past-tense verb the name is the subject of ("сказала Ленура Муратова", "Аліє Бекірова
    розповіла"): the parse's subject where there is one, else a verb right next to the name."""
    root = span.root
    if root.dep_.startswith("nsubj") and root.head.pos_ in {"VERB", "AUX"}:
        candidates = [root.head]
    elif root.dep_:
        return None
    else:
        doc = span.doc
        window = [span.end, span.start - 1, span.start - 2, span.start - 3, span.start - 4]
        candidates = [doc[i] for i in window if span.sent.start <= i < span.sent.end]
    for tok in candidates:
        if tok.pos_ in {"VERB", "AUX"} and "Past" in tok.morph.get("Tense") and tok.morph.get("Gender"):
            return tok.morph.get("Gender")[0]
    return None


def base_of_text(name: str) -> str:
    """A name written alone (a gold annotation, a search filter) in the nominative; non-Cyrillic names unchanged."""
    if not any("\u0400" <= ch <= "\u04ff" for ch in name):
        return name
    low = name.casefold()
    lang = "uk" if any(ch in "іїєґ" for ch in low) and not any(ch in "ыэъё" for ch in low) else "ru"
    return nominative(name.split(), lang)
