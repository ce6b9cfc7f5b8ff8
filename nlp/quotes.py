"""Statements: direct and indirect quotes with their speakers (``Doc._.quotes``).

Direct quotes are found in the raw text by pairing quotation marks (" " “ ” « » „ “ ‹ › and ‘ ’ used as double
quotes), so a bad parse never hides one; the parse is then used only for the *reporting clause* around each quote
("…,” said Jemilev; Chubarov: “…”).  Indirect speech comes from the dependency parse: a speech verb with a clausal
complement ("Chubarov pointed out that …", "…, Crimean Solidarity reported.") or an "according to X" phrase.

Speakers are resolved inside the article: a pronoun goes to the last compatible speaker or person, "the lawyer" to
the last person introduced with that role, "the department" to the last organisation of that kind, a surname to the
full name used earlier.  When the entity linker ran, ``Span._.entity_id`` / ``Span._.entity_name`` are used.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from items import Quote
from nlp.lexicons import words
from nlp.translit import fold, key_tokens, to_latin

__all__ = ["CUE_LEMMAS", "QuoteFinder", "find_quotes"]


def _en(key: str) -> frozenset[str]:
    return words("en", "quotes", key)


# the English word lists are data: nlp/lexicons/en.toml, table [quotes]

CUE_LEMMAS = _en("speech_verbs")
# cue verbs that need a particle to be speech ("point out"), keyed by (verb lemma, particle)
PHRASAL_CUES = {(p.split()[0], p.split()[1]): p for p in _en("phrasal_cues")}
_WEAK_DIRECT = _en("weak_direct")

_OPENERS = {'"': '"', "“": "”", "«": "»", "„": "“”", "‹": "›", "‘": "’", "‚": "‘’"}
_SENT_END = frozenset({".", "!", "?"})
_PRONOUNS_PERSON = {"he": "m", "him": "m", "she": "f", "her": "f"}
_PRONOUNS_GROUP = frozenset({"they", "it"})
_PROXY_NOUNS = _en("proxy_nouns")
_ORG_NOUNS = _en("org_nouns")
_PERSON_NOUNS = _en("person_nouns")
_INANIMATE_SOURCES = _en("inanimate_sources")
_TITLE_CUES = _en("title_cues")
_SPEAKER_LABELS = {"PERSON": "person", "ORG": "org", "NORP": "group", "GPE": "place", "FAC": "org", "LOC": "place"}
_TITLE_WORDS = _PERSON_NOUNS | _en("title_words")
_KIN_NOUNS = _en("kin_nouns")
_NEEDS_THAT = _en("needs_that")
_WH_WORDS = _en("wh_words")
_ADDRESSEE_CUES = _en("addressee_cues")
_NON_SPEAKERS = _en("non_speakers") | _INANIMATE_SOURCES
_AGENT_SUFFIXES = tuple(_en("agent_suffixes"))


@dataclass
class _DirectSpan:
    """A pair of quotation marks, possibly continued over paragraphs; parts are content char ranges."""

    open_pos: int
    close_pos: int  # just after the closing mark (or the end of the unterminated paragraph)
    parts: list[tuple[int, int]] = field(default_factory=list)
    closed: bool = True


@dataclass
class _Candidate:
    kind: str
    parts: list[tuple[int, int]]  # content char ranges, joined with a space into the quote text
    cue: str | None
    speaker_token: Token | None  # the head of the speaker phrase, resolved later
    speaker_span: Span | None = None  # explicit speaker phrase (according to X; X: "...")
    inherit: str | None = None  # "paragraph" (standalone quote paragraph) | "previous" (continuation)
    cue_token: Token | None = None
    span_start: int = 0  # char extent of everything the candidate covers, for nesting checks
    span_end: int = 0
    speaker_text: str | None = None
    speaker_id: str | None = None
    speaker_label: str | None = None
    fixed: str | None = None  # a speaker named by the rule-based (Cyrillic) path
    pronoun: bool = False  # the speaker is a pronoun: the last speaker
    unattributed: bool = False  # a frame was found but its subject cannot speak: keep the quote, without a speaker

    @property
    def start(self) -> int:
        return self.parts[0][0]


# --- quotation marks ----------------------------------------------------------------------------------------------
def paragraphs(text: str) -> list[tuple[int, int]]:
    """Paragraph char ranges: blank lines separate paragraphs (single newlines are soft wraps)."""
    out: list[tuple[int, int]] = []
    pos = 0
    for m in re.finditer(r"\n[ \t\r\f\v]*\n\s*", text):
        out.append((pos, m.start()))
        pos = m.end()
    out.append((pos, len(text)))
    return [(s, e) for s, e in out if text[s:e].strip()]


def _opening_context(text: str, i: int) -> bool:
    prev = text[i - 1] if i > 0 else " "
    nxt = text[i + 1] if i + 1 < len(text) else " "
    return (prev.isspace() or prev in "([{—–-/:;,…" or i == 0) and not nxt.isspace()


def find_direct_spans(text: str) -> list[_DirectSpan]:
    """Pair quotation marks; a quote left open at a paragraph end continues when the next paragraph re-opens it."""
    spans: list[_DirectSpan] = []
    paras = paragraphs(text)
    current: _DirectSpan | None = None
    opener = ""
    for p_index, (p_start, p_end) in enumerate(paras):
        i = p_start
        part_start = p_start
        if current is not None:
            # English convention: a quote running over paragraphs re-opens each paragraph with the same mark
            if text[p_start] == opener:
                part_start = p_start + 1
                i = p_start + 1
            else:
                current = None
        while i < p_end:
            ch = text[i]
            if current is None:
                if ch in _OPENERS and (ch not in '"‘‚' or _opening_context(text, i)):
                    if ch in "‘‚" and not (i + 1 < p_end and text[i + 1].isalnum()):
                        i += 1
                        continue
                    current = _DirectSpan(open_pos=i, close_pos=i)
                    opener = ch
                    part_start = i + 1
            else:
                closers = _OPENERS[opener]
                if ch in closers and not (ch == "’" and i + 1 < p_end and text[i + 1].isalpha()):
                    # an apostrophe-like ’ inside a word ("Kiev’s") never closes a ‘…’ quote
                    current.parts.append((part_start, i))
                    current.close_pos = i + 1
                    spans.append(current)
                    current = None
            i += 1
        if current is not None:
            current.parts.append((part_start, p_end))
            current.close_pos = p_end
            nxt = paras[p_index + 1][0] if p_index + 1 < len(paras) else None
            if nxt is None or text[nxt] != opener:
                current.closed = False
                spans.append(current)
                current = None
    out: list[_DirectSpan] = []
    for span in spans:
        parts = [_strip(text, s, e) for s, e in span.parts]
        # the comma before a closing mark belongs to the reporting frame ("…,” said X), not to the statement
        parts = [(s, e - 1) if e > s and text[e - 1] == "," else (s, e) for s, e in parts]
        parts = [(s, e) for s, e in parts if e > s]
        if parts:
            span.parts = parts
            out.append(span)
    return out


def _quoted_name(text: str, span: _DirectSpan) -> bool:
    """A name or label in quotation marks (the Crimean "State Council", the witness "Ivanov"), not a statement: a few
    words, every one capitalised, no sentence punctuation."""
    content = " ".join(text[s:e] for s, e in span.parts).strip()
    words = content.split()
    if not words or len(words) > 4 or content[-1:] in {".", "!", "?"}:
        return False
    return all(w[:1].isupper() or w.lower() in {"of", "the", "and", "for"} for w in words) and words[0][:1].isupper()


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


# --- names and resolution ---------------------------------------------------------------------------------------
def _gender(name: str) -> str | None:
    """A cheap guess from East Slavic / Crimean Tatar surname endings; None when the ending says nothing."""
    tokens = fold(to_latin(name)).split()
    if not tokens:
        return None
    last = tokens[-1]
    if re.search(r"(ova|eva|yeva|ina|aya|ska|skaya|tska|ievа)$", last):
        return "f"
    if re.search(r"(ov|ev|in|yn|sky|skiy|skyi|iy|yi)$", last):
        return "m"
    return None


def _slug(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "-", fold(to_latin(text))).strip("-")


@dataclass
class _Mention:
    pos: int
    name: str
    entity_id: str | None
    label: str
    roles: frozenset[str]
    is_subject: bool


class _Resolver:
    """Everything needed to turn a speaker phrase into a name, built once per doc."""

    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        self.has_link = Span.has_extension("entity_id")
        self.mentions: list[_Mention] = []
        self.full_names: dict[str, set[str]] = {}
        self.ent_of: dict[int, Span] = {}
        for ent in doc.ents:
            if ent.label_ not in _SPEAKER_LABELS:
                continue
            for tok in ent:
                if not tok.is_space:
                    self.ent_of[tok.i] = ent
        for ent in doc.ents:
            if ent.label_ == "PERSON":
                name, _eid = self.entity_name(ent)
                keys = key_tokens(name)
                if len(keys) > 1:
                    self.full_names.setdefault(keys[-1], set()).add(name)
        for ent in doc.ents:
            if ent.label_ not in ("PERSON", "ORG", "NORP", "GPE"):
                continue
            name, eid = self.entity_name(ent)
            label = self.label_of(ent, name)
            if label == "GPE":
                continue
            self.mentions.append(
                _Mention(ent.start_char, name, eid, label, self._roles(ent), ent.root.dep_.startswith("nsubj"))
            )

    def label_of(self, ent: Span, name: str) -> str:
        """NER calls a lone surname ORG or GPE now and then; a surname of a person named in the article is a person."""
        if ent.label_ != "PERSON" and len(name.split()) == 1:
            keys = key_tokens(name)
            if keys and keys[-1] in self.full_names:
                return "PERSON"
        return ent.label_

    def _roles(self, ent: Span) -> frozenset[str]:
        roles: set[str] = set()
        root = ent.root
        for child in root.children:
            if child.dep_ in ("compound", "appos", "amod") and child.i not in range(ent.start, ent.end):
                roles.add(child.lemma_.lower())
        if root.dep_ in ("appos", "compound") and root.head.pos_ == "NOUN":
            roles.add(root.head.lemma_.lower())
        for tok in ent:
            if tok.lower_ in _TITLE_WORDS:
                roles.add(tok.lower_)
        for tok in ent.doc[max(ent.start - 3, 0) : ent.start]:
            if tok.pos_ == "NOUN":
                roles.add(tok.lemma_.lower())
        return frozenset(roles)

    def extended(self, ent: Span) -> Span:
        """A PERSON span grown over name tokens NER left out ("Mammet Osmanov" tagged only as "Osmanov")."""
        start = ent.start
        doc = ent.doc
        if ent.label_ == "PERSON":
            while (
                start > 0
                and doc[start - 1].pos_ == "PROPN"
                and doc[start - 1].is_title
                and doc[start - 1].i not in self.ent_of
                and doc[start - 1].dep_ == "compound"
                and doc[start - 1].head.i in range(ent.start, ent.end)
                and doc[start - 1].lemma_.lower() not in _PERSON_NOUNS
            ):
                start -= 1
        end = ent.end
        if ent.label_ == "ORG":
            # "The Interior Ministry of Crimea": NER stops at "of"; the name goes on to the place or body after it
            while end < len(doc) and doc[end - 1].lower_ in {"of", "for"} and doc[end].i in self.ent_of:
                end = self.ent_of[doc[end].i].end
            if doc[end - 1].lower_ in {"of", "for", "the"}:
                end -= 1
        return doc[start:end]

    def entity_name(self, ent: Span) -> tuple[str, str | None]:
        span = self.extended(ent)
        toks = [t for t in span if not t.is_space] or list(span)
        while len(toks) > 1 and (toks[0].lower_.rstrip(".") in _TITLE_WORDS or toks[0].lower_ in ("the", "a")):
            toks = toks[1:]
        name = span.doc[toks[0].i : toks[-1].i + 1].text.strip()
        name = re.sub(r"[’']s$", "", name)
        eid: str | None = None
        if self.has_link:
            eid = ent._.get("entity_id")
            linked = ent._.get("entity_name") if Span.has_extension("entity_name") else None
            if linked and (
                (eid and not eid.split(":", 1)[-1].startswith("~")) or len(linked.split()) >= len(name.split())
            ):
                name = linked
        if eid is None:
            eid = f"{_SPEAKER_LABELS.get(ent.label_, 'org')}:~{_slug(name)}"
        return name, eid

    def full_name(self, name: str, label: str) -> str:
        """A lone surname becomes the full name used in the article when that name is unique."""
        if label != "PERSON" or len(name.split()) != 1:
            return name
        keys = key_tokens(name)
        if not keys:
            return name
        names = self.full_names.get(keys[-1], set())
        return next(iter(names)) if len(names) == 1 else name


def _np_text(head: Token) -> str:
    """The speaker phrase without determiners, possessors, relative clauses or what follows a comma."""
    drop: set[int] = set()
    for child in head.children:
        if child.dep_ in ("det", "poss", "relcl", "acl", "punct") or (child.dep_ == "appos"):
            drop.update(t.i for t in child.subtree)
    out: list[Token] = []
    for t in head.subtree:
        if t.i in drop or t.is_space:
            continue
        if t.i > head.i and t.is_punct:
            break
        out.append(t)
    while out and out[0].is_punct:
        out = out[1:]
    while out and out[-1].is_punct:
        out = out[:-1]
    if not out:
        return head.text
    return " ".join(t.text for t in out).replace(" - ", "-").replace(" 's", "'s")


class QuoteFinder:
    """The ``crimea_quotes`` component."""

    def __init__(self, nlp: Language, name: str = "crimea_quotes") -> None:
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        doc._.quotes = find_quotes(doc)
        return doc


@Language.factory("crimea_quotes")
def make_quote_finder(nlp: Language, name: str) -> QuoteFinder:
    _register_extensions()
    return QuoteFinder(nlp, name)


def _register_extensions() -> None:
    try:
        from nlp import extensions  # the NLP-core helper owns the registrations

        register = getattr(extensions, "register", None) or getattr(extensions, "register_extensions", None)
        if callable(register):
            register()
    except ImportError:
        pass
    if not Doc.has_extension("quotes"):
        Doc.set_extension("quotes", default=None)
    if not Doc.has_extension("claims"):
        Doc.set_extension("claims", default=None)


# --- the finder -------------------------------------------------------------------------------------------------
def _cue_of(tok: Token) -> str | None:
    lemma = tok.lemma_.lower()
    if tok.pos_ not in ("VERB", "AUX") and tok.tag_ not in ("VBD", "VBZ", "VBP", "VBN", "VBG", "VB"):
        return None
    for child in tok.children:
        if child.dep_ == "prt" and (lemma, child.lemma_.lower()) in PHRASAL_CUES:
            return PHRASAL_CUES[(lemma, child.lemma_.lower())]
    if lemma == "emphasize":
        return "emphasise"
    return lemma if lemma in CUE_LEMMAS else None


def _subject(verb: Token) -> Token | None:
    """The nsubj of a speech verb; a conjoined verb ("… and added that") borrows its head's subject."""
    for _ in range(3):
        subjects = [c for c in verb.children if c.dep_ == "nsubj" and not (c.is_punct or c.is_space)]
        # a parse that runs over a paragraph break can hang a far token on the verb: take the nearest
        subjects = [c for c in subjects if "\n\n" not in verb.doc[min(c.i, verb.i) : max(c.i, verb.i)].text]
        if subjects:
            return min(subjects, key=lambda c: abs(c.i - verb.i))
        if verb.dep_ == "conj":
            verb = verb.head
            continue
        if (verb.dep_ == "xcomp" or (verb.dep_ == "advcl" and verb.tag_ == "VBG")) and verb.head.pos_ == "VERB":
            verb = verb.head
            continue
        return None
    return None


