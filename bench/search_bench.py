"""Search benchmark: our search API (Tantivy backend) against a plain SQLite FTS5 table of the same corpus.

    python -m bench.search_bench            # 100,000 documents (a few minutes)
    python -m bench.search_bench --docs 10000 --runs 200

A reproducible synthetic corpus (seeded) of enriched articles -- ~400 words of news vocabulary (Zipf-distributed
common words, a long tail of rarer words, sentences about incidents with trigger words, gazetteer names in their
various spellings), entities, events with modalities, quotes, dates 2014-2026 -- is built directly as
``IndexDocument`` records, indexed into Tantivy in a temporary directory (one commit per batch) and into an FTS5
table. Five query shapes then run end to end through ``backend.search`` (parse + resolve + search + snippets of the
page shown) and as the equivalent SQL on FTS5 (match + bm25 order + snippet() + total count, and GROUP BY counts
for the facets). Every timed request of a shape is a distinct one (terms, corpus phrases, names and windows drawn
from the corpus), the same list for both engines: the backend's request cache answers a repeated request without
searching, so repeating one query would time the cache; how many timed requests the cache answered anyway is
printed on a line of its own. Printed: indexing docs/s and index size, p50/p95 per shape, our/FTS5 latency ratios,
cache hits, and the goals (indexing >= 5,000 docs/s; p95 <= 5 ms filtered, <= 20 ms with all facets).
"""

from __future__ import annotations

import argparse
import itertools
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from indexer.search.document import IndexDocument, SearchRequest
from indexer.search.tantivy_backend import TantivyBackend
from nlp.gazetteer import load_gazetteer
from pipelines.resolver import GazetteerResolver

SEED = 20240312
WORDS_PER_DOC = 400
WARMUP = 20  # requests per shape run before the clock starts (distinct from the timed ones)
START = date(2014, 1, 1)
END = date(2026, 6, 30)

# --- vocabulary -----------------------------------------------------------------------------------------------
_COMMON_TEXT = """
the of and to in a that was for on is with by as at from his said he it be were had has have not are this an which
they their after who been but or its also more two one over into about than when other would there all them up out
new year years last three people first some could against him only her she we no time may under before while because
during such most these those any between where against since then four later five week our through being many so
made told says say both did if can will what out day including six called part several another what according any
"""
_NEWS_TEXT = """
court police officers security service authorities home homes search searched searches raid raided detained
detention custody arrest arrested charged charges criminal case article prosecutor prosecutors judge trial hearing
sentence sentenced years colony strict regime appeal appealed upheld lawyer lawyers defence defender human rights
activist activists journalist journalists citizen mosque prayer religious community muslim muslims organisation
organization extremist extremism terrorist terrorism banned ban entry deported deportation expelled fine fined
rubles administrative protocol discrediting army military mobilisation conscription drafted summons refused
occupation occupied peninsula russian russia ukraine ukrainian kyiv moscow federal investigation investigators
interrogation interrogated tortured torture beaten beating electric shocks abducted abduction disappeared missing
whereabouts unknown found dead death died killed body family families relatives wife children mother father son
daughter brother house village town city region district local residents statement statements said told reported
report reports according monitoring group mission rights defenders violations cases case number political prisoners
prisoner prisoners release released freed exchange hunger strike health medical care hospital doctor illness
property confiscated seized nationalised demolished land plot business owner refugees fled leave forced left
transferred transfer rostov don sizo detention centre pre trial camp border crossing checkpoint passport citizenship
election vote referendum annexation sanctions condemned condemn called calls demand demanded international
community united nations council resolution ombudsman commissioner office human rights watch amnesty memorial
protest protesters picket pickets single gathering meeting assembly rally flag symbols social media post posts
video telegram channel website blocked block internet phone phones seized searched equipment books literature
"""
COMMON = _COMMON_TEXT.split()
NEWS = _NEWS_TEXT.split()

