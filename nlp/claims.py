"""Claims: quantities stated about victims or cases (``Doc._.claims``).

"194 cases of human rights violations", "20 of such cases … in the recent 2 weeks", "8,000 Crimean Tatar refugees",
"at least 30 political prisoners", "twelve people".  A number counts something when the parse attaches it to a noun
(nummod) or it heads an "of" phrase ("20 of such cases"); only nouns for people and for incidents count, so dates,
ages, money, article numbers, sentence lengths ("12 years") and times fall out without a list of exclusions.
"""

from __future__ import annotations

import re

from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from items import Claim

__all__ = ["COUNTED_LEMMAS", "ClaimFinder", "find_claims", "parse_number"]

# what monitors count: people (victims, groups) and incidents/cases
COUNTED_LEMMAS = frozenset(
    """case violation abuse incident person people man woman child minor teenager prisoner refugee
        detainee tatar resident family home house search raid arrest detention activist journalist blogger
        believer worshipper citizen civilian victim defendant student member ukrainian conscript recruit
        abduction disappearance kidnapping prosecution deportation expulsion protocol summons sentence
        conviction complaint death killing torture beating attack lawyer witness muslim pensioner volunteer
        villager fisherman farmer doctor teacher soldier serviceman internee hostage ip idp displacement
        evictee household dwelling mosque property""".split()  # noqa: SIM905
)
_NOT_PART_OF_WHAT = frozenset({"such", "these", "those", "other", "further", "more", "some", "all", "the"})
_EXCLUDED_ENTS = frozenset({"DATE", "TIME", "MONEY", "PERCENT", "QUANTITY", "ORDINAL"})
_PERIOD_PREPS = frozenset({"in", "over", "during", "since", "for", "within", "throughout", "from", "between"})

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "dozen": 12,
}  # fmt: skip
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}


def parse_number(words: list[str]) -> int | None:
    """An integer from digits ("8,000", "1.5 million") or English number words ("two hundred and forty")."""
    total = current = 0
    seen = False
    for raw in words:
        w = raw.lower().strip()
        if w in ("and", "-", "a"):
            continue
        for part in w.split("-"):
            if re.fullmatch(r"\d{1,3}(,\d{3})+|\d+", part):
                current += int(part.replace(",", ""))
            elif re.fullmatch(r"\d+\.\d+", part):
                current += float(part)  # type: ignore[assignment]
            elif part in _UNITS:
                current += _UNITS[part]
            elif part in _SCALES:
                current = (current or 1) * _SCALES[part]
                if _SCALES[part] >= 1000:
                    total += current
                    current = 0
            else:
                return None
            seen = True
    value = total + current
    if not seen or value != int(value):
        return None
    return int(value)


def _number_tokens(tok: Token) -> list[Token]:
    """The number word and the number words that belong to it ("two hundred", "1.5 million")."""

    def numeric(t: Token) -> bool:
        return t.like_num or t.lower_ in _SCALES or t.lower_ in _UNITS

    doc = tok.doc
    start = end = tok.i
    # a contiguous run of number words ("two hundred and forty"), "and" only between two of them
    while start > 0 and (
        numeric(doc[start - 1]) or (doc[start - 1].lower_ == "and" and start > 1 and numeric(doc[start - 2]))
    ):
        start -= 1
    while end + 1 < len(doc) and (
        numeric(doc[end + 1]) or (doc[end + 1].lower_ == "and" and end + 2 < len(doc) and numeric(doc[end + 2]))
    ):
        end += 1
    return [t for t in doc[start : end + 1]]


def _counted(noun: Token) -> bool:
    lemma = noun.lemma_.lower()
    return lemma in COUNTED_LEMMAS or lemma.rstrip("s") in COUNTED_LEMMAS or noun.lower_.rstrip("s") in COUNTED_LEMMAS


