-- Usage of API keys: one row per credential, slot, service and UTC day. Nodes add their
-- in-memory counts in batches with an upsert, so concurrent flushes add up exactly.
CREATE TABLE usage (
    day BIGINT NOT NULL,
    client_id TEXT NOT NULL,
    slot BIGINT NOT NULL,
    service TEXT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (day, client_id, slot, service)
);

CREATE INDEX usage_client_day ON usage (client_id, day);