TRIGGERS = {
    "search": ["searched the homes of", "raided the house of", "conducted mass searches targeting"],
    "detention": ["detained", "took into custody", "arrested and questioned"],
    "custody": ["remanded in custody", "placed under house arrest", "extended the detention of"],
    "charge": ["charged under Article 205.5", "opened a criminal case against", "prosecuted"],
    "sentence": ["sentenced to twelve years", "found guilty", "sent to a strict regime colony"],
    "fine": ["fined 40,000 rubles", "issued an administrative protocol to", "fined for discrediting the army"],
    "deportation": ["deported", "expelled from Crimea", "forcibly expelled"],
    "transfer": ["transferred to Rostov-on-Don", "moved to a SIZO in Russia", "transported to Krasnodar"],
    "disappearance": ["abducted", "reported missing", "held incommunicado"],
    "torture": ["tortured", "beat during interrogation", "used electric shocks on"],
    "assault": ["attacked", "beat up", "assaulted"],
    "death": ["found dead", "died in custody", "killed"],
    "conscription": ["drafted into the Russian army", "served a mobilisation summons on", "conscripted"],
    "ban": ["banned", "declared extremist", "barred from entering Crimea"],
    "property_seizure": ["confiscated the property of", "nationalised the land of", "demolished the house of"],
    "displacement": ["forced to leave Crimea", "made refugees of", "drove off the peninsula"],
}
MODALITIES = ["actual"] * 8 + ["negated", "denied", "threatened", "hypothetical"]
SOURCES = ["qha", "krymr", "zmina", "crimeahrg", "ohchr", "ctrc", "krymsos", "ukrinform", "meduza", "hromadske",
           "avdet", "graty"]
LANGS = ["en"] * 8 + ["uk", "ru"]
PHRASES = ["Crimean Tatars", "human rights", "criminal case", "strict regime colony", "political prisoners",
           "Crimean Solidarity", "occupation authorities", "citizen journalist"]
SYLLABLES = ["ka", "ri", "mo", "sel", "tan", "ver", "ol", "dun", "pra", "nik", "ost", "bel", "zar", "ma", "lin",
             "gor", "tu", "vi", "sha", "rek", "dov", "ian", "es", "al", "mir", "kor", "pet", "sk", "ya", "ul"]


def _zipf(n: int, s: float = 1.05) -> list[float]:
    return list(itertools.accumulate(1.0 / (rank ** s) for rank in range(1, n + 1)))


@dataclass
class Vocabulary:
    words: list[str]
    cum: list[float]
    names: dict[str, list[tuple[str, tuple[str, ...]]]]  # field -> [(id, spellings)]
    name_cum: dict[str, list[float]]


def vocabulary(seed: int) -> Vocabulary:
    rng = random.Random(seed)
    tail = set()
    while len(tail) < 30_000:
        tail.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    # common words first (most frequent), then news words, then the long tail
    ordered = list(dict.fromkeys([*COMMON, *NEWS]))
    rng.shuffle(ordered[len(COMMON):])
    words = ordered + sorted(tail)
    gazetteer = load_gazetteer()
    names: dict[str, list[tuple[str, tuple[str, ...]]]] = {"person": [], "place": [], "org": []}
    for entry in gazetteer:
        field = {"PERSON": "person", "GPE": "place", "LOC": "place", "ORG": "org"}.get(entry.label)
        if field:
            latin = tuple(n for n in entry.all_names if n.isascii()) or (entry.name,)
            names[field].append((entry.id, latin))
    for field in names:
        names[field].sort()
        rng.shuffle(names[field])  # popularity order, seeded
    # Dzhemilev and Chubarov are among the most mentioned people, as in real coverage
    people = names["person"]
    for pid in ("person:refat-chubarov", "person:mustafa-dzhemilev"):
        idx = next(i for i, (eid, _) in enumerate(people) if eid == pid)
        people.insert(0, people.pop(idx))
    return Vocabulary(words, _zipf(len(words)), names, {f: _zipf(len(v), 1.1) for f, v in names.items()})


