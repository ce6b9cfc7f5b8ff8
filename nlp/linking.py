"""Entity linking: every PERSON / ORG / GPE / LOC / NORP span gets ``Span._.entity_id`` and ``Span._.entity_name``.

Order of resolution for one span:

1. the gazetteer id that the ``crimea_gazetteer`` EntityRuler attached (``span.ent_id_``);
2. :meth:`Gazetteer.lookup` of the cleaned text (possessive ``'s`` and titles stripped), which is
   transliteration-aware (Dzhemilev = Jemilev = Cemilev = Джемилев) through :func:`nlp.translit.name_key`;
3. for persons, a name already seen in the same article: a surname alone ("said Chubarov") or a first name alone
   ("Izzet's sister") links to the full name it belongs to;
4. otherwise a normalised key ``person:~<slug>`` built from the phonetic key, so spelling variants of the same
   unknown name (Seitumerov / Seytumerov) still share one id.

A few cheap repairs of en_core_web_sm mistakes are made here because linking is where we know what a name is:
a PERSON that is a gazetteer place becomes GPE (and vice versa), a gazetteer place glued to a following person
name ("Vladimir Putin") becomes part of the person, and in Cyrillic text (which the English model cannot read)
model entities are replaced by gazetteer matches on word stems and capitalised name pairs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from nlp import extensions
from nlp.gazetteer import Gazetteer, GazetteerEntry, load_gazetteer
from nlp.lang import CYRILLIC as _CYRILLIC_LANGS
from nlp.lang.detect import PIPELINE_LANGUAGES as _OWN_PIPELINE
from nlp.lang.morph import is_first_name
from nlp.lang.names import base_form
from nlp.translit import fold, key_tokens, name_key

__all__ = ["LINKED_LABELS", "EntityLinker", "is_cyrillic_doc", "slug"]

extensions.register()

LINKED_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP"})
_PREFIX = {"PERSON": "person", "ORG": "org", "GPE": "place", "LOC": "place", "NORP": "group", "FAC": "place"}
_PLACE_LABELS = frozenset({"GPE", "LOC"})

# Words that precede a name but are not part of it ("lawyer Alim Kurtveliev", "Mr Chubarov").
_TITLES = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "miss",
        "dr",
        "prof",
        "professor",
        "sir",
        "lawyer",
        "attorney",
        "advocate",
        "judge",
        "prosecutor",
        "imam",
        "mufti",
        "sheikh",
        "journalist",
        "activist",
        "blogger",
        "editor",
        "chairman",
        "chair",
        "president",
        "minister",
        "deputy",
        "general",
        "colonel",
        "major",
        "captain",
        "lieutenant",
        "sergeant",
        "officer",
        "spokesman",
        "spokeswoman",
        "spokesperson",
        "coordinator",
        "director",
        "analyst",
        "researcher",
        "mejlis",
        "member",
        "leader",
        "citizen",
        "resident",
        "defendant",
        "detainee",
        "prisoner",
        "st",
        "saint",
        "the",
    ]
)
_KIN = frozenset(
    [
        "mum",
        "mom",
        "dad",
        "mother",
        "father",
        "son",
        "daughter",
        "wife",
        "husband",
        "brother",
        "sister",
        "granny",
        "grandma",
    ]
)
_GEO_NOUNS = frozenset(
    [
        "peninsula",
        "strait",
        "bay",
        "mountains",
        "mountain",
        "valley",
        "river",
        "lake",
        "region",
        "oblast",
        "sea",
        "coast",
    ]
)
_INSTITUTION_NOUNS = frozenset(["court", "police", "department", "prosecutor", "administration", "office", "hospital"])
_ADJ_SUFFIXES = ("ian", "ish", "ese", "kh", "ic", "ean")
_ORG_WORDS = frozenset(
    ["court", "committee", "ministry", "office", "group", "centre", "center", "council", "service", "university"]
)
_SURNAME_ENDINGS = (
    "ov", "ev", "yev", "iev", "ova", "eva", "yeva", "in", "ina", "sky", "skyi", "skiy", "ska", "ski", "chuk",
    "enko", "uk", "yuk", "ko", "ich", "vich", "dze", "shvili", "yan", "oglu", "ly",
)  # fmt: skip
_POSSESSIVE = frozenset({"'s", "’s", "'", "’", "s"})
_CYR_RE = re.compile(r"[\u0400-\u04ff]")
_LAT_RE = re.compile(r"[A-Za-z]")
_CYR_WORD_RE = re.compile(r"^[А-ЯЁІЇЄҐ][а-яёіїєґ'’ʼ-]+$")
# Russian/Ukrainian case endings, longest first, to get from an inflected form to the stem of a gazetteer name.
_CYR_ENDINGS = (
    "ого", "ому", "ими", "ыми", "ами", "ями", "ой", "ей", "ою", "ею", "ом", "ем", "ім", "ам", "ям", "ах", "ях",
    "ую", "юю", "ая", "яя", "ий", "ый", "ої", "ії", "а", "я", "у", "ю", "е", "і", "и", "ы", "ї", "й", "ь", "о",
)  # fmt: skip
_NON_NAME_CYR = frozenset(
    [
        "В",
        "На",
        "По",
        "Под",
        "У",
        "Из",
        "Как",
        "Про",
        "Для",
        "Его",
        "Ее",
        "Её",
        "Їх",
        "Их",
        "Он",
        "Она",
        "Они",
        "Він",
        "Вона",
        "Вони",
        "Это",
        "Це",
        "Такие",
        "Пока",
        "Около",
        "Слідів",
        "Суд",
        "Судья",
        "Адвокат",
        "Дружина",
        "Жена",
        "Сестра",
        "Брат",
        "Родственники",
        "Справи",
        "Згодом",
        "Заседания",
        "Київський",
        "Киевский",
        "Джанкой",
    ]
)


_URL_RE = re.compile(r"https?://\S+")


def is_cyrillic_doc(doc: Doc) -> bool:
    """True when the text is mostly Cyrillic (ru/uk articles): the English model's entities are noise there."""
    # a link in a short post can outweigh its words: URLs say nothing about the language
    sample = _URL_RE.sub(" ", doc.text[:2000])
    cyr = len(_CYR_RE.findall(sample))
    return cyr > 3 * len(_LAT_RE.findall(sample)) and cyr > 20


