"""The ``crimea_events`` component: incident event mentions (``Doc._.events``, a list of :class:`items.Event`).

How it works:

* one spaCy ``Matcher`` (two single-token patterns over lemmas and word forms) finds candidate trigger tokens;
* a rule per trigger lemma decides the incident type from the token's syntax: what is searched (a home, not an
  archive), who is detained (a person, not "the decline of the reservoir"), who arrests (police -> detention; a
  court, "for two months" -> custody; "administrative arrest" -> fine; "house arrest" -> custody) ...;
* :func:`modality` walks up the dependency tree from the trigger: a negation or "never" in its own clause ->
  negated; "deny" above it -> denied; a modal, future "will", "if", or a verb like "face", "expect", "ask for" ->
  hypothetical; "threat(en)" -> threatened; "fear", "afraid", "risk" -> feared;
* arguments come from the trigger's sentence: victims (linked persons, else the patient noun phrase), place
  (linked, in-Crimea places first), date (resolved by :mod:`nlp.dates` against ``Doc._.published_at``), count
  ("searched seven homes", "12 people"), perpetrator (FSB, police, a court ...), legal article;
* Cyrillic (ru/uk) articles, which the English model cannot parse, go through stem rules on the sentence text.

Events are extracted whatever the article's relevance; relevance is decided separately.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc, Span, Token

import items
from nlp import extensions
from nlp.dates import parse_published, resolve
from nlp.gazetteer import Gazetteer, load_gazetteer
from nlp.lexicons import mapping, words
from nlp.linking import is_cyrillic_doc

__all__ = ["EVENT_TYPES", "EventExtractor", "modality"]

extensions.register()

EVENT_TYPES = (
    "search", "detention", "custody", "charge", "sentence", "fine", "deportation", "transfer", "disappearance",
    "torture", "assault", "death", "conscription", "ban", "property_seizure", "displacement",
)  # fmt: skip

# --- word lists (nlp/lexicons/en.toml) ---------------------------------------------------------------------
def _en(key: str) -> frozenset[str]:
    return words("en", "events", key)


PERSON_NOUNS = _en("person_nouns")
PLACE_OBJECTS = _en("place_objects")
PROPERTY_OBJECTS = _en("property_objects")
SECURITY_CONTEXT = _en("security_context")
CUSTODY_CONTEXT = _en("custody_context")
STRICT_CUSTODY_CONTEXT = _en("strict_custody_context")
AGGRESSORS = _en("aggressors")
MODAL_AUX = _en("modal_aux")
CUE_MODALITY: Mapping[str, str] = mapping("en", "events", "modality_cues")
# Dependency relations that stay inside one clause: a negation or modal found by climbing them governs the trigger.
CLAUSE_INTERNAL = _en("clause_internal")
# Relations climbed to find cue verbs ("denied that ...", "fears he could be ...").
CUE_CHAIN = CLAUSE_INTERNAL | {"ccomp", "xcomp", "acl"}
NUMBER_WORDS: Mapping[str, int] = mapping("en", "events", "number_words")
PERPETRATOR_IDS = _en("perpetrator_ids")
PERPETRATOR_WORDS = _en("perpetrator_words")
MONEY_WORDS = _en("money_words")
LEGAL_OFFENCES = _en("legal_offences")
LEGAL_CONTEXT = _en("legal_context")
HISTORY_MARKERS = _en("history_markers")
HISTORY_NOUNS = _en("history_nouns")
STATISTICS_VERBS = _en("statistics_verbs")
AGGREGATE_NOUNS = _en("aggregate_nouns")
NON_VICTIM_TITLES = _en("non_victim_titles")
GROUP_DESCRIPTORS = _en("group_descriptors")
SPEECH_VERBS = words("en", "quotes", "speech_verbs")
ARTICLE_RE = re.compile(r"\bArticles?\s+(\d+(?:\.\d+)*)", re.I)
#: trigger rule name -> the lemmas and forms it handles
RULE_WORDS: Mapping[str, Mapping[str, Any]] = mapping("en", "events", "rules")
TRIGGER_LEMMAS = sorted({w for ws in RULE_WORDS.values() for w in ws})
TRIGGER_FORMS = sorted(_en("trigger_forms"))

CYRILLIC_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (t, re.compile(p, re.I))
    for t, p in (
        ("search", r"\b(обыск|обшук)"),
        ("detention", r"\b(задерж|затрим)"),
        ("custody", r"\b(под страж|под арест|під варт|домашн\w* арест|мер\w* пресечени|запобіжн)"),
        (
            "charge",
            r"\b(обвинени|обвинува|уголовн\w* дел|уголовн\w* преследовани|кримінальн\w* справ|"
            r"порушили справу|возбудил)",
        ),
        ("sentence", r"\b(приговор|вирок|лишени\w* свобод|позбавленн?\w* волі|ув.язненн|осудил|засудил)"),
        ("fine", r"\b(оштраф|штраф|адмінпротокол|админпротокол|административн\w* арест|адміністративн\w* арешт)"),
        ("deportation", r"\b(депорт|выдвор|видвор)"),
        ("transfer", r"\b(этапир|етапув|етапов)"),
        ("disappearance", r"\b(похищ|похит|викрад|исчез|зник|пропал без|безвест)"),
        (
            "torture",
            r"\b(пытк|пытал|катув|катува|избиени|избил|били|побили|побит|електричн\w* струм|"
            r"электрическ\w* ток)",
        ),
        ("assault", r"\b(напал|напад)"),
        ("death", r"\b(погиб|загинув|умер|помер|скончал)"),
        ("conscription", r"\b(мобилизац|мобілізац|повестк|повістк)"),
        ("ban", r"\b(запрещ|заборонен|нежелательн|небажан)"),
        ("property_seizure", r"\b(конфиск|конфіск|национализ|націоналіз)"),
        ("displacement", r"\b(вынужден\w* покинуть|вимушен\w* переселен|беженц|біженц|покинул\w* (Крым|Крим))"),
    )
)
_CYR_HYP = re.compile(
    r"\b(может|могут|мог|могла|могли|грозит|грозить|загрожує|якщо|если|угрожал\w*|погрожу\w*|ожида\w*|може|"
    r"можуть|будет|буде)\b",
    re.I,
)
_CYR_NEG = re.compile(r"\b(не|ні|никого|нікого)\s+$", re.I)


# --- helpers ----------------------------------------------------------------------------------------------------
def _lemma(tok: Token) -> str:
    return tok.lemma_.lower()


def _is_passive(tok: Token) -> bool:
    return any(c.dep_ in {"nsubjpass", "auxpass"} for c in tok.children)


def _child(tok: Token, deps: set[str] | frozenset[str]) -> Token | None:
    for c in tok.children:
        if c.dep_ in deps:
            return c
    return None


def _children_lemmas(tok: Token) -> set[str]:
    return {_lemma(c) for c in tok.children}


def patient(tok: Token) -> Token | None:
    """Who or what undergoes the action of a trigger verb (passive subject, object, or the noun it modifies)."""
    subj = _child(tok, {"nsubjpass"})
    if subj is not None:
        return _antecedent(subj)
    if tok.dep_ in {"acl", "amod"} and tok.head.i != tok.i:
        return tok.head
    obj = _child(tok, {"dobj"})
    if obj is not None:
        return _antecedent(obj)
    if _is_passive(tok):
        return None
    if tok.dep_ == "conj" and tok.head.pos_ in {"VERB", "AUX"}:
        return patient(tok.head) if tok.head.i != tok.i else None
    return None


def agent_subject(tok: Token) -> Token | None:
    """The doer: the active subject, or the object of a passive "by" agent."""
    if _is_passive(tok):
        agent = _child(tok, {"agent"})
        if agent is not None:
            return _child(agent, {"pobj"})
        return None
    subj = _child(tok, {"nsubj"})
    if subj is None and tok.dep_ == "conj" and tok.head.i != tok.i:
        return agent_subject(tok.head)
    return _antecedent(subj) if subj is not None else None


def _antecedent(tok: Token) -> Token:
    """A relative pronoun ("men who were detained") stands for the noun its clause modifies."""
    if tok.lower_ in {"who", "whom", "which", "that"} and tok.head.dep_ == "relcl":
        return tok.head.head
    return tok


def is_personish(tok: Token | None) -> bool:
    if tok is None:
        return False
    if tok.ent_type_ in {"PERSON", "NORP"}:
        return True
    if tok.pos_ == "PROPN" and tok.ent_type_ not in {"GPE", "LOC", "ORG", "FAC", "DATE"}:
        return True
    if tok.pos_ == "PROPN" and tok.is_title and tok.text in _person_surnames(tok.doc):
        return True  # a surname the tagger took for a place or body here, named as a person elsewhere
    low = tok.lower_
    if tok.pos_ == "PRON":
        return low not in {"it", "which", "what", "this", "that", "these", "those", "something", "anything"}
    if _lemma(tok) in PERSON_NOUNS or low in PERSON_NOUNS:
        return True
    return bool(tok.like_num or low in NUMBER_WORDS)


def _person_surnames(doc: Doc) -> frozenset[str]:
    return frozenset(e[-1].text for e in doc.ents if e.label_ == "PERSON" and len(e) > 1)


def _has_context(sent: Span, words: frozenset[str]) -> bool:
    # lower-case words only: "Russia's National Guard" is an organisation, not a prison guard
    return any((t.lower_ in words or _lemma(t) in words) and not t.is_title for t in sent)


def _nearby_context(tok: Token, words: frozenset[str], before: int = 1, after: int = 1) -> bool:
    doc = tok.doc
    sents = list(doc.sents) if before or after else [tok.sent]
    idx = next((i for i, s in enumerate(sents) if s.start <= tok.i < s.end), 0)
    return any(_has_context(s, words) for s in sents[max(0, idx - before) : idx + after + 1])


def _governed_by(tok: Token, lemmas: set[str], max_up: int = 4) -> Token | None:
    cur = tok
    for _ in range(max_up):
        if cur.head.i == cur.i:
            return None
        cur = cur.head
        if _lemma(cur) in lemmas:
            return cur
    return None


def _prep_objects(tok: Token, preps: set[str]) -> list[Token]:
    out = []
    for c in tok.children:
        if c.dep_ == "prep" and c.lower_ in preps:
            out.extend(g for g in c.children if g.dep_ == "pobj")
    return out


# --- modality -----------------------------------------------------------------------------------------------
def modality(trigger: Token, check_negation: bool = True) -> str:
    """actual | negated | denied | hypothetical | threatened | feared, from the trigger's syntactic governors."""
    result = "actual"
    # 1. own clause: negation, modal auxiliaries, "if", "no"/"nobody" subjects
    cur = trigger
    for _ in range(8):
        for c in cur.children:
            low = c.lower_
            if check_negation and (c.dep_ == "neg" or (c.dep_ in {"advmod", "neg"} and low == "never")):
                return "negated"
            if check_negation and c.dep_ == "det" and low == "no":
                return "negated"
            if (
                check_negation
                and c.dep_ in {"nsubj", "nsubjpass"}
                and (low in {"nobody", "none", "noone"} or any(g.lower_ == "no" for g in c.children))
            ):
                return "negated"
            if c.dep_ in {"aux", "auxpass"} and low in MODAL_AUX:
                result = "hypothetical"
            if c.dep_ == "mark" and low in {"if", "unless", "whether"}:
                result = "hypothetical"
        if cur.dep_ == "pobj" and cur.head.lower_ == "without":
            return "negated"
        infinitive = cur.dep_ == "advcl" and any(c.dep_ == "aux" and c.lower_ == "to" for c in cur.children)
        if (cur.dep_ not in CLAUSE_INTERNAL and not infinitive) or cur.head.i == cur.i:
            break
        cur = cur.head
    if result != "actual":
        # "if convicted": the conditional clause itself
        return result
    # 2. cue words above the trigger: deny, refuse, threaten, fear, face, expect ...
    cur = trigger
    for _ in range(10):
        if cur.dep_ not in CUE_CHAIN or cur.head.i == cur.i:
            break
        cur = cur.head
        lem = _lemma(cur)
        if lem == "stop" and any(c.lower_ == "short" for c in cur.children):
            return "negated"
        if lem == "short" and _lemma(cur.head) == "stop":
            return "negated"
        cue = CUE_MODALITY.get(lem)
        if cue is not None and not (lem == "allow" and not any(c.dep_ == "neg" for c in cur.children)):
            return cue
        if any(c.dep_ == "mark" and c.lower_ in {"if", "unless"} for c in cur.children):
            return "hypothetical"
        if (
            check_negation
            and cur.dep_ != "advcl"
            and any(c.dep_ == "neg" for c in cur.children)
            and lem not in {"say", "tell", "know", "think", "believe", "see", "hear", "let"}
        ):
            return "negated"
    return result


