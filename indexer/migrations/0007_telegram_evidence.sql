-- Telegram channels as sources, the versions of their posts, and the publication-to-alert delay of incidents.
-- A post is an article (its permalink is the article URL); these tables keep what only posts have.

-- Polling state per channel: later polls fetch only posts newer than last_post_id.
CREATE TABLE telegram_channels (
    source_id TEXT PRIMARY KEY,
    channel TEXT NOT NULL,
    last_post_id INTEGER NOT NULL DEFAULT 0,
    last_polled_at TEXT
);

CREATE TABLE telegram_posts (
    article_id TEXT PRIMARY KEY REFERENCES articles (id),
    source_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    post_id INTEGER NOT NULL,
    posted_at TEXT,
    views INTEGER,
    forwarded_from TEXT,
    reply_to TEXT,
    links_json TEXT NOT NULL DEFAULT '[]',
    captions_json TEXT NOT NULL DEFAULT '[]',
    first_seen_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    deleted_at TEXT,             -- set when the post went missing from a page window it belongs in
    UNIQUE (channel, post_id)
);
CREATE INDEX telegram_posts_by_source ON telegram_posts (source_id, post_id);

-- Every text a post has had; an edit adds a version and never replaces one. snapshot_id is the page it was read from.
CREATE TABLE telegram_post_versions (
    article_id TEXT NOT NULL REFERENCES articles (id),
    version INTEGER NOT NULL,
    text TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    edited INTEGER NOT NULL DEFAULT 0,  -- the page marked the post "edited"
    seen_at TEXT NOT NULL,
    snapshot_id INTEGER REFERENCES snapshots (id),
    PRIMARY KEY (article_id, version)
);

-- Links in a post: an article it cites (same id as the article's, from the canonical URL) feeds the same incident.
CREATE TABLE post_links (
    post_article_id TEXT NOT NULL REFERENCES articles (id),
    url TEXT NOT NULL,
    target_article_id TEXT NOT NULL,
    PRIMARY KEY (post_article_id, target_article_id)
);
CREATE INDEX post_links_by_target ON post_links (target_article_id);

-- HTTP exchange of a snapshot as fetched (request line and headers, response headers), for the WARC export.
ALTER TABLE snapshots ADD COLUMN exchange_json TEXT;

-- Time to alert: the first report of an incident, when it was published and fetched, and when an alert went out.
CREATE TABLE incident_timing (
    incident_id TEXT PRIMARY KEY,
    first_article_id TEXT NOT NULL,
    published_at TEXT,
    fetched_at TEXT NOT NULL,
    alerted_at TEXT NOT NULL,
    delay_seconds REAL            -- alerted_at - published_at (NULL without a publication time)
);
