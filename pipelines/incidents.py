"""Incident clustering: actual event mentions of relevant articles grouped into real-world incidents.

Counting articles instead of incidents is the classic failure of automated monitoring, so every actual mention of
an incident type in an article about Crimea is attached to exactly one incident:

1. inside one article, mentions of the same type that do not contradict each other (dates outside the window,
   different named victims) are one *local group* (an article says "the search" five times about one search);
2. a local group joins an existing incident of the same type when the dates are compatible (the event date, else
   the publication date; ``INCIDENT_DATE_WINDOW_DAYS`` either side) and they share a linked victim, or share the
   settlement (both dated, perpetrators compatible); a group naming nobody itself is matched through the people
   its article is about (the victims of all its event mentions), and joins only when exactly one incident fits;
3. an undated group (a recap, "his detention") about the people of exactly one incident of its type from the last
   ``INCIDENT_FOLLOWUP_DAYS`` joins it; two or more such incidents: it is ambiguous and opens its own;
4. otherwise it opens a new incident; a group that strongly links two or more incidents merges them into the
   oldest; the others stay resolvable as aliases.

The same code clusters the store (:func:`cluster_pending`, incremental, article by article in reporting order)
and the evaluation's gold items (:func:`cluster_predictions`, used by ``eval``), so the dev-set scores measure what
the pipeline does.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any, Protocol

from indexer import reviews
from indexer.store import Store

__all__ = [
    "ClusterReport",
    "Mention",
    "cluster_pending",
    "cluster_predictions",
    "date_interval",
    "link_groups",
    "local_groups",
]

#: how far before its publication an undated event mention may have happened
UNDATED_LOOKBACK_DAYS = 3
#: place kinds precise enough to tie two reports to one incident (a country or "Crimea" is not)
SETTLEMENT_KINDS = frozenset({"settlement", "city", "city_abroad"})


# ----------------------------------------------------------------------------------------------- mentions
@dataclass(frozen=True)
class Mention:
    """One actual event mention, with what clustering needs to know about it."""

    event_id: str
    article_id: str
    type: str
    published: date | None
    event_date: str | None = None
    date_precision: str | None = None
    is_recap: bool = False
    place_id: str | None = None
    victims: frozenset[str] = frozenset()  # linked victim ids (persons, organisations), never groups
    perpetrator_id: str | None = None
    # victims of the article's other current events: who a bare mention ("the search") is most likely about
    context_victims: frozenset[str] = frozenset()

    @property
    def interval(self) -> tuple[date | None, date | None]:
        return date_interval(self.event_date, self.date_precision, self.published, self.is_recap)


def _parse_day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value[:10]).date()
    except ValueError:
        return None


def date_interval(
    event_date: str | None, precision: str | None, published: date | None, is_recap: bool
) -> tuple[date | None, date | None]:
    """The days an event mention may have happened on; ``None`` ends are open."""
    if event_date:
        try:
            if len(event_date) == 4:
                year = int(event_date)
                return date(year, 1, 1), date(year, 12, 31)
            if len(event_date) == 7:
                first = date(int(event_date[:4]), int(event_date[5:7]), 1)
                following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
                return first, following - timedelta(days=1)
            day = date.fromisoformat(event_date[:10])
        except ValueError:
            day = None
        if day is not None:
            return (day, day + timedelta(days=6)) if precision == "week" else (day, day)
    if published is None:
        return None, None
    if is_recap:  # an undated recap happened some time before the article
        return None, published
    return published - timedelta(days=UNDATED_LOOKBACK_DAYS), published


def _overlap(a: tuple[date | None, date | None], b: tuple[date | None, date | None], window: int) -> bool:
    slack = timedelta(days=window)
    a0, a1 = a
    b0, b1 = b
    if a0 is not None and b1 is not None and b1 < a0 - slack:
        return False
    return not (b0 is not None and a1 is not None and a1 < b0 - slack)


# ------------------------------------------------------------------------------------------------ victims
_PREFIX_MIN = 5  # inflected surnames (Куртмоллаєву -> kertmelevu) share at least this long a stem
_DISTINCT_SURNAME = 8  # transliteration keys this long are rarely shared by two people (Memetov is not)


def _tokens(entity_id: str) -> list[str]:
    return [t for t in re.split(r"[-~:]+", entity_id.split(":", 1)[-1]) if t]


def _same_word(a: str, b: str) -> bool:
    if a == b:
        return True
    short, long_ = sorted((a, b), key=len)
    return len(short) >= _PREFIX_MIN and long_.startswith(short) and len(long_) - len(short) <= 2


def _one_letter_apart(a: str, b: str) -> bool:
    """Spellings of one surname through different transliterations (Tokhtarov / Toqtarov -> tegterev / tekterev)
    differ in a single letter; short words may be different names."""
    if len(a) != len(b) or len(a) < _DISTINCT_SURNAME or not (a.isalpha() and b.isalpha()):
        return False
    return sum(x != y for x, y in zip(a, b, strict=True)) == 1


@lru_cache(maxsize=65536)
def same_victim(a: str, b: str, strict: bool = False) -> bool:
    """Two linked victim ids name one person: equal, or (for unlinked ``~`` keys) the same surname, inflection
    allowed, and no conflicting first name. ``strict`` (no date to corroborate, as in case grouping) lets a bare
    surname stand for a full name only when the surname is long enough to be distinctive."""
    if a == b:
        return True
    if a.split(":", 1)[0] != b.split(":", 1)[0] or "~" not in a + b:
        return False
    ta, tb = _tokens(a), _tokens(b)
    if not ta or not tb:
        return False
    if not _same_word(ta[-1], tb[-1]):
        # a one-letter difference is a transliteration only with the same first name to corroborate it
        return len(ta) > 1 and len(tb) > 1 and ta[0] == tb[0] and _one_letter_apart(ta[-1], tb[-1])
    if len(ta) > 1 and len(tb) > 1:
        return _same_word(ta[0], tb[0])
    return not strict or len(ta[-1]) >= _DISTINCT_SURNAME or len(tb[-1]) >= _DISTINCT_SURNAME


def _share_victim(a: Iterable[str], b: Iterable[str], strict: bool = False) -> bool:
    b = list(b)
    return any(same_victim(x, y, strict) for x in a for y in b)


# ---------------------------------------------------------------------------------------------- profiles
@dataclass
class Profile:
    """What an incident (or a local group) offers for matching: the union of its mentions' facts."""

    type: str
    interval: tuple[date | None, date | None] = (None, None)
    dated: bool = False  # has at least one mention with its own event date
    victims: set[str] = field(default_factory=set)
    settlements: set[str] = field(default_factory=set)
    perpetrators: set[str] = field(default_factory=set)
    context_victims: set[str] = field(default_factory=set)
    published: date | None = None  # the latest report

    @classmethod
    def of(cls, mentions: Sequence[Mention]) -> Profile:
        profile = cls(mentions[0].type)
        # an own event date is better evidence than the publication-date fallback: it decides when present; an
        # undated recap ("his earlier detention") says nothing about when, next to an undated current report
        dated = [m.interval for m in mentions if m.event_date]
        current = [m.interval for m in mentions if not m.is_recap]
        use = dated or current or [m.interval for m in mentions]
        starts = [s for s, _ in use]
        ends = [e for _, e in use if e is not None]
        profile.interval = (None if any(s is None for s in starts) else min(starts), max(ends) if ends else None)
        profile.dated = bool(dated)
        published = [m.published for m in mentions if m.published is not None]
        profile.published = max(published) if published else None
        for m in mentions:
            profile.victims |= m.victims
            if m.place_id and _is_settlement(m.place_id):
                profile.settlements.add(m.place_id)
            if m.perpetrator_id:
                profile.perpetrators.add(m.perpetrator_id)
            profile.context_victims |= m.context_victims
        return profile

    @property
    def open_start(self) -> bool:
        """Only known to lie before some day (an undated recap): too vague to merge incidents."""
        return self.interval[0] is None


