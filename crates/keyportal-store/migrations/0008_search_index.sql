-- Search and listings in the database (issue 11).
--
-- `owner_key`, `org_key`, `title_key` and `type_key` are the lowered owner, org id, title and
-- type, computed by the application with the same lowering the query matcher uses (SQL's
-- lower() differs between backends and locales). The search index table `item_terms` is
-- created per backend right after this file (migrate.rs: WITHOUT ROWID on SQLite, `term`
-- COLLATE "C" on PostgreSQL), and filled for the existing items by the application.
ALTER TABLE items ADD COLUMN owner_key TEXT NOT NULL DEFAULT '';

ALTER TABLE items ADD COLUMN org_key TEXT NOT NULL DEFAULT '';

ALTER TABLE items ADD COLUMN title_key TEXT NOT NULL DEFAULT '';

ALTER TABLE items ADD COLUMN type_key TEXT NOT NULL DEFAULT '';

-- A folder's page, oldest first, ties by id: served in order from the index.
DROP INDEX items_owner_folder;

CREATE INDEX items_owner_folder ON items (owner, folder_id, created, id);

CREATE INDEX items_owner_folder_count ON items (owner, folder_id);

-- `owner:` searches, newest first, and their count (a narrow index counts faster).
CREATE INDEX items_owner_key ON items (owner_key, created, id);

CREATE INDEX items_owner_count ON items (owner_key);

-- `type:` terms, and so every unqualified term: each branch of its OR has an index, which
-- SQLite needs to answer the OR from indexes instead of reading every item.
CREATE INDEX items_type_key ON items (type_key);

-- Everything a viewer may see, newest first (`q=*`).
CREATE INDEX items_created ON items (created, id)
