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
* Russian and Ukrainian docs go to :mod:`nlp.lang.events_cyrillic` (lexicon stems, natasha's parse for ru).

Events are extracted whatever the article's relevance; relevance is decided separately.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date, timedelta

from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc, Span, Token

import items
from nlp import extensions
from nlp.dates import parse_published, resolve
from nlp.gazetteer import Gazetteer, load_gazetteer
from nlp.lang import CYRILLIC
from nlp.lang.events_cyrillic import cyrillic_events
from nlp.linking import is_cyrillic_doc

__all__ = ["EVENT_TYPES", "EventExtractor", "modality"]

extensions.register()

EVENT_TYPES = (
    "search", "detention", "custody", "charge", "sentence", "fine", "deportation", "transfer", "disappearance",
    "torture", "assault", "death", "conscription", "ban", "property_seizure", "displacement",
)  # fmt: skip

# --- word lists -------------------------------------------------------------------------------------------------
PERSON_NOUNS = frozenset(
    [
        "man",
        "men",
        "woman",
        "women",
        "person",
        "people",
        "child",
        "children",
        "boy",
        "girl",
        "activist",
        "journalist",
        "blogger",
        "believer",
        "worshipper",
        "resident",
        "residents",
        "student",
        "teacher",
        "lawyer",
        "imam",
        "member",
        "members",
        "defendant",
        "detainee",
        "prisoner",
        "prisoners",
        "civilian",
        "citizen",
        "citizens",
        "national",
        "nationals",
        "family",
        "families",
        "relative",
        "relatives",
        "brother",
        "sister",
        "son",
        "daughter",
        "wife",
        "husband",
        "mother",
        "father",
        "mechanic",
        "fisherman",
        "pensioner",
        "nurse",
        "driver",
        "doctor",
        "leader",
        "witness",
        "witnesses",
        "suspect",
        "suspects",
        "protester",
        "protesters",
        "demonstrator",
        "someone",
        "anyone",
        "everyone",
        "nobody",
        "one",
        "all",
        "each",
        "both",
        "others",
        "dozens",
        "hundreds",
        "deportee",
        "refugee",
        "tatar",
        "tatars",
        "muslim",
        "muslims",
        "ukrainian",
        "ukrainians",
        "russian",
        "russians",
        "crimean",
        "crimeans",
        "employee",
        "worker",
        "farmer",
        "writer",
        "artist",
        "editor",
        "reporter",
        "correspondent",
        "owner",
        "accused",
        "convict",
        "inmate",
        "he",
        "she",
        "they",
    ]
)
PLACE_OBJECTS = frozenset(
    [
        "home",
        "homes",
        "house",
        "houses",
        "flat",
        "flats",
        "apartment",
        "apartments",
        "office",
        "offices",
        "mosque",
        "mosques",
        "building",
        "buildings",
        "premises",
        "dormitory",
        "room",
        "rooms",
        "car",
        "cars",
        "garage",
        "property",
        "properties",
        "church",
        "hall",
        "shop",
        "business",
        "headquarters",
        "dacha",
        "yard",
        "village",
        "settlement",
        "madrasa",
        "school",
        "library",
        "editorial",
        "newsroom",
    ]
)
PROPERTY_OBJECTS = frozenset(
    [
        "building",
        "buildings",
        "hall",
        "house",
        "houses",
        "home",
        "homes",
        "flat",
        "flats",
        "apartment",
        "apartments",
        "property",
        "properties",
        "land",
        "plot",
        "plots",
        "business",
        "businesses",
        "estate",
        "guesthouse",
        "hotel",
        "office",
        "premises",
        "company",
        "enterprise",
        "shop",
        "farm",
        "church",
        "mosque",
        "dacha",
        "garage",
        "factory",
    ]
)
SECURITY_CONTEXT = frozenset(
    [
        "officer",
        "officers",
        "police",
        "policeman",
        "fsb",
        "security",
        "investigator",
        "investigators",
        "rosgvardia",
        "agent",
        "agents",
        "raid",
        "detain",
        "arrest",
        "warrant",
        "force",
        "forces",
        "uniform",
        "soldier",
        "soldiers",
        "guard",
        "guards",
        "bailiff",
        "enforcement",
        "committee",
    ]
)
CUSTODY_CONTEXT = frozenset(
    [
        "guard",
        "guards",
        "custody",
        "detention",
        "detain",
        "detainee",
        "cell",
        "sizo",
        "prison",
        "colony",
        "interrogation",
        "interrogate",
        "confession",
        "convoy",
        "remand",
        "prisoner",
        "inmate",
        "jail",
        "penitentiary",
    ]
)
AGGRESSORS = frozenset(
    [
        "officer",
        "officers",
        "guard",
        "guards",
        "man",
        "men",
        "attacker",
        "attackers",
        "assailant",
        "police",
        "policeman",
        "agent",
        "agents",
        "soldier",
        "soldiers",
        "people",
        "who",
        "they",
        "he",
        "she",
        "someone",
        "thug",
        "thugs",
        "stranger",
        "strangers",
    ]
)
MODAL_AUX = frozenset({"may", "might", "could", "would", "can", "should", "must", "will", "shall", "'ll", "wo", "ca"})
CUE_MODALITY = {
    "deny": "denied", "denial": "denied",
    "refuse": "negated", "fail": "negated", "decline": "negated",
    "threaten": "threatened", "threat": "threatened", "warn": "threatened", "warning": "threatened",
    "fear": "feared", "afraid": "feared", "worry": "feared", "risk": "feared",
    "face": "hypothetical", "expect": "hypothetical", "ask": "hypothetical", "request": "hypothetical",
    "seek": "hypothetical", "plan": "hypothetical", "want": "hypothetical", "intend": "hypothetical",
    "demand": "hypothetical", "possible": "hypothetical", "likely": "hypothetical", "whether": "hypothetical",
    "propose": "hypothetical", "urge": "hypothetical", "avoid": "hypothetical", "rule": "hypothetical",
    "call": "hypothetical", "try": "hypothetical", "attempt": "hypothetical", "aim": "hypothetical",
    "prevent": "hypothetical", "allow": "hypothetical",
}  # fmt: skip
# Dependency relations that stay inside one clause: a negation or modal found by climbing them governs the trigger.
CLAUSE_INTERNAL = frozenset(
    [
        "pobj",
        "prep",
        "dobj",
        "nsubj",
        "nsubjpass",
        "attr",
        "compound",
        "amod",
        "poss",
        "npadvmod",
        "agent",
        "acomp",
        "oprd",
        "xcomp",
        "appos",
        "nmod",
        "dative",
        "pcomp",
        "conj",
    ]
)
# Relations climbed to find cue verbs ("denied that ...", "fears he could be ...").
CUE_CHAIN = CLAUSE_INTERNAL | {"ccomp", "xcomp", "acl"}
NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "dozen": 12, "dozens": 24,
}  # fmt: skip
PERPETRATOR_IDS = frozenset(
    [
        "org:fsb",
        "org:investigative-committee",
        "org:center-e",
        "org:rosgvardia",
        "org:mvd",
        "org:prosecutor-crimea",
        "org:southern-district-military-court",
        "org:supreme-court-crimea",
        "org:kyivskyi-district-court-simferopol",
        "org:zheleznodorozhny-district-court-simferopol",
        "org:sevastopol-city-court",
        "org:fsin",
        "org:supreme-court-of-russia",
        "org:russian-ministry-of-justice",
        "org:roskomnadzor",
        "org:state-council-of-crimea",
    ]
)
PERPETRATOR_WORDS = frozenset(
    [
        "police",
        "officers",
        "officer",
        "fsb",
        "court",
        "judge",
        "guards",
        "guard",
        "rosgvardia",
        "investigators",
        "prosecutor",
        "bailiffs",
        "authorities",
        "magistrate",
    ]
)
MONEY_WORDS = frozenset({"rouble", "ruble", "hryvnia", "dollar", "euro", "roubles", "rubles"})
ARTICLE_RE = re.compile(r"\bArticles?\s+(\d+(?:\.\d+)*)", re.I)