def generate(n_docs: int, seed: int = SEED, start: int = 0) -> Iterator[IndexDocument]:
    """Documents ``start .. n_docs-1``; document i depends only on (seed, i)."""
    voc = vocabulary(seed)
    span = (END - START).days
    for i in range(start, n_docs):
        rng = random.Random(seed * 1_000_003 + i)
        picked: dict[str, list[tuple[str, str]]] = {}
        for field, k_range in (("person", (0, 3)), ("place", (1, 3)), ("org", (0, 2))):
            k = rng.randint(*k_range)
            chosen = rng.choices(voc.names[field], cum_weights=voc.name_cum[field], k=k)
            picked[field] = [(eid, rng.choice(spellings)) for eid, spellings in chosen]
        events = [(rng.choice(list(TRIGGERS)), rng.choice(MODALITIES)) for _ in range(rng.randint(0, 3))]
        sentences: list[str] = []
        mentions = [text for field in picked for _, text in picked[field]] or ["Crimea"]
        for event_type, modality in events:
            who = rng.choice(mentions)
            trigger = rng.choice(TRIGGERS[event_type])
            prefix = {"actual": "Officers", "negated": "Officers did not say they", "denied": "Police denied they",
                      "threatened": "Officers threatened they would", "hypothetical": "Officers may have"}[modality]
            sentences.append(f"{prefix} {trigger} {who} in {rng.choice(mentions)}.")
        if rng.random() < 0.4:
            sentences.append(f"{rng.choice(PHRASES)} {' '.join(rng.choices(voc.words, cum_weights=voc.cum, k=8))}.")
        words_left = WORDS_PER_DOC - sum(s.count(" ") + 1 for s in sentences)
        while words_left > 0:
            n = rng.randint(8, 24)
            body = rng.choices(voc.words, cum_weights=voc.cum, k=n)
            if rng.random() < 0.3:
                body.insert(rng.randrange(n), rng.choice(mentions))
            sentences.append(" ".join(body).capitalize() + ".")
            words_left -= n
        rng.shuffle(sentences)
        quotes = ()
        if rng.random() < 0.4:
            quotes = (" ".join(rng.choices(voc.words, cum_weights=voc.cum, k=rng.randint(8, 20))).capitalize(),)
        day = START + timedelta(days=rng.randrange(span))
        title_words = rng.choices(voc.words[40:400], k=rng.randint(4, 9))
        if events:
            title_words.insert(0, rng.choice(TRIGGERS[events[0][0]]).split()[0])
        yield IndexDocument(
            id=f"bench-{i:07d}",
            title=" ".join(title_words).capitalize(),
            body=" ".join(sentences),
            quotes=quotes,
            source=rng.choice(SOURCES),
            lang=rng.choice(LANGS),
            url=f"https://bench.example/{i}",
            published_at=datetime(day.year, day.month, day.day, rng.randrange(24), tzinfo=UTC),
            persons=tuple(dict.fromkeys(e for e, _ in picked["person"])),
            places=tuple(dict.fromkeys(e for e, _ in picked["place"])),
            orgs=tuple(dict.fromkeys(e for e, _ in picked["org"])),
            event_types=tuple(dict.fromkeys(t for t, m in events if m == "actual")),
            event_types_any=tuple(dict.fromkeys(t for t, _ in events)),
            has_quote=bool(quotes),
        )


# --- FTS5 -----------------------------------------------------------------------------------------------------
FTS_SCHEMA = """
CREATE VIRTUAL TABLE fts USING fts5(title, body, quotes, tokenize = 'porter unicode61 remove_diacritics 2');
CREATE TABLE meta (rowid INTEGER PRIMARY KEY, id TEXT, url TEXT, source TEXT, lang TEXT, published_at INTEGER,
                   month TEXT);
CREATE TABLE doc_types (rowid INTEGER, type TEXT, actual INTEGER);
CREATE TABLE doc_entities (rowid INTEGER, kind TEXT, entity_id TEXT);
"""
FTS_INDEXES = """
CREATE INDEX meta_by_date ON meta (published_at);
CREATE INDEX types_by_type ON doc_types (type, actual, rowid);
CREATE INDEX types_by_row ON doc_types (rowid);
CREATE INDEX entities_by_id ON doc_entities (entity_id, rowid);
CREATE INDEX entities_by_row ON doc_entities (rowid, kind);
"""


