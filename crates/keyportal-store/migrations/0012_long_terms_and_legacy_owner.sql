-- Scale and robustness fixes (issue 11).
--
-- A non-administrator's legacy key listing filters by owner in SQL, page by page along
-- (owner, item_id). Imports insert ascending item ids, so for one owner this index is
-- appended to.
CREATE INDEX legacy_keys_owner ON legacy_keys (owner, item_id);

-- The search index rows now keep a term longer than 260 bytes truncated on a character
-- boundary (PostgreSQL refuses B-tree entries over about 2,700 bytes). The rows already
-- stored whole are cut by the application right after this file (long_terms.rs), so that an
-- item's rows, recomputed when it changes, are exactly the ones stored.
