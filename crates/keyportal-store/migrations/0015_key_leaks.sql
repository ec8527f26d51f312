-- Keys revoked because they were reported as leaked (issue 12): `oauth2/revokeLeakedKeys`
-- and GitHub's secret scanning. One row per revoked key, so the item page can say when the
-- key was revoked and where it was found. The key itself is never stored, only its hint.
-- `slot` is 1 or 2 for an API key, 0 for a legacy key. Rows go with their item.
CREATE TABLE key_leaks (
    item_id TEXT NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    slot BIGINT NOT NULL,
    key_hint TEXT NOT NULL,
    revoked BIGINT NOT NULL,
    source TEXT NOT NULL
);

CREATE INDEX key_leaks_item ON key_leaks (item_id, revoked);
