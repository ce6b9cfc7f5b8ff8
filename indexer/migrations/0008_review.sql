-- Analysts in the loop: accounts, sessions, API tokens, login throttling, incident review and the audit trail.
-- Review tables key on incident ids and article ids only: clustering consults them (indexer/reviews.py) and never
-- writes them, so a human decision outlives every re-enrichment.

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('viewer', 'analyst', 'admin')),
    password_hash TEXT NOT NULL,  -- argon2id, with its parameters and salt
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- A browser session: the cookie holds a random secret, the store only its SHA-256.
CREATE TABLE sessions (
    secret_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

-- Per-user API tokens (Authorization: Bearer), stored hashed, revocable.
CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

-- Failed logins, per account name (known or not) and per client address: the throttle counts recent ones.
CREATE TABLE login_failures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    subject TEXT NOT NULL,  -- 'user:<name>' or 'client:<address>'
    at TEXT NOT NULL
);
CREATE INDEX login_failures_by_subject ON login_failures (subject, at);

-- The review state of an incident (no row: 'new').
CREATE TABLE incident_reviews (
    incident_id TEXT PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('new', 'confirmed', 'rejected', 'merged', 'split')),
    reason TEXT CHECK (reason IS NULL OR reason IN ('duplicate', 'not_an_incident', 'not_in_crimea', 'wrong_type',
                                                    'other')),
    merged_into TEXT,
    parts_json TEXT,  -- a split incident's parts
    notes TEXT,
    legal_article TEXT,
    reviewed_by TEXT NOT NULL,
    reviewed_at TEXT NOT NULL
);
CREATE INDEX incident_reviews_by_status ON incident_reviews (status);

-- A field an analyst set: it wins over whatever clustering computes.
CREATE TABLE incident_overrides (
    incident_id TEXT NOT NULL,
    field TEXT NOT NULL,
    value_json TEXT NOT NULL,
    set_by TEXT NOT NULL,
    set_at TEXT NOT NULL,
    PRIMARY KEY (incident_id, field)
);

-- An article an analyst attached to (or detached from) an incident: clustering never moves it again.
CREATE TABLE incident_article_pins (
    article_id TEXT NOT NULL,
    incident_id TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('attach', 'detach')),
    set_by TEXT NOT NULL,
    set_at TEXT NOT NULL,
    PRIMARY KEY (article_id, incident_id)
);
CREATE INDEX incident_article_pins_by_incident ON incident_article_pins (incident_id);

-- Every human action, append-only; each row carries the SHA-256 of the previous row (a hash chain).
CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    before_json TEXT NOT NULL,
    after_json TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_by_subject ON audit_log (subject);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
