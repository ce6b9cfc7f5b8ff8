"""The enrichment worker: run the NLP over stored articles in batches and write the results back.

Articles with status ``fetched`` (or all, to re-enrich after the NLP improved) are read in store batches, processed
with ``nlp.pipe`` (batch size and processes from settings), and each article's results replace its old ones in one
transaction that also moves it to ``enriched``. A process killed mid-batch leaves the rest ``fetched``: the next run
simply does them.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from indexer.store import Store
from items import Enrichment
from nlp.gazetteer import Gazetteer, load_gazetteer
from nlp.pipeline import analyse, enrichment, get_pipeline

_LABEL_OF_PREFIX = {"person": "PERSON", "org": "ORG", "place": "GPE", "group": "NORP"}


@dataclass
class EnrichReport:
    articles: int = 0
    relevant: int = 0
    words: int = 0
    seconds: float = 0.0
    events_actual: Counter = field(default_factory=Counter)
    events_other: int = 0
    quotes: int = 0
    claims: int = 0

    @property
    def words_per_second(self) -> float:
        return self.words / self.seconds if self.seconds else 0.0


def entity_table(result: Enrichment, gazetteer: Gazetteer) -> tuple[dict[str, tuple[str, str]], set[str],
                                                                     dict[str, tuple[float, float]]]:
    """Every entity id the results refer to, with its label and best name, which are gazetteer entries, and where
    the places among them are."""
    names: dict[str, tuple[str, str]] = {}

    def add(entity_id: str | None, label: str | None, name: str | None) -> None:
        if not entity_id:
            return
        entry = gazetteer.get(entity_id)
        if entry is not None:
            names[entity_id] = (entry.label, entry.name)
            return
        label = label or _LABEL_OF_PREFIX.get(entity_id.split(":", 1)[0], "MISC")
        current = names.get(entity_id)
        if name and (current is None or len(name) > len(current[1])):
            names[entity_id] = (label, name)

    for mention in result.mentions:
        add(mention.entity_id, mention.label, mention.name)
    for event in result.events:
        add(event.place_id, None, event.place_text)
        add(event.perpetrator_id, None, event.perpetrator_text)
        for victim in event.victims:
            add(victim.entity_id, None, victim.text)
    for quote in result.quotes:
        add(quote.speaker_id, None, quote.speaker_text)
    gazetteer_ids = {i for i in names if gazetteer.get(i) is not None}
    coordinates = {}
    for entity_id in gazetteer_ids:
        entry = gazetteer.get(entity_id)
        if entry is not None and entry.lat is not None and entry.lon is not None:
            coordinates[entity_id] = (entry.lat, entry.lon)
    return names, gazetteer_ids, coordinates


def enrich(
    store: Store,
    *,
    everything: bool = False,
    limit: int | None = None,
    batch_size: int = 16,
    n_process: int = 1,
    store_batch: int = 256,
    on_article: Callable[[int], None] | None = None,
) -> EnrichReport:
    """Enrich pending articles (or ``everything``); return what was found."""
    report = EnrichReport()
    ids = [a.id for a in store.iter_articles()] if everything else store.article_ids_with_status("fetched")
    if limit is not None:
        ids = ids[:limit]
    if not ids:
        return report
    nlp = get_pipeline()
    gazetteer = load_gazetteer()
    started = time.perf_counter()
    for offset in range(0, len(ids), store_batch):
        articles = [a for a in (store.article(i) for i in ids[offset : offset + store_batch]) if a is not None]
        docs = analyse(nlp, ((a.text, a.published_at) for a in articles), batch_size=batch_size,
                       n_process=n_process)
        for article, doc in zip(articles, docs, strict=True):
            result = enrichment(doc)
            names, gazetteer_ids, coordinates = entity_table(result, gazetteer)
            store.save_enrichment(article.id, result, names, gazetteer_ids, coordinates)
            report.articles += 1
            report.words += len(article.text.split())
            report.relevant += int(result.relevance.about_crimea)
            for event in result.events:
                if event.actual:
                    report.events_actual[event.type] += 1
                else:
                    report.events_other += 1
            report.quotes += len(result.quotes)
            report.claims += len(result.claims)
            if on_article is not None:
                on_article(1)
    report.seconds = time.perf_counter() - started
    return report