# --- trigger rules ------------------------------------------------------------------------------------------
Rule = Callable[[Token], "list[tuple[str, bool]] | None"]  # -> [(type, check_negation)]


def _r_search(t: Token) -> list[tuple[str, bool]] | None:
    lem = _lemma(t)
    if t.pos_ == "VERB":
        if lem == "raid":
            return [("search", True)]
        p = patient(t)
        if p is None:
            if _prep_objects(t, {"in"}) or _nearby_context(t, SECURITY_CONTEXT, 0, 0):
                return [("search", True)]
            return None
        if _lemma(p) in PLACE_OBJECTS or p.lower_ in PLACE_OBJECTS or p.ent_type_ in {"PERSON", "FAC"}:
            return [("search", True)]
        if p.pos_ == "PRON" and p.lower_ in {"him", "her", "them", "he", "she", "they"}:
            return [("search", True)]
        if is_personish(p) and p.pos_ != "PRON":
            return [("search", True)]  # "all four were searched at home", "the brothers were searched"
        return None
    if t.pos_ in {"NOUN", "PROPN"}:
        preps = {c.lower_ for c in t.children if c.dep_ == "prep"}
        if "for" in preps:
            return None
        if lem == "raid":
            if t.dep_ == "compound" or (t.i > 0 and t.doc[t.i - 1].text == "-"):
                return None  # "air-raid alert"
            others = [c for c in t.children if c.dep_ not in {"det", "punct"}]
            if t.tag_ == "NNS" or others:
                return [("search", True)]
            return None
        places = _prep_objects(t, {"in", "at", "of"})
        if _nearby_context(t, SECURITY_CONTEXT) or any(_lemma(o) in PLACE_OBJECTS for o in places):
            return [("search", True)]
    return None


