"""Corrections become truth: gold lines (the ``eval`` format) from the articles analysts have reviewed.

An article is reviewed when every incident it reports has been decided on (confirmed or rejected; a merged
incident counts through the one it was merged into). Its gold line holds:

* ``events``: one per confirmed incident it reports, with the incident's (analyst-corrected) type, date, place,
  count and the victims this article names, and ``incident`` set to the incident id, so ``eval`` also scores the
  clustering; a rejected incident contributes no event (the machine was wrong to see one);
* ``about_crimea``: true when it reports a confirmed incident, false when every incident it reported was rejected
  as not in Crimea, else the pipeline's own decision;
* ``persons`` and ``places``: the confirmed victims and places it names (analysts check these, not every name in the
  text, so the persons and places scores on these lines measure recall of the names that matter).

Analysts do not correct quotes yet, so the lines carry no ``quotes``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from indexer import reviews
from indexer.store import Store


def _named_in(name: str, text: str) -> bool:
    # the full name, or its surname (an article names a person once in full, then by surname)
    folded, surname = text.casefold(), name.split()[-1].casefold() if name.split() else ""
    return name.casefold() in folded or (len(name.split()) > 1 and len(surname) >= 3 and surname in folded)


def _article_incidents(store: Store, article_id: str) -> set[str]:
    ids = {r[0] for r in store.conn.execute(
        "SELECT DISTINCT m.incident_id FROM incident_mentions m JOIN incidents i ON i.id = m.incident_id "
        "WHERE m.article_id = ? AND i.status = 'active'", (article_id,))}
    ids |= {i for i, action in reviews.article_pins(store, article_id).items() if action == "attach"}
    return {store.resolve_incident(i) or i for i in ids} - {
        i for i, action in reviews.article_pins(store, article_id).items() if action == "detach"}


def reviewed_gold(store: Store) -> Iterator[dict[str, Any]]:
    candidates = sorted({r[0] for r in store.conn.execute(
        "SELECT m.article_id FROM incident_mentions m JOIN incident_reviews r ON r.incident_id = m.incident_id "
        "WHERE r.status IN ('confirmed', 'rejected') UNION SELECT p.article_id FROM incident_article_pins p "
        "JOIN incident_reviews r ON r.incident_id = p.incident_id WHERE r.status IN ('confirmed', 'rejected')")})
    for article_id in candidates:
        incidents = _article_incidents(store, article_id)
        decided = {i: reviews.review(store, i) for i in incidents}
        if not incidents or any(r["status"] not in ("confirmed", "rejected") for r in decided.values()):
            continue
        article = store.conn.execute(
            "SELECT id, url, text, lang, published_at, about_crimea FROM articles WHERE id = ?", (article_id,)
        ).fetchone()
        text = article["text"]  # what the NLP reads (the title is not part of it)
        events, persons, places = [], [], []
        for incident_id in sorted(i for i, r in decided.items() if r["status"] == "confirmed"):
            row = store.incident(incident_id)
            victims = [v.get("text") or v.get("name") for v in json.loads(row["victims_json"] or "[]")]
            victims = [v for v in victims if v and _named_in(v, text)]
            place = row["place_text"] if row["place_text"] and _named_in(row["place_text"], text) else None
            events.append({"type": row["type"], "date": row["event_date"], "place": place, "victims": victims,
                           "count": row["count"], "negated_or_hypothetical": False, "incident": incident_id})
            persons += [v for v in victims if v not in persons]
            if place and place not in places:
                places.append(place)
        if events:
            about = True
        elif all(r["reason"] == "not_in_crimea" for r in decided.values()):
            about = False
        else:
            about = bool(article["about_crimea"])
        yield {"id": article_id, "source": article["url"], "text": text, "lang": article["lang"],
               "published_at": article["published_at"], "about_crimea": about, "events": events,
               "persons": persons, "places": places}
