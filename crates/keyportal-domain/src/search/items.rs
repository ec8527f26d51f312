//! Items as search documents: the fields a query can name, the rows of the search index that
//! the store keeps for each item, and the orders results can be sorted in.
//!
//! The index and the matcher share one tokenizer ([`words`], [`lower`]): an item's index rows
//! are exactly the words and lowered values the matcher compares, so a query compiled to SQL
//! over the rows (see [`super::plan`]) answers what the matcher answers.

use std::borrow::Cow;
use std::cmp::Ordering;

use super::limits::indexed_term;
use super::matcher::{lower, words};
use super::Searchable;
use crate::item::Item;

/// An item with the ids of the groups it is shared with, as the matcher sees it.
#[derive(Debug, Clone, Copy)]
pub struct ItemDoc<'a> {
    pub item: &'a Item,
    pub group_ids: &'a [String],
}

/// Fields an unqualified term is matched against.
pub const ITEM_DEFAULT_FIELDS: &[&str] = &[
    "title",
    "tags",
    "description",
    "snippet",
    "owner",
    "type",
    "typekeywords",
    "name",
];

/// The `name` an item may carry in its extra fields.
pub fn item_name(item: &Item) -> Option<&str> {
    item.extra.get("name").and_then(|v| v.as_str())
}

impl Searchable for ItemDoc<'_> {
    fn field_values(&self, field: &str) -> Vec<Cow<'_, str>> {
        let item = self.item;
        let one = |s: &'_ str| vec![Cow::Owned(s.to_string())];
        let borrowed = |values: &'_ [String]| {
            values
                .iter()
                .map(|s| Cow::Owned(s.clone()))
                .collect::<Vec<_>>()
        };
        match field {
            "id" => vec![Cow::Borrowed(item.id.as_str())],
            "owner" => vec![Cow::Borrowed(item.owner.as_str())],
            "orgid" | "accountid" => vec![Cow::Borrowed(item.org_id.as_str())],
            "title" => vec![Cow::Borrowed(item.title.as_str())],
            "type" => vec![Cow::Borrowed(item.item_type.as_str())],
            "typekeywords" => borrowed(&item.type_keywords),
            "tags" => borrowed(&item.tags),
            "description" => vec![Cow::Borrowed(item.description.as_str())],
            "snippet" => vec![Cow::Borrowed(item.snippet.as_str())],
            "url" => vec![Cow::Borrowed(item.url.as_str())],
            "group" => borrowed(self.group_ids),
            "access" => one(item.access.wire(!self.group_ids.is_empty())),
            "created" => one(&item.created.to_string()),
            "modified" => one(&item.modified.to_string()),
            "ownerfolder" => item
                .folder_id
                .iter()
                .map(|s| Cow::Borrowed(s.as_str()))
                .collect(),
            "name" => item_name(item)
                .map(|s| vec![Cow::Borrowed(s)])
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    fn default_fields(&self) -> &'static [&'static str] {
        ITEM_DEFAULT_FIELDS
    }
}

/// What a row of the search index belongs to. The codes are stored: never renumber one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TermField {
    /// Words of the title, description, snippet, url and name, with their positions.
    Title,
    Description,
    Snippet,
    Url,
    Name,
    /// The whole lowered name (one row when the item has a name, for "has a name").
    NameWhole,
    /// Words of the type (`type:map` matches "Web Map").
    TypeWords,
    /// Whole lowered tags and type keywords, position = index in the list.
    Tags,
    TypeKeywords,
    /// Words of the folder id (`ownerfolder:` is a free-text field).
    OwnerFolder,
    /// The lowered id, only for an id that is not already lower case (the `id` column answers
    /// for all others).
    IdLowered,
    /// Words of the org id, only when they are not just the lowered org id (the `org_key`
    /// column answers for all others).
    AccountWords,
}

impl TermField {
    pub const ALL: [TermField; 12] = [
        TermField::Title,
        TermField::Description,
        TermField::Snippet,
        TermField::Url,
        TermField::Name,
        TermField::NameWhole,
        TermField::TypeWords,
        TermField::Tags,
        TermField::TypeKeywords,
        TermField::OwnerFolder,
        TermField::IdLowered,
        TermField::AccountWords,
    ];