def _r_detain(t: Token) -> list[tuple[str, bool]] | None:
    if t.pos_ in {"VERB", "ADJ"} or t.tag_ in {"VBN", "VBD"}:
        p = patient(t)
        if p is None or is_personish(p):
            return [("detention", True)]
        return None
    if t.pos_ == "NOUN":
        if t.dep_ == "compound" and _lemma(t.head) in {"centre", "center", "facility", "unit", "camp"}:
            return None
        mods = {_lemma(c) for c in t.children} | {c.lower_ for c in t.children}
        if mods & {"pre", "pretrial", "pre-trial"} or (t.i > 0 and t.doc[t.i - 1].lower_ == "trial"):
            if _governed_by(t, {"extend", "order", "place", "spend", "remand", "hold", "keep", "send", "prolong"}):
                return [("custody", True)]
            return None
        if _governed_by(t, {"extend", "prolong"}, max_up=2):
            return [("custody", True)]  # "extended the detention of X": custody, not a new detention
        return [("detention", True)]
    return None


def _r_arrest(t: Token) -> list[tuple[str, bool]] | None:
    mods = {c.lower_ for c in t.children}
    if t.pos_ == "NOUN":
        if "house" in mods or (t.i > 0 and t.doc[t.i - 1].lower_ == "house"):
            return [("custody", True)]
        if "administrative" in mods or (t.i > 0 and t.doc[t.i - 1].lower_ == "administrative"):
            return [("fine", True)]
        if _lemma(t.head) in {"decide", "order"} or t.dep_ in {"nsubjpass"}:
            return [("custody", True)]
        return [("detention", True)]
    p = patient(t)
    if p is not None and not is_personish(p):
        return None
    subj = agent_subject(t)
    if subj is not None and _lemma(subj) in {"court", "judge"}:
        return [("custody", True)]
    for o in _prep_objects(t, {"for", "until"}):
        if _lemma(o) in {"month", "months", "week", "weeks"} or o.ent_type_ == "DATE":
            return [("custody", True)]
    return [("detention", True)]


def _r_take(t: Token) -> list[tuple[str, bool]] | None:
    if t.pos_ != "VERB":
        return None
    lem = _lemma(t)
    p = patient(t)
    prts = {c.lower_ for c in t.children if c.dep_ == "prt"}
    if lem == "take" and _lemma(p) == "ownership" if p is not None else False:
        return [("property_seizure", True)]
    if p is not None and not is_personish(p):
        return None
    into = _prep_objects(t, {"into"})
    if any(_lemma(o) == "custody" for o in into):
        return [("custody", True)]
    if lem == "take":
        if "in" in prts and p is not None:
            return [("detention", True)]
        if "away" in prts and p is not None and _nearby_context(t, SECURITY_CONTEXT | {"handcuff"}, 0, 0):
            return [("detention", True)]
        for o in _prep_objects(t, {"to"}):
            words = {_lemma(o)} | {_lemma(c) for c in o.subtree}
            if words & {"station", "department", "building", "headquarters", "precinct", "fsb", "police", "court"}:
                return [("detention", True)]
        if _prep_objects(t, {"from"}) and p is not None and _nearby_context(t, SECURITY_CONTEXT, 0, 0):
            return [("detention", True)]
        return None
    if lem == "put":
        for o in _prep_objects(t, {"on", "into", "in"}):
            ol = _lemma(o)
            if ol in {"flight", "plane"}:
                return [("deportation", True)]
            if ol in {"bus", "buses", "van", "vans", "car"} and _nearby_context(t, SECURITY_CONTEXT, 0, 0):
                return [("detention", True)]
        return None
    if lem == "hold":
        in_objs = [_lemma(o) for o in _prep_objects(t, {"in"})]
        stamp = {c.lower_ for c in t.children if c.dep_ == "prep"} | {
            g.lower_ for c in t.children if c.dep_ == "advcl" for g in c.children if g.dep_ == "mark"
        }
        if "custody" in in_objs or (
            set(in_objs) & {"centre", "center", "sizo", "detention", "sizo-1", "sizo-2"} and stamp & {"since", "until"}
        ):
            return [("custody", True)]
        for o in _prep_objects(t, {"for"}):
            if _lemma(o) in {"hour", "hours", "night", "day", "days"}:
                return [("detention", True)]
        if "overnight" in {c.lower_ for c in t.children}:
            return [("detention", True)]
    return None


def _r_custody(t: Token) -> list[tuple[str, bool]] | None:
    lem = _lemma(t)
    if lem == "remand":
        if t.dep_ in {"compound", "amod"}:
            return None
        return [("custody", True)]
    if lem == "custody":
        if any(c.lower_ == "police" for c in t.children):
            return None
        gov = _governed_by(
            t,
            {
                "hold",
                "remand",
                "order",
                "place",
                "keep",
                "send",
                "spend",
                "be",
                "remain",
                "extend",
                "ask",
                "request",
                "take",
                "seek",
            },
            max_up=3,
        )
        if gov is not None and _lemma(gov) not in {"remand", "take", "hold"}:
            return [("custody", True)]
    if lem == "extend" and t.pos_ == "VERB":
        p = patient(t)
        if p is not None and _lemma(p) in {"detention", "custody", "arrest", "term"}:
            return [("custody", True)]
    return None


def _r_charge(t: Token) -> list[tuple[str, bool]] | None:
    lem = _lemma(t)
    if lem in {"charge", "accuse", "prosecute", "indict"} and t.pos_ == "VERB":
        p = patient(t)
        if p is not None and (not is_personish(p) or _lemma(p) in {"group"}):
            return None
        if lem == "accuse" and not _legal_sense(t):
            return None  # "accused them of disloyalty": blame, not a criminal charge
        return [("charge", True)]
    if lem == "charge" and t.pos_ == "NOUN":
        if any(c.lower_ == "against" for c in t.children if c.dep_ == "prep"):
            return [("charge", True)]
        if t.dep_ == "pobj" and t.head.lower_ == "without":
            return [("charge", True)]
        if t.dep_ == "pobj" and t.head.lower_ == "on" and not _governed_by(t, {"sentence", "convict", "jail"}):
            return [("charge", True)]
        return None
    if lem == "case" and t.pos_ == "NOUN":
        gov = _governed_by(t, {"open", "initiate", "launch", "institute", "bring", "lead"}, max_up=3)
        if gov is not None:
            return [("charge", True)]
        if any(c.lower_ == "criminal" for c in t.children) and (
            any(c.lower_ == "against" for c in t.children if c.dep_ == "prep")
            or any(c.dep_ == "nummod" for c in t.children)
        ):
            return [("charge", True)]  # "a criminal case against X", "3 new criminal cases"
        if any(_lemma(c) == "suspect" for c in t.head.children) or _lemma(t.head) == "suspect":
            return [("charge", True)]
        return None
    if lem == "investigation" and any(c.lower_ == "criminal" for c in t.children):
        return [("charge", True)]
    if lem == "suspect" and t.pos_ == "NOUN" and _lemma(t.head) in {"name", "as"}:
        return [("charge", True)]
    return None


