"""The scheduler daemon behind ``crimea-monitor run``.

Design (the Scrapy reactor can start only once per process):
every crawl runs in a child process (``python -m monitor crawl --json --source A --source B ...``), started by the
daemon's ``CrawlDispatcher``. The daemon itself is a plain APScheduler ``BackgroundScheduler`` with no reactor at
all. Chosen over one asyncio loop shared by ``AsyncIOScheduler`` and Scrapy's ``CrawlerRunner`` because

- a crawl that hangs, leaks or crashes (a parser bug on a garbage page, a C extension fault) takes down one child,
  never the daemon and never the other sources' crawls;
- the child is the very command a user runs, so the daemon's crawls behave exactly like manual ones;
- SIGKILL-safety is the store's: the child writes every item in its own transaction and keeps its frontier in the
  store, so a killed child (or daemon; children die with it, see ``crawls.py``) leaves nothing half-done that the
  next crawl would not finish exactly once.

A process per poll costs ~1.4 s of CPU (measured by bench/daemon_bench.py), far too much for hundreds of feeds
polled every minute, so
- a feed whose start URLs all have validators is first asked by the daemon itself (``crawlers/feedcheck.py``): a 304
  is an unchanged poll and starts no process at all; only feeds that changed (or failed) are crawled;
- sources that come due within ``CRAWL_BATCH_WINDOW`` share one child (``run_crawl`` takes several sources); each
  source's result is read from the child's stderr the moment its spider closes, so a slow or hanging source never
  holds back the others sharing its process.
Poll jobs hand their source to the dispatcher and return; the dispatcher runs one poll per source at a time.

Enrichment (spaCy, CPU-heavy) runs in a separate child too (``python -m monitor.daemon.worker``, at a lower CPU
priority), then indexes and runs the alerting step; it never blocks the scheduler nor any crawl.
"""