class _Finder:
    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        self.text = doc.text
        self.paras = paragraphs(self.text)
        self.direct = find_direct_spans(self.text)
        self.in_quote = [-1] * len(doc)  # token index -> direct span index
        for qi, span in enumerate(self.direct):
            for tok in self._tokens_in(span.open_pos, span.close_pos):
                self.in_quote[tok.i] = qi
        self.resolver = _Resolver(doc)
        self.cyrillic = [_is_cyrillic(self.text[s:e]) for s, e in self.paras]
        self._para_starts = [s for s, _ in self.paras]

    def _tokens_in(self, start: int, end: int) -> Iterable[Token]:
        span = self.doc.char_span(start, end, alignment_mode="expand")
        return span if span is not None else ()

    def para_of(self, char: int) -> int:
        return max(bisect.bisect_right(self._para_starts, char) - 1, 0)

    # -- reporting clauses of direct quotes
    def after_clause(self, qi: int) -> list[Token]:
        span = self.direct[qi]
        para_end = self.paras[self.para_of(max(span.close_pos - 1, 0))][1]
        toks: list[Token] = []
        if span.close_pos >= para_end:
            return toks
        start = self.doc.char_span(span.close_pos, para_end, alignment_mode="expand")
        if start is None:
            return toks
        for tok in start:
            if self.in_quote[tok.i] >= 0 and self.in_quote[tok.i] != qi:
                break
            if self.in_quote[tok.i] == qi:
                continue
            if tok.is_space:
                break
            toks.append(tok)
            if tok.text in _SENT_END:
                break
        return toks

    def before_clause(self, qi: int) -> list[Token]:
        span = self.direct[qi]
        para_start = self.paras[self.para_of(span.open_pos)][0]
        region = self.doc.char_span(para_start, span.open_pos, alignment_mode="contract")
        if region is None:
            return []
        toks: list[Token] = []
        for tok in reversed(list(region)):
            if self.in_quote[tok.i] >= 0 or tok.text in _SENT_END or tok.is_space:
                break
            toks.append(tok)
        return list(reversed(toks))

    def content_ends_sentence(self, qi: int) -> bool:
        s, e = self.direct[qi].parts[-1]
        return self.text[s:e].rstrip('”’"»').endswith((".", "!", "?", "…"))

    def speaker_in_clause(self, clause: list[Token], after: bool) -> tuple[Token | None, Token | None, str | None]:
        """(cue token, speaker head, cue) of a reporting clause."""
        ids = {t.i for t in clause}
        cues = [(t, _cue_of(t)) for t in clause]
        cues = [(t, c) for t, c in cues if c]
        if after:
            cues.sort(key=lambda tc: tc[0].i)
        else:
            cues.sort(key=lambda tc: -tc[0].i)
        for tok, cue in cues:
            subj = _subject(tok)
            if subj is not None and subj.i in ids:
                return tok, subj, cue
            # the quote breaks the parse often enough: take the nearest name-like token, left first on ties
            best: Token | None = None
            best_d = 10**6
            for cand in clause:
                if cand.i == tok.i or cand.pos_ not in ("PROPN", "PRON", "NOUN"):
                    continue
                if cand.dep_ in ("pobj", "dobj", "dative", "npadvmod") and cand.i > tok.i and cand.head.i != tok.i:
                    continue
                if cue in _ADDRESSEE_CUES and cand.dep_ in ("dobj", "dative", "pobj"):
                    continue  # "told reporters": the addressee is not the speaker
                d = abs(cand.i - tok.i) * 2 + (1 if cand.i > tok.i else 0)
                if d < best_d:
                    best, best_d = cand, d
            if best is not None:
                # climb to the phrase head ("Lilia" -> "Bekirova")
                while best.dep_ in ("compound", "amod", "det", "poss") and best.head.i in ids:
                    best = best.head
                return tok, best, cue
        return None, None, None

    def colon_speaker(self, clause: list[Token]) -> Token | None:
        """ "Ablyazov's sister, Elmaz Ablyazova, on the transfer: «…»" -> the first non-possessive name."""
        if not clause or clause[-1].text not in (":", "—", "–", "-"):
            return None
        for tok in clause:
            if tok.i in self.resolver.ent_of and self.resolver.ent_of[tok.i].label_ in ("PERSON", "ORG", "NORP"):
                ent = self.resolver.ent_of[tok.i]
                if ent.root.dep_ == "poss" or (ent.end < len(self.doc) and self.doc[ent.end].tag_ == "POS"):
                    continue
                return ent.root
        return None

    def run(self) -> list[_Candidate]:
        cands: list[_Candidate] = []
        absorbed: set[int] = set()
        indirect = self.indirect(absorbed)
        prev_para = -1
        prev_cand: _Candidate | None = None
        prev_open_clause = False  # the previous quote's clause ended with "," and a quote follows: split quote
        for qi, span in enumerate(self.direct):
            if qi in absorbed or self.cyrillic[self.para_of(span.open_pos)]:
                continue
            para = self.para_of(span.open_pos)
            words = sum(len(self.text[s:e].split()) for s, e in span.parts)
            after = self.after_clause(qi)
            before = self.before_clause(qi)
            same_para_prev = prev_cand is not None and prev_cand.kind == "direct" and prev_para == para
            if same_para_prev and prev_open_clause:
                prev_cand.parts.extend(span.parts)
                prev_cand.span_end = span.close_pos
                prev_open_clause = False
                continue
            if _quoted_name(self.text, span):
                prev_open_clause = False
                continue
            cand = _Candidate("direct", list(span.parts), None, None, span_start=span.open_pos, span_end=span.close_pos)
            cue_tok = subj = None
            cue = None
            ends = self.content_ends_sentence(qi)
            after_ok = bool(after) and (not ends or after[0].is_lower or after[0].text in (",", "—", "–"))
            if after_ok:
                cue_tok, subj, cue = self.speaker_in_clause(after, after=True)
                if cue in _WEAK_DIRECT:
                    cue_tok = subj = cue = None
            if subj is None and before:
                cue_tok, subj, cue = self.speaker_in_clause(before, after=False)
                if cue in _WEAK_DIRECT or (cue_tok is not None and cue_tok.lemma_ in _TITLE_CUES):
                    cue_tok = subj = cue = None
                if subj is None:
                    subj = self.colon_speaker(before)
                    if subj is not None:
                        cue = None
            if subj is not None:
                cand.cue, cand.speaker_token, cand.cue_token = cue, subj, cue_tok
            elif before and before[-1].text == ":" and words >= 3:
                # "Her conclusion was blunt: “…”" — the quote goes on with whoever spoke last
                cand.inherit = "paragraph"
            else:
                standalone = not before
                if not standalone or words < 3:
                    # a scare quote, a title or a single term in quotation marks is not a statement
                    prev_open_clause = False
                    continue
                # a further quoted sentence after "…,” said X." is the same speaker's next quote: a quote ends at
                # its closing mark, so it is a quote of its own
                cand.inherit = "paragraph"
            prev_open_clause = bool(
                after_ok and after and after[-1].text not in _SENT_END and self._next_is_quote(after)
            )
            cands.append(cand)
            prev_cand = cand
            prev_para = para
        cands.extend(indirect)
        cands.extend(_cyrillic_candidates(self))
        cands.sort(key=lambda c: c.start)
        return cands

    def _next_is_quote(self, clause: list[Token]) -> bool:
        last = clause[-1]
        nxt = last.i + 1
        return nxt < len(self.doc) and self.in_quote[nxt] >= 0

    # -- indirect speech
    def indirect(self, absorbed: set[int]) -> list[_Candidate]:
        doc = self.doc
        found: list[tuple[_Candidate, set[int]]] = []
        for tok in doc:
            if self.in_quote[tok.i] >= 0 or self.cyrillic[self.para_of(tok.idx)]:
                continue
            if tok.lower_ == "according" and tok.dep_ == "prep":
                cand = self._according(tok)
                if cand is not None:
                    found.append(cand)
                continue
            cue = _cue_of(tok)
            if cue is None:
                continue
            comp = next((c for c in tok.children if c.dep_ == "ccomp" and c.i != tok.i), None)
            exclude: set[int] = set()
            if comp is not None:
                content = list(comp.subtree)
            elif tok.dep_ in ("parataxis",) and tok.i > tok.head.i and tok.head.pos_ in ("VERB", "AUX"):
                # "…, his lawyer said." parsed as a parenthetical: the statement is the host clause
                exclude = {t.i for t in tok.subtree}
                content = [t for t in tok.head.subtree if t.i not in exclude]
            elif (acl := self._statement_acl(tok)) is not None:
                # "said in a statement that …"
                content = list(acl.subtree)
            elif (trailing := self._trailing(tok)) is not None:
                content, subj_tok = trailing
                parts = self._content_parts(content)
                if parts is not None and not any(self.in_quote[t.i] >= 0 for t in content):
                    cand = _Candidate(
                        "indirect",
                        [parts],
                        cue,
                        subj_tok,
                        cue_token=tok,
                        span_start=parts[0],
                        span_end=tok.idx + len(tok),
                    )
                    found.append((cand, {t.i for t in content}))
                continue
            else:
                continue
            if not content:
                continue
            if comp is not None and not self._statement_clause(comp, tok):
                continue
            if (
                comp is not None
                and comp.i > tok.i
                and cue in _NEEDS_THAT
                and not any(c.dep_ == "mark" and c.lower_ == "that" for c in comp.children)
            ):
                continue
            subj = _subject(tok)
            if subj is None or subj.lower_ in ("i", "we", "you") or (subj.lower_ == "it" and subj.dep_ == "nsubjpass"):
                continue
            quoted = {self.in_quote[t.i] for t in content if self.in_quote[t.i] >= 0}
            if quoted:
                outside = [
                    t
                    for t in content
                    if self.in_quote[t.i] < 0 and t.is_alpha and not (t.dep_ == "mark" and t.lower_ == "that")
                ]
                if len(outside) < 2 or any(t.i < content[0].i for t in ()):
                    continue  # the verb frames a direct quote: handled there
                # a partial quote inside reported speech: the statement is the whole complement
                full = [self.direct[q] for q in quoted]
                if any(
                    not (content[0].idx <= d.open_pos and d.close_pos <= content[-1].idx + len(content[-1]) + 1)
                    for d in full
                ):
                    continue
                absorbed.update(quoted)
            if comp is not None and comp.i > tok.i and not quoted:
                # "… said that A, but B": the parser often hangs B on the cue; the report runs to the sentence end
                tail = [t for t in self.doc[content[-1].i + 1 : tok.sent.end] if self.in_quote[t.i] < 0]
                if tail and not any(_cue_of(t) for t in tail):
                    content = content + tail
            parts = self._content_parts(content)
            if parts is None:
                continue
            ids = {t.i for t in content}
            cand = _Candidate(
                "indirect",
                [parts],
                cue,
                subj,
                cue_token=tok,
                span_start=min(parts[0], tok.idx),
                span_end=max(parts[1], tok.idx + len(tok)),
            )
            found.append((cand, ids))
        # a statement reported inside another one belongs to the outer speaker
        kept: list[_Candidate] = []
        for cand, _ids in found:
            inner = any(
                other is not cand and cand.cue_token is not None and cand.cue_token.i in ids2 for other, ids2 in found
            )
            if not inner:
                kept.append(cand)
        return kept

    def _statement_acl(self, verb: Token) -> Token | None:
        for prep in verb.children:
            if prep.dep_ != "prep" or prep.lower_ not in ("in", "on"):
                continue
            for pobj in prep.children:
                for acl in pobj.children:
                    if acl.dep_ in ("acl", "relcl") and any(
                        c.dep_ == "mark" and c.lower_ == "that" for c in acl.children
                    ):
                        return acl
        return None

    def _trailing(self, verb: Token) -> tuple[list[Token], Token] | None:
        """ "…, his wife, Natalia Tkachenko, said in a video." where the parse lost the verb's subject."""
        if _subject(verb) is not None or verb.dep_ not in ("conj", "parataxis", "advcl") or verb.i < verb.head.i:
            return None
        sent = verb.sent
        if any(t.pos_ in ("VERB", "AUX") and t.i > verb.i and t.dep_ not in ("acl", "relcl", "amod") for t in sent):
            return None
        speaker = None
        for t in reversed(list(self.doc[max(sent.start, verb.i - 8) : verb.i])):
            if t.i in self.resolver.ent_of and self.resolver.ent_of[t.i].label_ in ("PERSON", "ORG", "NORP"):
                speaker = self.resolver.ent_of[t.i].root
                break
        if speaker is None:
            return None
        # the statement ends at the comma before the speaker phrase (skipping "his wife," appositions)
        commas = [t for t in self.doc[sent.start : speaker.i] if t.text == ","]
        end = speaker.i
        for comma in reversed(commas):
            between = self.doc[comma.i + 1 : end]
            if any(t.pos_ in ("VERB", "AUX") for t in between):
                break
            end = comma.i
        content = [t for t in self.doc[sent.start : end]]
        return (content, speaker) if content else None

    def _statement_clause(self, comp: Token, verb: Token) -> bool:
        """A that-clause with its own subject; not a wh-question, not a misparsed object ("pointed out the work …")."""
        toks = sorted(comp.subtree, key=lambda t: t.i)
        words = [t for t in toks if not t.is_punct and not t.is_space]
        if not words:
            return False
        first = words[0]
        if first.lower_ in _WH_WORDS or any(c.dep_ == "mark" and c.lower_ in ("whether", "if") for c in comp.children):
            return False
        subj = next((c for c in comp.children if c.dep_ in ("nsubj", "nsubjpass", "expl", "csubj")), None)
        if subj is None:
            return comp.i < verb.i  # "…, he said": a fronted clause may elide nothing; a following one must have one
        if comp.i > verb.i:
            lead = [t for t in words if t.i < subj.left_edge.i]
            # before the subject only a complementiser or adverbials may come, never the verb's object
            if any(t.dep_ in ("dobj", "attr", "oprd") or t.head.dep_ in ("dobj",) for t in lead):
                return False
            if any(t.i in {x.i for x in c.subtree} for c in comp.children if c.dep_ == "dobj" for t in lead):
                return False
        return True

    def _content_parts(self, content: list[Token]) -> tuple[int, int] | None:
        toks = sorted(content, key=lambda t: t.i)
        while toks and (toks[0].is_punct or (toks[0].dep_ == "mark" and toks[0].lower_ == "that") or toks[0].is_space):
            toks = toks[1:]
        while toks and (toks[-1].is_punct or toks[-1].is_space) and toks[-1].text not in ("”", "»", '"'):
            toks = toks[:-1]
        if len([t for t in toks if t.is_alpha]) < 3:
            return None
        return toks[0].idx, toks[-1].idx + len(toks[-1])

    def _according(self, tok: Token) -> tuple[_Candidate, set[int]] | None:
        to = next((c for c in tok.children if c.lower_ == "to"), None)
        pobj = next((c for c in to.children if c.dep_ == "pobj"), None) if to is not None else None
        if pobj is None or pobj.lemma_.lower() in _INANIMATE_SOURCES:
            return None
        if (
            pobj.i not in self.resolver.ent_of
            and pobj.pos_ == "NOUN"
            and pobj.lemma_.lower()
            not in (
                _PERSON_NOUNS
                | _ORG_NOUNS
                | {"resident", "relative", "witness", "official", "activist", "group", "source"}
            )
        ) and not pobj.lemma_.lower().endswith(("ist", "er", "or", "ian", "ant", "ent")):
            return None
        host = tok.head
        while host.dep_ not in ("ROOT", "ccomp", "advcl", "parataxis") and host.head.i != host.i:
            host = host.head
        exclude = {t.i for t in tok.subtree}
        content = [t for t in host.subtree if t.i not in exclude]
        if any(self.in_quote[t.i] >= 0 for t in content):
            return None
        parts = self._content_parts(content)
        if parts is None:
            return None
        cand = _Candidate(
            "indirect",
            [parts],
            "according to",
            pobj,
            cue_token=tok,
            span_start=min(parts[0], tok.idx),
            span_end=max(parts[1], tok.idx + len(tok)),
        )
        return cand, {t.i for t in content}