@lru_cache(maxsize=4096)
def _is_settlement(place_id: str) -> bool:
    if ":~" in place_id:
        return True  # an unknown place name is more likely a village than a country
    from nlp.gazetteer import load_gazetteer

    entry = load_gazetteer().get(place_id)
    return entry is not None and entry.kind in SETTLEMENT_KINDS


#: how a group is tied to an incident: its own named victim or a dated settlement (may merge incidents), or only
#: the people its article is about (joins one incident, never merges)
STRONG, WEAK = "strong", "weak"


def _perpetrators_compatible(a: Profile, b: Profile) -> bool:
    return not (a.perpetrators and b.perpetrators and not a.perpetrators & b.perpetrators)


def _about(profile: Profile) -> set[str]:
    """Whom the reports are about: their own victims, else the victims of their articles' other events."""
    return profile.victims or profile.context_victims


def evidence(a: Profile, b: Profile, window: int) -> str | None:
    """How strongly ``a`` and ``b`` are one incident (same type, dates in the window): ``STRONG`` for a shared
    named victim or the same settlement dated by both with compatible perpetrators, ``WEAK`` when only the people
    their articles are about are shared (a bare "the search" in a report about the men whose homes were searched),
    None when they are not one incident."""
    if a.type != b.type or not _overlap(a.interval, b.interval, window):
        return None
    if a.victims and b.victims:
        # both name the victims: the same people or two incidents, whatever the place
        return STRONG if _share_victim(a.victims, b.victims) else None
    va, vb = _about(a), _about(b)
    if not _perpetrators_compatible(a, b):
        return None
    if a.settlements & b.settlements and a.dated and b.dated:
        # a place alone is weak evidence: both reports must date the event themselves, and if the articles are
        # about different people these are two incidents
        return None if va and vb and not _share_victim(va, vb) else STRONG
    return WEAK if va and vb and _share_victim(va, vb) else None


