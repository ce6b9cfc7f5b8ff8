"""Per-language pipelines: one spaCy ``Language`` per article language, one ``Doc`` contract.

* ``en`` -- the English model of :mod:`nlp.pipeline` (unchanged);
* ``ru`` -- spaCy's Russian language (its tokenizer, the pymorphy3 lemmatizer) with natasha's shipped morphology,
  syntax and NER models wrapped as a spaCy component (:mod:`nlp.lang.natasha_ru`);
* ``uk`` -- spaCy's Ukrainian language with pymorphy3 morphology (part of speech, case, first-name and surname tags)
  and the pymorphy3 lemmatizer (:mod:`nlp.lang.morph`); names come from the gazetteer and name patterns;
* ``crh`` -- Crimean Tatar in Latin script: tokenizer, sentences, the gazetteer with suffix-aware lookup, relevance.

Every pipeline then runs the same gazetteer, linking, relevance, events, quotes and claims components, which read the
doc's language (``doc.lang_``) where the rules differ. :func:`nlp.lang.detect.detect_language` picks the pipeline;
:func:`nlp.lang.build.build_language` builds one. Heavy models (natasha, pymorphy3 dictionaries) load on first use
only, so an English-only process never pays for them.
"""

from __future__ import annotations

__all__ = ["CYRILLIC", "LANGUAGES"]

LANGUAGES = ("en", "ru", "uk", "crh")
CYRILLIC = frozenset({"ru", "uk"})
