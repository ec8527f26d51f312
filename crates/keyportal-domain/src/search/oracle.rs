//! Item search done in memory: the matcher over every item, the visibility rule, the sort and
//! the page. The store answers searches in SQL; this is the reference its answers are tested
//! against (the differential test in the store's conformance suite), and how search worked
//! before it moved into the database.

use super::items::{ItemDoc, ItemSort};
use super::Query;
use crate::error::DomainError;
use crate::item::Item;
use crate::visibility::{can_view_item, Viewer};

/// An item with the groups it is shared with.
#[derive(Debug, Clone, Copy)]
pub struct Shared<'a> {
    pub item: &'a Item,
    pub group_ids: &'a [String],
}

/// The ids of one page (`offset` 0-based) of the items matching `query` that `viewer` may
/// see, and how many match in all. Refuses what item search refuses ([`Query::item_plan`]).
pub fn search_items(
    query: &Query,
    viewer: &Viewer,
    items: &[Shared<'_>],
    sort: ItemSort,
    offset: usize,
    limit: usize,
) -> Result<(Vec<String>, usize), DomainError> {
    query.item_plan()?;
    let mut found: Vec<&Item> = items
        .iter()
        .filter(|s| can_view_item(viewer, s.item, s.group_ids))
        .filter(|s| {
            query.matches(&ItemDoc {
                item: s.item,
                group_ids: s.group_ids,
            })
        })
        .map(|s| s.item)
        .collect();
    found.sort_by(|a, b| sort.compare(a, b));
    let total = found.len();
    let page = found
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(|item| item.id.clone())
        .collect();
    Ok((page, total))
}
