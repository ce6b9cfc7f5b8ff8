"""natasha's shipped Russian models as one spaCy component (``crimea_natasha``).

spaCy's Russian tokenizer makes the tokens; natasha's slovnet models, which ship inside the package (navec
embeddings, morphology, syntax and NER), then run on them:

* sentences: razdel's sentence splitter, snapped to spaCy tokens;
* morphology (UD part of speech and features) and syntax (UD relations, heads) on the spaCy tokens of each sentence,
  so no second tokenisation has to be aligned;
* NER (PER, LOC, ORG) on each sentence's text, mapped to PERSON, GPE (LOC) and ORG spans.

The models load on first use and are shared by every pipeline in the process (:func:`models`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy
from spacy.attrs import DEP, HEAD
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

__all__ = ["NatashaComponent", "models"]

_LABELS = {"PER": "PERSON", "LOC": "GPE", "ORG": "ORG"}


@dataclass(frozen=True)
class NatashaModels:
    morph: Any
    syntax: Any
    ner: Any
    vocab: Any  # natasha's MorphVocab (span normalisation)


@lru_cache(maxsize=1)
def models() -> NatashaModels:
    """natasha's models, loaded once per process (about 5 s and 150 MB)."""
    from natasha import MorphVocab, NewsEmbedding, NewsMorphTagger, NewsNERTagger, NewsSyntaxParser

    emb = NewsEmbedding()
    return NatashaModels(NewsMorphTagger(emb), NewsSyntaxParser(emb), NewsNERTagger(emb), MorphVocab())


def _sentences(doc: Doc) -> list[tuple[int, int]]:
    """Token ranges of razdel's sentences."""
    from razdel import sentenize

    out: list[tuple[int, int]] = []
    for sent in sentenize(doc.text):
        span = doc.char_span(sent.start, sent.stop, alignment_mode="expand")
        if span is None or len(span) == 0:
            continue
        start = max(span.start, out[-1][1]) if out else span.start
        if start < span.end:
            out.append((start, span.end))
    return out


class NatashaComponent:
    """Sentences, part of speech, morphology, dependencies and entities from natasha on spaCy's tokens."""

    def __init__(self, with_syntax: bool = True, batch_size: int = 64) -> None:
        self.with_syntax = with_syntax
        self.batch_size = batch_size

    def __call__(self, doc: Doc) -> Doc:
        return next(iter(self.pipe([doc])))

    def pipe(self, docs: Iterable[Doc], batch_size: int = 128) -> Iterator[Doc]:
        batch: list[Doc] = []
        for doc in docs:
            batch.append(doc)
            if len(batch) >= batch_size:
                yield from self._process(batch)
                batch = []
        if batch:
            yield from self._process(batch)

    def _process(self, docs: list[Doc]) -> list[Doc]:
        m = models()
        sents: list[tuple[Doc, int, int]] = []
        for doc in docs:
            ranges = _sentences(doc)
            for i, tok in enumerate(doc):
                tok.is_sent_start = i == 0
            for start, end in ranges:
                doc[start].is_sent_start = True
                sents.append((doc, start, end))
        words = [[t.text for t in doc[s:e] if not t.is_space] or ["."] for doc, s, e in sents]
        morphs = list(m.morph.map(words)) if words else []
        syntax = list(m.syntax.map(words)) if words and self.with_syntax else [None] * len(words)
        texts = [doc[s:e].text for doc, s, e in sents]
        ners = list(m.ner.map(texts)) if texts else []
        ents: dict[int, list[Span]] = {id(doc): [] for doc in docs}
        heads: dict[int, dict[int, tuple[int, str]]] = {id(doc): {} for doc in docs}
        for (doc, s, e), morph, synt, ner in zip(sents, morphs, syntax, ners, strict=True):
            toks = [t for t in doc[s:e] if not t.is_space]
            self._morphology(toks, morph)
            if synt is not None:
                heads[id(doc)].update(self._tree(toks, synt))
            offset = doc[s].idx
            for span in ner.spans:
                label = _LABELS.get(span.type)
                found = doc.char_span(offset + span.start, offset + span.stop, label=label, alignment_mode="expand")
                if label and found is not None:
                    ents[id(doc)].append(found)
        for doc in docs:
            for tok in doc:
                if tok.is_space:
                    tok.pos_ = "SPACE"
            if self.with_syntax and len(doc):
                self._set_tree(doc, heads[id(doc)], [s for d, s, _ in sents if d is doc])
            doc.ents = filter_spans(ents[id(doc)])
        return docs

    @staticmethod
    def _morphology(toks: list[Any], morph: Any) -> None:
        for tok, mt in zip(toks, morph.tokens, strict=False):
            tok.pos_ = mt.pos
            feats = "|".join(f"{k}={v}" for k, v in sorted(mt.feats.items()))
            tok.set_morph(feats or None)

    @staticmethod
    def _tree(toks: list[Any], synt: Any) -> dict[int, tuple[int, str]]:
        """token index -> (head index, relation) for one sentence; a cycle is cut where it closes."""
        index = {st.id: tok.i for tok, st in zip(toks, synt.tokens, strict=False)}
        tree: dict[int, tuple[int, str]] = {}
        for tok, st in zip(toks, synt.tokens, strict=False):
            head = index.get(st.head_id)
            tree[tok.i] = (tok.i, "ROOT") if head is None or head == tok.i else (head, st.rel)
        for start in list(tree):
            seen = {start}
            cur = start
            while tree[cur][0] != cur:
                nxt = tree[cur][0]
                if nxt in seen or nxt not in tree:
                    tree[cur] = (cur, "ROOT")
                    break
                seen.add(nxt)
                cur = nxt
        # one root per sentence, or spaCy splits it: extra roots hang on the one the parser called "root"
        roots = [i for i, (head, _) in tree.items() if head == i]
        if len(roots) > 1:
            main = next((i for i in roots if tree[i][1] == "root"), roots[0])
            for i in roots:
                if i != main:
                    tree[i] = (main, "dep")
        return tree

    @staticmethod
    def _set_tree(doc: Doc, tree: dict[int, tuple[int, str]], sent_starts: list[int]) -> None:
        """Write heads and relations in one go (``Doc.from_array``): set token by token, spaCy recomputes
        sentences from half-built trees. Whitespace tokens hang on the token before them."""
        starts = set(sent_starts)
        array = numpy.zeros((len(doc), 2), dtype="uint64")
        root = 0
        for tok in doc:
            if tok.i in starts:
                root = tok.i
            default = (tok.i - 1, "dep") if tok.i > root else (tok.i, "ROOT")
            head, rel = tree.get(tok.i, default)
            array[tok.i, 0] = numpy.uint64(numpy.int64(head - tok.i).astype(numpy.uint64))
            array[tok.i, 1] = doc.vocab.strings.add(rel)
        doc.from_array([HEAD, DEP], array)


@Language.factory("crimea_natasha", default_config={"with_syntax": True})
def make_natasha(nlp: Language, name: str, with_syntax: bool) -> NatashaComponent:
    return NatashaComponent(with_syntax=with_syntax)