TRIGGER_LEMMAS = sorted(
    [
        "search",
        "raid",
        "detain",
        "detention",
        "arrest",
        "take",
        "hold",
        "put",
        "custody",
        "remand",
        "charge",
        "case",
        "accuse",
        "prosecute",
        "indict",
        "investigation",
        "suspect",
        "sentence",
        "convict",
        "jail",
        "uphold",
        "serve",
        "verdict",
        "face",
        "fine",
        "protocol",
        "deport",
        "deportation",
        "expel",
        "expulsion",
        "deportee",
        "transfer",
        "move",
        "disappear",
        "disappearance",
        "vanish",
        "abduct",
        "abduction",
        "kidnap",
        "missing",
        "see",
        "hear",
        "whereabouts",
        "torture",
        "shock",
        "treatment",
        "beat",
        "beating",
        "hit",
        "kick",
        "strike",
        "attack",
        "assault",
        "die",
        "kill",
        "death",
        "body",
        "dead",
        "summons",
        "mobilisation",
        "mobilization",
        "conscription",
        "conscript",
        "draft",
        "mobilise",
        "mobilize",
        "enlistment",
        "ban",
        "declare",
        "designate",
        "bar",
        "refuse",
        "outlaw",
        "confiscate",
        "confiscation",
        "seize",
        "seizure",
        "nationalise",
        "nationalize",
        "nationalisation",
        "nationalization",
        "demolish",
        "demolition",
        "bulldoze",
        "ownership",
        "refugee",
        "flee",
        "leave",
        "force",
        "displace",
        "displacement",
        "extend",
        "order",
    ]
)
TRIGGER_FORMS = sorted(
    {
        "searches",
        "searched",
        "detained",
        "arrested",
        "summonses",
        "mobilisation",
        "deported",
        "expelled",
        "banned",
        "beaten",
        "tortured",
        "fined",
        "died",
        "fled",
        "left",
        "refugees",
        "missing",
        "ill-treatment",
        "sentenced",
        "sentence",
        "transferred",
        "moved",
        "disappeared",
        "abducted",
        "confiscated",
        "demolished",
        "nationalised",
        "raided",
        "raids",
        "bulldozed",
        "charged",
        "accused",
        "convicted",
        "jailed",
        "killed",
        "seized",
    }
)

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
    low = tok.lower_
    if tok.pos_ == "PRON":
        return low not in {"it", "which", "what", "this", "that", "these", "those", "something", "anything"}
    if _lemma(tok) in PERSON_NOUNS or low in PERSON_NOUNS:
        return True
    return bool(tok.like_num or low in NUMBER_WORDS)


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
        if _nearby_context(t, SECURITY_CONTEXT) or any(_lemma(o) in PLACE_OBJECTS for o in _prep_objects(t, {"in"})):
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
        if any(_lemma(c) == "suspect" for c in t.head.children) or _lemma(t.head) == "suspect":
            return [("charge", True)]
        return None
    if lem == "investigation" and any(c.lower_ == "criminal" for c in t.children):
        return [("charge", True)]
    if lem == "suspect" and t.pos_ == "NOUN" and _lemma(t.head) in {"name", "as"}:
        return [("charge", True)]
    return None