def compatible(a: Profile, b: Profile, window: int) -> bool:
    """Can ``a`` and ``b`` be one incident (by any evidence)?"""
    return evidence(a, b, window) is not None


def follows_up(group: Profile, incident: Profile, window: int, followup_days: int) -> bool:
    """An undated report ("the search of his home", "his sentence") about the incident's people, published after
    it and not longer than ``followup_days`` after it ended: one of the incidents it may refer to."""
    if group.type != incident.type or group.dated or group.published is None:
        return False
    start, end = incident.interval
    if start is not None and start > group.published + timedelta(days=window):
        return False
    if end is not None and end < group.published - timedelta(days=followup_days):
        return False
    va, vb = _about(group), _about(incident)
    return _perpetrators_compatible(group, incident) and bool(va and vb and _share_victim(va, vb))


# ------------------------------------------------------------------------------------------- local groups
def article_groups(
    mentions: Sequence[Mention], window: int, context: frozenset[str] | None = None
) -> list[list[Mention]]:
    """One article's actual mentions -> its local groups, each mention knowing whom the article is about:
    ``context``, the victims of all its event mentions (feared and denied ones name the people too), by default
    those of its current mentions."""
    if context is None:
        context = frozenset(v for m in mentions if not m.is_recap for v in m.victims)
    by_type: dict[str, list[Mention]] = {}
    for m in mentions:
        by_type.setdefault(m.type, []).append(replace(m, context_victims=context - m.victims))
    return [g for ms in by_type.values() for g in local_groups(ms, window)]


def local_groups(mentions: Sequence[Mention], window: int) -> list[list[Mention]]:
    """Split one article's mentions into groups, one per incident the article reports.

    Mentions with their own facts (a date, victims, a place) seed the groups; a bare mention ("the search")
    joins the group of its type it does not contradict, which is nearly always the article's main one. A recap
    joins too unless its date or victims say it is another incident: an article rarely reports two incidents of
    one type, and "recap" is often only the past tense of the main story.
    """
    def richness(m: Mention) -> tuple[int, int, int]:
        return (int(not m.is_recap), int(bool(m.event_date)), len(m.victims) + int(bool(m.place_id)))

    groups: list[list[Mention]] = []
    for mention in sorted(mentions, key=richness, reverse=True):
        for group in groups:
            if _fits(mention, group, window):
                group.append(mention)
                break
        else:
            groups.append([mention])
    return groups


def _fits(mention: Mention, group: list[Mention], window: int) -> bool:
    if group[0].type != mention.type:
        return False
    if mention.event_date and not _overlap(mention.interval, Profile.of(group).interval, window):
        return False
    victims = {v for m in group for v in m.victims}
    return not (mention.victims and victims and not _share_victim(mention.victims, victims))


# ------------------------------------------------------------------------------------------------ linking
class Repository(Protocol):
    """Where incidents live while clustering: the store, or memory for evaluation."""

    def candidates(self, event_type: str) -> Iterable[tuple[str, Profile]]: ...

    def create(self, group: list[Mention]) -> str: ...

    def join(self, incident_id: str, group: list[Mention]) -> None: ...

    def merge(self, keep: str, others: list[str]) -> None: ...


def link_groups(
    repo: Repository, groups: list[list[Mention]], window: int, followup_days: int | None = None
) -> list[str]:
    """Attach each group to its incident (creating or merging as needed); returns the incident id per group.

    Strong evidence may link several incidents (merged); weak evidence and undated follow-ups join only when
    exactly one incident fits, since joining the wrong one of two would be worse than a duplicate.
    """
    if followup_days is None:
        import settings as config

        followup_days = config.INCIDENT_FOLLOWUP_DAYS
    out = []
    for group in groups:
        profile = Profile.of(group)
        candidates = list(repo.candidates(profile.type))
        found = [(incident_id, evidence(profile, other, window)) for incident_id, other in candidates]
        matches = [incident_id for incident_id, level in found if level == STRONG]
        if not matches:
            weak = [incident_id for incident_id, level in found if level == WEAK]
            if not weak and not profile.dated:
                weak = [incident_id for incident_id, other in candidates
                        if follows_up(profile, other, window, followup_days)]
            matches = weak if len(weak) == 1 else []
        if not matches:
            out.append(repo.create(group))
            continue
        keep, others = matches[0], matches[1:]  # candidates come oldest first
        if others and profile.open_start:
            keep, others = matches[-1], []  # a vague recap joins the latest match and merges nothing
        if others:
            repo.merge(keep, others)
        repo.join(keep, group)
        out.append(keep)
    return out


def incident_id_for(event_id: str) -> str:
    return "inc-" + hashlib.sha256(event_id.encode("utf-8")).hexdigest()[:12]