def before_has_cue(clause: list[Token]) -> bool:
    return any(_cue_of(t) for t in clause)


# --- speaker resolution -------------------------------------------------------------------------------------------
def _resolve_phrase(res: _Resolver, head: Token) -> tuple[str, str | None, str] | None:
    """(name, id, label) of the phrase headed by ``head`` when it names someone, else None.

    The entity must hold the head itself or an apposition ("his wife, Elmaz Seitumerova"); a name used as a
    modifier ("the Yalta city court") does not make the phrase that place.  A spokesperson speaks for its
    prepositional object ("a spokesperson for the department"), and so do people "from"/"of" an organisation.
    """
    seen: set[int] = set()
    stack = [head]
    while stack:
        tok = stack.pop(0)
        if tok.i in seen:
            continue
        seen.add(tok.i)
        ent = res.ent_of.get(tok.i)
        if ent is not None and (ent.root.i == tok.i or ent.label_ == "PERSON" or tok.i == head.i):
            name, eid = res.entity_name(ent)
            label = res.label_of(ent, name)
            if label in ("PERSON", "ORG", "NORP") or tok.i != head.i or ent.root.i == tok.i:
                return res.full_name(name, label), eid, label
        for child in tok.children:
            if child.dep_ == "appos" or (
                child.dep_ == "compound"
                and res.ent_of.get(child.i) is not None
                and res.ent_of[child.i].label_ == "PERSON"
            ):
                stack.append(child)
    return None


