-- Stable incident ids. Re-enriching unchanged text must leave incidents alone, and when an incident really changes
-- (its reports merged into another incident, split off, re-typed) its old id must still lead somewhere.

-- What the article's clusterable events looked like when it was last clustered: an article re-enriched into the
-- same facts is not clustered again (its incidents keep their ids and nothing is re-alerted).
ALTER TABLE articles ADD COLUMN cluster_fingerprint TEXT;
-- The highest incident seq right after the article was clustered for the first time: an incident whose reports were
-- all known before a rule was created is old news to that rule, whatever re-clustering later makes of it.
ALTER TABLE articles ADD COLUMN first_cluster_seq INTEGER;
UPDATE articles SET first_cluster_seq = COALESCE(
    (SELECT MIN(i.seq) FROM incident_mentions m JOIN incidents i ON i.id = m.incident_id WHERE m.article_id = articles.id),
    (SELECT COALESCE(MAX(seq), 0) FROM incidents)
) WHERE clustered_at IS NOT NULL;

-- The lineage of incidents: old id -> new id, with why and by whom. An incident that is no longer active resolves to
-- its successor (the one that took most of its reports); an active one stays itself ('split': part of its reports
-- became the new incident). Clustering writes reasons 'merged', 'split' and 'replaced'; reviewers may add their own.
CREATE TABLE incident_successors (
    old_id TEXT NOT NULL,
    new_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    actor TEXT NOT NULL DEFAULT 'clustering',  -- 'clustering', or who made the change by hand
    mentions INTEGER NOT NULL DEFAULT 0,  -- how many of the old incident's event mentions went to the new one
    created_at TEXT NOT NULL,
    PRIMARY KEY (old_id, new_id)
);
CREATE INDEX incident_successors_by_new ON incident_successors (new_id);

INSERT INTO incident_successors (old_id, new_id, reason, mentions, created_at)
    SELECT alias, incident_id, 'merged', 0, merged_at FROM incident_aliases;
DROP TABLE incident_aliases;
