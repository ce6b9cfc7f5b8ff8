"""Direct and indirect quotes in Russian and Ukrainian paragraphs (called by the ``crimea_quotes`` component).

The usual news frames, with speech verbs, "according to" phrases and pronouns from the lexicons (``[quotes]`` of
``ru.toml`` and ``uk.toml``; both are tried, a page can mix them):

* ``«…», — сказала она`` / ``„…“, — заявив Іван Петренко`` / ``X: «…»``: a direct quote and its reporting clause;
* dash-introduced speech, a paragraph opening with a dash: ``— Нас тримали в підвалі, — розповів X.``;
* ``X сообщил, что …`` / ``Как сообщила X, …`` / ``По словам X, …`` / ``За даними X, …`` / ``Об этом сообщила X.``
  (the statement is the sentence before): indirect speech.

A speaker phrase is linked to the entity found in it (natasha's or the gazetteer's), so the speaker gets the
entity's base form and id ("Крымской правозащитной группе" -> Crimean Human Rights Group); otherwise its last
capitalised name pair, else the phrase.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from nlp.lexicons import words

# The English finder (nlp.quotes) owns the candidate record and the whitespace trimmer and hands them in, so this
# module does not import it back.
_Finder = Any
_Candidate = Any


@dataclass(frozen=True)
class _Kit:
    candidate: Callable[..., Any]
    strip: Callable[[str, int, int], tuple[int, int]]

__all__ = ["cyrillic_candidates"]

_LANGS = ("ru", "uk")
_CAP = r"[А-ЯЁІЇЄҐ][а-яёіїєґ'’\-]+"
_DASH = "—–-"
_SPEAKER_LABELS = frozenset({"PERSON", "ORG", "NORP"})


def _alternation(key: str) -> str:
    cues = {w for lang in _LANGS for w in words(lang, "quotes", key)}
    return "|".join(re.escape(c).replace(r"\ ", r"\s+") for c in sorted(cues, key=len, reverse=True))


@lru_cache(maxsize=1)
def _patterns() -> dict[str, re.Pattern[str]]:
    cue = _alternation("cues")
    pronoun = _alternation("pronouns")
    that = _alternation("that")
    according = _alternation("according_to")
    about_this = _alternation("about_this")
    return {
        "pronoun": re.compile(rf"^(?:{pronoun})\b", re.I),
        "after": re.compile(rf"^\s*[,.!?…]?\s*[{_DASH}]+\s*(?P<cue>{cue})\b(?P<rest>[^.!?«»“”„]*)", re.I),
        "indirect": re.compile(
            rf"^(?P<pre>[^,]*(?:,[^,]*,)?[^,]*?)\s(?P<cue>{cue})(?:\s+[^,]{{1,40}})?,\s*(?:{that})\s+(?P<content>.+)$"
        ),
        "according": re.compile(rf"^(?P<cue>{according})\s+(?P<who>[^,]+),\s*(?P<content>.+)$", re.I),
        "about_this": re.compile(rf"^(?:{about_this})\s+(?P<cue>{cue})\s+(?P<who>[^.!?]+)[.!?]?$", re.I),
        "dash_open": re.compile(rf"^[{_DASH}]\s+"),
        "dash_close": re.compile(rf"(?<=[,.!?…])\s+[{_DASH}]\s+"),
    }


def _prepositions() -> frozenset[str]:
    return frozenset(w for lang in _LANGS for w in words(lang, "quotes", "prepositions"))


def _cyr_name(phrase: str, prefer_last: bool) -> str | None:
    """A personal name (a run of two or more capitalised words; its last two) in a phrase, else None."""
    preps = _prepositions()
    runs: list[list[str]] = []
    current: list[str] = []
    for word in re.findall(r"[\w'’\-]+", phrase):
        if re.fullmatch(_CAP, word) and word.lower() not in preps:
            current.append(word)
        else:
            if current:
                runs.append(current)
            current = []
    if current:
        runs.append(current)
    runs = [r for r in runs if len(r) >= 2]
    if not runs:
        return None
    run = runs[-1] if prefer_last else runs[0]
    return " ".join(run[-2:])


def _who_text(phrase: str) -> str:
    phrase = phrase.strip(" ,.;:—–-")
    name = _cyr_name(phrase, prefer_last=True)
    if name:
        return name
    words_ = phrase.split()
    preps = _prepositions()
    while words_ and words_[0].lower() in preps:
        words_ = words_[1:]
    return " ".join(words_)


def _speaker(finder: _Finder, cand: _Candidate, start: int, end: int, prefer_last: bool = True) -> None:
    """Set the candidate's speaker from the text between ``start`` and ``end``: a linked entity if one is there."""
    ents = [
        e
        for e in finder.doc.ents
        if e.label_ in _SPEAKER_LABELS and e.start_char >= start and e.end_char <= end and e._.entity_id
    ]
    if ents:
        ent = ents[-1] if prefer_last else ents[0]
        cand.fixed = ent._.entity_name or ent.text
        cand.speaker_id = ent._.entity_id
        cand.speaker_label = ent.label_
        return
    who = _who_text(finder.text[start:end])
    role = _role_holder(finder, who, start)
    if role is not None:
        cand.fixed, cand.speaker_id = role._.entity_name or role.text, role._.entity_id
        cand.speaker_label = "PERSON"
        return
    cand.fixed = who or None
    cand.pronoun = cand.fixed is None