def _proxy_target(res: _Resolver, head: Token) -> Token | None:
    """The organisation a spokesperson / member / volunteer speaks for, when the phrase says so."""
    for prep in head.children:
        if prep.dep_ != "prep" or prep.lower_ not in ("of", "for", "at", "from"):
            continue
        for pobj in prep.children:
            if pobj.dep_ != "pobj":
                continue
            ent = res.ent_of.get(pobj.i)
            if ent is not None and res.label_of(ent, ent.text) in ("ORG", "NORP"):
                return pobj
            if head.lemma_.lower() in _PROXY_NOUNS and pobj.pos_ in ("NOUN", "PROPN"):
                return pobj
    return None


def _set(cand: _Candidate, name: str, eid: str | None, label: str | None) -> None:
    cand.speaker_text, cand.speaker_id, cand.speaker_label = name, eid, label


def _resolve(res: _Resolver, cand: _Candidate, history: list[tuple[int, str, str | None, str]]) -> None:
    """Fill speaker_text/speaker_id; ``history`` holds earlier (pos, name, id, label) speakers in text order."""
    head = cand.speaker_token
    pos = cand.start
    if cand.cue_token is not None:
        pos = max(pos, cand.cue_token.idx)
    if head is None:
        return
    for _ in range(3):
        found = _resolve_phrase(res, head)
        if found is not None:
            _set(cand, *found)
            return
        target = _proxy_target(res, head)
        if target is None:
            break
        head = target
    low = head.lower_
    lemma = head.lemma_.lower()
    if head.pos_ == "PRON" or low in _PRONOUNS_PERSON or low in _PRONOUNS_GROUP:
        want = _PRONOUNS_PERSON.get(low)
        labels = ("PERSON",) if want else ("ORG", "NORP", "PERSON")
        hit = _last_compatible(res, history, pos, labels, want)
        if hit is None and want:
            hit = _last_compatible(res, history, pos, labels, None)
        if hit is not None:
            _set(cand, *hit)
        else:
            cand.unattributed = True  # "he says" with no one to refer to: no speaker rather than "he"
        return
    text = _np_text(head)
    has_det = any(c.dep_ in ("det", "poss") for c in head.children)
    if has_det and lemma in _PERSON_NOUNS:
        before = [m for m in res.mentions if m.pos < pos and m.label == "PERSON" and lemma in m.roles]
        # "…, his lawyer said." in a lead often names the lawyer only further down
        after = [m for m in res.mentions if m.pos > pos and m.label == "PERSON" and lemma in m.roles]
        m = before[-1] if before else (after[0] if after else None)
        if m is None and lemma in _KIN_NOUNS:
            m = _kin(res, pos)
        if m is not None:
            _set(cand, res.full_name(m.name, "PERSON"), m.entity_id, "PERSON")
            return
    if has_det and lemma in _ORG_NOUNS and not any(c.dep_ in ("compound", "amod") for c in head.children):
        orgs = [m for m in res.mentions if m.pos < pos and m.label == "ORG"]
        for m in reversed(orgs):
            if lemma in fold(m.name).split():
                _set(cand, m.name, m.entity_id, "ORG")
                return
        prior = [h for h in history if h[0] < pos and h[3] == "ORG"]
        if prior:
            _set(cand, *prior[-1][1:])
            return
        if orgs:
            _set(cand, orgs[-1].name, orgs[-1].entity_id, "ORG")
            return
    if head.pos_ == "PROPN" and len(text.split()) >= 2 and all(w[:1].isupper() for w in text.split()):
        label = "PERSON" if lemma not in _ORG_NOUNS else "ORG"
    else:
        label = "ORG" if lemma in _ORG_NOUNS else "GROUP" if head.tag_ == "NNS" else "OTHER"
    if not _can_speak(head, label):
        # "the document states", "46 properties", "reports in Russian media": no speaker rather than a wrong one
        cand.unattributed = True
        return
    _set(cand, text, None, label)


