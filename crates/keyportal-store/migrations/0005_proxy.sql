-- keyportal schema, version 5: proxied services. One row per proxied item (`kind` 'item',
-- `name` the item id) or location service (`kind` 'service', `name` the service name).
--
-- Same rules as before: portable DDL only, booleans BIGINT 0/1, lists as JSON text, times
-- epoch milliseconds. Upstream credentials are sealed (encrypted) by the service before they
-- get here; only their names are stored in clear. An item's row goes with the item.
CREATE TABLE proxies (
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    item_id TEXT REFERENCES items (id) ON DELETE CASCADE,
    enabled BIGINT NOT NULL,
    url TEXT NOT NULL,
    privilege TEXT,
    allowed_referrers TEXT NOT NULL,
    rate_limit_per_key BIGINT,
    timeout_seconds BIGINT NOT NULL,
    max_body_bytes BIGINT NOT NULL,
    header_names TEXT NOT NULL,
    query_names TEXT NOT NULL,
    sealed_secrets TEXT,
    modified BIGINT NOT NULL,
    PRIMARY KEY (kind, name)
);