def fts_insert(conn: sqlite3.Connection, docs: list[IndexDocument], first_rowid: int) -> None:
    with conn:
        for n, d in enumerate(docs, start=first_rowid):
            conn.execute("INSERT INTO fts (rowid, title, body, quotes) VALUES (?, ?, ?, ?)",
                         (n, d.title, d.body, " ".join(d.quotes)))
            ts = int(d.published_at.timestamp()) if d.published_at else None
            conn.execute("INSERT INTO meta VALUES (?, ?, ?, ?, ?, ?, ?)",
                         (n, d.id, d.url, d.source, d.lang, ts, d.published_at.strftime("%Y-%m")))
            types = [(n, t, 1) for t in d.event_types]
            types += [(n, t, 0) for t in d.event_types_any if t not in d.event_types]
            conn.executemany("INSERT INTO doc_types VALUES (?, ?, ?)", types)
            ents = [(n, "person", e) for e in d.persons] + [(n, "place", e) for e in d.places]
            ents += [(n, "org", e) for e in d.orgs]
            conn.executemany("INSERT INTO doc_entities VALUES (?, ?, ?)", ents)


def _fts_text(words: list[str]) -> str:
    return " AND ".join('"' + w.replace('"', '""') + '"' for w in words)


class Fts:
    """The same five shapes as plain SQL: hits page with snippets and bm25 order, the total, facet counts."""

    PAGE = (
        "SELECT m.id, m.url, m.source, m.lang, m.published_at, highlight(fts, 0, '<b>', '</b>'), "
        "snippet(fts, 1, '<b>', '</b>', '…', 32) FROM fts JOIN meta m ON m.rowid = fts.rowid "
        "WHERE fts MATCH ? {extra} ORDER BY bm25(fts, 2.0, 1.0, 1.0) LIMIT 10"
    )
    COUNT = "SELECT count(*) FROM fts JOIN meta m ON m.rowid = fts.rowid WHERE fts MATCH ? {extra}"

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def text(self, match: str, extra: str = "", params: tuple = ()) -> int:
        self.conn.execute(self.PAGE.format(extra=extra), (match, *params)).fetchall()
        return self.conn.execute(self.COUNT.format(extra=extra), (match, *params)).fetchone()[0]

    def filtered(self, words: list[str], lo: int, hi: int, event_type: str) -> int:
        extra = ("AND m.published_at >= ? AND m.published_at < ? AND EXISTS (SELECT 1 FROM doc_types t "
                 "WHERE t.rowid = fts.rowid AND t.type = ? AND t.actual = 1)")
        return self.text(_fts_text(words), extra, (lo, hi, event_type))

    def entity(self, ids: list[str], lo: int | None = None, hi: int | None = None) -> int:
        marks = ",".join("?" * len(ids))
        rows = f"SELECT DISTINCT e.rowid FROM doc_entities e WHERE e.entity_id IN ({marks})"
        params: list[object] = list(ids)
        if lo is not None:
            rows = (f"SELECT DISTINCT e.rowid FROM doc_entities e JOIN meta d ON d.rowid = e.rowid "
                    f"WHERE e.entity_id IN ({marks}) AND d.published_at >= ? AND d.published_at < ?")
            params += [lo, hi]
        self.conn.execute(
            f"SELECT m.id, m.url, m.source, m.published_at, f.title, substr(f.body, 1, 220) FROM meta m "
            f"JOIN fts f ON f.rowid = m.rowid WHERE m.rowid IN ({rows}) LIMIT 10", params
        ).fetchall()
        return self.conn.execute(f"SELECT count(*) FROM ({rows})", params).fetchone()[0]

    def facets(self, match: str) -> int:
        total = self.text(match)
        hits = "SELECT rowid FROM fts WHERE fts MATCH ?"
        for column in ("source", "lang", "month"):
            self.conn.execute(
                f"SELECT {column}, count(*) n FROM meta WHERE rowid IN ({hits}) GROUP BY {column} "
                "ORDER BY n DESC LIMIT 20", (match,)
            ).fetchall()
        self.conn.execute(
            f"SELECT type, count(*) n FROM doc_types WHERE actual = 1 AND rowid IN ({hits}) GROUP BY type "
            "ORDER BY n DESC LIMIT 20", (match,)
        ).fetchall()
        for kind in ("person", "place", "org"):
            self.conn.execute(
                f"SELECT entity_id, count(*) n FROM doc_entities WHERE kind = ? AND rowid IN ({hits}) "
                "GROUP BY entity_id ORDER BY n DESC LIMIT 20", (kind, match)
            ).fetchall()
        return total