def _can_speak(head: Token, label: str) -> bool:
    """A person, an organisation, a group or a descriptor ("his lawyer") can speak; a thing, a place cannot."""
    lemma = head.lemma_.lower()
    if lemma in _NON_SPEAKERS or head.lower_ in _NON_SPEAKERS or head.ent_type_ in {"GPE", "LOC", "DATE", "CARDINAL"}:
        return False
    if lemma in _PERSON_NOUNS or lemma in _ORG_NOUNS or lemma in _TITLE_WORDS or head.lower_ in _PERSON_NOUNS:
        return True
    if head.pos_ == "PROPN" and head.is_title:
        return True  # a name the tagger did not label ("Settarova told ...")
    if label == "GROUP":
        # "officials", "residents", "activists": people by their suffix; "properties", "figures": things
        return lemma.endswith(_AGENT_SUFFIXES) and not any(c.like_num for c in head.children)
    return label in {"PERSON", "ORG"}


def _kin(res: _Resolver, pos: int) -> _Mention | None:
    """ "…, her daughter said": a relative usually shares the surname of the person last named before."""
    people = [m for m in res.mentions if m.label == "PERSON"]
    before = [m for m in people if m.pos < pos and len(m.name.split()) > 1]
    if not before:
        return None
    owner = before[-1]
    stem = key_tokens(owner.name)[-1].rstrip("a")
    for m in sorted(people, key=lambda m: (m.pos < pos, m.pos)):
        keys = key_tokens(m.name)
        if len(keys) > 1 and keys[-1].rstrip("a") == stem and not names_equal_full(m.name, owner.name):
            return m
    return None


