"""How ``person:``/``place:``/``org:`` filter values become canonical entity ids."""

from __future__ import annotations

import re
import unicodedata
from typing import Protocol, runtime_checkable

__all__ = ["EntityResolver", "KeyResolver", "fold", "normalise_key"]

# letters that Unicode decomposition does not reduce to ASCII but ascii-folding filters do
_SPECIAL_FOLDS = str.maketrans(
    {"ı": "i", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ß": "ss", "æ": "ae", "œ": "oe", "ŀ": "l"}
)


def fold(text: str) -> str:
    """Casefold and strip accents: ``"Bağçasaray" -> "bagcasaray"``, ``"Qırım" -> "qirim"``."""
    text = unicodedata.normalize("NFKD", text.casefold().translate(_SPECIAL_FOLDS))
    return "".join(ch for ch in text if not unicodedata.combining(ch)).translate(_SPECIAL_FOLDS)


def normalise_key(value: str) -> str:
    """``"Mustafa  Dzhemilev"`` -> ``"mustafa-dzhemilev"``: folded, runs of spaces/hyphens -> one '-'."""
    return re.sub(r"[\s\-]+", "-", fold(value).strip()).strip("-")


@runtime_checkable
class EntityResolver(Protocol):
    """Maps the value of a ``person:``, ``place:`` or ``org:`` filter to the canonical ids it stands for.

    The real implementation is built from the gazetteer (every alias and transliteration of an entity maps to
    its id, e.g. ``resolve("person", "Jemilev") == {"person:mustafa-dzhemilev"}``) and injected by the caller;
    the search backends only depend on this protocol. An empty set means "no such entity": the filter matches
    nothing.
    """

    def resolve(self, field: str, value: str) -> frozenset[str]: ...


class KeyResolver:
    """A resolver that needs no gazetteer: ``value`` -> ``{f"{field}:~{normalise_key(value)}"}``.

    Ids of entities that are not in the gazetteer use this ``"~"`` form (``person:~ivan-petrov``), so entity
    linking and search agree on them without a lookup table. Gazetteer entities have plain ids
    (``person:mustafa-dzhemilev``), which this resolver never produces; wrap or replace it with the
    gazetteer's resolver to find them by alias.
    """

    def resolve(self, field: str, value: str) -> frozenset[str]:
        key = normalise_key(value)
        if not key:
            return frozenset()
        return frozenset({f"{field}:~{key}"})
