"""Gazetteer of Crimean places, organisations, groups and public persons, with transliteration-aware lookup.

Data lives in ``nlp/data/*.jsonl`` (one JSON object per line, UTF-8):

* ``places.jsonl`` -- ``id, name, kind, raion, municipality, lat, lon, in_crimea, names{uk,ru,crh}, aliases``
* ``organisations.jsonl`` -- ``id, name, kind, aliases``
* ``groups.jsonl`` -- ``id, name, aliases`` (spaCy label NORP)
* ``persons.jsonl`` -- ``id, name, role, aliases``

:func:`load_gazetteer` reads them once (cached); :meth:`Gazetteer.lookup` resolves any spelling through
:func:`nlp.translit.name_key`; :meth:`Gazetteer.phrase_patterns` feeds a spaCy ``EntityRuler``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from nlp.translit import fold, name_key

__all__ = ["DATA_DIR", "Gazetteer", "GazetteerEntry", "Label", "load_gazetteer"]

Label = Literal["GPE", "LOC", "ORG", "PERSON", "NORP"]

DATA_DIR = Path(__file__).resolve().parent / "data"

#: place kinds labelled LOC (natural features); every other place kind is GPE
NATURAL_KINDS = frozenset({"natural"})
PLACE_KINDS = frozenset({"region", "city", "raion", "settlement", "country", "city_abroad"}) | NATURAL_KINDS

_FILES: tuple[tuple[str, str], ...] = (
    ("places.jsonl", "place"),
    ("organisations.jsonl", "organisation"),
    ("groups.jsonl", "group"),
    ("persons.jsonl", "person"),
)


@dataclass(frozen=True)
class GazetteerEntry:
    """One known entity: a place, organisation, group of people or public person."""

    id: str
    name: str
    label: Label
    kind: str
    aliases: tuple[str, ...] = ()
    lat: float | None = None
    lon: float | None = None
    raion: str | None = None
    in_crimea: bool | None = None
    names: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), compare=False, hash=False)
    municipality: str | None = None
    role: str | None = None

    @property
    def all_names(self) -> tuple[str, ...]:
        """Canonical name, language names (uk/ru/crh) and aliases, without exact duplicates."""
        seen: dict[str, None] = {}
        for text in (self.name, *self.names.values(), *self.aliases):
            if text and text not in seen:
                seen[text] = None
        return tuple(seen)


class Gazetteer:
    """An immutable collection of :class:`GazetteerEntry` with exact and phonetic lookup."""

    def __init__(self, entries: Iterable[GazetteerEntry]) -> None:
        self._entries = tuple(entries)
        self._by_id: dict[str, GazetteerEntry] = {}
        self._by_fold: dict[str, list[str]] = {}
        self._by_key: dict[str, list[str]] = {}
        self._canonical_key: dict[str, str] = {}
        for entry in self._entries:
            if entry.id in self._by_id:
                raise ValueError(f"duplicate gazetteer id {entry.id!r}")
            self._by_id[entry.id] = entry
            self._canonical_key[entry.id] = name_key(entry.name)
            for text in entry.all_names:
                _add(self._by_fold, fold(text), entry.id)
                key = name_key(text)
                if key:
                    _add(self._by_key, key, entry.id)

    @property
    def entries(self) -> tuple[GazetteerEntry, ...]:
        return self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[GazetteerEntry]:
        return iter(self._entries)

    def __contains__(self, entry_id: object) -> bool:
        return entry_id in self._by_id

    def get(self, entry_id: str) -> GazetteerEntry | None:
        """The entry with this id, or None."""
        return self._by_id.get(entry_id)

    def by_label(self, label: Label) -> tuple[GazetteerEntry, ...]:
        return tuple(e for e in self._entries if e.label == label)

    def candidates(self, name: str) -> tuple[GazetteerEntry, ...]:
        """Every entry one of whose names has the same matching key as ``name``."""
        return tuple(self._by_id[i] for i in self._by_key.get(name_key(name), ()))

    def lookup(self, name: str) -> GazetteerEntry | None:
        """Resolve any spelling (Latin, Cyrillic, Crimean Tatar) to one entry, or None if unknown/ambiguous.

        An exact (folded) match wins; otherwise the phonetic key must point to one entry, or to exactly one
        entry whose canonical name has that key.
        """
        exact = self._by_fold.get(fold(name), [])
        if len(exact) == 1:
            return self._by_id[exact[0]]
        key = name_key(name)
        ids = exact or self._by_key.get(key, [])
        if not exact:
            ids = [i for i in ids if self._same_person_name(i, name)]
        if len(ids) == 1:
            return self._by_id[ids[0]]
        preferred = [i for i in ids if self._canonical_key[i] == key]
        if len(preferred) == 1:
            return self._by_id[preferred[0]]
        return None

    def _same_person_name(self, entry_id: str, name: str) -> bool:
        """A person matched by the loose key must also match one of their names with interior vowels kept apart:
        Dzhemalov is not Dzhemilev, though Jemilev and Cemilev are."""
        entry = self._by_id[entry_id]
        if entry.label != "PERSON":
            return True
        strict = name_key(name, strict=True)
        return any(name_key(n, strict=True) == strict for n in entry.all_names)

    def ambiguous_keys(self) -> dict[str, tuple[str, ...]]:
        """Matching keys shared by more than one entry (diagnostics; should stay empty)."""
        return {k: tuple(v) for k, v in self._by_key.items() if len(v) > 1}

    def phrase_patterns(self) -> list[dict[str, str]]:
        """EntityRuler phrase patterns ``{"label", "pattern", "id"}`` for every name and alias."""
        patterns: list[dict[str, str]] = []
        for entry in self._entries:
            for text in entry.all_names:
                patterns.append({"label": entry.label, "pattern": text, "id": entry.id})
        return patterns


def _add(index: dict[str, list[str]], key: str, entry_id: str) -> None:
    ids = index.setdefault(key, [])
    if entry_id not in ids:
        ids.append(entry_id)


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _entry_from_record(record: Mapping[str, Any], source: str) -> GazetteerEntry:
    aliases = tuple(str(a) for a in record.get("aliases", ()))
    names = MappingProxyType({str(k): str(v) for k, v in (record.get("names") or {}).items() if v})
    if source == "place":
        kind = str(record["kind"])
        if kind not in PLACE_KINDS:
            raise ValueError(f"unknown place kind {kind!r}")
        label: Label = "LOC" if kind in NATURAL_KINDS else "GPE"
        return GazetteerEntry(
            id=str(record["id"]),
            name=str(record["name"]),
            label=label,
            kind=kind,
            aliases=aliases,
            lat=_opt_float(record.get("lat")),
            lon=_opt_float(record.get("lon")),
            raion=record.get("raion"),
            in_crimea=bool(record.get("in_crimea", False)),
            names=names,
            municipality=record.get("municipality"),
        )
    labels: dict[str, Label] = {"organisation": "ORG", "group": "NORP", "person": "PERSON"}
    return GazetteerEntry(
        id=str(record["id"]),
        name=str(record["name"]),
        label=labels[source],
        kind=str(record.get("kind", source)),
        aliases=aliases,
        names=names,
        role=record.get("role"),
    )


def read_entries(data_dir: Path) -> list[GazetteerEntry]:
    """Read every data file in ``data_dir``; a malformed line raises ValueError naming file and line."""
    entries: list[GazetteerEntry] = []
    for filename, source in _FILES:
        path = data_dir / filename
        with path.open(encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    entries.append(_entry_from_record(json.loads(line), source))
                except (ValueError, KeyError, TypeError) as exc:
                    raise ValueError(f"{path}:{lineno}: {exc}") from exc
    return entries


@lru_cache(maxsize=8)
def _load_cached(data_dir: str) -> Gazetteer:
    return Gazetteer(read_entries(Path(data_dir)))


def load_gazetteer(data_dir: str | Path | None = None) -> Gazetteer:
    """Load (once per directory) the gazetteer from ``data_dir`` (default: ``nlp/data``)."""
    path = Path(data_dir) if data_dir is not None else DATA_DIR
    return _load_cached(str(path.resolve()))