# --- queries --------------------------------------------------------------------------------------------------
class Ours:
    """One request through our search API; ``cached`` says whether the backend's request cache holds it already."""

    def __init__(self, backend: TantivyBackend, query: str, facets: bool = False) -> None:
        self.backend = backend
        self.request = SearchRequest(query, limit=10, facets=facets)

    def __call__(self) -> int:
        return self.backend.search(self.request).total

    def cached(self) -> bool:
        return self.request in self.backend._cache  # read only: how often the cache, not the engine, answered


@dataclass
class Shape:
    name: str
    goal_ms: float
    ours: list[Ours]
    fts: list[Callable[[], int]]
    examples: list[str]


def shapes(backend: TantivyBackend, fts: Fts, resolver: GazetteerResolver, seed: int, n: int) -> list[Shape]:
    """Five query shapes, each as ``n`` distinct requests run once each in the same order by both engines.

    Distinct requests, because a repeated one is answered by the backend's request cache (a dictionary lookup),
    which is not what this bench measures; the terms, phrases and names are drawn from the corpus vocabulary so
    that most requests have hits."""
    rng = random.Random(seed)
    voc = vocabulary(seed)
    words = [w for w in voc.words[len(COMMON):] if w not in COMMON]  # news words first, then the rarer tail
    types = ["search", "detention", "sentence", "fine", "charge", "custody"]

    def distinct(make: Callable[[], str]) -> list[str]:
        seen: dict[str, None] = {}
        for _ in range(n * 50):
            seen.setdefault(make(), None)
            if len(seen) == n:
                break
        return list(seen)

    # phrases: word pairs and triples as they occur in the corpus, so a phrase query finds its documents
    bodies = [d.body for d in generate(min(2_000, n * 4), seed)]

    def phrase() -> str:
        tokens = [t.strip(".,") for t in rng.choice(bodies).split()]
        k = rng.randint(2, 3)
        i = rng.randrange(len(tokens) - k)
        return " ".join(tokens[i:i + k]).lower()

    def window() -> tuple[date, date]:
        first = START + timedelta(days=rng.randrange((END - START).days - 800))
        return first, first + timedelta(days=rng.randint(180, 730))

    def zipf_word(head: int) -> str:
        return words[min(len(words) - 1, int(rng.paretovariate(0.8)) - 1 + rng.randrange(head))]

    out: list[Shape] = []
    terms = distinct(lambda: zipf_word(400))
    out.append(Shape("one term", 5, [Ours(backend, t) for t in terms],
                     [lambda t=t: fts.text(_fts_text([t])) for t in terms], terms[:1]))
    phrases = distinct(phrase)
    out.append(Shape("phrase", 5, [Ours(backend, f'"{p}"') for p in phrases],
                     [lambda p=p: fts.text('"' + p.replace('"', "") + '"') for p in phrases], [f'"{phrases[0]}"']))
    filtered = distinct(lambda: "|".join((zipf_word(300), zipf_word(300), *map(str, window()), rng.choice(types))))
    filtered_ours, filtered_fts = [], []
    for key in filtered:
        a, b, lo, hi, event_type = key.split("|")
        filtered_ours.append(Ours(backend, f"{a} AND {b} date:{lo}..{hi} type:{event_type}"))
        lo_ts = int(datetime.combine(date.fromisoformat(lo), datetime.min.time(), UTC).timestamp())
        hi_ts = int(datetime.combine(date.fromisoformat(hi) + timedelta(days=1), datetime.min.time(), UTC)
                    .timestamp())
        filtered_fts.append(lambda a=a, b=b, lo=lo_ts, hi=hi_ts, t=event_type: fts.filtered([a, b], lo, hi, t))
    out.append(Shape("2 terms AND + date + type", 5, filtered_ours, filtered_fts, [filtered_ours[0].request.query]))
    # every spelling of every person, then the same names with a year window: as many distinct requests as there
    # are runs, each resolved through the aliases
    spellings = [s for _id, names in voc.names["person"] for s in names]
    people = distinct(lambda: f'person:"{rng.choice(spellings)}"' + (
        "" if rng.random() < 0.3 else f" date:{rng.randint(2014, 2025)}-01..{rng.randint(2025, 2026)}-06"))
    person_fts = []
    for q in people:
        name = q.split('"')[1]
        ids = sorted(resolver.resolve("person", name))
        lo = hi = None
        if " date:" in q:  # date:YYYY-01..YYYY-06: from January 1st to the end of June
            first, last = (int(part[:4]) for part in q.split(" date:")[1].split(".."))
            lo = int(datetime(first, 1, 1, tzinfo=UTC).timestamp())
            hi = int(datetime(last, 7, 1, tzinfo=UTC).timestamp())
        person_fts.append(lambda ids=ids, lo=lo, hi=hi: fts.entity(ids, lo, hi) if ids else 0)
    out.append(Shape("person filter via aliases", 5, [Ours(backend, q) for q in people], person_fts,
                     [people[0]]))
    facet_queries = distinct(lambda: zipf_word(200) if rng.random() < 0.3 else f"{zipf_word(200)} {zipf_word(200)}")
    out.append(Shape("all facets", 20, [Ours(backend, q, facets=True) for q in facet_queries],
                     [lambda q=q: fts.facets(_fts_text(q.split())) for q in facet_queries],
                     [f"{facet_queries[0]} --facets"]))
    return out


