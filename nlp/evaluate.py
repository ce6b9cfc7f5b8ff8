"""Score the NLP against a gold file (format and rules: ../shared/EVAL.md).

:func:`evaluate` runs the project's pipeline over every item of a JSON Lines gold file and returns one dict::

    {"items": N, "relevance": {"p", "r", "f1"}, "events": {"p", "r", "f1", "per_type": {type: {"p", "r", "f1"}}},
     "event_victims": {...}, "event_places": {...}, "persons": {...}, "places": {...},
     "quotes": {"p", "r", "f1", "attribution"}, "seconds": s}

plus ``"indirect_quotes"`` (same shape as ``"quotes"``) when items carry ``indirect_quotes``, ``"by_lang"`` (the
same keys per language) when items carry ``lang``, and ``"linking"`` when items carry ``entities`` (an extra key: per
real person the list of surface forms the article uses for them) — how often two different people were merged
into one entity and one person was split over several.

plus ``"incidents"`` (pairwise and B-cubed clustering scores) when a ``cluster`` predictor is given and the gold
events carry incident ids, and likewise ``"cases"`` when a ``case_cluster`` predictor is given and the gold events
carry ``case`` ids (one id for a person's search, detention, custody ...; an extra key EVAL.md lets us add).
A predicted event counts as reported when it is actual or an aggregate ("178 cases documented"); history (before
the occupation), negated and hypothetical events do not. Everything is micro-averaged: counts are summed over items
before dividing. A ratio with nothing to count on either side (no gold and no prediction) is 1.0: nothing was
missed, nothing was invented.

:func:`score` is the pure scoring part (gold items + predicted :class:`items.Enrichment`), testable without spaCy.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from items import Enrichment
from nlp.translit import fold, to_latin

__all__ = ["GoldFileError", "evaluate", "load_gold", "names_match", "normalise_quote", "reported", "score"]

PERSON_LABELS = frozenset({"PERSON"})
PLACE_LABELS = frozenset({"GPE", "LOC"})
IGNORED_EVENT_TYPES = frozenset({"other"})
#: modalities of a predicted event that the project reports as having happened (aggregates are not incidents, but
#: they are events of their type with a count)
REPORTED_MODALITIES = frozenset({"actual", "aggregate"})

#: ``cluster(items, predictions)`` returns, per item, one incident id (or None) per predicted event
ClusterFn = Callable[[Sequence[dict[str, Any]], Sequence[Enrichment]], Sequence[Sequence[str | None]]]


class GoldFileError(ValueError):
    """A gold file that cannot be read; the message names the file and the line."""


# --- reading ------------------------------------------------------------------------------------------------------
def load_gold(path: str | Path) -> list[dict[str, Any]]:
    """Read a gold JSON Lines file; blank lines are skipped, unknown keys kept (and ignored by the scoring)."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise GoldFileError(f"{path}: no such file") from None
    except UnicodeDecodeError as exc:
        raise GoldFileError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise GoldFileError(f"{path}: cannot read ({exc.strerror})") from None
    items: list[dict[str, Any]] = []
    for lineno, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise GoldFileError(f"{path} line {lineno}: not valid JSON ({exc.msg}, column {exc.colno})") from None
        if not isinstance(obj, dict):
            raise GoldFileError(f"{path} line {lineno}: expected a JSON object, got {type(obj).__name__}")
        _check_item(obj, f"{path} line {lineno}")
        items.append(obj)
    if not items:
        raise GoldFileError(f"{path}: no items (the file is empty)")
    return items


