-- The crawl-to-store schema. Ids are deterministic (hashes of canonical URLs) so every write is an upsert.
CREATE TABLE sources (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    config_json TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Conditional-GET state of feeds and other polled URLs.
CREATE TABLE fetch_state (
    url TEXT PRIMARY KEY,
    source_id TEXT NOT NULL,
    etag TEXT,
    last_modified TEXT,
    last_status INTEGER,
    last_fetched TEXT,
    errors INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
);

-- Every article URL a spider discovered, until it is stored, skipped for a reason, or failed for good.
-- A crawl killed midway resumes from the pending rows, so nothing discovered is lost.
CREATE TABLE frontier (
    url TEXT PRIMARY KEY,
    source_id TEXT NOT NULL,
    discovered_at TEXT NOT NULL,
    discovered_from TEXT,
    feed_title TEXT,
    feed_published_at TEXT,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'skipped', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    reason TEXT,
    article_id TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX frontier_by_state ON frontier (source_id, state);

CREATE TABLE articles (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    source_id TEXT NOT NULL,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    author TEXT,
    lang TEXT,
    published_at TEXT,
    first_seen_at TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    minhash BLOB,
    shingle_count INTEGER,
    near_duplicate_of TEXT REFERENCES articles (id),
    near_duplicate_score REAL,
    status TEXT NOT NULL DEFAULT 'fetched',
    relevance REAL,
    updated_at TEXT NOT NULL
);
CREATE INDEX articles_by_content_hash ON articles (content_hash);
CREATE INDEX articles_by_status ON articles (status);
CREATE INDEX articles_by_source ON articles (source_id, first_seen_at);

-- Other URLs that lead to a stored article: redirects, tracking variants, exact duplicates.
CREATE TABLE article_urls (
    url TEXT PRIMARY KEY,
    article_id TEXT NOT NULL REFERENCES articles (id),
    kind TEXT NOT NULL CHECK (kind IN ('redirect', 'alias', 'duplicate')),
    source_id TEXT NOT NULL,
    first_seen_at TEXT NOT NULL
);
CREATE INDEX article_urls_by_article ON article_urls (article_id);

-- Raw HTML as received, zlib-compressed, one row per distinct content of an article's page.
CREATE TABLE snapshots (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id TEXT NOT NULL REFERENCES articles (id),
    url TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    first_fetched_at TEXT NOT NULL,
    last_fetched_at TEXT NOT NULL,
    http_status INTEGER NOT NULL,
    content_type TEXT,
    encoding TEXT,
    size INTEGER NOT NULL,
    html_zlib BLOB NOT NULL,
    UNIQUE (article_id, url, sha256)
);

-- MinHash LSH bands of article texts: near-duplicate candidates are rows sharing a band hash.
CREATE TABLE minhash_bands (
    band INTEGER NOT NULL,
    hash INTEGER NOT NULL,
    article_id TEXT NOT NULL REFERENCES articles (id),
    PRIMARY KEY (band, hash, article_id)
) WITHOUT ROWID;
CREATE INDEX minhash_bands_by_article ON minhash_bands (article_id);

CREATE TABLE crawl_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    sources TEXT NOT NULL,
    stats_json TEXT
);
