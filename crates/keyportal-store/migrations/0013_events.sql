-- The audit trail (issue 12): one row per event, appended in the transaction of the change it
-- records and never updated; only retention (`event_retention_days`) deletes old rows.
-- `once_key` makes a notice (an expiry warning, a quota reached) recorded once across checks
-- and nodes; NULL for every other event. No foreign keys: an event outlives what it is about.
CREATE TABLE events (
    id TEXT PRIMARY KEY,
    event_time BIGINT NOT NULL,
    event_type TEXT NOT NULL,
    actor TEXT,
    actor_kind TEXT NOT NULL,
    address TEXT,
    item_id TEXT,
    client_id TEXT,
    slot BIGINT,
    username TEXT,
    details TEXT NOT NULL,
    once_key TEXT UNIQUE
);

-- The organization's listing, newest first, and retention.
CREATE INDEX events_time ON events (event_time, id);

-- A credential's listing, newest first.
CREATE INDEX events_item_time ON events (item_id, event_time, id);
