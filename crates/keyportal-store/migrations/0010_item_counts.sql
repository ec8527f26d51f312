-- How many items each member has in each folder (`folder_key` '' is the root folder), kept
-- by every item write in the same transaction (`sql/item_counts.rs`). An owner's listing or
-- `owner:` search then reads its `total` from one or a few rows instead of counting a
-- million index entries. `owner_key` is the lowered owner that `owner:` searches compare.
CREATE TABLE item_counts (
    owner TEXT NOT NULL,
    owner_key TEXT NOT NULL,
    folder_key TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (owner, folder_key)
);

CREATE INDEX item_counts_owner_key ON item_counts (owner_key);

INSERT INTO item_counts (owner, owner_key, folder_key, n)
SELECT owner, MIN(owner_key), COALESCE(folder_id, ''), COUNT(*)
FROM items
GROUP BY owner, COALESCE(folder_id, '');

-- The narrow indexes that only served those counts: every item write kept them for nothing.
DROP INDEX items_owner_count;

DROP INDEX items_owner_folder_count;