# ------------------------------------------------------------------------------------------ in memory (eval)
class MemoryRepository:
    def __init__(self) -> None:
        self.members: dict[str, list[Mention]] = {}  # insertion order = creation order
        self.alias: dict[str, str] = {}

    def candidates(self, event_type: str) -> Iterable[tuple[str, Profile]]:
        return [(i, Profile.of(ms)) for i, ms in self.members.items() if ms[0].type == event_type]

    def create(self, group: list[Mention]) -> str:
        incident_id = incident_id_for(group[0].event_id)
        self.members[incident_id] = list(group)
        return incident_id

    def join(self, incident_id: str, group: list[Mention]) -> None:
        self.members[incident_id].extend(group)

    def merge(self, keep: str, others: list[str]) -> None:
        for other in others:
            self.members[keep].extend(self.members.pop(other))
            self.alias[other] = keep
            for alias, target in list(self.alias.items()):
                if target == other:
                    self.alias[alias] = keep

    def resolve(self, incident_id: str) -> str:
        return self.alias.get(incident_id, incident_id)


#: an unlinked victim written as a proper name of two or more capitalised words ("Jehovah's Witnesses"): as
#: good an identity as a linked one; "the men" or a lone "Settarova" (any of a family) are not
_PROPER_NAME = re.compile(r"^(?:[A-ZÀ-ÞА-ЯЁІЇЄҐ][\w'’.-]*\s+(?:(?:of|the|de|al)\s+)*)+[A-ZÀ-ÞА-ЯЁІЇЄҐ][\w'’.-]*$")


def _name_key(text: str) -> str | None:
    text = " ".join(text.split())
    if not _PROPER_NAME.match(text):
        return None
    slug = re.sub(r"[^\w]+", "-", re.sub(r"['’]", "", text.lower())).strip("-")
    return f"name:~{slug}" if slug else None


def _victim_ids(victims: Iterable[Any]) -> frozenset[str]:
    ids = set()
    for victim in victims:
        if isinstance(victim, dict):
            entity_id, text = victim.get("entity_id"), victim.get("text")
        else:
            entity_id, text = getattr(victim, "entity_id", None), getattr(victim, "text", None)
        if not entity_id and isinstance(text, str):
            entity_id = _name_key(text)
        if entity_id and not entity_id.startswith("group:"):
            ids.add(entity_id)
    return frozenset(ids)


# ------------------------------------------------------------------------------------------------- cases
@dataclass(frozen=True)
class Reported:
    """One local group of an article as case grouping sees it."""

    incident_id: str
    victims: frozenset[str]
    is_recap: bool
    settled: bool  # placed in a settlement

    @classmethod
    def of(cls, incident_id: str, group: Sequence[Mention]) -> Reported:
        return cls(incident_id, frozenset(v for m in group for v in m.victims), group[0].is_recap,
                   any(m.place_id and _is_settlement(m.place_id) for m in group))


def case_groups(reports: Sequence[Sequence[Reported]]) -> dict[str, str]:
    """Group incidents into cases (one person's or group's search -> detention -> custody -> ... chain).

    ``reports`` holds, per article, its local groups with the incident each went to. Incidents are one case
    when they share a victim, or when an article reports an incident without named victims next to its main one
    (the "search" and "detention" of one raid). Returns incident id -> case id (the case's oldest incident).
    """
    parent: dict[str, str] = {}
    order: dict[str, int] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        order.setdefault(x, len(order))
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            keep, drop = sorted((ra, rb), key=order.__getitem__)
            parent[drop] = keep

    victims_of: dict[str, set[str]] = {}
    for groups in reports:
        current = [g for g in groups if not g.is_recap]
        named = next((g.incident_id for g in current if g.victims), None)
        main = named or (current[0].incident_id if current else None)
        for g in groups:
            find(g.incident_id)
            victims_of.setdefault(g.incident_id, set()).update(g.victims)
            # a recap of a country-wide ban or a 1944 deportation is background, not this case's history
            background = g.is_recap and not g.settled
            # the article's current news names nobody: the people it does name are whom it is about
            if main is not None and not background and (not g.victims or named is None):
                union(g.incident_id, main)
    ids = list(victims_of)
    for n, a in enumerate(ids):
        for b in ids[n + 1 :]:
            if victims_of[a] and victims_of[b] and _share_victim(victims_of[a], victims_of[b], strict=True):
                union(a, b)
    return {i: find(i) for i in ids}


