"""Entity resolution for search filters, and what the store knows about one entity.

``GazetteerResolver`` turns the value of a ``person:`` / ``place:`` / ``org:`` filter into the canonical ids it
stands for, from three places:

1. the gazetteer: an exact (folded) alias first, then the transliteration-aware ``name_key`` (so ``Jemilev``,
   ``Dzhemilev`` and ``Джемилев`` all give ``person:mustafa-dzhemilev``);
2. the store: entities whose canonical name, or any mention text linked to them, has the same ``name_key``
   (people and places the gazetteer does not know, spelled as the articles spell them);
3. the ``KeyResolver`` form ``person:~normalised-name`` that entity linking gives unknown names.

``entity_profile`` gathers what the ``entity`` command shows: canonical name, aliases seen, mention count,
articles, quotes by the entity and events where it is a victim.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from indexer.search.resolver import KeyResolver
from indexer.store import Store
from nlp.gazetteer import Gazetteer
from nlp.translit import name_key

__all__ = ["ENTITY_FIELDS", "EntityProfile", "GazetteerResolver", "entity_profile"]

ENTITY_FIELDS = ("person", "place", "org")
#: gazetteer labels each filter field accepts
_FIELD_LABELS = {"person": {"PERSON"}, "place": {"GPE", "LOC"}, "org": {"ORG"}}


def _forms(value: str) -> list[str]:
    """The value as typed and, for a Russian or Ukrainian name in another case, its nominative
    ("place:Бахчисарае" is Bakhchysarai, "person:Рустема Велієва" is Рустем Велієв)."""
    from nlp.lang.names import base_of_text  # pymorphy3 loads only when a Cyrillic filter needs it

    if not any("\u0400" <= ch <= "\u04ff" for ch in value):
        return [value]
    base = base_of_text(value)
    return [value] if base == value else [value, base]


class GazetteerResolver:
    """``EntityResolver`` over the gazetteer, the store's linked entities and the ``~`` key form.

    The store's names are read once into a ``name_key -> ids`` table and re-read (at most every
    ``refresh_seconds``) when the database has changed, so a long-running API sees new entities without paying
    for a table scan per query. ``store`` may be None (gazetteer and key form only).
    """

    def __init__(self, store: Store | None, gazetteer: Gazetteer, refresh_seconds: float = 5.0) -> None:
        self.store = store
        self.gazetteer = gazetteer
        self.refresh_seconds = refresh_seconds
        self._keys = KeyResolver()
        self._by_key: dict[str, set[str]] = {}
        self._key_cache: dict[tuple[str, bool], str] = {}
        self._stamp: tuple[int, int] | None = None
        self._loaded_at = 0.0
        self._lock = threading.Lock()

    # -------------------------------------------------------------------------------------------- resolving
    def resolve(self, field: str, value: str) -> frozenset[str]:
        if field not in ENTITY_FIELDS:
            return frozenset()
        value = value.strip()
        if not value:
            return frozenset()
        prefix = f"{field}:"
        ids: set[str] = set(self._keys.resolve(field, value))
        if value.startswith(prefix) and len(value) > len(prefix):  # an id typed as such: person:person:x
            ids.add(value)
        for form in _forms(value):
            ids.update(self._gazetteer_ids(field, form))
            # people are keyed strictly: surnames that differ in a vowel (Dzhemilev, Dzhemalov) are two people
            key = name_key(form, strict=field == "person")
            if key and self.store is not None:
                ids.update(i for i in self._store_index().get(key, ()) if i.startswith(prefix))
        return frozenset(ids)

    def _gazetteer_ids(self, field: str, value: str) -> set[str]:
        labels = _FIELD_LABELS[field]
        entry = self.gazetteer.lookup(value)
        if entry is not None and entry.label in labels:
            return {entry.id}
        # unknown or ambiguous across the whole gazetteer: every entry of this kind with the same key
        return {e.id for e in self.gazetteer.candidates(value) if e.label in labels}

    # ---------------------------------------------------------------------------------------- store names
    def _store_index(self) -> dict[str, set[str]]:
        assert self.store is not None
        with self._lock:
            now = time.monotonic()
            if self._stamp is not None and now - self._loaded_at < self.refresh_seconds:
                return self._by_key
            stamp = self.store.change_stamp()
            if stamp != self._stamp:
                self._by_key = self._load()
                self._stamp = stamp
            self._loaded_at = now
            return self._by_key

    def _load(self) -> dict[str, set[str]]:
        assert self.store is not None
        by_key: dict[str, set[str]] = {}
        for entity_id, text in self.store.entity_name_pairs():
            strict = entity_id.startswith("person:")
            key = self._key_cache.get((text, strict))
            if key is None:
                key = self._key_cache[(text, strict)] = name_key(text, strict=strict)
            if key:
                by_key.setdefault(key, set()).add(entity_id)
        return by_key


# ----------------------------------------------------------------------------------------------- profile
@dataclass
class EntityProfile:
    id: str
    name: str
    label: str
    in_gazetteer: bool
    aliases: list[str] = field(default_factory=list)  # distinct mention texts, most frequent first
    mention_count: int = 0
    articles: list[dict[str, Any]] = field(default_factory=list)
    quotes: list[dict[str, Any]] = field(default_factory=list)
    victim_of: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def entity_profile(
    store: Store, resolver: GazetteerResolver, name: str, limit: int = 50
) -> list[EntityProfile]:
    """Every entity ``name`` resolves to (as a person, place or org) that the store or the gazetteer knows."""
    ids: set[str] = set()
    for field_name in ENTITY_FIELDS:
        ids |= resolver.resolve(field_name, name)
    if ":" in name:
        ids.add(name.strip())
    profiles = []
    for entity_id in sorted(ids):
        row = store.entity_row(entity_id)
        entry = resolver.gazetteer.get(entity_id)
        if row is None and entry is None:
            continue
        profile = EntityProfile(
            id=entity_id,
            name=entry.name if entry is not None else row["name"],
            label=entry.label if entry is not None else row["label"],
            in_gazetteer=entry is not None or bool(row["in_gazetteer"]),
        )
        aliases = store.entity_aliases(entity_id)
        profile.aliases = [r["text"] for r in aliases]
        profile.mention_count = sum(r["n"] for r in aliases)
        profile.articles = [dict(r) for r in store.entity_articles(entity_id, limit)]
        profile.quotes = [
            {k: r[k] for k in ("article_id", "title", "published_at", "text", "kind", "cue")}
            for r in store.statements(limit=limit, speaker_id=entity_id)
        ]
        victim_rows = store.events_with_victim(entity_id, limit)
        for r in victim_rows:
            event = dict(r)
            event["victims"] = [v.get("text") for v in json.loads(event.pop("victims_json") or "[]")]
            profile.victim_of.append(event)
        profiles.append(profile)
    return profiles