    /// The stored code.
    pub fn code(self) -> i64 {
        match self {
            TermField::Title => 1,
            TermField::Description => 2,
            TermField::Snippet => 3,
            TermField::Url => 4,
            TermField::Name => 5,
            TermField::NameWhole => 6,
            TermField::TypeWords => 7,
            TermField::Tags => 8,
            TermField::TypeKeywords => 9,
            TermField::OwnerFolder => 10,
            TermField::IdLowered => 11,
            TermField::AccountWords => 12,
        }
    }
}

/// One row of the search index: `term` of `field` at `pos`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TermRow {
    pub field: TermField,
    pub pos: i64,
    pub term: String,
}

/// Lowered copies of single-valued fields, stored as item columns for matching and sorting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemKeys {
    pub owner_key: String,
    pub org_key: String,
    pub title_key: String,
    pub type_key: String,
}

pub fn item_keys(item: &Item) -> ItemKeys {
    ItemKeys {
        owner_key: lower(&item.owner),
        org_key: lower(&item.org_id),
        title_key: lower(&item.title),
        type_key: lower(&item.item_type),
    }
}

/// The index rows of an item (its groups and access live in other tables). Terms longer than
/// [`INDEXED_TERM_MAX`](super::limits::INDEXED_TERM_MAX) bytes are stored truncated
/// ([`indexed_term`]).
pub fn term_rows(item: &Item) -> Vec<TermRow> {
    let mut rows = Vec::new();
    let mut text = |field: TermField, value: &str| {
        for (pos, term) in words(value).into_iter().enumerate() {
            rows.push(TermRow {
                field,
                pos: pos as i64,
                term: indexed_term(term),
            });
        }
    };
    text(TermField::Title, &item.title);
    text(TermField::Description, &item.description);
    text(TermField::Snippet, &item.snippet);
    text(TermField::Url, &item.url);
    text(TermField::TypeWords, &item.item_type);
    if let Some(name) = item_name(item) {
        text(TermField::Name, name);
    }
    if let Some(folder) = &item.folder_id {
        text(TermField::OwnerFolder, folder);
    }
    let org_key = lower(&item.org_id);
    if words(&item.org_id) != [org_key] {
        text(TermField::AccountWords, &item.org_id);
    }
    let mut whole = |field: TermField, values: &[String]| {
        for (pos, value) in values.iter().enumerate() {
            rows.push(TermRow {
                field,
                pos: pos as i64,
                term: indexed_term(lower(value)),
            });
        }
    };
    whole(TermField::Tags, &item.tags);
    whole(TermField::TypeKeywords, &item.type_keywords);
    if let Some(name) = item_name(item) {
        whole(TermField::NameWhole, &[name.to_string()]);
    }
    if lower(&item.id) != item.id {
        whole(TermField::IdLowered, std::slice::from_ref(&item.id));
    }
    rows
}

/// What results are ordered by; ties are broken by id in the same direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemSortKey {
    /// The lowered title (`sortField=title` or `name`).
    Title,
    Owner,
    /// The lowered type.
    Type,
    Created,
    Modified,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemSort {
    pub key: ItemSortKey,
    pub descending: bool,
}

impl ItemSort {
    /// Without a sort field: newest first.
    pub const NEWEST_FIRST: ItemSort = ItemSort {
        key: ItemSortKey::Created,
        descending: true,
    };

    /// The order of a checked `sortField` (lower case); fields without a stored value (ratings,
    /// views) sort by creation.
    pub fn by_field(field: &str, descending: bool) -> ItemSort {
        let key = match field {
            "title" | "name" => ItemSortKey::Title,
            "owner" => ItemSortKey::Owner,
            "type" => ItemSortKey::Type,
            "modified" => ItemSortKey::Modified,
            _ => ItemSortKey::Created,
        };
        ItemSort { key, descending }
    }

    /// The in-memory order (the oracle of the database's `ORDER BY`).
    pub fn compare(&self, a: &Item, b: &Item) -> Ordering {
        let order = match self.key {
            ItemSortKey::Title => lower(&a.title).cmp(&lower(&b.title)),
            ItemSortKey::Owner => a.owner.cmp(&b.owner),
            ItemSortKey::Type => lower(&a.item_type).cmp(&lower(&b.item_type)),
            ItemSortKey::Created => a.created.cmp(&b.created),
            ItemSortKey::Modified => a.modified.cmp(&b.modified),
        }
        .then_with(|| a.id.cmp(&b.id));
        if self.descending {
            order.reverse()
        } else {
            order
        }
    }
}