def cluster_predictions(
    items: Sequence[dict[str, Any]], predictions: Sequence[Any], window: int | None = None,
    level: str = "incident",
) -> list[list[str | None]]:
    """The ``cluster`` predictor of ``nlp.evaluate``: gold items are articles, clustered in publication order
    exactly as the store's articles are; returns per predicted event its incident id (scored against the gold
    ``incident`` ids: one event of one type), or with ``level="case"`` its case id (against the gold ``case`` ids:
    one id for a person's search, detention, custody ...). None: not clustered."""
    import settings as config

    window = config.INCIDENT_DATE_WINDOW_DAYS if window is None else window
    repo = MemoryRepository()
    order = sorted(range(len(items)), key=lambda n: (str(items[n].get("published_at") or ""), n))
    assigned: dict[tuple[int, int], str] = {}
    reports: list[list[Reported]] = []
    for n in order:
        item, pred = items[n], predictions[n]
        if not pred.relevance.about_crimea:
            continue
        published = _parse_day(item.get("published_at") if isinstance(item.get("published_at"), str) else None)
        mentions = [
            Mention(
                event_id=f"{n}:e{j}", article_id=str(n), type=ev.type, published=published, event_date=ev.date,
                date_precision=ev.date_precision, is_recap=ev.is_recap, place_id=ev.place_id,
                victims=_victim_ids(ev.victims), perpetrator_id=ev.perpetrator_id,
            )
            for j, ev in enumerate(pred.events)
            if ev.actual
        ]
        context = frozenset(v for ev in pred.events for v in _victim_ids(ev.victims))
        groups = article_groups(mentions, window, context)
        linked = link_groups(repo, groups, window)
        reports.append([Reported.of(i, g) for g, i in zip(groups, linked, strict=True)])
        for group, incident_id in zip(groups, linked, strict=True):
            for m in group:
                assigned[(n, int(m.event_id.rsplit(":e", 1)[1]))] = incident_id
    if level == "case":
        cases = case_groups([[replace(r, incident_id=repo.resolve(r.incident_id)) for r in rs] for rs in reports])
        final = {i: cases.get(repo.resolve(i), repo.resolve(i)) for i in set(assigned.values())}
    else:
        final = {i: repo.resolve(i) for i in set(assigned.values())}
    return [
        [final[assigned[(n, j)]] if (n, j) in assigned else None for j in range(len(predictions[n].events))]
        for n in range(len(items))
    ]


# ---------------------------------------------------------------------------------------------- the store
@dataclass
class ClusterReport:
    articles: int = 0
    mentions: int = 0
    created: int = 0
    joined: int = 0
    merged: int = 0
    touched: set[str] = field(default_factory=set)  # incidents created or updated in this run


