"""Does an incident match a query? The search language evaluated in Python over one incident and its articles.

The semantics are the search's, applied to the incident as one document: words and phrases match the text of any
reporting article (stemmed words, or folded exact words, as the search index does); ``person:``/``place:``/``org:``
match the canonical ids the resolver gives (an incident's victims, place and perpetrator, and every entity its
articles mention); ``type:`` the incident's own type (an incident is actual by construction, so ``modality:`` changes
nothing); ``source:``/``lang:`` any reporting article; ``date:`` any article's publication date or the
incident's own date; ``has:quote`` a statement in any article; ``about:crimea`` a reporting article about Crimea.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

import tantivy

from indexer.query import About, And, DateRange, Field, Has, MatchAll, Node, Not, Or, Phrase, Prefix, Query, Term
from indexer.search.resolver import EntityResolver
from indexer.store import Store

__all__ = ["IncidentDoc", "incident_doc", "matches"]


@lru_cache(maxsize=1)
def _analyzers() -> tuple[tantivy.TextAnalyzer, tantivy.TextAnalyzer]:
    # the chains the Tantivy backend indexes with: stemmed English, and folded exact words
    def chain(last: tantivy.Filter) -> tantivy.TextAnalyzer:
        return (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple()).filter(tantivy.Filter.remove_long(40))
                .filter(tantivy.Filter.lowercase()).filter(last).build())

    return chain(tantivy.Filter.stemmer("english")), chain(tantivy.Filter.ascii_fold())


@dataclass
class IncidentDoc:
    incident_id: str
    type: str
    texts: list[str] = field(default_factory=list)
    entities: set[str] = field(default_factory=set)
    sources: set[str] = field(default_factory=set)
    langs: set[str] = field(default_factory=set)
    dates: set[date] = field(default_factory=set)
    has_quote: bool = False
    about_crimea: bool = False
    _stems: set[str] | None = None
    _folded: list[list[str]] | None = None

    def stems(self) -> set[str]:
        if self._stems is None:
            stem, _ = _analyzers()
            self._stems = {t for text in self.texts for t in stem.analyze(text)}
        return self._stems

    def folded(self) -> list[list[str]]:
        if self._folded is None:
            _, fold = _analyzers()
            self._folded = [fold.analyze(text) for text in self.texts]
        return self._folded


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def incident_doc(store: Store, incident_id: str) -> IncidentDoc | None:
    row = store.incident(incident_id)
    if row is None:
        return None
    doc = IncidentDoc(row["id"], row["type"])
    for key in ("place_id", "perpetrator_id"):
        if row[key]:
            doc.entities.add(row[key])
    for victim in json.loads(row["victims_json"] or "[]"):
        if victim.get("entity_id"):
            doc.entities.add(victim["entity_id"])
    if row["event_date"] and re.fullmatch(r"\d{4}-\d{2}-\d{2}", row["event_date"]):
        doc.dates.add(date.fromisoformat(row["event_date"]))
    for article in store.incident_articles(row["id"]):
        doc.texts.append(f"{article['title']}\n{article['text']}")
        doc.sources.add(article["source_id"])
        doc.about_crimea = doc.about_crimea or bool(article["about_crimea"])
        if article["lang"]:
            doc.langs.add(article["lang"].lower())
        day = _day(article["published_at"] or article["first_seen_at"])
        if day:
            doc.dates.add(day)
    facets = store.incident_article_facets(row["id"])
    doc.entities.update(facets["entities"])
    doc.has_quote = bool(facets["has_quote"])
    return doc


def matches(query: Query, doc: IncidentDoc, resolver: EntityResolver) -> bool:
    return _eval(query.root, doc, resolver, query.modality_any)


def _contains(tokens: list[str], seq: list[str]) -> bool:
    n = len(seq)
    return any(tokens[i : i + n] == seq for i in range(len(tokens) - n + 1))


def _eval(node: Node, doc: IncidentDoc, resolver: EntityResolver, modality_any: bool) -> bool:
    stem, fold = _analyzers()
    if isinstance(node, MatchAll):
        return True
    if isinstance(node, About):
        return node.what == "any" or doc.about_crimea
    if isinstance(node, And):
        return all(_eval(n, doc, resolver, modality_any) for n in node.items)
    if isinstance(node, Or):
        return any(_eval(n, doc, resolver, modality_any) for n in node.items)
    if isinstance(node, Not):
        return not _eval(node.item, doc, resolver, modality_any)
    if isinstance(node, Term):
        folded = fold.analyze(node.text)
        if len(folded) > 1:  # "Rostov-on-Don": its words in order
            return any(_contains(tokens, folded) for tokens in doc.folded())
        if not folded:
            return False
        stemmed = stem.analyze(node.text)
        return (bool(stemmed) and stemmed[0] in doc.stems()) or any(folded[0] in t for t in doc.folded())
    if isinstance(node, Phrase):
        folded = fold.analyze(node.text)
        return bool(folded) and any(_contains(tokens, folded) for tokens in doc.folded())
    if isinstance(node, Prefix):
        folded = fold.analyze(node.text)
        return len(folded) == 1 and any(t.startswith(folded[0]) for tokens in doc.folded() for t in tokens)
    if isinstance(node, Field):
        if node.name in ("person", "place", "org"):
            return bool(resolver.resolve(node.name, node.value) & doc.entities)
        if node.name == "type":
            return node.value == doc.type
        if node.name == "source":
            return node.value in doc.sources
        if node.name == "lang":
            return node.value in doc.langs
        return False
    if isinstance(node, DateRange):
        return any((node.start is None or d >= node.start) and (node.end is None or d <= node.end) for d in doc.dates)
    if isinstance(node, Has):
        return node.what == "quote" and doc.has_quote
    return False
