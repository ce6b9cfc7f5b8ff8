-- NLP results per article; an article's rows are replaced as a whole when it is enriched again.
ALTER TABLE articles ADD COLUMN about_crimea INTEGER;
ALTER TABLE articles ADD COLUMN relevance_reasons TEXT;
ALTER TABLE articles ADD COLUMN enriched_at TEXT;
ALTER TABLE articles ADD COLUMN indexed_at TEXT;

-- Canonical entities: gazetteer entries and normalised keys of names not in the gazetteer.
CREATE TABLE entities (
    id TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    name TEXT NOT NULL,
    in_gazetteer INTEGER NOT NULL DEFAULT 0,
    lat REAL,
    lon REAL
);

CREATE TABLE mentions (
    article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    label TEXT NOT NULL,
    text TEXT NOT NULL,
    entity_id TEXT NOT NULL REFERENCES entities (id),
    PRIMARY KEY (article_id, start, end)
) WITHOUT ROWID;
CREATE INDEX mentions_by_entity ON mentions (entity_id, article_id);

CREATE TABLE events (
    id TEXT PRIMARY KEY,  -- article id ":" ordinal
    article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    trigger TEXT NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    sentence TEXT NOT NULL,
    modality TEXT NOT NULL,
    is_recap INTEGER NOT NULL DEFAULT 0,
    event_date TEXT,
    date_precision TEXT,
    place_text TEXT,
    place_id TEXT,
    victims_json TEXT NOT NULL DEFAULT '[]',
    count INTEGER,
    perpetrator_text TEXT,
    perpetrator_id TEXT,
    legal_article TEXT
);
CREATE INDEX events_by_article ON events (article_id);
CREATE INDEX events_by_type ON events (type, modality);

CREATE TABLE quotes (
    id TEXT PRIMARY KEY,
    article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    text TEXT NOT NULL,
    speaker_text TEXT,
    speaker_id TEXT,
    cue TEXT,
    kind TEXT NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL
);
CREATE INDEX quotes_by_article ON quotes (article_id);
CREATE INDEX quotes_by_speaker ON quotes (speaker_id);

CREATE TABLE claims (
    id TEXT PRIMARY KEY,
    article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    count INTEGER NOT NULL,
    what TEXT NOT NULL,
    period TEXT,
    text TEXT NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL
);
CREATE INDEX claims_by_article ON claims (article_id);