def slug(text: str) -> str:
    """A readable, stable slug of a name's phonetic key (spelling variants give the same slug)."""
    key = name_key(text)
    table = {"J": "j", "C": "ch", "G": "g", "S": "sh", "Z": "zh", "V": "e", " ": "-"}
    out = "".join(table.get(ch, ch) for ch in key)
    return re.sub(r"-+", "-", out).strip("-") or re.sub(r"\W+", "-", fold(text)).strip("-")


def _clean_span(span: Span) -> Span:
    """Strip a possessive ending, a leading article or title, and trailing punctuation from an entity span."""
    start, end = span.start, span.end
    doc = span.doc
    while end - start > 1 and (doc[end - 1].text in _POSSESSIVE or doc[end - 1].is_punct):
        end -= 1
    while end - start > 1 and (doc[start].lower_.rstrip(".") in _TITLES or doc[start].is_punct):
        start += 1
    if (start, end) == (span.start, span.end):
        return span
    return Span(doc, start, end, label=span.label, kb_id=span.kb_id, span_id=span.id)


class EntityLinker:
    """spaCy component: links entities to the gazetteer or to a normalised key, repairs cheap NER mistakes."""

    def __init__(self, gazetteer: Gazetteer, cyrillic_names: bool = True) -> None:
        self.gaz = gazetteer
        self.cyrillic_names = cyrillic_names
        self._cyr_stems: dict[str, GazetteerEntry] = {}
        for entry in gazetteer:
            if entry.label == "PERSON":
                continue
            for text in entry.all_names:
                if " " in text or not _CYR_RE.search(text):
                    continue
                for stem in _cyr_stems(text.casefold()):
                    self._cyr_stems.setdefault(stem, entry)

    # --- spaCy API -----------------------------------------------------------------------------------------
    def __call__(self, doc: Doc) -> Doc:
        ents = list(doc.ents)
        if doc.lang_ in _OWN_PIPELINE:
            # ru/uk/crh pipelines: entities come from natasha / name patterns and the inflection-aware gazetteer;
            # the repairs below are for the English model's mistakes
            if doc.lang_ != "crh":
                ents = self._cyrillic_entities(doc, ents, keep_model=doc.lang_ == "ru")
            doc.ents = filter_spans(ents)
            self._link(doc)
            return doc
        if is_cyrillic_doc(doc):
            ents = self._cyrillic_entities(doc, ents)
        ents = self._repair(doc, ents)
        doc.ents = filter_spans(ents)
        self._link(doc)
        return doc

    def pipe(self, docs: Iterable[Doc], batch_size: int = 128) -> Iterable[Doc]:
        for doc in docs:
            yield self(doc)

    # --- repairs -------------------------------------------------------------------------------------------
    def _repair(self, doc: Doc, ents: list[Span]) -> list[Span]:
        out: list[Span] = []
        taken = {i for e in ents for i in range(e.start, e.end)}
        for i, ent in enumerate(ents):
            label = ent.label_
            if label not in LINKED_LABELS:
                out.append(ent)
                continue
            nxt = ents[i + 1] if i + 1 < len(ents) else None
            # "Vladimir Putin", "Nikita Khrushchev": a gazetteer place that is really a first name.
            if (
                label in _PLACE_LABELS
                and len(ent) == 1
                and ent.ent_id_
                and nxt is not None
                and nxt.label_ == "PERSON"
                and nxt.start == ent.end
            ):
                ents[i + 1] = Span(doc, ent.start, nxt.end, label="PERSON")
                continue
            if label == "ORG" and ent.ent_id_:
                out.extend(self._split_place(doc, ent))
                continue
            fixed = self._repair_one(doc, ent, taken)
            if fixed is not None:
                out.append(fixed)
        return out

    def _split_place(self, doc: Doc, ent: Span) -> list[Span]:
        """Institution aliases that name their town ("Simferopol pre-trial detention centre", "Southern District
        Military Court in Rostov-on-Don") also mention the place: split it out so the place is found."""
        words = [t.lower_ for t in ent]
        if "in" in words[1:-1]:
            k = ent.start + words.index("in", 1)
            place = self.gaz.lookup(doc[k + 1 : ent.end].text)
            if place is not None and place.label in _PLACE_LABELS:
                return [
                    Span(doc, ent.start, k, label="ORG", span_id=ent.id),
                    Span(doc, k + 1, ent.end, label=place.label, span_id=place.id),
                ]
        if len(ent) > 1:
            place = self.gaz.lookup(ent[0].text)
            if place is not None and place.label in _PLACE_LABELS and ent[0].is_title and ent[1].is_lower:
                return [
                    Span(doc, ent.start, ent.start + 1, label=place.label, span_id=place.id),
                    Span(doc, ent.start + 1, ent.end, label="ORG", span_id=ent.id),
                ]
        return [ent]

    def _repair_one(self, doc: Doc, ent: Span, taken: set[int]) -> Span | None:
        label = ent.label_
        entry = self.gaz.get(ent.ent_id_) if ent.ent_id_ else None
        # A gazetteer place glued to following capitalised words is part of a longer name: "Black Sea Daily",
        # "Geneva Convention", "Crimea Herald" (organisations), "Kerch Peninsula" (a place of its own).
        if label in _PLACE_LABELS and entry is not None:
            end = ent.end
            while end < len(doc) and doc[end].is_title and doc[end].pos_ == "PROPN" and end not in taken:
                end += 1
            if end > ent.end:
                last = doc[end - 1].lower_
                geo = last in _GEO_NOUNS
                return Span(doc, ent.start, end, label="LOC" if geo else "ORG")
            # "the Dzhankoi district court" is the town's court: link the town, not the raion
            if entry.kind == "raion" and end < len(doc) and doc[end].lemma_.lower() in _INSTITUTION_NOUNS:
                town = self.gaz.lookup(doc[ent.start].text)
                if town is not None and town.id != entry.id:
                    return Span(doc, ent.start, ent.start + 1, label=town.label, span_id=town.id)
            return ent
        # A surname alias from the gazetteer preceded by another first name: "Gulnara Dzhaparova" is not "Emine".
        if label == "PERSON" and entry is not None and len(ent) == 1 and ent.start > 0:
            prev = doc[ent.start - 1]
            if prev.is_title and prev.pos_ == "PROPN" and not prev.ent_id_:
                return Span(doc, ent.start - 1, ent.end, label="PERSON")
            return ent
        if entry is not None:
            return ent
        cleaned = _clean_span(ent)
        first = ent[0]
        if label == "PERSON":
            if len(cleaned) == 1 and (cleaned[0].lower_ in _TITLES or cleaned[0].lower_ in _KIN):
                return None
            if len(ent) == 1 and first.tag_ in {"NN", "NNS"}:
                return None
            if (
                len(ent) == 1
                and first.is_sent_start
                and ent.end < len(doc)
                and doc[ent.end].is_lower
                and doc[ent.end].pos_ == "NOUN"
                and not self._looks_like_person(cleaned)
                and self.gaz.lookup(cleaned.text) is None
            ):
                return None  # "Ferry services", "Riot police": a capitalised common word
            if (
                ent.end + 1 < len(doc)
                and doc[ent.end].lower_ in {"'s", "’s"}
                and doc[ent.end + 1].lower_.startswith("witness")
            ):
                return None  # "Jehovah's Witness"
        found = self.gaz.lookup(cleaned.text)
        if found is not None:
            new_label = _label_for(found, label)
            if new_label != label:
                return Span(doc, ent.start, ent.end, label=new_label, span_id=found.id)
            return ent
        if label in {"GPE", "ORG", "NORP", "LOC"}:
            if label == "GPE" and len(ent) == 1 and (first.tag_ == "JJ" or first.lower_.endswith(_ADJ_SUFFIXES)):
                return Span(doc, ent.start, ent.end, label="NORP")
            if self._looks_like_person(cleaned) or (
                label != "NORP" and _surname_shape(cleaned) and not any(t.lower_ in _ORG_WORDS for t in cleaned)
            ):
                return Span(doc, ent.start, ent.end, label="PERSON")
        return ent

    def _looks_like_person(self, span: Span) -> bool:
        """An ORG/GPE span that is a surname already seen as part of a PERSON name in this article."""
        if len(span) != 1 or not span[0].is_title:
            return False
        key = key_tokens(span.text)
        if not key:
            return False
        for ent in span.doc.ents:
            if ent.label_ == "PERSON" and len(ent) > 1 and key_tokens(_clean_span(ent).text)[-1:] == key:
                return True
        return False

    # --- Cyrillic text ---------------------------------------------------------------------------------------
    def cyrillic_lookup(self, word: str) -> GazetteerEntry | None:
        """A place/organisation/group from an inflected Cyrillic word form (Бахчисарае -> Bakhchysarai)."""
        for stem in _cyr_stems(word.casefold()):
            entry = self._cyr_stems.get(stem)
            if entry is not None:
                return entry
        return None

    def resolve_name(self, name: str) -> GazetteerEntry | None:
        """Gazetteer entry for any spelling, including inflected Cyrillic forms (for scoring gold names)."""
        entry = self.gaz.lookup(name)
        if entry is None and _CYR_RE.search(name) and " " not in name.strip():
            entry = self.cyrillic_lookup(name.strip())
        return entry

    @staticmethod
    def _pair_repeats(doc: Doc, i: int) -> bool:
        """A capitalised pair at a sentence start is a name only if the same name occurs elsewhere."""
        key = _cyr_name_key(doc[i : i + 2].text)
        text_keys = [_cyr_name_key(doc[j : j + 2].text) for j in range(len(doc) - 1) if j != i]
        return key in text_keys

    def _cyrillic_entities(self, doc: Doc, ents: list[Span], keep_model: bool = False) -> list[Span]:
        """Gazetteer matches of inflected words and capitalised name pairs; ``keep_model`` keeps the entities a
        model that reads the language (natasha) found, else only gazetteer spans are kept."""
        kept = [e for e in ents if (e.ent_id_ or keep_model) and _CYR_RE.search(e.text)]
        taken = {i for e in kept for i in range(e.start, e.end)}
        found: list[Span] = []
        i = 0
        n = len(doc)
        while i < n:
            tok = doc[i]
            if i in taken or not _CYR_WORD_RE.match(tok.text):
                i += 1
                continue
            # Multi-word names like "Ростове-на-Дону" are tokenised as one token or with hyphens kept.
            entry = self.cyrillic_lookup(tok.lower_)
            if entry is not None and tok.text not in _NON_NAME_CYR:
                found.append(Span(doc, i, i + 1, label=entry.label, span_id=entry.id))
                i += 1
                continue
            if self.cyrillic_names and i + 1 < n and (i + 1) not in taken:
                nxt = doc[i + 1]
                if (
                    _CYR_WORD_RE.match(nxt.text)
                    and tok.text not in _NON_NAME_CYR
                    and nxt.text not in _NON_NAME_CYR
                    and self.cyrillic_lookup(nxt.lower_) is None
                    and (
                        not tok.is_sent_start
                        or self._pair_repeats(doc, i)
                        or (doc.lang_ in _CYRILLIC_LANGS and is_first_name(tok.text, doc.lang_))
                    )
                    and not (i + 2 < n and _CYR_WORD_RE.match(doc[i + 2].text))
                    and _surname_like(nxt.text)
                ):
                    found.append(Span(doc, i, i + 2, label="PERSON"))
                    i += 2
                    continue
            i += 1
        return kept + found

    def _id_matches(self, entry_id: str, text: str) -> bool:
        """The ruler's id still names this span (a span widened by a repair keeps its root token's old id)."""
        entry = self.gaz.get(entry_id)
        if entry is None:
            return False
        folded = fold(text)
        return any(fold(n) == folded for n in entry.all_names) or self.gaz.lookup(text) is entry

    # --- linking -----------------------------------------------------------------------------------------
    def _link(self, doc: Doc) -> None:
        full_names: list[tuple[tuple[str, ...], str, str]] = []  # (key tokens, id, display name)
        cyr_groups: dict[str, list[Span]] = {}
        pending: list[tuple[Span, Span]] = []
        for ent in doc.ents:
            if ent.label_ not in LINKED_LABELS:
                continue
            cleaned = _clean_span(ent)
            if ent.ent_id_ and (doc.lang_ in _OWN_PIPELINE or self._id_matches(ent.ent_id_, cleaned.text)):
                # (the ru/uk/crh gazetteer ruler matched an inflected form: its id stands)
                entry = self.gaz.get(ent.ent_id_)
                bare_surname = entry is not None and entry.label == "PERSON" and len(cleaned) == 1
                if bare_surname and entry is not None and not _supported(doc, ent, entry):
                    entry = None  # a surname alone, and nothing in the article says it is this known person
            elif ent.label_ == "PERSON" and len(cleaned) == 1:
                entry = None  # a surname alone: names of this article first (Dzhemalov is not Dzhemilev)
            else:
                entry = self.gaz.lookup(cleaned.text)
            if entry is not None and (ent.label_ == "PERSON") == (entry.label == "PERSON"):
                ent._.entity_id = entry.id
                ent._.entity_name = entry.name
                if entry.label == "PERSON":
                    full_names.append((key_tokens(entry.name, strict=True), entry.id, entry.name))
                    for alias in entry.all_names:
                        toks = key_tokens(alias, strict=True)
                        if len(toks) > 1:
                            full_names.append((toks, entry.id, entry.name))
                continue
            if ent.label_ == "PERSON":
                if _CYR_RE.search(cleaned.text):
                    cyr_groups.setdefault(_cyr_name_key(cleaned.text), []).append(ent)
                    continue
                if doc.lang_ == "crh":  # Crimean Tatar: the name without its case suffix (Ablayevniñ -> Ablayev)
                    name = base_form(cleaned)
                    known = self.gaz.lookup(name)
                    ent._.entity_id = known.id if known is not None else f"person:~{slug(name)}"
                    ent._.entity_name = known.name if known is not None else name
                    continue
                pending.append((ent, cleaned))
                continue
            if doc.lang_ in _CYRILLIC_LANGS and _CYR_RE.search(cleaned.text):
                base = base_form(cleaned)
                entry = self.gaz.lookup(base) or self.resolve_name(cleaned.text)
                if entry is not None and entry.label != "PERSON":
                    ent._.entity_id, ent._.entity_name = entry.id, entry.name
                    continue
                ent._.entity_id = f"{_PREFIX[ent.label_]}:~{slug(base)}"
                ent._.entity_name = base
                continue
            ent._.entity_id = f"{_PREFIX[ent.label_]}:~{slug(cleaned.text)}"
            ent._.entity_name = cleaned.text
        # Persons: full names first, so that a surname mentioned before the full name still links.
        for _ent, cleaned in pending:
            toks = key_tokens(cleaned.text, strict=True)
            if len(toks) > 1:
                full_names.append((toks, f"person:~{slug(cleaned.text)}", cleaned.text))
        for ent, cleaned in pending:
            toks = key_tokens(cleaned.text, strict=True)
            target = _match_person(toks, full_names)
            if target is None and len(toks) == 1:
                known = self.gaz.lookup(cleaned.text)
                if known is not None and known.label == "PERSON" and _supported(doc, ent, known):
                    target = (known.id, known.name)
            if target is not None:
                ent._.entity_id, ent._.entity_name = target
            else:
                ent._.entity_id = f"person:~{slug(cleaned.text)}"
                ent._.entity_name = cleaned.text
        cyr_full: list[tuple[tuple[str, ...], str, str]] = []
        # full names first, so that a surname alone can join the full name whatever the order of mention
        for group in sorted(cyr_groups.values(), key=lambda g: -max(len(e) for e in g)):
            if doc.lang_ in _CYRILLIC_LANGS:
                # every mention to the nominative; the form most mentions agree on names the person
                bases = [base_form(_clean_span(ent)) for ent in group]
                # ties: the shorter form (Тохтаров, not Тохтарова: the oblique forms are the longer ones)
                name = max(bases, key=lambda b: (bases.count(b), -len(b), -bases.index(b)))
            else:
                # Inflected forms (Эдема Муратова / Эдем Муратов): the shortest form is nearly always the nominative.
                best = min(group, key=lambda s: (_oblique(s.text), len(s.text), _a_endings(s.text), s.start))
                name = _clean_span(best).text
            entry = self.gaz.lookup(name)
            eid = entry.id if entry is not None else f"person:~{slug(name)}"
            display = entry.name if entry is not None else name
            if entry is None and " " not in name and doc.lang_ in _CYRILLIC_LANGS:
                # a surname alone ("— сказал Исмаилов") is the full name used elsewhere in the article
                full = _match_person(key_tokens(name), full_names + cyr_full)
                if full is not None:
                    eid, display = full
            if " " in display and entry is None:
                cyr_full.append((key_tokens(display), eid, display))
            for ent in group:
                ent._.entity_id = eid
                ent._.entity_name = display