def _check_item(obj: dict[str, Any], where: str) -> None:
    if "text" not in obj:
        raise GoldFileError(f'{where}: missing "text"')
    if not isinstance(obj["text"], str):
        raise GoldFileError(f'{where}: "text" must be a string')
    for key in ("events", "persons", "places", "quotes", "indirect_quotes"):
        value = obj.get(key)
        if value is not None and not isinstance(value, list):
            raise GoldFileError(f'{where}: "{key}" must be a list')
    for key in ("persons", "places"):
        for value in obj.get(key) or []:
            if not isinstance(value, str):
                raise GoldFileError(f'{where}: "{key}" must hold strings')
    for i, ev in enumerate(obj.get("events") or []):
        if not isinstance(ev, dict) or not isinstance(ev.get("type"), str):
            raise GoldFileError(f'{where}: events[{i}] needs a "type" string')
        victims = ev.get("victims")
        if victims is not None and not (isinstance(victims, list) and all(isinstance(v, str) for v in victims)):
            raise GoldFileError(f'{where}: events[{i}].victims must be a list of strings')
        place = ev.get("place")
        if place is not None and not isinstance(place, str):
            raise GoldFileError(f'{where}: events[{i}].place must be a string or null')
        count = ev.get("count")
        if count is not None and (isinstance(count, bool) or not isinstance(count, int)):
            raise GoldFileError(f'{where}: events[{i}].count must be a whole number or null')
    for key in ("quotes", "indirect_quotes"):
        for i, q in enumerate(obj.get(key) or []):
            if not isinstance(q, dict) or not isinstance(q.get("text"), str):
                raise GoldFileError(f'{where}: {key}[{i}] needs a "text" string')
    lang = obj.get("lang")
    if lang is not None and not isinstance(lang, str):
        raise GoldFileError(f'{where}: "lang" must be a string')
    about = obj.get("about_crimea")
    if about is not None and not isinstance(about, bool):
        raise GoldFileError(f'{where}: "about_crimea" must be true or false')


# --- name matching ------------------------------------------------------------------------------------------------
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)


def _norm_name(name: str) -> str:
    return _NON_WORD.sub(" ", fold(to_latin(name)).replace("'", "")).strip()


@lru_cache(maxsize=1)
def _gazetteer() -> Any:
    from nlp.gazetteer import load_gazetteer

    return load_gazetteer()


@lru_cache(maxsize=65536)
def _canonical_id(name: str) -> str | None:
    entry = _gazetteer().lookup(name)
    return entry.id if entry is not None else None


def names_match(a: str | None, b: str | None) -> bool:
    """EVAL.md's rule: equal after fold + transliteration, same gazetteer entity, or surname = other's last token."""
    if not a or not b:
        return False
    na, nb = _norm_name(a), _norm_name(b)
    if not na or not nb:
        return False
    if na == nb:
        return True
    ta, tb = na.split(), nb.split()
    if (len(ta) == 1 and ta[0] == tb[-1]) or (len(tb) == 1 and tb[0] == ta[-1]):
        return True
    ida = _canonical_id(a)
    return ida is not None and ida == _canonical_id(b)


def normalise_quote(text: str) -> str:
    """Quote text for containment: folded, apostrophes dropped, every other non-word run one space."""
    return _NON_WORD.sub(" ", fold(text).replace("'", "")).strip()


# --- counting -----------------------------------------------------------------------------------------------------
@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, tp: int, fp: int, fn: int) -> None:
        self.tp += tp
        self.fp += fp
        self.fn += fn

    def prf(self) -> dict[str, float]:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else (1.0 if self.fn == 0 else 0.0)
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else (1.0 if self.fp == 0 else 0.0)
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        return {"p": round(p, 4), "r": round(r, 4), "f1": round(f1, 4)}


def _max_matching(n_left: int, n_right: int, edges: Callable[[int], Iterable[int]]) -> dict[int, int]:
    """Maximum bipartite matching (augmenting paths; the sets are per article, so small). Returns left -> right."""
    match_right: dict[int, int] = {}

    def augment(left: int, seen: set[int]) -> bool:
        for right in edges(left):
            if right in seen:
                continue
            seen.add(right)
            if right not in match_right or augment(match_right[right], seen):
                match_right[right] = left
                return True
        return False

    for left in range(n_left):
        augment(left, set())
    return {left: right for right, left in match_right.items()}


@dataclass
class _Entity:
    names: list[str] = field(default_factory=list)


def _predicted_entities(pred: Enrichment, labels: frozenset[str]) -> list[_Entity]:
    """One predicted entity per entity id, known by every surface form and its canonical name."""
    by_id: dict[str, _Entity] = {}
    for m in pred.mentions:
        if m.label not in labels:
            continue
        key = m.entity_id or f"~{_norm_name(m.name or m.text)}"
        ent = by_id.setdefault(key, _Entity())
        for n in (m.name, m.text):
            if n and n not in ent.names:
                ent.names.append(n)
    return list(by_id.values())


def _score_names(gold: Iterable[str], pred: list[_Entity], counts: Counts) -> None:
    gold_names: list[str] = []
    for g in gold:
        if g and not any(_norm_name(g) == _norm_name(x) for x in gold_names):
            gold_names.append(g)
    matching = _max_matching(
        len(gold_names),
        len(pred),
        lambda i: [j for j, ent in enumerate(pred) if any(names_match(gold_names[i], n) for n in ent.names)],
    )
    tp = len(matching)
    counts.add(tp, len(pred) - tp, len(gold_names) - tp)