class StoreRepository:
    """Incidents in the store; summaries are recomputed from mentions whenever an incident changes.

    Re-clustering keeps ids: a group that would open an incident takes over the incident its article reported
    before when nothing settled is left in it (its other reports, if any, are of articles still to be clustered
    again in this run), so an incident that did not really change keeps its id whatever order its reports are
    re-clustered in. An incident whose reports all went elsewhere is retired with successors; one that loses part
    of its reports to a new incident records the split.
    """

    def __init__(self, store: Store, report: ClusterReport) -> None:
        self.store = store
        self.report = report
        self.pending: set[str] = set()  # articles still to be clustered again in this run
        self.changed: set[str] = set()  # incidents created or changed by the current article
        self.created: set[str] = set()  # incidents opened in this run
        self.previous: dict[str, str] = {}  # event id -> incident, of the current article before it was detached
        self.origins: dict[str, str] = {}  # the same for every article clustered again in this run
        self._cache: dict[str, list[tuple[str, Profile]]] = {}
        self._context: dict[str, frozenset[str]] = {}
        self.excluded: set[str] = set()  # incidents an analyst detached the current article from

    def start_article(self, article_id: str, previous: dict[str, str]) -> None:
        self.pending.discard(article_id)
        self.changed, self.previous = set(), previous
        self.origins.update(previous)

    def context(self, article_id: str) -> frozenset[str]:
        """Whom an article is about: the victims of all its event mentions, whatever their modality."""
        if article_id not in self._context:
            self._context[article_id] = frozenset(
                v for victims_json in self.store.article_event_victims(article_id)
                for v in _victim_ids(json.loads(victims_json or "[]"))
            )
        return self._context[article_id]

    def candidates(self, event_type: str) -> Iterable[tuple[str, Profile]]:
        if event_type not in self._cache:
            by_incident: dict[str, list[Mention]] = {}
            for row in self.store.incident_mention_rows(event_type):
                mention = _mention_of(row)
                mention = replace(mention, context_victims=self.context(mention.article_id) - mention.victims)
                by_incident.setdefault(row["incident_id"], []).append(mention)
            self._cache[event_type] = [(i, Profile.of(ms)) for i, ms in by_incident.items()]
        return [(i, p) for i, p in self._cache[event_type] if i not in self.excluded]

    def _forget(self, event_type: str) -> None:
        self._cache.pop(event_type, None)

    def _unsettled(self, incident_id: str) -> bool:
        """Nothing settled is left in the incident: its remaining reports (if any) will be clustered again."""
        return self.store.incident_article_ids(incident_id) <= self.pending

    def _inherited(self, group: list[Mention]) -> str | None:
        """The incident this article reported before that the group takes over: of the group's type, nothing
        settled left in it, preferably the one the group's own mentions were in (event ids are positions in the
        text, so an edited article may renumber them)."""
        own = Counter(self.previous[m.event_id] for m in group if m.event_id in self.previous)
        others = sorted(set(self.previous.values()) - set(own))
        for incident_id in [i for i, _ in own.most_common()] + others:
            if (incident_id not in self.changed and self.store.incident_state(incident_id) == ("active", group[0].type)
                    and self._unsettled(incident_id)):
                return incident_id
        return None

    def _new_id(self, group: list[Mention]) -> str:
        # ids are deterministic; an id is reused only by the same event and type when that incident vanished
        # without a successor (a re-enriched article whose incident was withdrawn gets it back), never by an
        # incident that is something else or whose old id now leads to another incident
        incident_id = incident_id_for(group[0].event_id)
        n = 0
        # nor by one an analyst decided on (a split or rejected incident stays as the analyst left it)
        while (state := self.store.incident_state(incident_id)) is not None and (
                state != ("withdrawn", group[0].type) or self.store.has_successor(incident_id)
                or reviews.reviewed(self.store, [incident_id])):
            n += 1
            incident_id = incident_id_for(f"{group[0].event_id}#{n}")
        return incident_id

    def create(self, group: list[Mention]) -> str:
        incident_id = self._inherited(group)
        if incident_id is None:
            incident_id = self._new_id(group)
            self.store.create_incident(incident_id, group[0].type)
            self.created.add(incident_id)
            self.report.created += 1
        else:
            self.report.joined += 1
        self.store.attach_mentions(incident_id, [(m.event_id, m.article_id) for m in group])
        self._forget(group[0].type)
        self.changed.add(incident_id)
        return incident_id

    def join(self, incident_id: str, group: list[Mention]) -> None:
        self.store.attach_mentions(incident_id, [(m.event_id, m.article_id) for m in group])
        self._forget(group[0].type)
        self.report.joined += 1
        self.changed.add(incident_id)

    def merge(self, keep: str, others: list[str]) -> None:
        # an incident an analyst decided on is never merged away by the machine
        others = [o for o in others if o not in reviews.reviewed(self.store, others)]
        if not others:
            return
        self.store.merge_incidents(keep, others)
        self._cache.clear()
        self.report.merged += len(others)
        self.changed.add(keep)
        self.changed.difference_update(others)
        self.report.touched.difference_update(others)

    def settle(self) -> set[str]:
        """After the current article was clustered again: an incident it left that has no reports any more is
        retired, its successors being where its reports went in this run ('merged' into an incident that
        existed, 'replaced' by one opened in this run); one that keeps reports but lost some to an incident
        opened for them records the split. Returns the incidents retired."""
        left = set(self.previous.values())
        moved = {e: i for e, i in self.origins.items() if i in left}
        now = self.store.mention_incidents(moved)
        retired = set()
        for old in sorted(left):
            state = self.store.incident_state(old)
            if state is None or state[0] != "active":
                continue  # merged by this article already: its successor is recorded
            went = Counter(now[e] for e, i in moved.items() if i == old and now.get(e, old) != old)
            if self.store.incident_mention_count(old) == 0:
                self.store.retire_incident(old, [(new, "replaced" if new in self.created else "merged", n)
                                                 for new, n in went.most_common()])
                self._cache.clear()
                retired.add(old)
            else:
                for new, n in went.items():
                    if new in self.created:
                        self.store.add_incident_successor(old, new, "split", n)
        return retired


def _mention_of(row: Any) -> Mention:
    return Mention(
        event_id=row["event_id"], article_id=row["article_id"], type=row["type"],
        published=_parse_day(row["published_at"] or row["first_seen_at"]), event_date=row["event_date"],
        date_precision=row["date_precision"], is_recap=bool(row["is_recap"]), place_id=row["place_id"],
        victims=_victim_ids(json.loads(row["victims_json"] or "[]")), perpetrator_id=row["perpetrator_id"],
    )


