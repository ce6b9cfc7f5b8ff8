-- The scheduler daemon: per-source health, the jobs it ran, and health problems it notified about.

-- One row per source, updated after every poll (by the crawl itself, as each source's spider closes).
CREATE TABLE source_health (
    source_id TEXT PRIMARY KEY,
    polls INTEGER NOT NULL DEFAULT 0,
    failures INTEGER NOT NULL DEFAULT 0,            -- polls that failed, ever
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    unchanged_polls INTEGER NOT NULL DEFAULT 0,     -- consecutive successful polls that brought nothing new
    last_poll_at TEXT,
    last_success_at TEXT,
    last_failure_at TEXT,
    last_error TEXT,
    last_new_at TEXT,                               -- last poll that stored a new or updated article
    last_report_json TEXT,
    interval_seconds INTEGER,                       -- the adaptive interval the daemon polls it at now
    updated_at TEXT NOT NULL
);

-- Every job the daemon started (crawl batches, enrichment runs); a row left 'running' by a killed daemon is
-- marked 'interrupted' at the next start.
CREATE TABLE job_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('crawl', 'enrich', 'health')),
    sources TEXT NOT NULL DEFAULT '',
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'ok', 'failed', 'interrupted')),
    pid INTEGER,
    detail_json TEXT
);
CREATE INDEX job_runs_by_kind ON job_runs (kind, id);

-- A health problem (a source failing or stale, the store locked or the disk full) is notified once when it
-- opens and once when it is resolved; the timestamps make that survive restarts.
CREATE TABLE health_problems (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    subject TEXT NOT NULL,                          -- a source id, or 'store'
    kind TEXT NOT NULL,                             -- failing | stale | store
    detail TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    notified_at TEXT,
    resolved_at TEXT,
    recovery_notified_at TEXT
);
CREATE UNIQUE INDEX health_problems_open ON health_problems (subject, kind) WHERE resolved_at IS NULL;
