"""Word lists of the NLP components, as data: one TOML file per language (``nlp/lexicons/{lang}.toml``).

Components read their triggers, perpetrators, modality, history and quote cues from here rather than from Python
literals, so a list is extended (or a language added) by editing a data file. A file holds tables of lists of
strings, grouped by the component that reads them, for example::

    [events]
    person_nouns = ["man", "men", "activist"]

    [quotes]
    speech_verbs = ["say", "state", "stress"]

:func:`lexicon` returns the whole parsed file; :func:`words` one list as a frozen set; :func:`mapping` one sub-table
(``[events.modality_cues] deny = "denied"``) as a read-only dict. A missing language, table or
key is an error naming the file, so a typo in a component cannot silently empty a list.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

__all__ = ["LEXICON_DIR", "LexiconError", "languages", "lexicon", "mapping", "words"]

LEXICON_DIR = Path(__file__).resolve().parent


class LexiconError(LookupError):
    """A lexicon file, table or list that a component asked for does not exist or is malformed."""


def languages() -> list[str]:
    """The languages that have a lexicon file."""
    return sorted(path.stem for path in LEXICON_DIR.glob("*.toml"))


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return MappingProxyType({key: _freeze(item) for key, item in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(item) for item in value)
    return value


@lru_cache(maxsize=8)
def lexicon(lang: str) -> Mapping[str, Any]:
    """The parsed lexicon of ``lang`` (read once; read-only)."""
    path = LEXICON_DIR / f"{lang}.toml"
    if not path.is_file():
        raise LexiconError(f"no lexicon for language {lang!r} (expected {path.name} in nlp/lexicons/)")
    try:
        with path.open("rb") as handle:
            return _freeze(tomllib.load(handle))
    except tomllib.TOMLDecodeError as exc:
        raise LexiconError(f"nlp/lexicons/{path.name}: {exc}") from exc


@lru_cache(maxsize=1024)
def words(lang: str, table: str, key: str) -> frozenset[str]:
    """One list of ``[table] key = [...]`` in ``lang``'s lexicon, as a frozen set."""
    section = lexicon(lang).get(table)
    if not isinstance(section, Mapping) or key not in section:
        raise LexiconError(f"nlp/lexicons/{lang}.toml has no list [{table}] {key}")
    values = section[key]
    if not isinstance(values, tuple) or not all(isinstance(value, str) for value in values):
        raise LexiconError(f"nlp/lexicons/{lang}.toml: [{table}] {key} must be a list of strings")
    return frozenset(values)


@lru_cache(maxsize=256)
def mapping(lang: str, table: str, key: str) -> Mapping[str, Any]:
    """One sub-table ``[table.key]`` of ``lang``'s lexicon (words to a value: a modality, a number ...)."""
    section = lexicon(lang).get(table)
    if not isinstance(section, Mapping) or not isinstance(section.get(key), Mapping):
        raise LexiconError(f"nlp/lexicons/{lang}.toml has no table [{table}.{key}]")
    return section[key]
