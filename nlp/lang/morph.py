"""pymorphy3 morphology for Russian and Ukrainian: analyzers, a Ukrainian tagging component, names to the nominative.

Ukrainian has no shipped tagger or parser, so ``crimea_uk_morph`` gives each token the part of speech and features
of pymorphy3's most likely analysis (that is what the pymorphy3 lemmatizer after it filters on) and marks
sentences with spaCy's rule-based sentencizer rules.

:func:`nominative` brings a name (a person's first name and surname, a place, an organisation) from any case to the
nominative: every case and gender is tried for the whole name at once, each word scored by pymorphy3 with a bonus
for first-name/surname tags and for the case and gender a tagger saw in context, and the best reading is inflected
word by word ("Рустема Велієва" -> "Рустем Велієв", "Ленуры Муратовой" -> "Ленура Муратова").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

__all__ = ["analyzer", "nominative", "oc_to_ud"]

_CASES = ("nomn", "gent", "datv", "accs", "ablt", "loct", "voct")
_UD_CASE = {"Nom": "nomn", "Gen": "gent", "Dat": "datv", "Acc": "accs", "Ins": "ablt", "Loc": "loct", "Voc": "voct"}
_UD_GENDER = {"Masc": "masc", "Fem": "femn", "Neut": "neut"}
_NAME_TAGS = frozenset({"Name", "Surn", "Patr"})


@lru_cache(maxsize=2)
def analyzer(lang: str) -> Any:
    """pymorphy3's analyzer for ``ru`` or ``uk`` (dictionaries load once per process)."""
    import pymorphy3

    return pymorphy3.MorphAnalyzer(lang=lang)


@lru_cache(maxsize=65536)
def _parses(lang: str, word: str) -> tuple[Any, ...]:
    return tuple(analyzer(lang).parse(word))


def oc_to_ud(tag: Any) -> tuple[str, dict[str, str]]:
    """(UD part of speech, UD features) of a pymorphy3 tag."""
    from spacy.lang.ru.lemmatizer import oc2ud

    return oc2ud(str(tag))


def _restore_case(src: str, out: str) -> str:
    if src.isupper() and len(src) > 1:
        return out.upper()
    parts = out.split("-")
    src_parts = src.split("-")
    fixed = []
    for i, part in enumerate(parts):
        model = src_parts[i] if i < len(src_parts) else src_parts[-1]
        fixed.append(part[:1].upper() + part[1:] if model[:1].isupper() else part)
    return "-".join(fixed)


def nominative(
    words: Sequence[str],
    lang: str,
    case_hint: str | None = None,
    gender_hint: str | None = None,
    singular: bool = True,
    hint_weight: float = 1.0,
) -> str:
    """``words`` (one name) in the nominative singular; words pymorphy3 cannot inflect are kept as they are.

    ``case_hint`` / ``gender_hint`` are UD values (``Gen``, ``Fem``) from a tagger that saw the context;
    ``singular`` (a person's name) ignores plural readings ("Исмаилов" is no genitive plural of "Исмаил");
    ``hint_weight`` says how sure the hints are (a subject of a verb is nominative whatever its endings say).
    """
    return nominative_case(words, lang, case_hint, gender_hint, singular, hint_weight)[0]


def nominative_case(
    words: Sequence[str],
    lang: str,
    case_hint: str | None = None,
    gender_hint: str | None = None,
    singular: bool = True,
    hint_weight: float = 1.0,
) -> tuple[str, str, int]:
    """:func:`nominative`, plus the case the name was read in (pymorphy3's, ``gent``) and how many of its words
    pymorphy3 knows (0: the reading is a guess, a neighbour's case is a better clue)."""
    if not words:
        return "", "nomn", 0
    parses = [tuple(p for p in _parses(lang, w) if not (singular and p.tag.number == "plur")) for w in words]
    # a word pymorphy3 only guesses (a rare first name, a new surname) says nothing about the case: it fits any
    known = [any(p.is_known for p in ps) for ps in parses]
    hint_case = _UD_CASE.get(case_hint or "")
    hint_gender = _UD_GENDER.get(gender_hint or "")
    best: tuple[float, str, str] | None = None
    for case in _CASES:
        for gender in ("masc", "femn"):
            total = 0.0
            for ps, is_known in zip(parses, known, strict=True):
                if not is_known:
                    continue
                fits = [_score(p) for p in ps if p.is_known and p.tag.case == case and p.tag.gender in (gender, None)]
                total += max(fits) if fits else -1.0
            total += hint_weight * (1.0 * (case == hint_case) + 0.6 * (gender == hint_gender))
            total += 0.05 * (case == "nomn")  # ties go to the form as written
            if best is None or total > best[0]:
                best = (total, case, gender)
    assert best is not None
    _, case, gender = best
    if not any(known) and hint_case is None:
        case = "nomn"  # nothing known and no clue: keep the name as written
    out: list[str] = []
    for word, ps in zip(words, parses, strict=True):
        fits = [p for p in ps if p.tag.case == case and p.tag.gender in (gender, None)]
        p = max(fits, key=_score) if fits else None
        if p is None or p.tag.POS not in {"NOUN", "ADJF", "PRTF"}:
            out.append(word)
            continue
        form = None
        for grams in ({"nomn", "sing"}, {"nomn"}):
            form = p.inflect(grams)
            if form is not None:
                break
        out.append(_restore_case(word, _keep_surname_vowel(word, form.word)) if form is not None else word)
    return " ".join(out), case, sum(known)


def _keep_surname_vowel(word: str, form: str) -> str:
    """Ukrainian nominatives of -ов/-єв surnames in pymorphy3 come out as -ів/-їв (Тохтарова -> Тохтарів); names
    keep the vowel of their oblique forms (Тохтаров, Мамбеталієв)."""
    low = word.casefold()
    for new, old in (("ів", "ов"), ("їв", "єв")):
        stem = form[: -len(new)].casefold()
        if form.casefold().endswith(new) and low.startswith(stem + old):
            return form[: -len(new)] + old
    return form


def _score(p: Any) -> float:
    return float(p.score) + 0.5 * bool(_NAME_TAGS & p.tag.grammemes)


class UkrainianMorphology:
    """spaCy component: pymorphy3 part of speech and features on every token, and sentence starts."""

    def __init__(self, nlp: Language) -> None:
        self.sentencizer = nlp.create_pipe("sentencizer")

    def __call__(self, doc: Doc) -> Doc:
        doc = self.sentencizer(doc)
        for tok in doc:
            if tok.is_punct or tok.is_space:
                tok.pos_ = "PUNCT" if tok.is_punct else "SPACE"
                continue
            if tok.like_num:
                tok.pos_ = "NUM"
                continue
            parses = _parses("uk", tok.text)
            if not parses:
                continue
            pos, feats = oc_to_ud(parses[0].tag)
            if pos == "NOUN" and tok.is_title and not tok.is_sent_start:
                pos = "PROPN"
            tok.pos_ = pos
            tok.set_morph("|".join(f"{k}={v}" for k, v in sorted(feats.items())) or None)
        return doc

    def pipe(self, docs: Iterable[Doc], batch_size: int = 128) -> Iterable[Doc]:
        for doc in docs:
            yield self(doc)


def is_first_name(word: str, lang: str) -> bool:
    """pymorphy3 knows ``word`` as a first name (in its dictionary, not guessed)."""
    return any("Name" in p.tag.grammemes and p.is_known for p in _parses(lang, word))


@Language.factory("crimea_uk_morph")
def make_uk_morph(nlp: Language, name: str) -> UkrainianMorphology:
    return UkrainianMorphology(nlp)