def _legal_sense(t: Token) -> bool:
    """A criminal accusation: an offence named in the "of" object, or courts, investigators or a case around it."""
    offence = {_lemma(w) for o in _prep_objects(t, {"of"}) for w in o.subtree} | {
        w.lower_ for o in _prep_objects(t, {"of"}) for w in o.subtree
    }
    if offence & LEGAL_OFFENCES:
        return True
    return _nearby_context(t, LEGAL_CONTEXT, 0, 0)


def _short_term(t: Token) -> bool:
    """"jailed for ten days", "sentenced to 15 days": an administrative arrest, which the taxonomy files as a fine."""
    words = {w.lower_ for o in _prep_objects(t, {"to", "for"}) for w in o.subtree}
    return bool(words & {"administrative", "days", "day"}) and not words & {"years", "year", "months", "month"}


def _r_sentence(t: Token) -> list[tuple[str, bool]] | None:
    lem = _lemma(t)
    if lem in {"sentence", "convict", "jail"} and t.pos_ == "VERB" and t.dep_ != "amod":
        if _short_term(t):
            return [("fine", True)]
        if lem == "convict" and any(c.dep_ == "conj" and _lemma(c) in {"fine", "fin"} for c in t.children):
            return None  # "convicted ... and fined 700,000 roubles": the fine rule reports it
        return [("sentence", True)]
    if lem == "sentence" and t.pos_ == "NOUN":
        if _lemma(t.head) in {
            "serve",
            "uphold",
            "hand",
            "receive",
            "impose",
            "overturn",
            "appeal",
            "pass",
            "reduce",
            "commute",
            "quash",
            "give",
        }:
            return [("sentence", True)]
        mods = " ".join(c.text.lower() for c in t.children if c.dep_ in {"amod", "compound", "nummod", "nmod"})
        if "year" in mods or "prison" in mods or "month" in mods:
            return [("sentence", True)]
        return None
    if lem == "verdict":
        return [("sentence", True)]
    if lem == "uphold" and t.pos_ == "VERB":
        p = patient(t)
        if p is not None and _lemma(p) in {"sentence", "verdict", "conviction"}:
            return None  # the noun itself triggers
        return None
    if lem == "serve" and t.pos_ == "VERB":
        objs = [c for c in t.children if c.dep_ in {"dobj", "npadvmod", "nsubjpass"}]
        if any(_lemma(o) in {"term", "year", "month", "sentence"} for o in objs):
            return [("sentence", True)]
        return None
    if lem == "face" and t.pos_ == "VERB":
        words = {_lemma(w) for w in t.subtree}
        if words & {"year", "imprisonment", "prison", "life", "jail"}:
            return [("sentence", True)]
    return None


def _r_fine(t: Token) -> list[tuple[str, bool]] | None:
    lem = _lemma(t)
    if lem in {"fine", "fin"} and t.lower_.startswith("fine"):
        if t.dep_ == "amod" or (t.i + 1 < len(t.doc) and t.doc[t.i + 1].text == "-"):
            return None
        if t.pos_ == "VERB":
            convicted_and_fined = t.dep_ == "conj" and _lemma(t.head) == "convict"
            if any(_lemma(w) == "convict" for w in t.sent) and not convicted_and_fined:
                return None
            p = patient(t)
            if p is None or is_personish(p) or p.ent_type_ == "MONEY" or _lemma(p) in MONEY_WORDS:
                return [("fine", True)]
            return None
        if t.pos_ == "NOUN" and (
            _lemma(t.head) in {"impose", "pay", "face", "issue", "receive", "give", "collect", "come"}
            or any(c.dep_ in {"nummod", "compound", "amod"} for c in t.children)
        ):
            return [("fine", True)]
        return None
    if lem == "protocol" and (any(c.lower_ == "administrative" for c in t.children) or _lemma(t.head) == "draw"):
        return [("fine", True)]
    return None


def _r_deport(t: Token) -> list[tuple[str, bool]] | None:
    return [("deportation", True)]


def _r_transfer(t: Token) -> list[tuple[str, bool]] | None:
    lem = _lemma(t)
    if t.pos_ == "VERB":
        p = patient(t)
        if p is not None and is_personish(p):
            return [("transfer", True)]
        if p is None and _is_passive(t) and _has_context(t.sent, CUSTODY_CONTEXT):
            return [("transfer", True)]
        return None
    if lem == "transfer" and t.pos_ == "NOUN":
        if any(c.dep_ == "compound" for c in t.children):
            return None
        owner = [c for c in t.children if c.dep_ == "poss"] + _prep_objects(t, {"of"})
        if any(is_personish(o) for o in owner) or _nearby_context(t, CUSTODY_CONTEXT, 0, 0):
            return [("transfer", True)]
    return None


def _r_disappear(t: Token) -> list[tuple[str, bool]] | None:
    lem = _lemma(t)
    if lem in {"disappear", "vanish", "abduct", "kidnap", "abduction", "disappearance"}:
        return [("disappearance", True)]
    if lem == "missing" or t.lower_ == "missing":
        return [("disappearance", True)]
    if lem == "whereabouts" and any(_lemma(w) in {"unknown", "know"} for w in t.head.subtree):
        return [("disappearance", True)]
    if lem == "see" and t.pos_ == "VERB":
        if _child(t, {"agent"}) is not None:
            return None  # "has not been seen by a doctor"
        kids = {c.lower_ for c in t.children}
        if ("since" in kids and "not" in kids) or "last" in kids:
            return [("disappearance", False)]
    if lem == "hear" and t.pos_ == "VERB":
        kids = {c.lower_ for c in t.children}
        if "not" in kids and ("from" in kids or _prep_objects(t, {"from"})):
            return [("disappearance", False)]
    return None


def _violence_type(t: Token) -> str:
    """Torture is violence against someone in custody; the same words outside custody are an assault."""
    if _has_context(t.sent, CUSTODY_CONTEXT):
        return "torture"
    if not any(c.dep_ == "prep" and c.lower_ == "of" for c in t.children) and _nearby_context(
        t, STRICT_CUSTODY_CONTEXT, 2, 0
    ):
        return "torture"
    return "assault"


def _r_violence(t: Token) -> list[tuple[str, bool]] | None:
    lem = _lemma(t)
    if lem == "torture" and t.pos_ == "VERB":
        return [("torture", True)]
    generic_noun = (
        t.pos_ == "NOUN"
        and not any(c.dep_ == "poss" for c in t.children)
        and not any(e.label_ == "PERSON" for e in t.sent.ents)
    )
    if lem == "torture" and not generic_noun:
        return [("torture", True)]
    if lem == "shock" and any(c.lower_ == "electric" for c in t.children):
        return [("torture", True)]
    if lem == "treatment" and any(c.lower_ == "ill" for c in t.children) and not generic_noun:
        return [("torture", True)]
    if t.pos_ == "VERB" and lem in {"beat", "hit", "kick", "strike", "attack", "assault"}:
        p = patient(t)
        if p is None or not is_personish(p):
            return None
        if p.ent_type_ in {"ORG", "GPE"}:
            return None
        if not _is_passive(t):
            subj = agent_subject(t)
            if subj is None or not (_lemma(subj) in AGGRESSORS or subj.lower_ in AGGRESSORS):
                return None
        return [(_violence_type(t), True)]
    if t.pos_ == "NOUN" and lem in {"beating", "attack", "assault"}:
        if lem == "attack":
            targets = _prep_objects(t, {"on", "against"})
            if not any(is_personish(o) or _lemma(o) in {"journalist", "activist"} for o in targets):
                return None
        return [(_violence_type(t), True)]
    return None