def summarise(store: Store, incident_id: str) -> None:
    """Recompute an incident's summary from its mentions (an incident left without mentions is withdrawn)."""
    rows = store.incident_mention_rows(incident_id=incident_id)
    if not rows:
        store.update_incident(incident_id, {"status": "withdrawn", "article_count": 0, "source_count": 0})
        return
    mentions = [_mention_of(row) for row in rows]
    profile = Profile.of(mentions)
    # the event's own date: the most precise one given by a current (not recap) report, else any
    rank = {"day": 0, "week": 1, "month": 2, "year": 3}
    dated = sorted((r for r in rows if r["event_date"]),
                   key=lambda r: (bool(r["is_recap"]), rank.get(r["date_precision"] or "year", 4), r["event_date"]))
    places: dict[str, int] = {}
    for r in rows:
        if r["place_id"]:
            # a settlement says more than "Crimea"; among equals the most reported wins
            places[r["place_id"]] = places.get(r["place_id"], 0) + (10 if _is_settlement(r["place_id"]) else 1)
    place_id = max(places, key=lambda p: (places[p], p)) if places else None
    perpetrators: dict[str, int] = {}
    for r in rows:
        if r["perpetrator_id"]:
            perpetrators[r["perpetrator_id"]] = perpetrators.get(r["perpetrator_id"], 0) + 1
    perpetrator_id = max(perpetrators, key=lambda p: (perpetrators[p], p)) if perpetrators else None
    victims: dict[str, dict[str, Any]] = {}
    for r in rows:
        for v in json.loads(r["victims_json"] or "[]"):
            key = v.get("entity_id")  # named people only: a descriptor ("four men") is the count, not a victim
            if not key or key.startswith("group:"):
                continue
            if not any(same_victim(key, k) for k in victims):
                victims[key] = {"text": v.get("text"), "entity_id": v.get("entity_id")}
    names = store.entity_positions([i for i in (place_id, perpetrator_id, *victims) if i])
    for key, victim in victims.items():
        if key in names:
            victim["name"] = names[key][0]
    reported = sorted(r["published_at"] or r["first_seen_at"] for r in rows)
    # a near-duplicate is the same report wherever it was copied: count the source of the original
    originals = {r["near_duplicate_of"] or r["article_id"] for r in rows}
    sources = {row["source_id"] for row in store.incident_articles(incident_id) if row["id"] in originals}
    place_row = names.get(place_id) if place_id else None
    perpetrator_text = next((r["perpetrator_text"] for r in rows if r["perpetrator_id"] == perpetrator_id), None)
    summary = {
        "status": "active",
        "event_date": dated[0]["event_date"] if dated else None,
        "date_precision": dated[0]["date_precision"] if dated else None,
        "date_start": profile.interval[0].isoformat() if profile.interval[0] else None,
        "date_end": profile.interval[1].isoformat() if profile.interval[1] else None,
        "place_id": place_id,
        "place_text": place_row[0] if place_row else next((r["place_text"] for r in rows if r["place_id"] == place_id),
                                                          None),
        "lat": place_row[1] if place_row else None,
        "lon": place_row[2] if place_row else None,
        "victims_json": json.dumps(list(victims.values()), ensure_ascii=False),
        "count": max((r["count"] for r in rows if r["count"]), default=None),
        "perpetrator_id": perpetrator_id,
        "perpetrator_text": (names[perpetrator_id][0] if perpetrator_id in names else perpetrator_text),
        "first_reported_at": reported[0],
        "last_reported_at": reported[-1],
        "article_count": len({r["article_id"] for r in rows}),
        "source_count": len(sources),
        "recap_only": int(all(r["is_recap"] for r in rows)),
    }
    summary.update(reviews.column_overrides(store, incident_id))  # what an analyst set wins
    store.update_incident(incident_id, summary)


def _join_linked_reports(store: Store, repo: StoreRepository, article_id: str) -> None:
    """A post that links an article reports what the article reports: their incidents of one type are one.

    The link is as strong as a shared victim; the older incident is kept, the other merged into it. A type with
    two incidents on either side is left alone: the link cannot say which of them the other report is about.
    """

    def single(incidents: list[tuple[str, str, int]]) -> dict[str, tuple[str, int]]:
        types = [t for _, t, _ in incidents]
        return {t: (i, seq) for i, t, seq in incidents if types.count(t) == 1}

    for linked in store.linked_articles(article_id):
        mine = single(store.article_incidents(article_id))
        theirs = single(store.article_incidents(linked))
        for event_type, (incident_id, seq) in mine.items():
            other = theirs.get(event_type)
            if other is None or other[0] == incident_id:
                continue
            (keep, _), (drop, _) = sorted([(incident_id, seq), other], key=lambda pair: pair[1])
            repo.merge(keep, [drop])