def names_equal_full(a: str, b: str) -> bool:
    return key_tokens(a) == key_tokens(b)


def _last_compatible(
    res: _Resolver,
    history: list[tuple[int, str, str | None, str]],
    pos: int,
    labels: tuple[str, ...],
    gender: str | None,
) -> tuple[str, str | None, str] | None:
    def ok(name: str, label: str) -> bool:
        if label not in labels:
            return False
        if gender is None or label != "PERSON":
            return True
        g = _gender(name)
        return g is None or g == gender

    # the last speaker is the most salient antecedent in news prose, unless a person became the subject since
    for hpos, name, eid, label in reversed(history):
        if hpos < pos and ok(name, label):
            later = [m for m in res.mentions if hpos < m.pos < pos and ok(m.name, m.label) and m.is_subject]
            later = [m for m in later if not names_equal(m.name, name)]
            if later:
                m = later[-1]
                return res.full_name(m.name, m.label), m.entity_id, m.label
            return name, eid, label
    for m in reversed(res.mentions):
        if m.pos < pos and ok(m.name, m.label):
            return res.full_name(m.name, m.label), m.entity_id, m.label
    return None


def names_equal(a: str, b: str) -> bool:
    ka, kb = key_tokens(a), key_tokens(b)
    return bool(ka and kb) and (ka == kb or ka[-1] == kb[-1])


