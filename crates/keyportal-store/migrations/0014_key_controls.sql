-- Key controls beyond ArcGIS (issue 14).
--
-- The addresses and CIDR blocks a credential's keys may be used from, as a JSON list of
-- normalised entries ('[]': anywhere).
ALTER TABLE apps ADD COLUMN allowed_addresses TEXT NOT NULL DEFAULT '[]';

-- Recent refused requests per credential item, written in batches by every node from its
-- in-memory ring (never per request) and cut to the newest 100 per item on each write, so an
-- owner sees the refusals of every node. Never a key: time, slot, reason, referer, address,
-- service. (node, seq) tells apart two refusals of one millisecond.
CREATE TABLE key_refusals (
    item_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    node TEXT NOT NULL,
    seq BIGINT NOT NULL,
    slot BIGINT NOT NULL,
    reason TEXT NOT NULL,
    referer TEXT NOT NULL,
    address TEXT NOT NULL,
    service TEXT NOT NULL,
    PRIMARY KEY (item_id, at, node, seq)
);
CREATE INDEX key_refusals_at ON key_refusals (at);