def measure(calls: list[Callable[[], int]], runs: int, warmup: int = 20,
            cached: Callable[[int], bool] | None = None) -> tuple[float, float, float, int]:
    """(p50 ms, p95 ms, mean hits, cache hits) over ``runs`` calls after ``warmup`` others, in list order (the
    list holds at least ``warmup + runs`` distinct calls, else it is cycled and requests repeat)."""
    cycle = itertools.cycle(enumerate(calls))
    for _n, call in itertools.islice(cycle, warmup):
        call()
    times, hits, from_cache = [], [], 0
    for n, call in itertools.islice(cycle, runs):
        if cached is not None:
            from_cache += cached(n)
        started = time.perf_counter()
        hits.append(call())
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * len(times)) - 1)]
    return statistics.median(times), p95, statistics.fmean(hits), from_cache


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.search_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=100_000, help="corpus size (default 100,000)")
    parser.add_argument("--runs", type=int, default=200, help="timed runs per query shape (at least 200)")
    parser.add_argument("--batch", type=int, default=5_000, help="documents per commit (default 5,000)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--no-fts", action="store_true", help="skip the SQLite FTS5 comparison")
    parser.add_argument("--dir", type=Path, default=None, help="work directory (default: a temporary one)")
    args = parser.parse_args(argv)
    runs = max(200, args.runs)
    with tempfile.TemporaryDirectory(prefix="search-bench-", dir=args.dir) as tmp:
        return run(args.docs, runs, args.batch, args.seed, not args.no_fts, Path(tmp))