def find_quotes(doc: Doc) -> list[Quote]:
    """All statements in ``doc`` in text order."""
    finder = _Finder(doc)
    cands = finder.run()
    res = finder.resolver
    history: list[tuple[int, str, str | None, str]] = []
    out: list[Quote] = []
    for cand in cands:
        if cand.inherit == "paragraph":
            para = finder.para_of(cand.start)
            prev_start = finder.paras[para - 1][0] if para > 0 else finder.paras[para][0]
            prior = [h for h in history if prev_start <= h[0] < cand.start]
            if prior:
                _, cand.speaker_text, cand.speaker_id, cand.speaker_label = prior[-1]
            else:
                people = [m for m in res.mentions if prev_start <= m.pos < cand.start and m.label == "PERSON"]
                if people:
                    m = people[-1]
                    cand.speaker_text, cand.speaker_id, cand.speaker_label = (
                        res.full_name(m.name, "PERSON"),
                        m.entity_id,
                        "PERSON",
                    )
        elif cand.fixed is not None:
            _set(cand, cand.fixed, f"person:~{_slug(cand.fixed)}" if len(cand.fixed.split()) > 1 else None, "PERSON")
        elif cand.pronoun:
            if history and history[-1][0] < cand.start:
                _set(cand, *history[-1][1:])
        else:
            _resolve(res, cand, history)
        known_place = (cand.speaker_id or "").startswith("place:") and not (cand.speaker_id or "").startswith("place:~")
        bare = re.sub(r"^the\s+", "", fold(cand.speaker_text or ""))
        if known_place or bare in _NON_SPEAKERS:
            # "Crimea", "the Kremlin", "the document": a place or a thing does not speak
            cand.speaker_text = cand.speaker_id = cand.speaker_label = None
            cand.unattributed = True
        if cand.speaker_text is None and not (cand.unattributed and cand.kind == "direct"):
            continue
        if cand.speaker_label:
            history.append((cand.start, cand.speaker_text, cand.speaker_id, cand.speaker_label))
        text = " ".join(finder.text[s:e].strip().rstrip(",").strip() for s, e in cand.parts)
        start, end = cand.parts[0]
        out.append(
            Quote(
                text=text,
                speaker_text=cand.speaker_text,
                speaker_id=cand.speaker_id,
                cue=cand.cue,
                kind=cand.kind,
                start=start,
                end=end,
            )
        )
    return out


