-- Incidents: actual event mentions of relevant articles clustered into real-world incidents, and the alerts they
-- raised. The incident row is a summary recomputed from its mentions; the mentions are the truth.
ALTER TABLE articles ADD COLUMN clustered_at TEXT;

CREATE TABLE incidents (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,  -- creation order: the alert flood guard compares against it
    id TEXT NOT NULL UNIQUE,  -- 'inc-' + hash of the first mention's event id
    type TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'merged', 'withdrawn')),
    event_date TEXT,
    date_precision TEXT,
    date_start TEXT,  -- the interval the incident's dates allow (NULL start: some time before date_end)
    date_end TEXT,
    place_id TEXT,
    place_text TEXT,
    lat REAL,
    lon REAL,
    victims_json TEXT NOT NULL DEFAULT '[]',
    count INTEGER,
    perpetrator_id TEXT,
    perpetrator_text TEXT,
    first_reported_at TEXT,
    last_reported_at TEXT,
    article_count INTEGER NOT NULL DEFAULT 0,
    source_count INTEGER NOT NULL DEFAULT 0,
    recap_only INTEGER NOT NULL DEFAULT 0,  -- known only from background recaps: old news, never alerted
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX incidents_by_type ON incidents (type, status);

CREATE TABLE incident_mentions (
    event_id TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE
);
CREATE INDEX incident_mentions_by_incident ON incident_mentions (incident_id);
CREATE INDEX incident_mentions_by_article ON incident_mentions (article_id);

-- An incident merged into another keeps its id resolvable: alias -> surviving incident.
CREATE TABLE incident_aliases (
    alias TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    merged_at TEXT NOT NULL
);
CREATE INDEX incident_aliases_by_incident ON incident_aliases (incident_id);

-- An alert rule as first seen: its creation point keeps a new rule from firing on the whole existing corpus.
CREATE TABLE alert_rules (
    name TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    created_seq INTEGER NOT NULL,  -- incidents with seq above this are new to the rule
    query TEXT NOT NULL,
    last_digest_at TEXT
);

-- A rule fired for an incident: once per (rule, incident), whatever happens to deliveries.
CREATE TABLE alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    rule TEXT NOT NULL,
    incident_id TEXT NOT NULL,
    fired_at TEXT NOT NULL,
    payload_json TEXT NOT NULL,
    UNIQUE (rule, incident_id)
);

-- One message of one alert (or of a digest's alerts) to one channel; pending until a send succeeds.
CREATE TABLE alert_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id INTEGER NOT NULL REFERENCES alerts (id),
    channel TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    UNIQUE (alert_id, channel)
);
CREATE INDEX alert_deliveries_pending ON alert_deliveries (status, channel);

-- Every attempt to deliver, successful or not.
CREATE TABLE alert_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id INTEGER NOT NULL REFERENCES alert_deliveries (id),
    attempted_at TEXT NOT NULL,
    ok INTEGER NOT NULL,
    error TEXT
);
CREATE INDEX alert_attempts_by_delivery ON alert_attempts (delivery_id);