def reported(ev: Any) -> bool:
    """The project reports this predicted event as having happened (actual or aggregate)."""
    return ev.modality in REPORTED_MODALITIES


def _gold_events(item: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        ev for ev in item.get("events") or []
        if not ev.get("negated_or_hypothetical") and ev["type"] not in IGNORED_EVENT_TYPES
    ]


@lru_cache(maxsize=4096)
def _place_name(place_id: str) -> str | None:
    entry = _gazetteer().get(place_id)
    return entry.name if entry is not None else None


def _score_arguments(item: dict[str, Any], pred: Enrichment, victims: Counts, places: Counts) -> None:
    """Who and where, per event type: gold victims / places of the type's events against the predicted ones."""
    gold_events = _gold_events(item)
    pred_events = [ev for ev in pred.events if reported(ev) and ev.type not in IGNORED_EVENT_TYPES]
    for etype in {ev["type"] for ev in gold_events} | {ev.type for ev in pred_events}:
        gold_victims = [v for ev in gold_events if ev["type"] == etype for v in ev.get("victims") or []]
        gold_places = [ev["place"] for ev in gold_events if ev["type"] == etype and ev.get("place")]
        named: dict[str, _Entity] = {}
        where: dict[str, _Entity] = {}
        for ev in pred_events:
            if ev.type != etype:
                continue
            for v in ev.victims:
                if v.entity_id:  # a descriptor ("four men") has no entity and is not scored
                    ent = named.setdefault(v.entity_id, _Entity())
                    if v.text not in ent.names:
                        ent.names.append(v.text)
            if ev.place_text or ev.place_id:
                ent = where.setdefault(ev.place_id or f"~{_norm_name(ev.place_text or '')}", _Entity())
                canonical = _place_name(ev.place_id) if ev.place_id else None
                for n in (ev.place_text, canonical):
                    if n and n not in ent.names:
                        ent.names.append(n)
        _score_names(gold_victims, list(named.values()), victims)
        _score_names(gold_places, list(where.values()), places)


def _score_quotes(gold: list[dict[str, Any]], pred: list[Any], counts: Counts) -> tuple[int, int]:
    """Containment of the normalised gold text; the matching prefers correctly attributed pairs. Returns (gold
    quotes, correctly attributed matches)."""
    gq = [q for q in gold if normalise_quote(q.get("text") or "")]
    g_norm = [normalise_quote(q["text"]) for q in gq]
    p_norm = [normalise_quote(q.text) for q in pred]
    contains = {(i, j) for i in range(len(gq)) for j in range(len(pred)) if g_norm[i] in p_norm[j]}
    right = {(i, j) for i, j in contains if names_match(gq[i].get("speaker"), pred[j].speaker_text)}
    right_edges = [[j for j in range(len(pred)) if (i, j) in right] for i in range(len(gq))]
    first = _max_matching(len(gq), len(pred), right_edges.__getitem__)
    used = set(first.values())
    rest_edges = [
        [] if i in first else [j for j in range(len(pred)) if (i, j) in contains and j not in used]
        for i in range(len(gq))
    ]
    rest = _max_matching(len(gq), len(pred), rest_edges.__getitem__)
    matched = {**rest, **first}
    tp = len(matched)
    counts.add(tp, len(pred) - tp, len(gq) - tp)
    return len(gq), sum(1 for i, j in matched.items() if (i, j) in right)


def score(
    gold_items: Sequence[dict[str, Any]],
    predictions: Sequence[Enrichment],
    incident_ids: Sequence[Sequence[str | None]] | None = None,
    case_ids: Sequence[Sequence[str | None]] | None = None,
) -> dict[str, Any]:
    """Score predictions (one Enrichment per gold item, same order) against the gold items; ``incident_ids`` and
    ``case_ids`` hold per item one predicted cluster id (or None) per predicted event."""
    if len(gold_items) != len(predictions):
        raise ValueError("one prediction per gold item is needed")
    result = _score_all(gold_items, predictions)
    for name, key, ids in (("incidents", "incident", incident_ids), ("cases", "case", case_ids)):
        if ids is not None and any(ev.get(key) for it in gold_items for ev in it.get("events") or []):
            result[name] = _score_incidents(gold_items, predictions, ids, key)
    langs = sorted({str(item["lang"]) for item in gold_items if item.get("lang")})
    if langs:
        result["by_lang"] = {}
        for lang in langs:
            chosen = [n for n, item in enumerate(gold_items) if item.get("lang") == lang]
            sub_items = [gold_items[n] for n in chosen]
            sub_preds = [predictions[n] for n in chosen]
            block = _score_all(sub_items, sub_preds)
            for name, key, ids in (("incidents", "incident", incident_ids), ("cases", "case", case_ids)):
                if ids is not None and any(ev.get(key) for it in sub_items for ev in it.get("events") or []):
                    block[name] = _score_incidents(sub_items, sub_preds, [ids[n] for n in chosen], key)
            result["by_lang"][lang] = block
    return result


