"""The ``crimea_gazetteer`` component: an EntityRuler of gazetteer names that runs before ``ner``.

Phrase patterns only (nearly free, unlike token patterns), so "Crimea" is a GPE, "Crimean Tatars" a NORP and
"Mejlis" an ORG before the statistical NER sees the text; the NER then respects these spans. Each match carries
the gazetteer id as ``span.ent_id_``, which the entity linker uses directly.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.pipeline import EntityRuler

from nlp.gazetteer import load_gazetteer

__all__ = ["make_gazetteer_ruler"]


@Language.factory(
    "crimea_gazetteer",
    default_config={"data_dir": None, "phrase_matcher_attr": None, "overwrite_ents": True},
)
def make_gazetteer_ruler(
    nlp: Language, name: str, data_dir: str | None, phrase_matcher_attr: str | None, overwrite_ents: bool
) -> EntityRuler:
    # ORTH matching by default: with LOWER, short aliases that are ordinary words ("arc", "mir") would match.
    ruler = EntityRuler(nlp, name=name, phrase_matcher_attr=phrase_matcher_attr, overwrite_ents=overwrite_ents)
    ruler.add_patterns(load_gazetteer(data_dir).phrase_patterns())
    return ruler
