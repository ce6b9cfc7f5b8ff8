"""``crimea_gazetteer_forms``: gazetteer names in any grammatical case, for ru, uk and crh.

The English ruler matches names as written; Russian and Ukrainian inflect them ("в Бахчисарае", "у Сімферополі",
"Крымской солидарности"). Here every alias is matched on lemmas: the alias's words are lemmatised once with
pymorphy3 and a ``PhraseMatcher`` on ``LEMMA`` finds them in docs lemmatised by the pymorphy3 lemmatizer. Crimean
Tatar (Latin) names take case suffixes (Aqmescitte, Bağçasaraydan): a capitalised word is looked up with its
suffixes stripped (lexicon ``crh`` ``[names] suffixes``). Gazetteer matches win over overlapping model entities.
"""

from __future__ import annotations

from collections.abc import Iterable

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from nlp.gazetteer import Gazetteer, load_gazetteer
from nlp.lang.morph import analyzer
from nlp.lexicons import lexicon

__all__ = ["GazetteerForms"]

_SURNAME_ENDINGS = ("ov", "ev", "ova", "eva", "iy", "ski", "skiy", "enko", "uk", "oğlu", "ın", "in")


class GazetteerForms:
    def __init__(self, nlp: Language, gazetteer: Gazetteer, lang: str) -> None:
        self.gaz = gazetteer
        self.lang = lang
        self.matcher = PhraseMatcher(nlp.vocab, attr="LEMMA" if lang in {"ru", "uk"} else "ORTH")
        self.suffixes: tuple[str, ...] = ()
        if lang == "crh":
            self.suffixes = tuple(sorted(lexicon("crh")["names"]["suffixes"], key=len, reverse=True))
        for entry in gazetteer:
            patterns = []
            for alias in entry.all_names:
                doc = nlp.make_doc(alias)
                if len(doc) == 0:
                    continue
                if lang in {"ru", "uk"}:
                    for tok in doc:
                        tok.lemma_ = self._lemma(tok.text)
                patterns.append(doc)
            if patterns:
                self.matcher.add(f"{entry.label}|{entry.id}", patterns)

    def _lemma(self, word: str) -> str:
        if not any("\u0400" <= ch <= "\u04ff" for ch in word):
            return word.lower()
        parses = analyzer(self.lang).parse(word)
        nominative = [p for p in parses if p.tag.case == "nomn"] or parses
        return str(nominative[0].normal_form) if nominative else word.lower()

    def __call__(self, doc: Doc) -> Doc:
        found: list[Span] = []
        for match_id, start, end in self.matcher(doc):
            label, entry_id = doc.vocab.strings[match_id].split("|", 1)
            span = doc[start:end]
            # a lemma match of a one-word name must start with a capital ("крым" in "крымских" is an adjective)
            if not span[0].text[:1].isupper():
                continue
            found.extend(self._split_place(Span(doc, start, end, label=label, span_id=entry_id)))
        if self.suffixes:
            found.extend(self._crh_names(doc, {i for s in found for i in range(s.start, s.end)}))
        gaz = filter_spans(found)
        taken = {i for s in gaz for i in range(s.start, s.end)}
        model = [e for e in doc.ents if not any(i in taken for i in range(e.start, e.end))]
        doc.ents = filter_spans(gaz + model)
        return doc

    def _split_place(self, span: Span) -> list[Span]:
        """"Київський районний суд Сімферополя": the court and, as a place of its own, its town (as the English
        linker splits "Simferopol pre-trial detention centre")."""
        if span.label_ != "ORG" or len(span) < 2 or self.lang not in {"ru", "uk"}:
            return [span]
        for tok, rest in ((span[-1], (span.start, span.end - 1)), (span[0], (span.start + 1, span.end))):
            if not tok.text[:1].isupper():
                continue
            place = self.gaz.lookup(tok.lemma_) or self.gaz.lookup(tok.text)
            if place is not None and place.label in {"GPE", "LOC"}:
                doc = span.doc
                return [
                    Span(doc, rest[0], rest[1], label="ORG", span_id=span.id),
                    Span(doc, tok.i, tok.i + 1, label=place.label, span_id=place.id),
                ]
        return [span]

    def _crh_stems(self, word: str) -> list[str]:
        low = word.replace("’", "'")
        stems = [low, *[low[: -len(s)] for s in self.suffixes if low.endswith(s) and len(low) - len(s) >= 4]]
        return [stem.rstrip("'") for stem in stems]

    def _crh_lookup(self, word: str, persons: bool = False):  # type: ignore[no-untyped-def]
        for stem in self._crh_stems(word):
            entry = self.gaz.lookup(stem)
            if entry is not None and (entry.label == "PERSON") == persons:
                return entry
        return None

    def _crh_names(self, doc: Doc, taken: set[int]) -> list[Span]:
        """Crimean Tatar places and persons with case suffixes: "Aqmescitte", "Kezlevdeki", "Mustafa Cemilevniñ";
        a first name and a surname-shaped word that is no place are a person ("Server Ablayevniñ")."""
        out: list[Span] = []
        i = 0
        while i < len(doc):
            tok = doc[i]
            if i in taken or not tok.is_title or len(tok) < 3:
                i += 1
                continue
            nxt = doc[i + 1] if i + 1 < len(doc) and (i + 1) not in taken else None
            if nxt is not None and nxt.is_title:
                pair = [f"{tok.text} {stem}" for stem in self._crh_stems(nxt.text)]
                entry = next((e for e in map(self.gaz.lookup, pair) if e is not None and e.label == "PERSON"), None)
                surname = any(stem.casefold().endswith(_SURNAME_ENDINGS) for stem in self._crh_stems(nxt.text))
                if entry is not None or (surname and self._crh_lookup(nxt.text) is None and not tok.is_sent_start):
                    span_id = entry.id if entry is not None else ""
                    out.append(Span(doc, i, i + 2, label="PERSON", span_id=span_id))
                    i += 2
                    continue
            entry = self._crh_lookup(tok.text)
            if entry is not None and len(tok) >= 4:
                out.append(Span(doc, i, i + 1, label=entry.label, span_id=entry.id))
            i += 1
        return out

    def pipe(self, docs: Iterable[Doc], batch_size: int = 128) -> Iterable[Doc]:
        for doc in docs:
            yield self(doc)


@Language.factory("crimea_gazetteer_forms", default_config={"data_dir": None, "lang": "ru"})
def make_gazetteer_forms(nlp: Language, name: str, data_dir: str | None, lang: str) -> GazetteerForms:
    return GazetteerForms(nlp, load_gazetteer(data_dir), lang)