def _score_all(gold_items: Sequence[dict[str, Any]], predictions: Sequence[Enrichment]) -> dict[str, Any]:
    relevance, events, persons, places = Counts(), Counts(), Counts(), Counts()
    victims, event_places, quotes, indirect = Counts(), Counts(), Counts(), Counts()
    per_type: dict[str, Counts] = {}
    gold_quotes = attributed = gold_indirect = attributed_indirect = 0
    has_indirect = False
    for item, pred in zip(gold_items, predictions, strict=True):
        # relevance (positive class); an item without the key is not scored for relevance
        if item.get("about_crimea") is not None:
            g, p = bool(item["about_crimea"]), bool(pred.relevance.about_crimea)
            relevance.add(int(g and p), int(p and not g), int(g and not p))
        # event types, as sets per item
        gold_types = {str(ev["type"]) for ev in _gold_events(item)}
        pred_types = {ev.type for ev in pred.events if reported(ev) and ev.type not in IGNORED_EVENT_TYPES}
        events.add(len(gold_types & pred_types), len(pred_types - gold_types), len(gold_types - pred_types))
        for t in gold_types | pred_types:
            per_type.setdefault(t, Counts()).add(
                int(t in gold_types and t in pred_types),
                int(t in pred_types - gold_types),
                int(t in gold_types - pred_types),
            )
        _score_arguments(item, pred, victims, event_places)
        _score_names(item.get("persons") or [], _predicted_entities(pred, PERSON_LABELS), persons)
        _score_names(item.get("places") or [], _predicted_entities(pred, PLACE_LABELS), places)
        n, ok = _score_quotes(item.get("quotes") or [], [q for q in pred.quotes if q.kind == "direct"], quotes)
        gold_quotes += n
        attributed += ok
        if "indirect_quotes" in item:
            has_indirect = True
            n, ok = _score_quotes(
                item.get("indirect_quotes") or [], [q for q in pred.quotes if q.kind != "direct"], indirect
            )
            gold_indirect += n
            attributed_indirect += ok
    result: dict[str, Any] = {
        "items": len(gold_items),
        "relevance": relevance.prf(),
        "events": {**events.prf(), "per_type": {t: c.prf() for t, c in sorted(per_type.items())}},
        "event_victims": victims.prf(),
        "event_places": event_places.prf(),
        "persons": persons.prf(),
        "places": places.prf(),
        "quotes": {**quotes.prf(), "attribution": round(attributed / gold_quotes, 4) if gold_quotes else 1.0},
    }
    linking = _score_linking(gold_items, predictions)
    if linking is not None:
        result["linking"] = linking
    if has_indirect:
        result["indirect_quotes"] = {
            **indirect.prf(),
            "attribution": round(attributed_indirect / gold_indirect, 4) if gold_indirect else 1.0,
        }
    return result


def _score_linking(gold_items: Sequence[dict[str, Any]], predictions: Sequence[Enrichment]) -> dict[str, Any] | None:
    """Merges (pairs of different people of one article given one entity id) and splits (one person given several
    ids), over the people of items carrying ``entities``; a form the NLP did not find as a person is not counted."""
    people = pairs = merged = split = 0
    seen_any = False
    for item, pred in zip(gold_items, predictions, strict=True):
        groups = item.get("entities")
        if not isinstance(groups, list):
            continue
        seen_any = True
        ids_of: dict[str, set[str]] = {}
        for m in pred.mentions:
            if m.label in PERSON_LABELS:
                ids_of.setdefault(fold(m.text), set()).add(m.entity_id)
        person_ids = []
        for group in groups:
            ids = {i for form in group if isinstance(form, str) for i in ids_of.get(fold(form), set())}
            if ids:
                people += 1
                split += int(len(ids) > 1)
                person_ids.append(ids)
        for a in range(len(person_ids)):
            for b in range(a + 1, len(person_ids)):
                pairs += 1
                merged += int(bool(person_ids[a] & person_ids[b]))
    if not seen_any:
        return None
    return {
        "people": people, "split": split, "split_rate": round(split / people, 4) if people else 0.0,
        "pairs": pairs, "merged": merged, "merge_rate": round(merged / pairs, 4) if pairs else 0.0,
    }