def cluster_fingerprint(mentions: Sequence[Mention], context: frozenset[str]) -> str:
    """What clustering reads of an article (its actual events' facts and whom it is about): the same fingerprint
    after a re-enrichment means clustering it again could only reshuffle incidents that did not change."""
    facts = [[m.event_id, m.type, m.published.isoformat() if m.published else None, m.event_date, m.date_precision,
              m.is_recap, m.place_id, sorted(m.victims), m.perpetrator_id] for m in mentions]
    payload = json.dumps([facts, sorted(context)], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def cluster_pending(store: Store, window: int | None = None, everything: bool = False) -> ClusterReport:
    """Cluster the actual events of articles enriched since they were last clustered (or of every article).

    Articles are taken in reporting order, so an incident's first article is the one that reported it first.
    Each article is one transaction (its links and the summaries they change): a crash loses nothing, the article
    is simply clustered again. An article re-enriched into the same facts keeps its incidents untouched (only their
    summaries are refreshed: entity names may have improved); one that really changed is clustered again, and the
    incidents it leaves are retired with successors, so their old ids resolve to where the reports went.
    """
    import settings as config

    window = config.INCIDENT_DATE_WINDOW_DAYS if window is None else window
    report = ClusterReport()
    if everything:
        store.reset_incident_clustering()
    todo: list[tuple[str, list[Mention], frozenset[str], str]] = []
    unchanged: set[str] = set()
    repo = StoreRepository(store, report)
    for article_id in store.articles_to_cluster():
        mentions = [_mention_of(row) for row in store.clusterable_events(article_id)]
        context = repo.context(article_id)
        fingerprint = cluster_fingerprint(mentions, context)
        current = store.article_mentions(article_id)
        if fingerprint == store.cluster_fingerprint(article_id) and set(current) == {m.event_id for m in mentions}:
            unchanged.update(current.values())
            store.mark_clustered(article_id, fingerprint)
            report.articles += 1
        else:
            todo.append((article_id, mentions, context, fingerprint))
    repo.pending = {article_id for article_id, *_ in todo}
    for article_id, mentions, context, fingerprint in todo:
        with store.transaction():
            repo.start_article(article_id, store.detach_article_mentions(article_id))
            if repo.previous:
                repo._cache.clear()
            link_groups(repo, _place_pinned(store, repo, article_id, article_groups(mentions, window, context)), window)
            _join_linked_reports(store, repo, article_id)
            repo.excluded = set()
            retired = repo.settle()
            changed = (repo.changed | {store.resolve_incident(i) or i for i in repo.previous.values()}) - retired
            for incident_id in changed:
                summarise(store, incident_id)
            report.touched |= changed
            store.mark_clustered(article_id, fingerprint)
        report.articles += 1
        report.mentions += len(mentions)
    for incident_id in sorted(unchanged - report.touched):
        with store.transaction():
            summarise(store, incident_id)
    return report


def _place_pinned(store: Store, repo: StoreRepository, article_id: str,
                  groups: list[list[Mention]]) -> list[list[Mention]]:
    """Put the groups of an article an analyst placed where the analyst put it; returns the others.

    A group joins the incident the article is attached to when their types agree (the incident's type, or the type
    clustering gave it before an analyst corrected it); the incidents the article was detached from are no
    candidates for the others.
    """
    pins = reviews.article_pins(store, article_id)
    if not pins:
        return groups
    repo.excluded = {i for i, action in pins.items() if action == "detach"}
    attached = {i: reviews.clustered_types(store, i) for i, action in pins.items() if action == "attach"}
    rest = []
    for group in groups:
        target = next((i for i, types in attached.items() if group[0].type in types), None)
        if target is None:
            rest.append(group)
        else:
            repo.join(target, group)
    return rest


# ------------------------------------------------------------------------------------------------ reading
def incident_record(store: Store, incident_id: str, quotes: int = 10) -> dict[str, Any] | None:
    """An incident as shown and sent: summary, reporting articles, and who said what about it."""
    row = store.incident(incident_id)
    if row is None:
        return None
    articles = store.incident_articles(row["id"])
    posts = store.posts_among([a["id"] for a in articles])
    reports = [
        {"id": a["id"], "title": a["title"], "url": a["url"], "source": a["source_id"],
         "published_at": a["published_at"], "near_duplicate_of": a["near_duplicate_of"],
         "kind": "post" if a["id"] in posts else "article"}
        for a in articles
    ]
    return {
        "id": row["id"], "aliases": store.incident_aliases(row["id"]), "type": row["type"],
        "event_date": row["event_date"], "date_precision": row["date_precision"],
        "place": row["place_text"], "place_id": row["place_id"], "lat": row["lat"], "lon": row["lon"],
        "victims": json.loads(row["victims_json"] or "[]"), "count": row["count"],
        "perpetrator": row["perpetrator_text"], "perpetrator_id": row["perpetrator_id"],
        "first_reported_at": row["first_reported_at"], "last_reported_at": row["last_reported_at"],
        "article_count": row["article_count"], "source_count": row["source_count"],
        "articles": reports,
        "first_report": reports[0] if reports else None,
        "quotes": [
            {"speaker": q["speaker_name"] or q["speaker_text"], "speaker_id": q["speaker_id"], "text": q["text"],
             "kind": q["kind"], "source": q["source_id"], "article_id": q["article_id"]}
            for q in store.incident_quotes(row["id"])[:quotes]
        ],
    }


def person_incidents(store: Store, person_ids: Iterable[str]) -> list[Any]:
    """The case timeline: active incidents naming one of these people as a victim, in the order they happened."""
    ids = list(person_ids)
    out = []
    for row in store.list_incidents():
        victims = [v.get("entity_id") for v in json.loads(row["victims_json"] or "[]") if v.get("entity_id")]
        if any(same_victim(v, p) for v in victims for p in ids):
            out.append(row)
    return sorted(out, key=lambda r: (r["event_date"] or r["date_start"] or r["first_reported_at"] or "", r["seq"]))