def _r_death(t: Token) -> list[tuple[str, bool]] | None:
    lem = _lemma(t)
    if lem == "die" and t.tag_ in {"VBD", "VBN"}:
        return [("death", True)]
    if lem == "kill" and t.pos_ == "VERB":
        p = patient(t)
        if p is None or is_personish(p):
            return [("death", True)]
    if lem == "death" and t.pos_ == "NOUN" and t.dep_ != "compound":
        return [("death", True)]
    if lem == "dead" and _lemma(t.head) == "find":
        return [("death", True)]
    if lem == "body" and t.dep_ == "nsubjpass" and _lemma(t.head) == "find":
        return [("death", True)]
    return None


def _r_conscription(t: Token) -> list[tuple[str, bool]] | None:
    lem = _lemma(t)
    if lem in {"summons", "summonse", "conscription", "conscript", "enlistment"}:
        return [("conscription", True)]
    if lem in {"mobilisation", "mobilization"}:
        return [("conscription", True)]
    if lem in {"mobilise", "mobilize"} and is_personish(patient(t)):
        return [("conscription", True)]
    if lem == "draft":
        if t.dep_ == "compound" and _lemma(t.head) in {"summons", "summonse", "notice", "board", "office"}:
            return [("conscription", True)]
        if t.pos_ == "VERB" and is_personish(patient(t)):
            return [("conscription", True)]
    return None


def _r_ban(t: Token) -> list[tuple[str, bool]] | None:
    lem = _lemma(t)
    if lem in {"ban", "outlaw"}:
        if t.dep_ == "amod":
            return None
        if t.pos_ == "VERB":
            frm = [c for c in t.children if c.dep_ == "prep" and c.lower_ == "from"]
            for f in frm:
                verbs = {_lemma(w) for w in f.subtree}
                if not verbs & {"enter", "entry", "return", "travel", "visit"}:
                    return None
        return [("ban", True)]
    if lem in {"declare", "designate"} and t.pos_ == "VERB":
        if lem == "designate" and t.dep_ in {"acl", "amod"}:
            return None
        words = {w.lower_ for w in t.subtree}
        if words & {"extremist", "undesirable", "terrorist"}:
            return [("ban", True)]
        return None
    if lem == "bar" and t.pos_ == "VERB":
        p = patient(t)
        if p is not None and not (is_personish(p) or p.ent_type_ in {"ORG", "NORP"}):
            return None  # "the road has barred easy access to the beach"
        return [("ban", True)]
    if lem in {"refuse", "deny"} and t.pos_ == "VERB":
        p = _child(t, {"dobj"})
        if p is not None and _lemma(p) == "entry":
            return [("ban", True)]
    return None


def _r_property(t: Token) -> list[tuple[str, bool]] | None:
    lem = _lemma(t)
    if lem in {
        "nationalise",
        "nationalize",
        "nationalisation",
        "nationalization",
        "demolish",
        "demolition",
        "bulldoze",
    }:
        return [("property_seizure", True)]
    if lem in {"confiscate", "seize"} and t.pos_ == "VERB":
        p = patient(t)
        if p is not None and (_lemma(p) in PROPERTY_OBJECTS or p.lower_ in PROPERTY_OBJECTS):
            return [("property_seizure", True)]
        return None
    if lem in {"confiscation", "seizure"}:
        objs = _prep_objects(t, {"of"})
        if not objs or any(_lemma(o) in PROPERTY_OBJECTS or o.ent_type_ in {"FAC", "ORG"} for o in objs):
            return [("property_seizure", True)]
    return None


class _DisplacementRule:
    def __init__(self, crimean_ids: frozenset[str]) -> None:
        self.crimean_ids = crimean_ids

    def _crimean(self, tok: Token) -> bool:
        if tok.lower_ in {"peninsula", "homeland"}:
            return True
        for ent in tok.doc.ents:
            if ent.start <= tok.i < ent.end:
                return (ent._.entity_id or "") in self.crimean_ids or ent.text.lower().startswith("crimea")
        return False

    def _sentence_crimean(self, sent: Span) -> bool:
        return any((e._.entity_id or "") in self.crimean_ids or e.text.lower().startswith("crimea") for e in sent.ents)

    def __call__(self, t: Token) -> list[tuple[str, bool]] | None:
        lem = _lemma(t)
        if lem == "leave" and t.pos_ == "VERB":
            p = _child(t, {"dobj"})
            if p is not None and self._crimean(p):
                return [("displacement", True)]
            return None
        if lem == "flee" and t.pos_ == "VERB":
            if self._sentence_crimean(t.sent):
                return [("displacement", True)]
            return None
        if (
            lem == "force"
            and t.pos_ == "VERB"
            and any(c.dep_ in {"prt", "prep"} and c.lower_ == "out" for c in t.children)
        ):
            return [("displacement", True)]
        if lem in {"refugee", "displace", "displacement"} and self._sentence_crimean(t.sent):
            return [("displacement", True)]
        return None


# --- arguments and temporal anchors ---------------------------------------------------------------------------
OCCUPATION = date(2014, 2, 20)
_YEAR_RE = re.compile(r"\b(1[0-9]{3}|20[0-9]{2})(s)?\b")


def _clause_head(t: Token) -> Token:
    """The head of the trigger's own clause: a noun trigger climbs to the verb that governs it."""
    cur = t
    for _ in range(6):
        if (cur.pos_ in {"VERB", "AUX"} and cur.dep_ not in {"amod", "acl"}) or cur.head.i == cur.i:
            return cur
        if cur.dep_ not in CLAUSE_INTERNAL and cur.dep_ not in {"acl", "amod"}:
            return cur
        cur = cur.head
    return cur


def _tree_distance(a: Token, b: Token) -> int:
    up_a = [a, *a.ancestors]
    index = {w.i: n for n, w in enumerate(up_a)}
    for n, w in enumerate([b, *b.ancestors]):
        if w.i in index:
            return n + index[w.i]
    return 99


def _origin_place(e: Span) -> bool:
    """A person's home town or citizenship ("the nurse from Koktebel", "a resident of Yevpatoria"), not an event
    place."""
    prep = e.root.head
    if e.root.dep_ != "pobj" or prep.lower_ not in {"from", "of"}:
        return False
    owner = prep.head
    return owner.ent_type_ == "PERSON" or _lemma(owner) in PERSON_NOUNS or owner.lower_ in PERSON_NOUNS


_ORDINAL_RE = re.compile(
    r"^(?:the\s+)?(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|\d+(?:st|nd|rd|th))$", re.I
)


def _gazetteer_place(e: Span) -> bool:
    """A place: one the gazetteer knows, or an unknown name that is not an ordinal ("the Fourth" Geneva Convention)
    or a lower-case phrase the tagger took for a place."""
    entity_id = e._.entity_id or ""
    if not entity_id.startswith("place:"):
        return False
    if not entity_id.startswith("place:~"):
        return True
    return not _ORDINAL_RE.match(e.text) and e.text[:1].isupper()


def _dateline(e: Span) -> bool:
    """The wire-copy dateline ("KYIV, May 14 (Reuters) -") says where the report was filed, not where it happened."""
    return e.start_char < 3 and e.text.isupper() and len(e.text) > 2


