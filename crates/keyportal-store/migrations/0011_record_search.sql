-- Group and member search in the database (issue 11): `community/groups`, `community/users`.
--
-- `groups.title_key` and `users.full_name_key` are the lowered title and full name, computed by
-- the application with the matcher's lowering (SQL's lower() differs between backends and
-- locales), for sorting. The index tables `group_terms` and `user_terms` (one row per word of a
-- text field and per lowered whole value, see search/records.rs) are created per backend right
-- after this file (migrate.rs: WITHOUT ROWID on SQLite, `term` COLLATE "C" on PostgreSQL) and
-- filled for the existing groups and members by the application.
ALTER TABLE groups ADD COLUMN title_key TEXT NOT NULL DEFAULT '';

ALTER TABLE users ADD COLUMN full_name_key TEXT NOT NULL DEFAULT '';

-- Each order a search can ask for, ties by id (groups) or username (members), served from an
-- index so that a page reads only its rows.
CREATE INDEX groups_title_key ON groups (title_key, id);

CREATE INDEX groups_owner_id ON groups (owner, id);

CREATE INDEX groups_created ON groups (created, id);

CREATE INDEX groups_modified ON groups (modified, id);

CREATE INDEX users_full_name_key ON users (full_name_key, username);

CREATE INDEX users_created ON users (created, username);

CREATE INDEX users_modified ON users (modified, username);

-- Visibility: a viewer's org (org-access groups, org members).
CREATE INDEX groups_org_access ON groups (org_id, access);

CREATE INDEX users_org_id ON users (org_id, username)