def _role_holder(finder: _Finder, who: str, pos: int):  # type: ignore[no-untyped-def]
    """"— сказал адвокат": the last person introduced earlier with that role ("Адвокат Эльдар Исмаилов")."""
    role = who.strip().lower()
    if not role or " " in role or role not in {w for lang in _LANGS for w in words(lang, "events", "non_victim_roles")}:
        return None
    doc = finder.doc
    holders = [
        e
        for e in doc.ents
        if e.label_ == "PERSON" and e.end_char <= pos and e.start > 0 and doc[e.start - 1].lower_.startswith(role[:5])
    ]
    return holders[-1] if holders else None


def _last_person_before(finder: _Finder, pos: int, p_start: int) -> tuple[str, str | None] | None:
    people = [e for e in finder.doc.ents if e.label_ == "PERSON" and e.end_char <= pos]
    if people:
        return people[-1]._.entity_name or people[-1].text, people[-1]._.entity_id
    name = _cyr_name(finder.text[p_start:pos], prefer_last=True) or _cyr_name(finder.text[:pos], prefer_last=True)
    return (name, None) if name else None


def _after_clause(finder: _Finder, cand: _Candidate, after_start: int, p_end: int) -> bool:
    """Read "…, — сказала X" after a quote; True when it was a reporting clause."""
    pats = _patterns()
    m = pats["after"].match(finder.text[after_start:p_end])
    if not m:
        return False
    cand.cue = re.sub(r"\s+", " ", m.group("cue").lower())
    rest = m.group("rest")
    rest_start = after_start + m.start("rest")
    if pats["pronoun"].match(rest.strip()):
        cand.pronoun = True
    else:
        # "— сказала Зарема Аблаева, жена задержанного Наримана Аблаева": the subject comes first
        _speaker(finder, cand, rest_start, rest_start + len(rest), prefer_last=False)
    return True


