"""Build the pipeline of one language (``ru``, ``uk``, ``crh``); ``en`` is :func:`nlp.pipeline.build`.

    ru:  tokenizer -> crimea_natasha -> lemmatizer (pymorphy3) -> crimea_gazetteer_forms -> <our components>
    uk:  tokenizer -> crimea_uk_morph -> lemmatizer (pymorphy3) -> crimea_gazetteer_forms -> <our components>
    crh: tokenizer -> sentencizer -> crimea_gazetteer_forms -> <our components>

``<our components>`` are the same factories as in English (entity linker, relevance, events, quotes, claims), so
every language writes the same ``Doc`` extensions.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence

import spacy
from spacy.lang.xx import MultiLanguage
from spacy.language import Language
from spacy.util import registry

from nlp import extensions
from nlp.lang import gazetteer_forms as _gazetteer_forms  # noqa: F401  (registers "crimea_gazetteer_forms")
from nlp.lang import morph as _morph  # noqa: F401  (registers "crimea_uk_morph")
from nlp.lang import natasha_ru as _natasha_ru  # noqa: F401  (registers "crimea_natasha")

__all__ = ["build_language"]

_BLANK = {"ru": "ru", "uk": "uk", "crh": "crh"}


class CrimeanTatar(MultiLanguage):
    """Crimean Tatar (Latin script): spaCy's language-neutral tokenizer under its own code, so ``doc.lang_`` is
    ``crh`` and the components can tell it apart."""

    lang = "crh"


registry.languages.register("crh", func=CrimeanTatar)


def build_language(
    lang: str,
    components: Sequence[tuple[str, str]],
    *,
    data_dir: str | None = None,
    with_parser: bool = True,
) -> Language:
    """A fresh ``lang`` pipeline with our ``components`` (``(factory, module)`` pairs in pipeline order)."""
    if lang not in _BLANK:
        raise ValueError(f"no pipeline for language {lang!r} (have: en, {', '.join(_BLANK)})")
    extensions.register()
    nlp = spacy.blank(_BLANK[lang])
    if lang == "ru":
        nlp.add_pipe("crimea_natasha", config={"with_syntax": with_parser})
    elif lang == "uk":
        nlp.add_pipe("crimea_uk_morph")
    else:
        nlp.add_pipe("sentencizer")
    if lang in {"ru", "uk"}:
        nlp.add_pipe("lemmatizer", config={"mode": "pymorphy3"})
    for name, module in components:
        importlib.import_module(module)
        if name == "crimea_gazetteer":
            nlp.add_pipe("crimea_gazetteer_forms", config={"data_dir": data_dir, "lang": lang})
        elif name == "crimea_entity_linker":
            nlp.add_pipe(name, config={"data_dir": data_dir})
        else:
            nlp.add_pipe(name)
    nlp.initialize()
    return nlp
