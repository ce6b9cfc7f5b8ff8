"""Small synthetic articles with hand-written events, for incident and alert tests (no spaCy needed)."""

from __future__ import annotations

from indexer.store import Store, article_id_for
from items import Enrichment, Event, Mention, Relevance, Victim


def add_article(store: Store, slug: str, published: str, events: list[Event], *, source: str = "demo-a",
                text: str = "", about_crimea: bool = True, mentions: list[Mention] | None = None,
                near_duplicate_of: str | None = None) -> str:
    url = f"http://127.0.0.1/{source}/{slug}"
    article_id = article_id_for(url)
    record = {
        "id": article_id, "url": url, "source_id": source, "title": slug.replace("-", " "),
        "text": text or f"Report {slug} about events in Crimea.", "author": None, "lang": "en",
        "published_at": published, "fetched_at": published, "content_hash": article_id, "minhash": None,
        "shingle_count": 0, "near_duplicate_of": near_duplicate_of, "near_duplicate_score": None,
    }
    store.save_article(record, [])
    result = Enrichment(Relevance(about_crimea, 1.0 if about_crimea else 0.0), mentions=mentions or [], events=events)
    names: dict[str, tuple[str, str]] = {}
    for event in events:
        for victim in event.victims:
            if victim.entity_id:
                names[victim.entity_id] = ("PERSON", victim.text)
        if event.place_id:
            names[event.place_id] = ("GPE", event.place_text or event.place_id)
    for mention in mentions or []:
        names[mention.entity_id] = (mention.label, mention.name)
    from nlp.gazetteer import load_gazetteer

    gazetteer = load_gazetteer()
    coordinates = {i: (e.lat, e.lon) for i in names if (e := gazetteer.get(i)) is not None and e.lat is not None}
    store.save_enrichment(article_id, result, names, {i for i in names if gazetteer.get(i)}, coordinates)
    return article_id


def event(kind: str, day: str | None, *victims: str, place: str | None = None, modality: str = "actual",
          recap: bool = False) -> Event:
    return Event(
        type=kind, trigger=kind, start=0, end=len(kind), sentence=f"{kind} sentence", modality=modality,
        is_recap=recap, date=day, date_precision="day" if day and len(day) == 10 else None,
        place_text=place.split(":")[-1].title() if place else None, place_id=place,
        victims=[Victim(v.split("~")[-1].replace("-", " ").title(), v) for v in victims],
    )