def _supported(doc: Doc, ent: Span, entry: GazetteerEntry) -> bool:
    """A surname alone is a known person only when the article backs it: the person's first name somewhere in it,
    or a word of their role just before the surname ("Mejlis chairman Chubarov"). "Jemalov" in a story about a bus
    driver is not Mustafa Dzhemilev."""
    first = key_tokens(entry.name, strict=True)[:1]
    if first and any(key_tokens(t.text, strict=True)[:1] == first for t in doc if t.is_title and not t.is_stop):
        return True
    role = {w for w in re.findall(r"[a-z]+", fold(entry.role or "")) if len(w) > 3}
    around = {fold(t.text) for t in [*doc[max(0, ent.start - 4) : ent.start], *doc[ent.end : ent.end + 6]]}
    return bool(role & around)


def _match_person(toks: tuple[str, ...], full_names: list[tuple[tuple[str, ...], str, str]]) -> tuple[str, str] | None:
    """The (id, name) of the full name that ``toks`` (a full name, surname or first name) refers to."""
    if not toks:
        return None
    if len(toks) > 1:
        for cand, eid, name in full_names:
            if cand == toks:
                return eid, name
        # "Izzet Chalbash" vs "Izet Chalbash": same surname and a first name with the same consonant skeleton.
        for cand, eid, name in full_names:
            if len(cand) == len(toks) and cand[-1] == toks[-1] and _skeleton(cand[0]) == _skeleton(toks[0]):
                return eid, name
        return None
    for cand, eid, name in full_names:
        if len(cand) > 1 and cand[-1] == toks[0]:
            return eid, name
    for cand, eid, name in full_names:
        if len(cand) > 1 and cand[0] == toks[0]:
            return eid, name
    return None