def _counted_noun(tok: Token) -> Token | None:
    if tok.dep_ == "nummod" and tok.head.pos_ in ("NOUN", "PROPN"):
        return tok.head
    if tok.dep_ in ("compound", "quantmod") and tok.head.like_num:
        return _counted_noun(tok.head)
    # "20 of such cases", "two of the detainees"
    for prep in tok.children:
        if prep.dep_ == "prep" and prep.lower_ == "of":
            for pobj in prep.children:
                if pobj.dep_ == "pobj" and pobj.pos_ in ("NOUN", "PROPN"):
                    return pobj
    return None


def _what(noun: Token) -> tuple[str, int, int]:
    toks = [
        t
        for t in noun.lefts
        if t.dep_ in ("amod", "compound", "nmod") and not t.like_num and t.lower_ not in _NOT_PART_OF_WHAT
    ]
    left = [t for tok in toks for t in tok.subtree if not t.like_num and t.lower_ not in _NOT_PART_OF_WHAT]
    span_toks = sorted({*left, noun}, key=lambda t: t.i)
    for prep in noun.rights:
        if (
            prep.dep_ == "prep"
            and prep.lower_ == "of"
            and noun.lemma_.lower() in ("case", "violation", "incident", "instance")
        ):
            span_toks.extend(sorted(prep.subtree, key=lambda t: t.i))
    start, end = span_toks[0].i, span_toks[-1].i + 1
    span = noun.doc[start:end]
    return span.text, span.start_char, span.end_char


def _period(sent: Span, claim_start: int, claim_end: int) -> str | None:
    best: tuple[int, str] | None = None
    for ent in sent.ents:
        if ent.label_ != "DATE" or (ent.start <= claim_start < ent.end):
            continue
        governed = ent.root.head.lower_ in _PERIOD_PREPS and ent.root.dep_ == "pobj"
        relative = any(t.lower_ in ("last", "past", "recent", "this", "since") for t in ent)
        if not (governed or relative):
            continue
        text = re.sub(r"^(the|this)\s+", lambda m: "" if m.group(1) == "the" else m.group(0), ent.text)
        if ent.root.head.lower_ == "since" and not text.lower().startswith("since"):
            text = f"since {text}"
        dist = min(abs(ent.start - claim_start), abs(ent.start - claim_end))
        if best is None or dist < best[0]:
            best = (dist, text)
    return best[1] if best else None


def find_claims(doc: Doc) -> list[Claim]:
    claims: list[Claim] = []
    used: set[int] = set()
    for tok in doc:
        if tok.i in used or not (tok.like_num or tok.lower_ == "dozen"):
            continue
        if tok.ent_type_ in _EXCLUDED_ENTS or "-" in tok.text:
            continue  # "a 58-year-old", "2 weeks", "$2 million"
        prev = doc[tok.i - 1] if tok.i > 0 else None
        if prev is not None and prev.lower_ in ("article", "no", "no.", "part", "paragraph", "§", "#"):
            continue
        if tok.dep_ in ("compound", "quantmod") and tok.head.like_num:
            continue  # the head number speaks for the whole number phrase
        noun = _counted_noun(tok)
        if noun is None or not _counted(noun):
            continue
        num_toks = _number_tokens(tok)
        count = parse_number([t.text for t in num_toks])
        if count is None:
            continue
        used.update(t.i for t in num_toks)
        what, w_start, w_end = _what(noun)
        start = min(num_toks[0].idx, w_start)
        end = max(w_end, num_toks[-1].idx + len(num_toks[-1]))
        sent = tok.sent
        claims.append(
            Claim(
                count=count,
                what=what,
                period=_period(sent, tok.i, noun.i),
                text=doc.text[start:end],
                start=start,
                end=end,
            )
        )
    return claims


class ClaimFinder:
    """The ``crimea_claims`` component."""

    def __init__(self, nlp: Language, name: str = "crimea_claims") -> None:
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        doc._.claims = find_claims(doc)
        return doc


@Language.factory("crimea_claims")
def make_claim_finder(nlp: Language, name: str) -> ClaimFinder:
    from nlp.quotes import _register_extensions

    _register_extensions()
    return ClaimFinder(nlp, name)