# --- Russian and Ukrainian ------------------------------------------------------------------------------------------
# The English parser cannot read Cyrillic; these paragraphs get a small rule set over the usual news frames:
# «…», — сказала она / сказал Иван Петров; X сообщил, что …; Как сообщила X, …; Об этом / Про це повідомила X.
_CYR_CUE = (
    r"(?:сказал|сказав|сообщил|повідомил|повідомив|рассказал|розповів|розповіл|отметил|зазначив|зазначил|заявил|"
    r"заявив|подчеркнул|підкреслив|підкреслил|наголосив|наголосил|пояснил|пояснив|добавил|додав|додал|написал|"
    r"написав|уточнил|уточнив|признал|визнав|визнал|заметил|напомнил|нагадав|нагадал)(?:а|и|о)?|"
    r"говорит|говорить|каже|кажуть|говорят|пишет|пише|сообщает|повідомляє|заявляет|заявляє|отмечает|зазначає|"
    r"рассказывает|розповідає|утверждает|стверджує"
)
_CYR_PRONOUN = r"(?:она|он|они|вона|він|вони)"
_CAP = r"[А-ЯЁІЇЄҐ][а-яёіїєґ'’\-]+"
_CYR_AFTER_RE = re.compile(rf"^\s*[,.]?\s*[—–-]+\s*(?P<cue>{_CYR_CUE})\b(?P<rest>[^.!?«»“”]*)", re.IGNORECASE)
_CYR_INDIRECT_RE = re.compile(
    rf"^(?P<pre>[^,]*(?:,[^,]*,)?[^,]*?)\s(?P<cue>{_CYR_CUE})(?:\s+[^,]{{1,40}})?,\s*(?:что|що|будто)\s+(?P<content>.+)$"
)
_CYR_AS_RE = re.compile(rf"^(?:Как|Як)\s+(?P<cue>{_CYR_CUE})\s+(?P<who>[^,]+),\s*(?P<content>.+)$")
_CYR_WORDS_RE = re.compile(r"^(?:По словам|За словами|Со слов)\s+(?P<who>[^,]+),\s*(?P<content>.+)$")
_CYR_THIS_RE = re.compile(rf"^(?:Об этом|Про це)\s+(?P<cue>{_CYR_CUE})\s+(?P<who>[^.!?]+)[.!?]?$")
# fmt: off
_CYR_PREP = frozenset([
    "в", "во", "у", "на", "по", "с", "со", "к", "о", "об", "про", "за", "из", "від", "до", "как", "як",
])
# fmt: on


def _is_cyrillic(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum("\u0400" <= c <= "\u04ff" for c in letters) / len(letters) > 0.5


def _cyr_name(phrase: str, prefer_last: bool) -> str | None:
    """A personal name (a run of two or more capitalised words; its last two) in a phrase, else None."""
    runs: list[list[str]] = []
    current: list[str] = []
    for word in re.findall(r"[\w'’\-]+", phrase):
        if re.fullmatch(_CAP, word) and word.lower() not in _CYR_PREP:
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


def _cyr_who(phrase: str) -> str:
    phrase = phrase.strip(" ,.;:—–-")
    name = _cyr_name(phrase, prefer_last=True)
    if name:
        return name
    words = phrase.split()
    while words and words[0].lower() in _CYR_PREP:
        words = words[1:]
    return " ".join(words)


def _cyrillic_candidates(finder: _Finder) -> list[_Candidate]:
    text = finder.text
    out: list[_Candidate] = []
    for p_index, (p_start, p_end) in enumerate(finder.paras):
        if not finder.cyrillic[p_index]:
            continue
        spans = [d for d in finder.direct if p_start <= d.open_pos < p_end]
        # direct quotes
        prev: _Candidate | None = None
        for d in spans:
            after = text[d.close_pos : p_end]
            before = text[p_start : d.open_pos]
            before = re.split(r"[.!?»”]\s", before)[-1]
            cand = _Candidate("direct", list(d.parts), None, None, span_start=d.open_pos, span_end=d.close_pos)
            m = _CYR_AFTER_RE.match(after)
            if m:
                cand.cue = m.group("cue").lower()
                rest = m.group("rest").strip()
                if re.match(rf"^{_CYR_PRONOUN}\b", rest, re.IGNORECASE):
                    cand.pronoun = True
                else:
                    cand.fixed = _cyr_who(rest) or None
                    cand.pronoun = cand.fixed is None
            elif before.rstrip().endswith(":") and _cyr_name(before, prefer_last=False):
                cand.fixed = _cyr_name(before, prefer_last=False)
            elif prev is not None:
                prev.parts.extend(d.parts)
                continue
            else:
                cand.inherit = "paragraph"
            out.append(cand)
            prev = cand
        # indirect speech, sentence by sentence, outside quotation marks
        masked = list(text[p_start:p_end])
        for d in spans:
            for i in range(max(d.open_pos, p_start), min(d.close_pos, p_end)):
                masked[i - p_start] = "\x00"
        para = "".join(masked)
        sentences = [
            (m.start() + p_start, m.end() + p_start)
            for m in re.finditer(r"(?:[^.!?\x00]|[.!?](?=[^\s\x00]))+[.!?]?", para)
        ]
        prev_sentence: tuple[int, int] | None = None
        for s_start, s_end in sentences:
            s_start, s_end = _strip(text, s_start, s_end)
            sentence = text[s_start:s_end]
            if len(sentence) < 8:
                continue
            who: str | None = None
            pronoun = False
            content: tuple[int, int] | None = None
            cue: str | None = None
            if m := _CYR_AS_RE.match(sentence) or _CYR_WORDS_RE.match(sentence):
                who = _cyr_who(m.group("who"))
                cue = m.groupdict().get("cue") or "по словам"
                content = (s_start + m.start("content"), s_end)
            elif (m := _CYR_THIS_RE.match(sentence)) and prev_sentence is not None:
                who = _cyr_who(m.group("who"))
                cue = m.group("cue")
                content = prev_sentence
            elif m := _CYR_INDIRECT_RE.match(sentence):
                pre = m.group("pre")
                cue = m.group("cue")
                if re.match(rf"^{_CYR_PRONOUN}\b", pre.strip(), re.IGNORECASE):
                    pronoun = True
                else:
                    who = _cyr_name(pre, prefer_last=False)
                content = (s_start + m.start("content"), s_end)
            prev_sentence = (s_start, s_end)
            if content is None or (who is None and not pronoun):
                continue
            c_start, c_end = _strip(text, *content)
            while c_end > c_start and text[c_end - 1] in ".!?":
                c_end -= 1
            cand = _Candidate(
                "indirect", [(c_start, c_end)], (cue or "").lower() or None, None, span_start=s_start, span_end=s_end
            )
            if pronoun:
                # "Він розповів, що …": the person named last before
                name = _cyr_name(text[p_start:s_start], prefer_last=True) or _cyr_name(text[:s_start], prefer_last=True)
                cand.fixed = name
                cand.pronoun = name is None
            else:
                cand.fixed = who
            out.append(cand)
    return out
