"""Crawl benchmark: our crawl against a bare Scrapy spider on the same loopback pages (``make bench``).

Prints pages/s of ours (spiders + extraction + pipelines + store), of a bare Scrapy spider calling
trafilatura.extract in its callback, and of a bare download; the ratio ours / bare+extract (goal >= 0.8); and our
peak memory. Each crawl runs in its own process because Scrapy's reactor starts once per process.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.bench_site import BenchSite


def _run(mode: str, base_url: str, count: int, db: str = "") -> dict:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    out = subprocess.run([sys.executable, "-m", "bench.crawl_runner", mode, base_url, str(count), db],
                         capture_output=True, text=True, env=env, check=True, timeout=1800)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=2000)
    args = parser.parse_args()
    with BenchSite(args.pages) as site, tempfile.TemporaryDirectory() as tmp:
        size = sum(len(p) for p in site.pages.values()) / len(site.pages) / 1024
        print(f"crawl benchmark: {args.pages} pages of {size:.0f} KB on {site.base_url} (loopback)")
        bare_download = _run("bare-download", site.base_url, args.pages)
        bare = _run("bare-extract", site.base_url, args.pages)
        ours = _run("ours", site.base_url, args.pages, str(Path(tmp) / "bench.db"))
    rate = {r["mode"]: r["pages"] / r["seconds"] for r in (bare_download, bare, ours)}
    print(f"  bare Scrapy download           {rate['bare-download']:8.1f} pages/s  ({bare_download['pages']} pages)")
    print(f"  bare Scrapy + trafilatura      {rate['bare-extract']:8.1f} pages/s  ({bare['pages']} pages)")
    print(f"  ours (extract+pipelines+store) {rate['ours']:8.1f} pages/s  ({ours['pages']} pages, "
          f"{ours['stored']} stored)")
    print(f"  ratio ours / bare+extract      {rate['ours'] / rate['bare-extract']:8.2f}   (goal >= 0.8)")
    print(f"  our peak memory                {ours['peak_rss_mb']:8.1f} MB crawler process, "
          f"{ours['peak_rss_children_mb']:.1f} MB largest extraction worker")


if __name__ == "__main__":
    main()