def _skeleton(key: str) -> str:
    return re.sub(r"[aeiouyV]", "", key)


def _label_for(entry: GazetteerEntry, current: str) -> str:
    if entry.label in _PLACE_LABELS and current in _PLACE_LABELS:
        return current
    return entry.label


def _cyr_stem(word: str) -> str:
    word = word.replace("’", "'").replace("ʼ", "'")
    parts = word.split("-")
    head = parts[0]
    for ending in _CYR_ENDINGS:
        if head.endswith(ending) and len(head) - len(ending) >= 3:
            head = head[: -len(ending)]
            break
    return "-".join([head, *parts[1:]]) if len(parts) > 1 else head


def _cyr_stems(word: str) -> list[str]:
    """The word and every stem left by stripping one case ending (at least 4 letters remain)."""
    word = word.replace("’", "'").replace("ʼ", "'")
    out = [word]
    for ending in _CYR_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 4:
            out.append(word[: -len(ending)])
    return out


_OBLIQUE = ("у", "ю", "ой", "ей", "ою", "ею", "ому", "ему", "ым", "им", "ом", "ем", "ові", "еві")


def _oblique(text: str) -> int:
    """How many words of a Cyrillic name carry an oblique-case ending (accusative, dative ...)."""
    return sum(1 for w in text.casefold().split() if w.endswith(_OBLIQUE))


def _a_endings(text: str) -> int:
    return sum(1 for w in text.casefold().split() if w.endswith(("а", "я")))


def _cyr_name_key(text: str) -> str:
    return " ".join(_cyr_stem(w.casefold()) for w in text.split())


def _surname_shape(span: Span) -> bool:
    """One or two capitalised words ending like an East Slavic / Crimean Tatar surname (Ostapchuk, Guseva)."""
    if not 1 <= len(span) <= 2 or not all(t.is_title for t in span):
        return False
    return span[-1].lower_.endswith(_SURNAME_ENDINGS) and len(span[-1]) >= 5


def _surname_like(word: str) -> bool:
    low = word.casefold()
    return len(low) >= 4 and not low.endswith(("ский", "ская", "ського", "ской", "ських", "ние", "ння", "ция"))


@Language.factory("crimea_entity_linker", default_config={"data_dir": None, "cyrillic_names": True})
def make_entity_linker(nlp: Language, name: str, data_dir: str | None, cyrillic_names: bool) -> EntityLinker:
    return EntityLinker(load_gazetteer(data_dir), cyrillic_names=cyrillic_names)
