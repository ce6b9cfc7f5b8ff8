"""Every Crimea Monitor setting, with its default, overridable by a ``CRIMEA_MONITOR_*`` environment variable.

This module is also the Scrapy settings module (``scrapy.cfg`` points here), so the upper-case names Scrapy knows
(USER_AGENT, ROBOTSTXT_OBEY, AUTOTHROTTLE_*, ...) are read by Scrapy directly. Values are plain data: no logic
beyond reading the environment lives here.
"""

from __future__ import annotations

import os
from pathlib import Path

_PREFIX = "CRIMEA_MONITOR_"


def _env(name: str, default: str) -> str:
    return os.environ.get(_PREFIX + name, default)


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(_PREFIX + name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SystemExit(f"{_PREFIX}{name}={raw!r} is not an integer; set it to a whole number") from exc


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(_PREFIX + name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise SystemExit(f"{_PREFIX}{name}={raw!r} is not a number; set it to e.g. 1.5") from exc


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(_PREFIX + name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise SystemExit(f"{_PREFIX}{name}={raw!r} is not a boolean; use true or false")


def _env_int_map(name: str, default: dict[str, int]) -> dict[str, int]:
    """A mapping written as ``key=number,key=number``; keys not named keep their default."""
    raw = os.environ.get(_PREFIX + name)
    if raw is None or raw.strip() == "":
        return dict(default)
    out = dict(default)
    for part in raw.split(","):
        key, sep, value = part.partition("=")
        try:
            if not sep or not key.strip():
                raise ValueError(part)
            out[key.strip()] = int(value)
        except ValueError as exc:
            raise SystemExit(f"{_PREFIX}{name}={raw!r}: write it as kind=number,kind=number") from exc
    return out


PROJECT_DIR = Path(__file__).resolve().parent

# --- Crimea Monitor -------------------------------------------------------------------------------------------
DB = _env("DB", "data/monitor.db")  # the SQLite store, the system of record
SOURCES = _env("SOURCES", str(PROJECT_DIR / "sources.toml"))
INDEX_DIR = _env("INDEX_DIR", "")  # empty: "<db file stem>.index" beside the store
SEARCH_BACKEND = _env("SEARCH_BACKEND", "tantivy")  # tantivy | elasticsearch | opensearch
# A cluster's node URLs, comma-separated (a request to a dead node is retried on the next): https://es1:9200,...
ELASTICSEARCH_URL = _env("ELASTICSEARCH_URL", "")
OPENSEARCH_URL = _env("OPENSEARCH_URL", "")
SEARCH_INDEX = _env("SEARCH_INDEX", "crimea-monitor")  # the alias; versioned indices are "<alias>-v<timestamp>"
SEARCH_API_KEY = _env("SEARCH_API_KEY", "")  # Elasticsearch API key (the encoded form Kibana shows)
SEARCH_USERNAME = _env("SEARCH_USERNAME", "")  # basic auth (Elasticsearch or OpenSearch)
SEARCH_PASSWORD = _env("SEARCH_PASSWORD", "")
SEARCH_CA_FILE = _env("SEARCH_CA_FILE", "")  # PEM file of the CA that signed the cluster's TLS certificate
SEARCH_TIMEOUT = _env_float("SEARCH_TIMEOUT", 10.0)  # seconds per request to the cluster
SEARCH_REPLICAS = _env_int("SEARCH_REPLICAS", 1)  # copies of each shard on other nodes (0 on a one-node cluster)
MIN_TEXT_CHARS = _env_int("MIN_TEXT_CHARS", 300)  # shorter extracted text is dropped as "too short"
# ... per source kind (kinds not named here use MIN_TEXT_CHARS). A feed or sitemap entry is an article because its
# publisher says so, and a short statement is news; a Telegram post of two sentences is a report ("FSB searches
# in Stroganovka, four men detained."); a site's links are only guessed by a pattern.
MIN_TEXT_CHARS_BY_KIND = _env_int_map(
    "MIN_TEXT_CHARS_BY_KIND", {"feed": 150, "sitemap": 150, "site": 300, "telegram": 40}
)
# trafilatura runs in fast mode; a text shorter than this is extracted again in its default mode (which compares
# with readability and jusText and rescues table layouts and teaser-only <article>s). 0: never.
EXTRACT_FULL_BELOW_CHARS = _env_int("EXTRACT_FULL_BELOW_CHARS", 500)
# The first poll of a channel pages back (?before=ID) until it has this many posts; later polls read newer ones only.
TELEGRAM_FIRST_POLL_POSTS = _env_int("TELEGRAM_FIRST_POLL_POSTS", 100)
# Processes running trafilatura off the reactor thread. Measured with the crawl benchmark on 2 cores: 2 workers
# 179 pages/s, 1 worker 138 pages/s (the reactor needs less than a core; extraction is the bottleneck).
EXTRACT_WORKERS = _env_int("EXTRACT_WORKERS", os.cpu_count() or 2)
NEAR_DUP_THRESHOLD = _env_float("NEAR_DUP_THRESHOLD", 0.8)  # estimated containment of word 5-shingles
MAX_FETCH_ATTEMPTS = _env_int("MAX_FETCH_ATTEMPTS", 3)  # crawl runs a transiently failing URL is retried in
SITE_MAX_DEPTH = _env_int("SITE_MAX_DEPTH", 2)  # link hops from a site source's start pages
ENRICH_BATCH_SIZE = _env_int("ENRICH_BATCH_SIZE", 16)
ENRICH_N_PROCESS = _env_int("ENRICH_N_PROCESS", 1)
# --- incidents and alerts (issue 5) ---
# Two reports are one incident only if their event dates (else publication dates) lie within this many days.
INCIDENT_DATE_WINDOW_DAYS = _env_int("INCIDENT_DATE_WINDOW_DAYS", 3)
# An undated follow-up ("his detention", "the sentence") may refer this many days back: it joins the one incident of
# its type that its victim has in that span (two or more: ambiguous, it opens its own).
INCIDENT_FOLLOWUP_DAYS = _env_int("INCIDENT_FOLLOWUP_DAYS", 400)
ALERTS = _env("ALERTS", str(PROJECT_DIR / "alerts.toml"))  # alert rules and channels
# Webhook sends retried inside one run (base * 2**n seconds apart); a delivery still failing waits for the next run.
ALERT_WEBHOOK_RETRIES = _env_int("ALERT_WEBHOOK_RETRIES", 2)
ALERT_RETRY_BACKOFF_BASE = _env_float("ALERT_RETRY_BACKOFF_BASE", 0.5)
ALERT_SEND_TIMEOUT = _env_float("ALERT_SEND_TIMEOUT", 10.0)  # seconds per webhook / SMTP / apprise send

# --- evidence export (crimea-monitor evidence) ---
EVIDENCE_CHROMIUM = _env("EVIDENCE_CHROMIUM", "chromium")  # headless browser for offline screenshots; "" for none
EVIDENCE_SCREENSHOT_TIMEOUT = _env_float("EVIDENCE_SCREENSHOT_TIMEOUT", 60.0)  # seconds per screenshot

# --- web UI and REST API (crimea-monitor serve) ----------------------------------------------------------------
# Reading needs a login unless PUBLIC_READ (or `serve --public-read`) opens read-only access on purpose; writes
# always need an analyst's session or API token (`crimea-monitor users token NAME`).
PUBLIC_READ = _env_bool("PUBLIC_READ", False)
SESSION_HOURS = _env_float("SESSION_HOURS", 12.0)  # a login lasts this long
# After LOGIN_MAX_FAILURES failed logins for one account within LOGIN_WINDOW_SECONDS, that account is throttled
# (every login attempt refused) until the window has passed; one client address gets LOGIN_CLIENT_MAX_FAILURES.
LOGIN_MAX_FAILURES = _env_int("LOGIN_MAX_FAILURES", 10)
LOGIN_CLIENT_MAX_FAILURES = _env_int("LOGIN_CLIENT_MAX_FAILURES", 30)
LOGIN_WINDOW_SECONDS = _env_int("LOGIN_WINDOW_SECONDS", 900)
WEB_HOST = _env("WEB_HOST", "127.0.0.1")  # loopback by default: exposing the UI is a deliberate choice
WEB_PORT = _env_int("WEB_PORT", 8080)

# --- scheduler daemon (crimea-monitor run) ---------------------------------------------------------------------
SCHEDULER_DB = _env("SCHEDULER_DB", "")  # APScheduler's job store; empty: "<db file stem>.scheduler.db" beside it
DAEMON_LOG_FILE = _env("DAEMON_LOG_FILE", "")  # rotating log of `run`; empty: "<db file stem>.log" beside the store
DAEMON_LOG_FORMAT = _env("DAEMON_LOG_FORMAT", "human")  # human | json (one object per line, for log shippers)
DAEMON_LOG_MAX_BYTES = _env_int("DAEMON_LOG_MAX_BYTES", 10 * 1024 * 1024)
DAEMON_LOG_BACKUP_COUNT = _env_int("DAEMON_LOG_BACKUP_COUNT", 5)
METRICS_HOST = _env("METRICS_HOST", "127.0.0.1")  # Prometheus /metrics; loopback unless told otherwise
METRICS_PORT = _env_int("METRICS_PORT", 9464)  # 0 disables the metrics endpoint
# Adaptive polling: a source is polled at its interval from the sources file while it brings news; after
# POLL_BACKOFF_AFTER polls in a row with nothing new the interval grows by POLL_BACKOFF_FACTOR per poll, and a
# failing source backs off by doubling; always within [POLL_MIN_SECONDS, POLL_MAX_SECONDS].
POLL_MIN_SECONDS = _env_int("POLL_MIN_SECONDS", 60)
POLL_MAX_SECONDS = _env_int("POLL_MAX_SECONDS", 6 * 3600)
POLL_BACKOFF_AFTER = _env_int("POLL_BACKOFF_AFTER", 3)
POLL_BACKOFF_FACTOR = _env_float("POLL_BACKOFF_FACTOR", 1.5)
POLL_JITTER_FRACTION = _env_float("POLL_JITTER_FRACTION", 0.05)  # of the interval, so sources do not fire in step
MISFIRE_GRACE_SECONDS = _env_int("MISFIRE_GRACE_SECONDS", 24 * 3600)  # a poll missed by more is skipped
# Sources that come due within one window share one crawl process (a process per poll costs ~1 s of CPU).
CRAWL_BATCH_WINDOW = _env_float("CRAWL_BATCH_WINDOW", 5.0)
CRAWL_MAX_PROCESSES = _env_int("CRAWL_MAX_PROCESSES", 2)  # crawl processes at once
# The daemon asks a feed with stored validators itself (one conditional GET) and starts a crawl only when it did
# not answer 304: an unchanged feed then costs a 304 and no crawl process.
FEED_PRECHECK = _env_bool("FEED_PRECHECK", True)
CRAWL_TIMEOUT_SECONDS = _env_int("CRAWL_TIMEOUT_SECONDS", 1800)  # a crawl process running longer is killed
ENRICH_INTERVAL_SECONDS = _env_int("ENRICH_INTERVAL_SECONDS", 300)  # also run right after a crawl stored news
ENRICH_TIMEOUT_SECONDS = _env_int("ENRICH_TIMEOUT_SECONDS", 3600)
HEALTH_INTERVAL_SECONDS = _env_int("HEALTH_INTERVAL_SECONDS", 300)
HEALTH_FAILURES = _env_int("HEALTH_FAILURES", 3)  # consecutive failed polls that make a source "failing"
# A source is stale when nothing new arrived for STALE_FACTOR times its usual gap between articles, and never
# sooner than STALE_MIN_SECONDS (bursty outlets are quiet for a day without anything being wrong).
STALE_FACTOR = _env_float("STALE_FACTOR", 5.0)
STALE_MIN_SECONDS = _env_int("STALE_MIN_SECONDS", 2 * 86400)
DISK_MIN_FREE_MB = _env_int("DISK_MIN_FREE_MB", 200)  # less free space beside the store is a health problem
# Channels of the alerts file (ALERTS) that get health notices: comma-separated names, "*" for all, "" for none.
HEALTH_CHANNELS = _env("HEALTH_CHANNELS", "*")
HEALTH_ALERTS_FILE = _env("HEALTH_ALERTS_FILE", "")  # JSON Lines file every health notice is appended to, if set
SHUTDOWN_TIMEOUT_SECONDS = _env_int("SHUTDOWN_TIMEOUT_SECONDS", 30)  # SIGTERM: wait this long for running jobs
DEMO_INTERVAL = _env("DEMO_INTERVAL", "30s")  # `run --demo` polls the demo outlets this often
# The demo site listens here, so a second `crawl --demo` on the same store finds the same URLs (when the port is
# taken, a free one is used and the demo's URLs are new to the store). 0: always a free port.
DEMO_PORT = _env_int("DEMO_PORT", 8765)

# --- Scrapy ----------------------------------------------------------------------------------------------------
BOT_NAME = "crimea-monitor"
SPIDER_MODULES = ["crawlers.spiders"]
NEWSPIDER_MODULE = "crawlers.spiders"
USER_AGENT = _env(
    "USER_AGENT",
    "CrimeaMonitor/0.1 (+https://github.com/crimea-monitor/crimea-monitor; human-rights news monitoring)",
)
ROBOTSTXT_OBEY = _env_bool("ROBOTSTXT_OBEY", True)
# A host's robots.txt is fetched once in this many seconds, whatever the number of sources on the host: kept in the
# store, shared by every crawl (and by `sources check` and the daemon's feed pre-check).
ROBOTS_CACHE_SECONDS = _env_int("ROBOTS_CACHE_SECONDS", 86400)
CONCURRENT_REQUESTS = _env_int("CONCURRENT_REQUESTS", 16)
# Scrapy keys its download slots by host, but each source is crawled by a crawler (and downloader) of its own, so
# this limit holds per source: 400 sources on one host could open 1,600 connections to it.
CONCURRENT_REQUESTS_PER_DOMAIN = _env_int("CONCURRENT_REQUESTS_PER_DOMAIN", 4)
# ... hence this limit per host across all sources of a crawl process (crawlers.middlewares.HostLimitMiddleware).
HOST_MAX_CONNECTIONS = _env_int("HOST_MAX_CONNECTIONS", 4)
DOWNLOAD_DELAY = _env_float("DOWNLOAD_DELAY", 0.5)
AUTOTHROTTLE_ENABLED = _env_bool("AUTOTHROTTLE_ENABLED", True)
AUTOTHROTTLE_START_DELAY = _env_float("AUTOTHROTTLE_START_DELAY", 1.0)
AUTOTHROTTLE_MAX_DELAY = _env_float("AUTOTHROTTLE_MAX_DELAY", 30.0)
AUTOTHROTTLE_TARGET_CONCURRENCY = _env_float("AUTOTHROTTLE_TARGET_CONCURRENCY", 2.0)
DOWNLOAD_TIMEOUT = _env_int("DOWNLOAD_TIMEOUT", 30)
DOWNLOAD_MAXSIZE = _env_int("DOWNLOAD_MAXSIZE", 5 * 1024 * 1024)
DOWNLOAD_WARNSIZE = _env_int("DOWNLOAD_WARNSIZE", 2 * 1024 * 1024)
RETRY_ENABLED = True
RETRY_TIMES = _env_int("RETRY_TIMES", 2)
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
# Back-off between retries: Scrapy's RetryMiddleware re-queues at once, ours waits base * 2**n seconds.
RETRY_BACKOFF_BASE = _env_float("RETRY_BACKOFF_BASE", 1.0)
RETRY_BACKOFF_MAX = _env_float("RETRY_BACKOFF_MAX", 60.0)
REDIRECT_MAX_TIMES = _env_int("REDIRECT_MAX_TIMES", 10)
# Scrapy starts CONCURRENT_ITEMS asyncio tasks for the output of every async callback; ours yield one item each,
# and the default of 100 tasks per page cost a third of the crawl's CPU in the crawl benchmark.
CONCURRENT_ITEMS = _env_int("CONCURRENT_ITEMS", 8)
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = _env("LOG_LEVEL", "INFO")
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawlers.robots.SharedRobotsTxtMiddleware": 100,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawlers.middlewares.BackoffRetryMiddleware": 550,
    # last before the download (after robots.txt, retries and redirects), so a request waiting for robots.txt
    # never holds one of its host's connections
    "crawlers.middlewares.HostLimitMiddleware": 950,
}
SPIDER_MIDDLEWARES = {
    "pipelines.frontier.FrontierMiddleware": 950,
}
ITEM_PIPELINES = {
    "pipelines.validate.ValidatePipeline": 100,
    "pipelines.canonicalise.CanonicalisePipeline": 200,
    "pipelines.dedup.DedupPipeline": 300,
    "pipelines.store.StorePipeline": 400,
}
LOG_FORMATTER = "crawlers.logformatter.ConciseLogFormatter"
# Every crawl accounts each source's poll in the store (source health) when the source's spider closes.
EXTENSIONS = {"pipelines.health.PollRecorder": 500}
# The daemon's crawl processes also write one line per finished source to stderr, so a source is done (and can be
# polled again) without waiting for slower sources sharing its process.
POLL_REPORT_LINES = _env_bool("POLL_REPORT_LINES", False)
