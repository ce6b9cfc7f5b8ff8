"""Incident events in Russian and Ukrainian docs (called by the ``crimea_events`` component for ``ru``/``uk``).

* triggers: word stems per incident type from the lexicons (``[triggers]`` of ``ru.toml`` / ``uk.toml``), matched at
  word starts in each sentence; one event per type, sentence and modality;
* modality: a negation word right before the trigger -> negated; a denial, threat, fear or hypothetical cue
  (``[modality]``) earlier in the same clause -> denied / threatened / feared / hypothetical;
* victims: in Russian, natasha's dependency parse gives the persons the trigger governs (its object, passive
  subject, nominal dependents and their conjuncts) and excludes speakers (subjects of speech verbs); without a
  parse (Ukrainian) every person of the sentence who is not introduced by a role such as "адвокат" and does not
  speak in it; names are given in their base form (the linked entity name); an event without a named victim takes
  those of the nearest event of the same article with the same victims' sentence a few sentences away;
* place: a linked place of the sentence (Crimean first, nearest to the trigger); date: :mod:`nlp.lang.dates_cyrillic`
  against the publication date; legal article: "статья/стаття N".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from functools import lru_cache

from spacy.tokens import Doc, Span, Token

import items
from nlp.lang.dates_cyrillic import find_date
from nlp.lexicons import lexicon, words

__all__ = ["cyrillic_events"]

EVENT_TYPES = (
    "search", "detention", "custody", "charge", "sentence", "fine", "deportation", "transfer", "disappearance",
    "torture", "assault", "death", "conscription", "ban", "property_seizure", "displacement",
)  # fmt: skip
_ARGUMENT_DEPS = frozenset({"obj", "iobj", "nsubj:pass", "nmod", "obl", "conj", "appos", "flat:name", "nsubj"})
_CARRY_SENTENCES = 3
_LEGAL_CODE_RE = re.compile(r"(?:УК|КоАП|кодекс\w*)\s*$", re.I)


@lru_cache(maxsize=4)
def _rules(lang: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    table = lexicon(lang)["triggers"]
    return tuple(
        (etype, re.compile(r"(?<![\w])(?:" + "|".join(table[etype]) + r")", re.I))
        for etype in EVENT_TYPES
        if etype in table
    )


@lru_cache(maxsize=16)
def _cue_re(lang: str, key: str) -> re.Pattern[str]:
    cues = sorted(words(lang, "modality", key), key=len, reverse=True)
    return re.compile(r"(?<![\w])(?:" + "|".join(cues) + r")(?![\w])", re.I)


def _modality(lang: str, before: str) -> str:
    clause = re.split(r"[,;:—–]\s", before)[-1]
    if re.search(r"(?<![\w])(?:" + "|".join(words(lang, "modality", "negation")) + r")\s+$", before, re.I):
        return "negated"
    for key, mod in (("denied", "denied"), ("threatened", "threatened"), ("feared", "feared")):
        if _cue_re(lang, key).search(before[-80:]):
            return mod
    if _cue_re(lang, "hypothetical").search(clause):
        return "hypothetical"
    return "actual"


def _in_custody(lang: str, trigger: str, sentence: str) -> bool:
    """A beating word is torture when the sentence speaks of custody; other torture words always are."""
    low = trigger.casefold()
    if not any(low.startswith(w) for w in words(lang, "events", "beating")):
        return True
    sentence = sentence.casefold()
    return any(w in sentence for w in words(lang, "events", "custody_context"))


def _speaks(ent: Span, lang: str) -> bool:
    """The person is the speaker of the sentence ("…, — сказала Ленура Муратова", "Адвокат X рассказал, что")."""
    cues = words(lang, "quotes", "cues")
    root = ent.root
    head = root.head
    if root.dep_ == "nsubj" and head.lower_ in cues:
        return True
    doc = ent.doc
    near = [doc[i].lower_ for i in range(max(ent.start - 2, ent.sent.start), min(ent.end + 2, ent.sent.end))]
    return any(w in cues for w in near)


def _role_before(ent: Span, lang: str) -> bool:
    roles = words(lang, "events", "non_victim_roles")
    doc = ent.doc
    return any(doc[i].lower_ in roles for i in range(max(ent.start - 3, ent.sent.start), ent.start))


def _governed(trigger: Token, sent: Span) -> set[int]:
    """Token indexes the trigger (or the verb it belongs to) governs in the parse."""
    heads = [trigger]
    if trigger.dep_ in {"obj", "nsubj", "nsubj:pass"} and trigger.head.pos_ == "VERB":
        heads.append(trigger.head)  # "провели обыски у X": X hangs on the verb
    out: set[int] = set()
    for head in heads:
        for child in head.children:
            if child.dep_ in _ARGUMENT_DEPS and child.i != trigger.i:
                out.update(w.i for w in child.subtree)
    return out


def cyrillic_events(
    doc: Doc, published: date | None, place_of: Callable[[items.Event, Span, Token], None]
) -> list[items.Event]:
    """Events of a ``ru`` or ``uk`` doc; ``place_of`` fills ``place_text``/``place_id`` (the English rule)."""
    lang = doc.lang_ if doc.lang_ in {"ru", "uk"} else "ru"
    parsed = doc.has_annotation("DEP")
    events: list[items.Event] = []
    sentence_of: list[int] = []
    seen: set[tuple[str, int, str]] = set()
    article_re = re.compile(r"(?:" + "|".join(words(lang, "events", "article_words")) + r")\s+(\d+(?:\.\d+)*)", re.I)
    for s_index, sent in enumerate(doc.sents):
        text = sent.text
        persons = [e for e in sent.ents if e.label_ == "PERSON"]
        for etype, pattern in _rules(lang):
            for m in pattern.finditer(text):
                found_type = etype
                if etype == "torture" and not _in_custody(lang, m.group(0), text):
                    found_type = "assault"  # "невідомі били його біля дому": a beating outside custody
                mod = _modality(lang, text[: m.start()])
                key = (found_type, sent.start, mod)
                if key in seen:
                    continue
                seen.add(key)
                start = sent.start_char + m.start()
                span = doc.char_span(start, sent.start_char + m.end(), alignment_mode="expand")
                anchor = span.root if span is not None else sent.root
                ev = items.Event(
                    type=found_type,
                    trigger=m.group(0),
                    start=start,
                    end=sent.start_char + m.end(),
                    sentence=text.strip(),
                    modality=mod,
                )
                _place(ev, sent, anchor, place_of)
                if ev.place_id is None:
                    _carry_place(ev, events, doc)
                candidates = [p for p in persons if not _speaks(p, lang) and not _role_before(p, lang)]
                if parsed and candidates:
                    governed = _governed(anchor, sent)
                    inside = [p for p in candidates if p.root.i in governed]
                    candidates = inside or candidates
                ev.victims = [
                    items.Victim(text=p._.entity_name or p.text, entity_id=p._.entity_id) for p in candidates
                ]
                resolved = find_date(text, lang, published, near=m.start())
                if resolved is not None:
                    ev.date, ev.date_precision = resolved
                m_art = article_re.search(text)
                ev.legal_article = m_art.group(1) if m_art else None
                events.append(ev)
                sentence_of.append(s_index)
    _carry_victims(events, sentence_of)
    _victims_named_next(events, sentence_of, list(doc.sents), lang)
    return events


def _victims_named_next(events: list[items.Event], sentence_of: list[int], sents: list[Span], lang: str) -> None:
    """"Идут обыски. Силовики пришли к X и Y.": the people of the next sentence, when it reports no event itself."""
    with_events = set(sentence_of)
    for ev, s_index in zip(events, sentence_of, strict=True):
        nxt = s_index + 1
        if ev.victims or ev.modality != "actual" or nxt >= len(sents) or nxt in with_events:
            continue
        if "\n\n" in sents[s_index].text.rstrip() or sents[nxt].text.startswith("\n"):
            continue  # another paragraph
        persons = [p for p in sents[nxt].ents if p.label_ == "PERSON" and not _speaks(p, lang)]
        persons = [p for p in persons if not _role_before(p, lang)]
        ev.victims = [items.Victim(text=p._.entity_name or p.text, entity_id=p._.entity_id) for p in persons]


_WIDE_PLACES = frozenset({"place:crimea", "place:russia", "place:ukraine"})


def _place(ev: items.Event, sent: Span, anchor: Token, place_of: Callable[[items.Event, Span, Token], None]) -> None:
    """The event's place: the linked place the English rule picks, but a town or village of the sentence rather
    than Crimea as a whole, and never the country of a law ("УК РФ", "Кримінального кодексу Росії")."""
    place_of(ev, sent, anchor)
    text = sent.text
    if ev.place_id is not None and _reference_point(sent, ev.place_id):
        ev.place_text = ev.place_id = None  # "в Строгоновке под Симферополем": Simferopol only locates the village
    if ev.place_text and _LEGAL_CODE_RE.search(text[: max(text.find(ev.place_text), 0)][-30:]):
        ev.place_text = ev.place_id = None
    if ev.place_id in _WIDE_PLACES or ev.place_id is None:
        narrow = [
            e
            for e in sent.ents
            if e.label_ in {"GPE", "LOC"}
            and (e._.entity_id or "").startswith("place:")
            and not (e._.entity_id or "").startswith("place:~")
            and e._.entity_id not in _WIDE_PLACES
            and not _reference_point(sent, e._.entity_id)
        ]
        if narrow:
            best = min(narrow, key=lambda e: abs(e.start - anchor.i))
            ev.place_text, ev.place_id = best.text, best._.entity_id


_NEAR = frozenset({"под", "около", "возле", "близ", "недалеко", "поблизу", "біля", "неподалік", "під"})


def _reference_point(sent: Span, place_id: str) -> bool:
    """The place is named only as a landmark near another place of the sentence."""
    ents = [e for e in sent.ents if e._.entity_id == place_id]
    others = [e for e in sent.ents if e.label_ in {"GPE", "LOC"} and e._.entity_id not in (place_id, None)]
    if not ents or not others:
        return False
    doc = sent.doc
    return all(e.start > 0 and doc[e.start - 1].lower_ in _NEAR for e in ents)


def _carry_place(ev: items.Event, earlier: list[items.Event], doc: Doc) -> None:
    """"В Строгоновке идут обыски. Задержаны X и Y.": a sentence without a place continues the paragraph's."""
    for other in reversed(earlier):
        if other.place_id and other.modality == "actual" and "\n\n" not in doc.text[other.start : ev.start]:
            ev.place_text, ev.place_id = other.place_text, other.place_id
            return


def _carry_victims(events: list[items.Event], sentence_of: list[int]) -> None:
    """"Обыски прошли в пяти домах … Задержаны X, Y": the searched are the detained named a sentence or two on."""
    for ev, s_index in zip(events, sentence_of, strict=True):
        if ev.victims or ev.modality != "actual":
            continue
        donors = [
            (abs(s2 - s_index), other)
            for other, s2 in zip(events, sentence_of, strict=True)
            if other.victims and other is not ev and abs(s2 - s_index) <= _CARRY_SENTENCES
        ]
        if donors:
            ev.victims = list(min(donors, key=lambda d: d[0])[1].victims)