# --- incident clustering ------------------------------------------------------------------------------------------
def _score_incidents(
    gold_items: Sequence[dict[str, Any]],
    predictions: Sequence[Enrichment],
    incident_ids: Sequence[Sequence[str | None]],
    key: str = "incident",
) -> dict[str, Any]:
    """Pairwise and B-cubed scores over gold events (with a cluster id under ``key``) matched to a predicted event of
    their type."""
    gold_of: list[str] = []
    pred_of: list[str] = []
    for n, (item, pred) in enumerate(zip(gold_items, predictions, strict=True)):
        ids = list(incident_ids[n]) if n < len(incident_ids) else []
        used: set[int] = set()
        for ev in item.get("events") or []:
            if not ev.get(key) or ev.get("negated_or_hypothetical"):
                continue
            for j, pev in enumerate(pred.events):
                if j in used or pev.type != ev["type"] or not reported(pev):
                    continue
                used.add(j)
                gold_of.append(str(ev[key]))
                # an unclustered prediction is its own singleton incident
                pid = ids[j] if j < len(ids) and ids[j] else f"__single_{n}_{j}"
                pred_of.append(str(pid))
                break
    pairs = Counts()
    for a in range(len(gold_of)):
        for b in range(a + 1, len(gold_of)):
            same_g, same_p = gold_of[a] == gold_of[b], pred_of[a] == pred_of[b]
            pairs.add(int(same_g and same_p), int(same_p and not same_g), int(same_g and not same_p))
    bp = br = 0.0
    for a in range(len(gold_of)):
        g_cluster = {b for b in range(len(gold_of)) if gold_of[b] == gold_of[a]}
        p_cluster = {b for b in range(len(gold_of)) if pred_of[b] == pred_of[a]}
        both = len(g_cluster & p_cluster)
        bp += both / len(p_cluster)
        br += both / len(g_cluster)
    n = len(gold_of)
    bp, br = (bp / n, br / n) if n else (1.0, 1.0)
    bf = 2 * bp * br / (bp + br) if bp + br else 0.0
    return {
        "events": n,
        "pairwise": pairs.prf(),
        "bcubed": {"p": round(bp, 4), "r": round(br, 4), "f1": round(bf, 4)},
    }


# --- running ------------------------------------------------------------------------------------------------------
def predict(items: Sequence[dict[str, Any]], nlp: Any = None, batch_size: int = 16) -> list[Enrichment]:
    """Run the project's pipeline over gold items (publication dates passed in when present)."""
    from nlp import pipeline

    if nlp is None:
        nlp = pipeline.build()
    docs = []
    for item in items:
        doc = nlp.make_doc(item["text"])
        published = item.get("published_at")
        if doc.has_extension("published_at"):
            doc._.published_at = published if isinstance(published, str) else None
        docs.append(doc)
    return [pipeline.enrichment(doc) for doc in nlp.pipe(docs, batch_size=batch_size)]


def evaluate(
    gold_path: str | Path | Sequence[str | Path], nlp: Any = None, cluster: ClusterFn | None = None,
    case_cluster: ClusterFn | None = None,
) -> dict[str, Any]:
    """Run the NLP over every item of the gold file(s) and score them together (EVAL.md); ``seconds`` is the wall
    time of it all. ``cluster`` predicts incidents, ``case_cluster`` cases (scored against gold ``case`` ids)."""
    started = time.perf_counter()
    paths = [gold_path] if isinstance(gold_path, str | Path) else list(gold_path)
    items = [item for path in paths for item in load_gold(path)]
    predictions = predict(items, nlp)
    incident_ids = cluster(items, predictions) if cluster is not None else None
    case_ids = case_cluster(items, predictions) if case_cluster is not None else None
    result = score(items, predictions, incident_ids, case_ids)
    result["seconds"] = round(time.perf_counter() - started, 3)
    return result
