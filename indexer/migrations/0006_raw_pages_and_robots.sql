-- The raw page of every fetched article URL that did not become an article (no text, too short, not HTML, off the
-- allowed domains after a redirect ...), kept as articles' pages are kept in snapshots: nothing fetched is lost,
-- and a page skipped today can be extracted again later. The URL's frontier row points to its latest raw page.
CREATE TABLE raw_pages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    url TEXT NOT NULL,
    final_url TEXT NOT NULL,
    source_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    first_fetched_at TEXT NOT NULL,
    last_fetched_at TEXT NOT NULL,
    http_status INTEGER NOT NULL,
    content_type TEXT,
    encoding TEXT,
    size INTEGER NOT NULL,
    html_zlib BLOB NOT NULL,
    UNIQUE (url, sha256)
);
ALTER TABLE frontier ADD COLUMN raw_page_id INTEGER REFERENCES raw_pages (id);

-- robots.txt of each origin (scheme://host:port) as last fetched, shared by every crawl, `sources check` and the
-- daemon's feed pre-check for ROBOTS_CACHE_SECONDS. status NULL: the fetch failed (everything allowed, as Scrapy).
CREATE TABLE robots_txt (
    origin TEXT PRIMARY KEY,
    status INTEGER,
    body BLOB NOT NULL,
    fetched_at REAL NOT NULL  -- Unix time, compared with the cache lifetime
);