def _bare(e: Span) -> str:
    """The entity text without a title, a trailing possessive or a number the tagger took in ("Imam Ruslan Mesutov",
    "Bessarabov's", "Server Karimov 40,000")."""
    words = [w for w in e if not (w.like_num or w.is_punct)]
    while len(words) > 2 and words[0].lower_ in NON_VICTIM_TITLES | PERSON_NOUNS | {"imam", "activist", "mr", "ms"}:
        words = words[1:]
    if not words:
        return e.text
    text = e.doc[words[0].i : words[-1].i + 1].text
    for suffix in ("'s", "’s"):
        if text.endswith(suffix):
            return text[: -len(suffix)]
    return text


def _is_victim_entity(e: Span, t: Token) -> bool:
    """Can this entity be the one who suffered the event? Not an adjective ("Russian nationals", "Crimean Tatar
    activist"), not an owner of the real victim ("X's co-defendant Y", "X's lawyer"), not an official."""
    root = e.root
    if e.label_ == "NORP" and (root.dep_ in {"amod", "compound"} or root.pos_ == "ADJ" or root.tag_ == "JJ"):
        return False
    if e.label_ == "ORG" and _lemma(t) not in {"ban", "outlaw", "declare", "designate", "bar"} and t.lower_ != "banned":
        return False  # organisations are victims of bans only; elsewhere they are perpetrators or employers
    if root.dep_ == "poss" and root.head.i != t.i and root.head.pos_ in {"NOUN", "PROPN"}:
        return False
    before = [w.lower_ for w in e.doc[max(0, e.start - 2) : e.start]]
    if any(w in NON_VICTIM_TITLES for w in before):
        return False
    if root.dep_ == "appos" and _lemma(root.head) in NON_VICTIM_TITLES:
        return False
    return e.label_ != "PERSON" or not any(w.ent_type_ in {"GPE", "LOC"} for w in e)


def _named_before(before: list[items.Event], t: Token, singular: bool) -> list[items.Victim]:
    """Named victims of the latest earlier event within the last three sentences ("All three were detained")."""
    sent_starts = [s.start for s in t.doc.sents]
    here = next((n for n, start in enumerate(sent_starts) if start > t.i), len(sent_starts)) - 1
    for ev in reversed(before):
        named = [v for v in ev.victims if v.entity_id]
        if not named or ev.modality == "history":
            continue
        tok = t.doc.char_span(ev.start, ev.end, alignment_mode="expand")
        if tok is None:
            continue
        there = next((n for n, start in enumerate(sent_starts) if start > tok.start), len(sent_starts)) - 1
        if here - there > 2:
            return []
        if singular and len({v.entity_id for v in named}) != 1:
            return []
        return [items.Victim(text=v.text, entity_id=v.entity_id) for v in named]
    return []


def _name_lists(doc: Doc) -> list[tuple[int, list[Span]]]:
    """Coordinated lists of named people ("Enver Seitumerov, Rustem Abduraimov and Asan Yakubov"), with the index of
    their sentence."""
    sent_of = {s.start: n for n, s in enumerate(doc.sents)}
    lists: list[tuple[int, list[Span]]] = []
    for sent in doc.sents:
        persons = [e for e in sent.ents if e.label_ == "PERSON"]
        by_head: dict[int, list[Span]] = {}
        for e in persons:
            head = e.root
            while head.dep_ == "conj" and head.head.i != head.i:
                head = head.head
            by_head.setdefault(head.i, []).append(e)
        for group in by_head.values():
            if len(group) >= 2:
                lists.append((sent_of[sent.start], group))
    return lists


def _resolve_descriptors(doc: Doc, events: list[items.Event]) -> None:
    """"Four Crimean Tatar men were detained" in an article that names the four elsewhere: the descriptor stands for
    the list of names whose length is the event's count (the nearest such list)."""
    lists = None
    sent_starts = [s.start_char for s in doc.sents]
    for ev in events:
        if ev.modality in {"history", "aggregate"} or any(v.entity_id for v in ev.victims):
            continue
        if not ev.victims or ev.count is None or not 2 <= ev.count <= 12:
            continue
        if lists is None:
            lists = _name_lists(doc)
        here = sum(1 for start in sent_starts if start <= ev.start) - 1
        fitting = [(abs(n - here), group) for n, group in lists if len({_bare(e) for e in group}) == ev.count]
        if fitting:
            group = min(fitting, key=lambda pair: pair[0])[1]
            ev.victims = [items.Victim(text=_bare(e), entity_id=e._.entity_id) for e in group]


def _count_value(tok: Token) -> int | None:
    """A number of people or things: never a year ("in 2025"), never money ("40,000 roubles")."""
    value = _to_int(tok.text)
    if value is None:
        return None
    if tok.ent_type_ in {"DATE", "MONEY", "TIME", "PERCENT"}:
        return None
    if re.fullmatch(r"1[0-9]{3}|20[0-9]{2}", tok.text):
        return None  # a bare four-digit number in a report is a year
    if _lemma(tok.head) in MONEY_WORDS or any(_lemma(c) in MONEY_WORDS for c in tok.children):
        return None
    return value


def _years(span: Span) -> list[tuple[int, int]]:
    """(year, token index) of the years a span names: dates ("in 1944", "the 1930s", "18 May 1944")."""
    found: list[tuple[int, int]] = []
    for e in span.ents:
        if e.label_ not in {"DATE", "CARDINAL"}:
            continue
        for m in _YEAR_RE.finditer(e.text):
            if e.label_ == "CARDINAL" and e.start > 0 and e.doc[e.start - 1].lower_ not in {"in", "of", "since"}:
                continue
            found.append((int(m.group(1)), e.start))
    return found


def _anchor_year(t: Token) -> int | None:
    """The year an event is anchored in: the nearest year of its sentence, else (for a past-tense or noun trigger)
    the year the sentence just before it in its paragraph is set in — narrative time carries over ("On 18 May 1944
    NKVD troops came. Nearly 200,000 people were deported"); a background "since the 1970s" does not."""
    years = _years(t.sent)
    if years:
        return min(years, key=lambda y: abs(y[1] - t.i))[0]
    if t.tag_ not in {"VBD", "VBN", "NN", "NNS"} or t.sent.start == 0:
        return None
    doc = t.doc
    para_start = doc.text.rfind("\n", 0, t.sent.start_char) + 1
    previous = doc[t.sent.start - 1].sent
    if previous.end_char <= para_start:
        return None
    years = [(y, i) for y, i in _years(previous) if i == 0 or doc[i - 1].lower_ not in {"since", "until", "till"}]
    return max(years, key=lambda y: y[1])[0] if years else None


def _own_year(t: Token) -> int | None:
    """A year attached to the trigger itself: "the 1944 deportation", "the deportation of 1944"."""
    near = [c for c in t.children] + [g for c in t.children if c.dep_ == "prep" for g in c.children]
    for w in near:
        if re.fullmatch(r"1[0-9]{3}|20[0-9]{2}", w.text):
            return int(w.text)
    return None