def _r_sentence(t: Token) -> list[tuple[str, bool]] | None:
    lem = _lemma(t)
    if lem in {"sentence", "convict", "jail"} and t.pos_ == "VERB" and t.dep_ != "amod":
        to_words = {w.lower_ for o in _prep_objects(t, {"to"}) for w in o.subtree}
        if to_words & {"administrative", "days", "day"}:
            return [("fine", True)]
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
            if any(_lemma(w) == "convict" for w in t.sent):
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
        kids = {c.lower_ for c in t.children}
        if ("since" in kids and "not" in kids) or "last" in kids:
            return [("disappearance", False)]
    if lem == "hear" and t.pos_ == "VERB":
        kids = {c.lower_ for c in t.children}
        if "not" in kids and ("from" in kids or _prep_objects(t, {"from"})):
            return [("disappearance", False)]
    return None


STRICT_CUSTODY_CONTEXT = frozenset(
    {"guard", "guards", "custody", "detention", "cell", "sizo", "prison", "colony", "interrogation", "confession"}
)


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


# --- the component ------------------------------------------------------------------------------------------
class EventExtractor:
    """spaCy component setting ``Doc._.events``."""

    def __init__(self, nlp: Language, gazetteer: Gazetteer, recap_days: int = 45) -> None:
        self.gaz = gazetteer
        self.recap_days = recap_days
        self.matcher = Matcher(nlp.vocab)
        self.matcher.add("TRIGGER", [[{"LEMMA": {"IN": TRIGGER_LEMMAS}}], [{"LOWER": {"IN": TRIGGER_FORMS}}]])
        self.crimean_places = frozenset(e.id for e in gazetteer if e.label in {"GPE", "LOC"} and e.in_crimea)
        crimean = self.crimean_places | {"group:crimean-tatars", "group:crimeans"}
        displacement = _DisplacementRule(frozenset(crimean))
        self.rules: dict[str, Rule] = {}
        for lem in ("search", "raid"):
            self.rules[lem] = _r_search
        self.rules["detain"] = self.rules["detention"] = _r_detain
        self.rules["detained"] = _r_detain
        self.rules["arrest"] = self.rules["arrested"] = _r_arrest
        for lem in ("take", "hold", "put"):
            self.rules[lem] = _r_take
        for lem in ("custody", "remand", "extend"):
            self.rules[lem] = _r_custody
        for lem in (
            "charge",
            "charged",
            "accuse",
            "accused",
            "prosecute",
            "indict",
            "case",
            "investigation",
            "suspect",
        ):
            self.rules[lem] = _r_charge
        for lem in (
            "sentence",
            "sentenced",
            "convict",
            "convicted",
            "jail",
            "jailed",
            "verdict",
            "serve",
            "face",
            "uphold",
        ):
            self.rules[lem] = _r_sentence
        for lem in ("fine", "fin", "fined", "protocol"):
            self.rules[lem] = _r_fine
        for lem in ("deport", "deported", "deportation", "expel", "expelled", "expulsion", "deportee"):
            self.rules[lem] = _r_deport
        for lem in ("transfer", "transferred", "move", "moved"):
            self.rules[lem] = _r_transfer
        for lem in (
            "disappear",
            "disappeared",
            "vanish",
            "abduct",
            "abducted",
            "abduction",
            "kidnap",
            "missing",
            "disappearance",
            "whereabouts",
            "see",
            "hear",
        ):
            self.rules[lem] = _r_disappear
        for lem in (
            "torture",
            "tortured",
            "shock",
            "treatment",
            "beat",
            "beaten",
            "beating",
            "hit",
            "kick",
            "strike",
            "attack",
            "assault",
        ):
            self.rules[lem] = _r_violence
        for lem in ("die", "died", "kill", "killed", "death", "dead", "body"):
            self.rules[lem] = _r_death
        for lem in (
            "summons",
            "summonse",
            "summonses",
            "conscription",
            "conscript",
            "enlistment",
            "mobilisation",
            "mobilization",
            "mobilise",
            "mobilize",
            "draft",
        ):
            self.rules[lem] = _r_conscription
        for lem in ("ban", "banned", "outlaw", "declare", "designate", "bar", "refuse", "deny"):
            self.rules[lem] = _r_ban
        for lem in (
            "confiscate",
            "confiscated",
            "confiscation",
            "seize",
            "seized",
            "seizure",
            "nationalise",
            "nationalised",
            "nationalize",
            "nationalisation",
            "nationalization",
            "demolish",
            "demolished",
            "demolition",
            "bulldoze",
            "bulldozed",
            "ownership",
        ):
            self.rules[lem] = _r_property
        for lem in ("leave", "left", "flee", "fled", "refugee", "refugees", "force", "displace", "displacement"):
            self.rules[lem] = displacement
        self.rules["ownership"] = lambda t: None  # reached through "take ownership" in _r_take

    def __call__(self, doc: Doc) -> Doc:
        published = parse_published(doc._.published_at)
        if doc.lang_ in CYRILLIC or is_cyrillic_doc(doc):
            doc._.events = cyrillic_events(doc, published, self._place)
            return doc
        events: list[items.Event] = []
        seen: set[tuple[str, int, str]] = set()
        for _, start, _end in self.matcher(doc):
            t = doc[start]
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
                events.append(self._event(doc, t, etype, mod, published))
        doc._.events = events
        return doc

    def pipe(self, docs: Iterable[Doc], batch_size: int = 128) -> Iterable[Doc]:
        for doc in docs:
            yield self(doc)

    # --- arguments ------------------------------------------------------------------------------------------
    def _event(self, doc: Doc, t: Token, etype: str, mod: str, published: date | None) -> items.Event:
        sent = t.sent
        ev = items.Event(
            type=etype,
            trigger=t.text,
            start=t.idx,
            end=t.idx + len(t.text),
            sentence=sent.text.strip(),
            modality=mod,
        )
        self._place(ev, sent, t)
        ev.victims = self._victims(sent, t)
        ev.count = self._count(t)
        self._perpetrator(ev, sent, t)
        m = ARTICLE_RE.search(sent.text)
        ev.legal_article = m.group(1) if m else None
        self._date(ev, sent, t, published)
        ev.is_recap = self._recap(ev, t, published)
        return ev

    def _place(self, ev: items.Event, sent: Span, t: Token) -> None:
        places = [e for e in sent.ents if e.label_ in {"GPE", "LOC", "FAC"} and e._.entity_id]
        if not places:
            return
        places.sort(key=lambda e: ((e._.entity_id or "") not in self.crimean_places, abs(e.start - t.i)))
        best = places[0]
        ev.place_text = best.text
        ev.place_id = best._.entity_id

    def _victims(self, sent: Span, t: Token) -> list[items.Victim]:
        p = patient(t) if t.pos_ in {"VERB", "ADJ"} else (t if is_personish(t) else None)
        victims: list[items.Victim] = []
        cands = [e for e in sent.ents if e.label_ in {"PERSON", "NORP"}]
        if p is not None:
            span_ids = {w.i for w in p.subtree}
            inside = [e for e in cands if e.start in span_ids]
            if inside:
                return [items.Victim(text=e.text, entity_id=e._.entity_id) for e in inside]
            if is_personish(p) and p.pos_ != "PRON":
                words = [w for w in p.subtree if not (w.like_num or w.dep_ in {"det", "quantmod", "advmod"})]
                words = [w for w in words if w.i <= p.i] or [p]
                return [items.Victim(text=sent.doc[words[0].i : p.i + 1].text)]
        for e in cands:
            if e.label_ != "PERSON":
                continue
            root = e.root
            if root.dep_ == "nsubj" and _lemma(root.head) in {"say", "tell", "add", "note", "stress", "write"}:
                continue
            if root.dep_ == "appos" or any(
                w.lower_ in {"lawyer", "judge", "prosecutor"} for w in e.doc[e.start - 2 : e.start]
            ):
                continue
            victims.append(items.Victim(text=e.text, entity_id=e._.entity_id))
        return victims

    def _count(self, t: Token) -> int | None:
        cands: list[Token] = []
        p = patient(t) if t.pos_ in {"VERB", "ADJ"} else t
        if p is not None:
            cands.append(p)
        cands.extend(_prep_objects(t, {"in", "of"}))
        for c in cands:
            for n in c.children:
                if n.dep_ == "nummod":
                    value = _to_int(n.text)
                    if value is not None:
                        return value
            if c.like_num or c.lower_ in NUMBER_WORDS:
                return _to_int(c.text)
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


def _to_int(text: str) -> int | None:
    low = text.lower().replace(",", "")
    if low.isdigit():
        return int(low)
    return NUMBER_WORDS.get(low)


@Language.factory("crimea_events", default_config={"data_dir": None, "recap_days": 45})
def make_events(nlp: Language, name: str, data_dir: str | None, recap_days: int) -> EventExtractor:
    return EventExtractor(nlp, load_gazetteer(data_dir), recap_days=recap_days)
