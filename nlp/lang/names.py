"""Base forms of the names in ru/uk/crh docs, for linking and display.

A Russian span carries natasha's case and gender of its last word (``token.morph``), which breaks ties such as
"Эдема Муратова" (his genitive) vs "Ленура Муратова" (her nominative); Ukrainian spans are read by pymorphy3
alone. Crimean Tatar names are kept as written (their places are found with suffixes stripped by the gazetteer).
"""

from __future__ import annotations

from spacy.tokens import Span

from nlp.lang import CYRILLIC
from nlp.lang.morph import nominative, nominative_case
from nlp.lexicons import lexicon

__all__ = ["base_form", "base_of_text"]


def base_form(span: Span) -> str:
    """The span's name in the nominative (its text for other languages)."""
    lang = span.doc.lang_
    words = [t.text for t in span if not (t.is_punct and t.text not in "-")]
    if lang == "crh" and len(words) > 1:
        return " ".join([*words[:-1], _crh_surname(words[-1])])
    if lang not in CYRILLIC or not words or not any("\u0400" <= ch <= "\u04ff" for ch in span.text):
        return span.text
    # natasha's tags come from context; Ukrainian tags are pymorphy3's context-free first guess, no clue here
    last = span[-1].morph if lang == "ru" else None
    case = (last.get("Case") or [None])[0] if last is not None else None
    gender = (last.get("Gender") or [None])[0] if last is not None else None
    person = span.label_ == "PERSON"
    verb_gender = _verb_gender(span) if person else None
    if verb_gender is not None:
        return nominative(words, lang, "Nom", verb_gender, singular=True, hint_weight=2.0)
    text, _, known = nominative_case(words, lang, case, gender, singular=person)
    if person and known == 0 and case is None:
        # unknown names in a list ("затримали Рустема Велієва та Асана Якубова") share the case of the known ones
        for other in _listed_with(span):
            other_words = [t.text for t in other]
            _, other_case, other_known = nominative_case(other_words, lang, singular=True)
            if other_known:
                return nominative(words, lang, _UD_OF[other_case], None, singular=True, hint_weight=2.0)
    return text


_UD_OF = {"nomn": "Nom", "gent": "Gen", "datv": "Dat", "accs": "Acc", "ablt": "Ins", "loct": "Loc", "voct": "Voc"}
_LIST_WORDS = frozenset({",", "і", "й", "та", "и", "а также"})


def _listed_with(span: Span) -> list[Span]:
    """Persons of the same sentence listed together with ``span`` ("X, Y, Z та W"), nearest first."""
    doc = span.doc
    persons = [e for e in span.sent.ents if e.label_ == "PERSON"]
    if span not in persons:
        return []
    i = persons.index(span)

    def joined(a: Span, b: Span) -> bool:
        between = [t.lower_ for t in doc[a.end : b.start]]
        return bool(between) and all(w in _LIST_WORDS for w in between)

    lo = i
    while lo > 0 and joined(persons[lo - 1], persons[lo]):
        lo -= 1
    hi = i
    while hi + 1 < len(persons) and joined(persons[hi], persons[hi + 1]):
        hi += 1
    return sorted((persons[j] for j in range(lo, hi + 1) if j != i), key=lambda e: abs(e.start - span.start))


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
        # without a parse: the verb right after the name, or one before it with only nominative words between
        # ("повідомила його сестра Аліє Велієва", not "оштрафував місцеву мешканку Людмилу Бойко")
        candidates = [doc[span.end]] if span.end < span.sent.end else []
        for i in range(span.start - 1, max(span.start - 5, span.sent.start - 1), -1):
            tok = doc[i]
            if tok.pos_ in {"VERB", "AUX"}:
                candidates.append(tok)
                break
            if tok.pos_ in {"SCONJ", "CCONJ"} or tok.lower_ in {"що", "что", "як", "как"}:
                break  # "розповів, що Февзі Аметханова побили": the name is in another clause
            if tok.pos_ not in {"PRON", "DET", "PUNCT"} and tok.morph.get("Case") not in ([], ["Nom"]):
                break
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


_CRH_SURNAME = ("ov", "ev", "ova", "eva", "enko", "uk", "oğlu", "in", "ın")


def _crh_surname(word: str) -> str:
    """A Crimean Tatar surname without its case suffix: "Ablayevniñ" -> "Ablayev", "Kurtseitovağa" -> "Kurtseitova"."""
    suffixes = sorted(lexicon("crh")["names"]["suffixes"], key=len, reverse=True)
    for suffix in suffixes:
        stem = word[: -len(suffix)]
        if word.endswith(suffix) and len(stem) >= 4 and stem.casefold().endswith(_CRH_SURNAME):
            return stem
    return word