def _historic(t: Token, ev: items.Event) -> bool:
    """Before the occupation (2014-02-20): dated so, anchored so, or told with Soviet-era markers."""
    own = _own_year(t)
    if own is not None:
        return own < 2014
    later = any(y >= 2014 for y, _ in _years(t.sent))
    if _lemma(t) in {"deportation", "deportee"} and t.pos_ == "NOUN" and not later:
        # "the deportation", "the deportees", "a deportation certificate": the deportation of 1944, unless it is
        # someone's ("his deportation", "the deportation of Vira Kovalchuk")
        owners = [c for c in t.children if c.dep_ == "poss"] + _prep_objects(t, {"of"})
        named = [o for o in owners if o.ent_type_ == "PERSON" or o.lower_ in {"his", "her", "their", "my", "our"}]
        memorial = t.dep_ == "compound" and _lemma(t.head) in HISTORY_NOUNS
        if not named and (memorial or any(c.lower_ == "the" for c in t.children) or _lemma(t) == "deportee"):
            return True
    if ev.date:
        # ISO strings compare as dates at their own precision ("2014-02" is not before February 2014)
        return ev.date < OCCUPATION.isoformat()[: len(ev.date)]
    year = _anchor_year(t)
    if year is not None and year < 2014:
        return True
    return not later and any(w.lower_ in HISTORY_MARKERS for w in t.sent)


def _aggregate(t: Token, ev: items.Event) -> bool:
    """A statistic rather than one incident: a counted plural ("14 searches"), "cases of", "the number of", a verb of
    counting above it, or a count of a hundred or more without a day."""
    if ev.date_precision == "day":
        return False
    if t.pos_ == "NOUN" and t.tag_ == "NNS" and any(c.dep_ in {"nummod", "quantmod"} for c in t.children):
        return True
    cur = t
    for _ in range(5):
        if cur.head.i == cur.i:
            break
        cur = cur.head
        lem = _lemma(cur)
        if lem in AGGREGATE_NOUNS and cur.pos_ == "NOUN" and (
            any(c.dep_ in {"nummod", "quantmod", "amod"} and (c.like_num or c.lower_ in {"greatest", "number"})
                for c in cur.children)
            or lem in {"number", "total", "figure"}
        ):
            return True
        if lem in STATISTICS_VERBS:
            return True
    return ev.count is not None and ev.count >= 100 and not any(v.entity_id for v in ev.victims)


