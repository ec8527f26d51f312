-- keyportal schema, version 2: developer credentials, legacy API keys, organization settings
-- and the change feed that keeps every process's in-memory key tables exact.
--
-- Same rules as version 1: portable DDL only, ids from the application, booleans BIGINT 0/1,
-- lists as JSON text, times epoch milliseconds, no semicolons inside statements.

-- A registered app: one per `Application` item. The item cannot be deleted while its app
-- exists (the service deletes the app first). Keys are never stored, only their hex SHA-256
-- (`slotN_key_hash`, NULL when the slot has no key) and a hint. The client secret is sealed
-- (encrypted) by the service before it gets here.
CREATE TABLE apps (
    item_id TEXT PRIMARY KEY REFERENCES items (id),
    client_id TEXT NOT NULL UNIQUE,
    sealed_secret TEXT NOT NULL,
    owner TEXT NOT NULL,
    app_type TEXT NOT NULL,
    redirect_uris TEXT NOT NULL,
    http_referrers TEXT NOT NULL,
    privileges TEXT NOT NULL,
    is_personal BIGINT NOT NULL,
    registered BIGINT NOT NULL,
    modified BIGINT NOT NULL,
    slot1_expiration BIGINT NOT NULL,
    slot1_active BIGINT NOT NULL,
    slot1_key_hash TEXT,
    slot1_key_hint TEXT,
    slot1_created BIGINT NOT NULL,
    slot1_last_used BIGINT NOT NULL,
    slot2_expiration BIGINT NOT NULL,
    slot2_active BIGINT NOT NULL,
    slot2_key_hash TEXT,
    slot2_key_hint TEXT,
    slot2_created BIGINT NOT NULL,
    slot2_last_used BIGINT NOT NULL,
    -- Bumped by every update: writers compare it to refuse lost updates (two requests
    -- minting both slots at once, or two nodes changing the same app).
    revision BIGINT NOT NULL DEFAULT 0
);

-- App tokens (client_credentials) by SHA-256 hash. No foreign key: `delete_app` removes an
-- app's tokens itself, in the same transaction as the app.
CREATE TABLE app_tokens (
    hash TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    created BIGINT NOT NULL,
    expires BIGINT NOT NULL
);

CREATE INDEX app_tokens_client_id ON app_tokens (client_id);

CREATE INDEX app_tokens_expires ON app_tokens (expires);

-- Imported legacy API keys, by hex SHA-256 (unique: one key cannot belong to two items).
CREATE TABLE legacy_keys (
    item_id TEXT PRIMARY KEY REFERENCES items (id),
    key_hash TEXT NOT NULL UNIQUE,
    owner TEXT NOT NULL,
    key_hint TEXT NOT NULL,
    privileges TEXT NOT NULL,
    http_referrers TEXT NOT NULL,
    active BIGINT NOT NULL,
    created BIGINT NOT NULL,
    last_used BIGINT NOT NULL
);

-- Organization-wide settings as named text values.
CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- The change feed. `seq` is assigned by the store as MAX(seq) + 1 under a write lock (not a
-- SERIAL, whose values can commit out of order), so a reader never sees a number appear
-- below one it has already read.
CREATE TABLE changes (
    seq BIGINT PRIMARY KEY,
    subject TEXT NOT NULL,
    published BIGINT NOT NULL
);

CREATE INDEX changes_published ON changes (published);
