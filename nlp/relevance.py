"""The ``crimea_relevance`` component: is the article about Crimea (``Doc._.relevance``)?

Evidence is counted from linked entities, not from words: Crimea itself and every gazetteer place with
``in_crimea``, Crimean peoples (Crimean Tatars, Karaites, Krymchaks, "Crimeans") and Crimean institutions (Mejlis,
Crimean Solidarity, the Supreme Court of Crimea ...). Mentions near the top of the article weigh double, because a
story's subject is named in its first sentences, while a passing mention ("ships stay well away from Crimea")
comes once and late. Institutions weigh half: a Kyiv-based monitor commenting on a Moscow case is not enough.
Cyrillic articles are also scanned for Crimean stems (Крым/Крим, Симферопол/Сімферопол ...) because inflected
forms often escape the gazetteer.
"""

from __future__ import annotations

import re

from spacy.language import Language
from spacy.tokens import Doc

import items
from nlp import extensions
from nlp.gazetteer import Gazetteer, load_gazetteer
from nlp.linking import is_cyrillic_doc

__all__ = ["RelevanceScorer"]

extensions.register()

_CRIMEAN_GROUPS = frozenset({"group:crimean-tatars", "group:crimeans", "group:crimean-karaites", "group:krymchaks"})
_CRIMEAN_ORG_RE = re.compile(r"crimea|crimean|krym|qırım|qirim|simferopol|sevastopol|mejlis|kurultai|qha|atr\b", re.I)
_CYR_STEMS_RE = re.compile(
    r"\b(крым|крим|симферопол|сімферопол|севастопол|бахчисара|керч|джанко|ялт|феодос|евпатор|євпатор|судак|алушт|"
    r"белогорск|білогірськ|армянск|армянськ|саки|строгоновк|крымскотатар|кримськотатар|крымских татар|"
    r"кримських татар|меджлис|меджліс)",
    re.I,
)
_LEAD_SENTENCES = 2
# Russia and Ukraine are named in nearly every Crimea story (occupier, sovereign): they are no competing setting.
_HOST_STATES = frozenset({"place:russia", "place:ukraine"})


class RelevanceScorer:
    """spaCy component setting ``Doc._.relevance`` to an :class:`items.Relevance`."""

    def __init__(self, gazetteer: Gazetteer, threshold: float = 0.5, half_weight_at: float = 3.0) -> None:
        self.threshold = threshold
        self.half = half_weight_at
        self.crimean_places = frozenset(e.id for e in gazetteer if e.label in {"GPE", "LOC"} and e.in_crimea)
        self.crimean_orgs = frozenset(
            e.id for e in gazetteer if e.label == "ORG" and any(_CRIMEAN_ORG_RE.search(n) for n in e.all_names)
        )

    def __call__(self, doc: Doc) -> Doc:
        doc._.relevance = self.score(doc)
        return doc

    def pipe(self, docs, batch_size: int = 128):  # type: ignore[no-untyped-def]
        for doc in docs:
            yield self(doc)

    def _is_crimean(self, ent) -> bool:  # type: ignore[no-untyped-def]
        eid = ent._.entity_id or ""
        return (
            eid in self.crimean_places
            or eid in _CRIMEAN_GROUPS
            or (ent.label_ == "NORP" and ent.text.lower().startswith("crimean"))
        )

    def score(self, doc: Doc) -> items.Relevance:
        lead_end = _lead_end(doc)
        weight = 0.0
        places: dict[str, int] = {}
        groups: dict[str, int] = {}
        orgs: dict[str, int] = {}
        for ent in doc.ents:
            eid = ent._.entity_id or ""
            name = ent._.entity_name or ent.text
            if eid in self.crimean_places:
                w, bucket = 1.0, places
            elif eid in _CRIMEAN_GROUPS or (ent.label_ == "NORP" and ent.text.lower().startswith("crimean")):
                w, bucket = 1.0, groups
            elif eid in self.crimean_orgs:
                w, bucket = 0.5, orgs
            else:
                continue
            if ent.start_char < lead_end:
                w *= 2
            weight += w
            bucket[name] = bucket.get(name, 0) + 1
        # A story set in a Crimean place names it in its lead; a Moscow story that mentions Crimea names Moscow more.
        lead_crimean = sum(1 for e in doc.ents if e.start_char < lead_end and self._is_crimean(e))
        lead_foreign = sum(
            1
            for e in doc.ents
            if e.start_char < lead_end
            and e.label_ in {"GPE", "LOC"}
            and (e._.entity_id or "") not in self.crimean_places
            and (e._.entity_id or "") not in _HOST_STATES
        )
        cyr_hits = 0
        if doc.lang_ in {"ru", "uk"} or is_cyrillic_doc(doc):
            hits = list(_CYR_STEMS_RE.finditer(doc.text))
            lead_hits = sum(1 for m in hits if m.start() < lead_end)
            cyr_hits = len(hits) + lead_hits
            weight = max(weight, float(cyr_hits))
            # inflected Crimean names in the lead ("суд Симферополя", "в Старом Крыму", a short post's
            # "В Керчи задержали ...") set the story in Crimea as a linked place there would
            lead_crimean = max(lead_crimean, lead_hits)
        score = weight / (weight + self.half) if weight > 0 else 0.0
        lead_rule = lead_crimean > 0 and lead_crimean >= lead_foreign
        if lead_rule:
            score = max(score, self.threshold)
        reasons: list[str] = []
        for label, bucket in (("Crimean places", places), ("Crimean peoples", groups), ("Crimean institutions", orgs)):
            if bucket:
                n = sum(bucket.values())
                names = ", ".join(sorted(bucket, key=lambda k: -bucket[k])[:4])
                reasons.append(f"{n} mention{'s' if n != 1 else ''} of {label}: {names}")
        if cyr_hits:
            reasons.append(f"{cyr_hits} Crimean word stems in Cyrillic text")
        if not reasons:
            reasons.append("no mention of Crimea, its places, peoples or institutions")
        if lead_rule:
            reasons.append("the lead is set in Crimea")
        about = score >= self.threshold
        if not about and weight > 0:
            reasons.append("only a passing mention")
        return items.Relevance(about_crimea=about, score=round(score, 3), reasons=reasons)


def _lead_end(doc: Doc) -> int:
    """Character offset where the lead (first sentences) ends; without sentence boundaries, the first 300 chars."""
    if doc.has_annotation("SENT_START"):
        for i, sent in enumerate(doc.sents):
            if i + 1 >= _LEAD_SENTENCES:
                return sent.end_char
    return min(len(doc.text), 300)


@Language.factory("crimea_relevance", default_config={"data_dir": None, "threshold": 0.5, "half_weight_at": 3.0})
def make_relevance(
    nlp: Language, name: str, data_dir: str | None, threshold: float, half_weight_at: float
) -> RelevanceScorer:
    return RelevanceScorer(load_gazetteer(data_dir), threshold=threshold, half_weight_at=half_weight_at)