def run(n_docs: int, runs: int, batch: int, seed: int, with_fts: bool, work: Path) -> int:
    out = sys.stdout
    resolver = GazetteerResolver(None, load_gazetteer())
    backend = TantivyBackend(work / "tantivy", resolver)
    conn = sqlite3.connect(work / "fts.db")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.executescript(FTS_SCHEMA)
    print(f"search bench: {n_docs:,} synthetic enriched articles (seed {seed}), ~{WORDS_PER_DOC} words each, "
          f"one commit per {batch:,}", file=out)
    gen_s = index_s = fts_s = 0.0
    docs_iter = generate(n_docs, seed)
    done = 0
    words = 0
    while done < n_docs:
        t0 = time.perf_counter()
        chunk = list(itertools.islice(docs_iter, batch))
        t1 = time.perf_counter()
        backend.index(chunk, batch_size=len(chunk))
        t2 = time.perf_counter()
        if with_fts:
            fts_insert(conn, chunk, done)
        t3 = time.perf_counter()
        gen_s += t1 - t0
        index_s += t2 - t1
        fts_s += t3 - t2
        words += sum(d.body.count(" ") + 1 for d in chunk)
        done += len(chunk)
        if out.isatty():
            print(f"  {done:>9,} docs  tantivy {done / index_s:,.0f} docs/s", end="\r", file=out, flush=True)
    t = time.perf_counter()
    backend.close()  # the background merges are part of indexing: wait for them inside the clock
    index_s += time.perf_counter() - t
    if with_fts:
        t = time.perf_counter()
        conn.executescript(FTS_INDEXES)
        conn.execute("INSERT INTO fts(fts) VALUES ('optimize')")
        conn.commit()
        conn.execute("ANALYZE")
        fts_s += time.perf_counter() - t
    if out.isatty():
        print(" " * 60, end="\r", file=out)
    assert backend.count() == n_docs, backend.count()
    rate = n_docs / index_s
    print(f"corpus: generated in {gen_s:.1f} s, {words / n_docs:.0f} words/doc", file=out)
    print(f"indexing (tantivy, our backend.index): {n_docs:,} docs in {index_s:.1f} s = {rate:,.0f} docs/s; "
          f"index size {_size(work / 'tantivy') / 2**20:,.0f} MiB", file=out)
    if with_fts:
        fts_mib = (_size(work) - _size(work / "tantivy")) / 2**20
        print(f"indexing (SQLite FTS5 + side tables): {n_docs / fts_s:,.0f} docs/s; database size {fts_mib:,.0f} MiB",
              file=out)
    fts = Fts(conn)
    results = []
    print(f"\nlatency over {runs} distinct requests per shape (after {WARMUP} other warm-up requests), the same "
          "requests for both engines; limit 10, snippets for the page shown", file=out)
    header = f"{'query shape':<28}{'p50 ms':>9}{'p95 ms':>9}{'hits':>9}"
    if with_fts:
        header += f"{'FTS5 hits':>11}{'FTS5 p50':>10}{'FTS5 p95':>10}{'ratio p50':>11}{'ratio p95':>11}"
    header += f"{'goal p95':>14}"
    print(header, file=out)
    ok = rate >= 5_000
    cache_line = []
    for shape in shapes(backend, fts, resolver, seed, runs + WARMUP):
        p50, p95, hits, from_cache = measure(shape.ours, runs, WARMUP, cached=lambda n, s=shape: s.ours[n].cached())
        cache_line.append(f"{shape.name} {from_cache}/{runs}")
        line = f"{shape.name:<28}{p50:>9.2f}{p95:>9.2f}{hits:>9,.0f}"
        if with_fts:
            f50, f95, fhits, _ = measure(shape.fts, runs, WARMUP)
            line += f"{fhits:>11,.0f}{f50:>10.2f}{f95:>10.2f}{p50 / f50:>11.2f}{p95 / f95:>11.2f}"
        passed = p95 <= shape.goal_ms
        ok &= passed
        line += f"{'<= ' + str(int(shape.goal_ms)) + ' ' + ('ok' if passed else 'MISSED'):>14}"
        print(line, file=out)
        results.append((shape, p50, p95))
    print("timed requests answered by the request cache (not the engine): " + ", ".join(cache_line), file=out)
    print("\nexamples: " + " | ".join(e for s, _, _ in results for e in s.examples[:1]), file=out)
    print(f"goals: indexing >= 5,000 docs/s: {'ok' if rate >= 5_000 else 'MISSED'}; "
          f"p95 <= 5 ms filtered, <= 20 ms with all facets: "
          f"{'ok' if all(p95 <= s.goal_ms for s, _, p95 in results) else 'MISSED'}", file=out)
    conn.close()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