def cyrillic_candidates(
    finder: _Finder, candidate: Callable[..., Any], strip: Callable[[str, int, int], tuple[int, int]]
) -> list[_Candidate]:
    """Quote candidates of the Cyrillic paragraphs; ``candidate`` and ``strip`` are the English finder's record
    type and whitespace trimmer."""
    kit = _Kit(candidate, strip)
    text = finder.text
    pats = _patterns()
    out: list[_Candidate] = []
    for p_index, (p_start, p_end) in enumerate(finder.paras):
        if not finder.cyrillic[p_index]:
            continue
        spans = [d for d in finder.direct if p_start <= d.open_pos < p_end]
        masked_ranges: list[tuple[int, int]] = [(d.open_pos, d.close_pos) for d in spans]
        # dash-introduced speech: "— Нас тримали в підвалі, — розповів X."
        if not spans and (m := pats["dash_open"].match(text[p_start:p_end])):
            close = pats["dash_close"].search(text, p_start + m.end(), p_end)
            c_end = close.start() if close else p_end
            c_start, c_end = kit.strip(text, p_start + m.end(), c_end)
            c_end -= 1 if c_end > c_start and text[c_end - 1] == "," else 0
            cand = kit.candidate("direct", [(c_start, c_end)], None, None, span_start=p_start, span_end=p_end)
            if close is None or not _after_clause(finder, cand, close.start(), p_end):
                cand.inherit = "paragraph"
            out.append(cand)
            masked_ranges.append((p_start, close.start() if close else p_end))
        # quotation marks
        prev: _Candidate | None = None
        for d in spans:
            before = re.split(r"[.!?»”“]\s", text[p_start : d.open_pos])[-1]
            cand = kit.candidate("direct", list(d.parts), None, None, span_start=d.open_pos, span_end=d.close_pos)
            if _after_clause(finder, cand, d.close_pos, p_end):
                pass
            elif before.rstrip().endswith(":"):  # "Адвокат Эмиль Курбединов: «…»"
                _speaker(finder, cand, d.open_pos - len(before), d.open_pos, prefer_last=False)
                if cand.speaker_id is None and not _cyr_name(before, prefer_last=False):
                    cand.fixed, cand.pronoun, cand.inherit = None, False, "paragraph"
            elif prev is not None:
                prev.parts.extend(d.parts)
                continue
            elif sum(len(text[a:b].split()) for a, b in d.parts) < 4:
                continue  # «дискредитацию армии»: a term in quotation marks, not somebody's words
            else:
                cand.inherit = "paragraph"
            out.append(cand)
            prev = cand
        out.extend(_indirect(finder, kit, p_start, p_end, masked_ranges))
    return out


def _indirect(
    finder: _Finder, kit: _Kit, p_start: int, p_end: int, masked_ranges: list[tuple[int, int]]
) -> list[_Candidate]:
    """Indirect speech, sentence by sentence, outside quotation marks and dash speech."""
    text = finder.text
    pats = _patterns()
    masked = list(text[p_start:p_end])
    for a, b in masked_ranges:
        for i in range(max(a, p_start), min(b, p_end)):
            masked[i - p_start] = "\x00"
    para = "".join(masked)
    sentences = [
        (m.start() + p_start, m.end() + p_start) for m in re.finditer(r"(?:[^.!?\x00]|[.!?](?=[^\s\x00]))+[.!?]?", para)
    ]
    out: list[_Candidate] = []
    prev_sentence: tuple[int, int] | None = None
    for s_start, s_end in sentences:
        s_start, s_end = kit.strip(text, s_start, s_end)
        sentence = text[s_start:s_end]
        if len(sentence) < 8:
            continue
        cand: _Candidate | None = None
        if m := pats["according"].match(sentence):
            content = (s_start + m.start("content"), s_end)
            cand = _make(kit, text, content, m.group("cue"), s_start, s_end)
            _speaker(finder, cand, s_start + m.start("who"), s_start + m.end("who"))
        elif (m := pats["about_this"].match(sentence)) and prev_sentence is not None:
            cand = _make(kit, text, prev_sentence, m.group("cue"), s_start, s_end)
            _speaker(finder, cand, s_start + m.start("who"), s_start + m.end("who"))
        elif m := pats["indirect"].match(sentence):
            content = (s_start + m.start("content"), s_end)
            cand = _make(kit, text, content, m.group("cue"), s_start, s_end)
            pre = m.group("pre")
            if pats["pronoun"].match(pre.strip()):
                found = _last_person_before(finder, s_start, p_start)
                if found is None:
                    cand.pronoun = True
                else:
                    cand.fixed, cand.speaker_id = found
                    cand.speaker_label = "PERSON"
            else:
                _speaker(finder, cand, s_start, s_start + m.start("cue"), prefer_last=False)
                if cand.fixed is not None and cand.speaker_id is None and not _cyr_name(pre, prefer_last=False):
                    cand.fixed = _who_text(pre) or None
        prev_sentence = (s_start, s_end)
        if cand is not None and (cand.fixed is not None or cand.pronoun):
            out.append(cand)
    return out


def _make(kit: _Kit, text: str, content: tuple[int, int], cue: str, s_start: int, s_end: int) -> _Candidate:
    c_start, c_end = kit.strip(text, *content)
    while c_end > c_start and text[c_end - 1] in ".!?":
        c_end -= 1
    return kit.candidate(
        "indirect", [(c_start, c_end)], re.sub(r"\s+", " ", cue.lower()), None, span_start=s_start, span_end=s_end
    )