# --- the component ------------------------------------------------------------------------------------------
class EventExtractor:
    """spaCy component setting ``Doc._.events``."""

    def __init__(self, nlp: Language, gazetteer: Gazetteer, recap_days: int = 45) -> None:
        self.gaz = gazetteer
        self.recap_days = recap_days
        self.matcher = Matcher(nlp.vocab)
        self.matcher.add("TRIGGER", [[{"LEMMA": {"IN": TRIGGER_LEMMAS}}], [{"LOWER": {"IN": TRIGGER_FORMS}}]])
        self.crimean_places = frozenset(e.id for e in gazetteer if e.label in {"GPE", "LOC"} and e.in_crimea)
        # a country or the whole peninsula says less than a town in the same clause
        self.broad_places = frozenset(e.id for e in gazetteer if e.kind in {"country", "region"})
        crimean = self.crimean_places | {"group:crimean-tatars", "group:crimeans"}
        displacement = _DisplacementRule(frozenset(crimean))
        by_name: dict[str, Rule] = {
            "search": _r_search, "detain": _r_detain, "arrest": _r_arrest, "take": _r_take, "custody": _r_custody,
            "charge": _r_charge, "sentence": _r_sentence, "fine": _r_fine, "deport": _r_deport,
            "transfer": _r_transfer, "disappear": _r_disappear, "violence": _r_violence, "death": _r_death,
            "conscription": _r_conscription, "ban": _r_ban, "property": _r_property, "displacement": displacement,
        }  # fmt: skip
        unknown = set(RULE_WORDS) - set(by_name)
        if unknown:
            raise ValueError(f"nlp/lexicons/en.toml [events.rules] names unknown rules: {sorted(unknown)}")
        self.rules: dict[str, Rule] = {w: by_name[name] for name, ws in RULE_WORDS.items() for w in ws}

    def __call__(self, doc: Doc) -> Doc:
        published = parse_published(doc._.published_at)
        if is_cyrillic_doc(doc):
            doc._.events = self._cyrillic(doc, published)
            return doc
        events: list[items.Event] = []
        seen: set[tuple[str, int, str]] = set()
        for _, start, _end in self.matcher(doc):
            t = doc[start]
            if t.i > 0 and doc[t.i - 1].text == "#":
                continue  # a hashtag ("#Deportation") names a topic, not an event
            rule = self.rules.get(_lemma(t)) or self.rules.get(t.lower_)
            if rule is None:
                continue
            found = rule(t)
            if not found:
                continue
            for etype, check_neg in found:
                mod = modality(t, check_negation=check_neg)
                if etype == "sentence" and _lemma(t) == "face":
                    mod = "hypothetical"
                key = (etype, t.sent.start, mod)
                if key in seen:
                    continue
                seen.add(key)
                events.append(self._event(doc, t, etype, mod, published, events))
        _resolve_descriptors(doc, events)
        doc._.events = events
        return doc

    def pipe(self, docs: Iterable[Doc], batch_size: int = 128) -> Iterable[Doc]:
        for doc in docs:
            yield self(doc)

    # --- arguments ------------------------------------------------------------------------------------------
    def _event(
        self, doc: Doc, t: Token, etype: str, mod: str, published: date | None, before: list[items.Event]
    ) -> items.Event:
        sent = t.sent
        ev = items.Event(
            type=etype,
            trigger=t.text,
            start=t.idx,
            end=t.idx + len(t.text),
            sentence=sent.text.strip(),
            modality=mod,
        )
        self._perpetrator(ev, sent, t)
        self._place(ev, sent, t)
        ev.victims = self._victims(sent, t, before)
        ev.count = self._count(t)
        m = ARTICLE_RE.search(sent.text)
        ev.legal_article = m.group(1) if m else None
        self._date(ev, sent, t, published)
        ev.is_recap = self._recap(ev, t, published)
        if ev.modality == "actual":
            if _historic(t, ev):
                ev.modality = "history"  # before the occupation: never an incident
            elif _aggregate(t, ev):
                ev.modality = "aggregate"  # a statistic: type, count and period, no victims, never alerted
                ev.victims = []
        return ev

    def _place(self, ev: items.Event, sent: Span, t: Token) -> None:
        """Where: a place in the trigger's own clause first (closest in the tree), not a victim's home town
        ("the nurse from Koktebel") and not a place deep in another clause."""
        places = [
            e for e in sent.ents if e.label_ in {"GPE", "LOC", "FAC"} and _gazetteer_place(e) and not _dateline(e)
        ]
        if not places:
            return
        scope = _clause_head(t)
        scope_ids = {w.i for w in scope.subtree}

        def rank(e: Span) -> tuple[int, int, int, int, int]:
            inside = e.root.i in scope_ids
            origin = _origin_place(e)
            return (
                int(origin) + 2 * int(not inside),
                int((e._.entity_id or "") in self.broad_places),
                _tree_distance(t, e.root) if inside else 99,
                int((e._.entity_id or "") not in self.crimean_places),
                abs(e.start - t.i),
            )

        best = min(places, key=rank)
        ev.place_text = best.text
        ev.place_id = best._.entity_id

    def _victims(self, sent: Span, t: Token, before: list[items.Event]) -> list[items.Victim]:
        """Who suffered it: named people in the patient (the object of "detained", the subject of "was detained", the
        "of" object or owner of "the arrest of X" / "X's arrest"); never the doer or a speaker; a descriptor ("four
        men") stays a descriptor unless it refers back to people just named."""
        doer = agent_subject(t) if t.pos_ in {"VERB", "AUX"} else None
        doer_ids = {w.i for w in doer.subtree} if doer is not None else set()
        if t.pos_ in {"VERB", "ADJ"}:
            roots = [p for p in [patient(t)] if p is not None]
        else:
            roots = [c for c in t.children if c.dep_ == "poss"] + _prep_objects(t, {"of", "against"})
            if not roots and is_personish(t):
                roots = [t]
        cands = [e for e in sent.ents if e.label_ in {"PERSON", "NORP", "ORG"}]
        for p in roots:
            span_ids = {w.i for w in p.subtree} - doer_ids
            inside = [e for e in cands if e.root.i in span_ids and _is_victim_entity(e, t)]
            if inside:
                return [items.Victim(text=_bare(e), entity_id=e._.entity_id) for e in inside]
        descriptor: list[items.Victim] = []
        for p in roots:
            if not is_personish(p) or (p.pos_ == "PRON" and p.lower_ not in GROUP_DESCRIPTORS):
                continue
            if p.lower_ in GROUP_DESCRIPTORS or _lemma(p) in GROUP_DESCRIPTORS or p.like_num:
                earlier = _named_before(before, t, singular=p.lower_ in {"he", "him", "she", "her"})
                if earlier:
                    return earlier
            if p.pos_ != "PRON":
                words = [w for w in p.subtree if not (w.like_num or w.dep_ in {"det", "quantmod", "advmod"})]
                words = [w for w in words if w.i <= p.i] or [p]
                descriptor = [items.Victim(text=sent.doc[words[0].i : p.i + 1].text)]
                break
        if descriptor and t.pos_ in {"VERB", "ADJ"}:
            return descriptor
        if roots and t.pos_ in {"VERB", "ADJ"}:
            return []  # the patient is named but is not a person ("searched the mosque")
        # no patient, or a noun trigger ("the centre for the detention of foreign nationals"): people named in the
        # trigger's own clause who are neither doers, speakers nor officials
        scope_ids = {w.i for w in _clause_head(t).subtree}
        victims: list[items.Victim] = []
        for e in cands:
            if e.label_ != "PERSON" or e.root.i not in scope_ids or e.root.i in doer_ids:
                continue
            root = e.root
            if root.dep_ == "nsubj" and _lemma(root.head) in SPEECH_VERBS:
                continue  # a speaker is never the victim of what they report
            if not _is_victim_entity(e, t):
                continue
            victims.append(items.Victim(text=_bare(e), entity_id=e._.entity_id))
        return victims or descriptor

    def _count(self, t: Token) -> int | None:
        cands: list[Token] = []
        p = patient(t) if t.pos_ in {"VERB", "ADJ"} else t
        if p is not None:
            cands.append(p)
        cands.extend(_prep_objects(t, {"in", "of"}))
        for c in cands:
            for n in c.children:
                if n.dep_ == "nummod":
                    value = _count_value(n)
                    if value is not None:
                        return value
            if c.like_num or c.lower_ in NUMBER_WORDS:
                return _count_value(c)
        return None

    def _perpetrator(self, ev: items.Event, sent: Span, t: Token) -> None:
        doer = agent_subject(t) if t.pos_ == "VERB" else None
        ents = [e for e in sent.ents if e.label_ == "ORG" and (e._.entity_id or "") in PERPETRATOR_IDS]
        if doer is not None:
            for e in ents:
                if e.start <= doer.i < e.end or any(e.start <= w.i < e.end for w in doer.subtree):
                    ev.perpetrator_text, ev.perpetrator_id = e.text, e._.entity_id
                    return
            if _lemma(doer) in PERPETRATOR_WORDS or doer.lower_ in PERPETRATOR_WORDS:
                ev.perpetrator_text = doer.text
                return
        if ents:
            ents.sort(key=lambda e: abs(e.start - t.i))
            ev.perpetrator_text, ev.perpetrator_id = ents[0].text, ents[0]._.entity_id
            return
        for w in sent:
            if w.lower_ in PERPETRATOR_WORDS:
                ev.perpetrator_text = w.text
                return

    def _date(self, ev: items.Event, sent: Span, t: Token, published: date | None) -> None:
        dates = [e for e in sent.ents if e.label_ in {"DATE", "TIME"}]
        dates.sort(key=lambda e: abs(e.start - t.i))
        for e in dates:
            res = resolve(e.text, published)
            if res is not None:
                ev.date, ev.date_precision = res
                return

    def _recap(self, ev: items.Event, t: Token, published: date | None) -> bool:
        if ev.date and published is not None:
            try:
                year = int(ev.date[:4])
                if len(ev.date) == 4:
                    return year < published.year
                month = int(ev.date[5:7])
                day = int(ev.date[8:10]) if len(ev.date) >= 10 else 28
                return date(year, month, day) < published - timedelta(days=self.recap_days)
            except ValueError:
                return False
        words = {w.lower_ for w in t.sent}
        if words & {"previously", "earlier", "formerly"}:
            return True
        return any(c.dep_ == "aux" and c.lower_ == "had" for c in t.children)

    # --- Cyrillic -------------------------------------------------------------------------------------------
    def _cyrillic(self, doc: Doc, published: date | None) -> list[items.Event]:
        events: list[items.Event] = []
        seen: set[tuple[str, int, str]] = set()
        for sent in doc.sents:
            text = sent.text
            for etype, pattern in CYRILLIC_RULES:
                for m in pattern.finditer(text):
                    before = text[max(0, m.start() - 40) : m.start()]
                    if _CYR_NEG.search(before):
                        mod = "negated"
                    elif _CYR_HYP.search(before):
                        mod = "hypothetical"
                    else:
                        mod = "actual"
                    key = (etype, sent.start, mod)
                    if key in seen:
                        continue
                    seen.add(key)
                    start = sent.start_char + m.start()
                    ev = items.Event(
                        type=etype,
                        trigger=m.group(0),
                        start=start,
                        end=sent.start_char + m.end(),
                        sentence=text.strip(),
                        modality=mod,
                    )
                    tok = doc.char_span(start, ev.end, alignment_mode="expand")
                    anchor = tok.root if tok is not None else sent.root
                    self._place(ev, sent, anchor)
                    ev.victims = [
                        items.Victim(text=e.text, entity_id=e._.entity_id) for e in sent.ents if e.label_ == "PERSON"
                    ]
                    m_art = re.search(r"(?:стать[еияю]|статт[еія]\w*)\s+(\d+(?:\.\d+)*)", text, re.I)
                    ev.legal_article = m_art.group(1) if m_art else None
                    events.append(ev)
        return events


def _to_int(text: str) -> int | None:
    low = text.lower().replace(",", "")
    if low.isdigit():
        return int(low)
    return NUMBER_WORDS.get(low)


@Language.factory("crimea_events", default_config={"data_dir": None, "recap_days": 45})
def make_events(nlp: Language, name: str, data_dir: str | None, recap_days: int) -> EventExtractor:
    return EventExtractor(nlp, load_gazetteer(data_dir), recap_days=recap_days)
