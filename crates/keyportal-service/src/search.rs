//! Item search: the query language of `search`, visibility, sorting and paging.

use std::borrow::Cow;
use std::cmp::Ordering;

use keyportal_domain::authz::{allows, Operation};
use keyportal_domain::search::{parse, Searchable};
use keyportal_domain::DomainError;
use keyportal_store::SharedItem;

use crate::caller::Caller;
use crate::error::ServiceResult;
use crate::items::ItemView;
use crate::Portal;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortOrder {
    Asc,
    Desc,
}

/// `q`, paging (1-based `start`, `num` ≤ 100) and sorting.
#[derive(Debug, Clone)]
pub struct SearchRequest {
    pub q: String,
    pub start: usize,
    pub num: usize,
    pub sort_field: Option<String>,
    pub sort_order: SortOrder,
}

/// One page of results in the ArcGIS search envelope's terms.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub query: String,
    pub total: usize,
    pub start: usize,
    pub num: usize,
    /// `-1` when there are no more results.
    pub next_start: i64,
    pub results: Vec<T>,
}

/// Cuts a sorted result list into the requested page.
pub(crate) fn paginate<T>(query: &str, all: Vec<T>, start: usize, num: usize) -> Page<T> {
    let total = all.len();
    let start = start.max(1);
    let num = num.min(100);
    let results: Vec<T> = all.into_iter().skip(start - 1).take(num).collect();
    let next = start + results.len();
    Page {
        query: query.to_string(),
        total,
        start,
        num,
        next_start: if num > 0 && next <= total {
            next as i64
        } else {
            -1
        },
        results,
    }
}

struct ItemDocument<'a>(&'a SharedItem);

const ITEM_DEFAULT_FIELDS: &[&str] = &[
    "title",
    "tags",
    "description",
    "snippet",
    "owner",
    "type",
    "typekeywords",
    "name",
];

impl Searchable for ItemDocument<'_> {
    fn field_values(&self, field: &str) -> Vec<Cow<'_, str>> {
        let item = &self.0.item;
        let one = |s: &'_ str| vec![Cow::Owned(s.to_string())];
        match field {
            "id" => vec![Cow::Borrowed(item.id.as_str())],
            "owner" => vec![Cow::Borrowed(item.owner.as_str())],
            "orgid" | "accountid" => vec![Cow::Borrowed(item.org_id.as_str())],
            "title" => vec![Cow::Borrowed(item.title.as_str())],
            "type" => vec![Cow::Borrowed(item.item_type.as_str())],
            "typekeywords" => item
                .type_keywords
                .iter()
                .map(|s| Cow::Borrowed(s.as_str()))
                .collect(),
            "tags" => item
                .tags
                .iter()
                .map(|s| Cow::Borrowed(s.as_str()))
                .collect(),
            "description" => vec![Cow::Borrowed(item.description.as_str())],
            "snippet" => vec![Cow::Borrowed(item.snippet.as_str())],
            "url" => vec![Cow::Borrowed(item.url.as_str())],
            "group" => self
                .0
                .group_ids
                .iter()
                .map(|s| Cow::Borrowed(s.as_str()))
                .collect(),
            "access" => one(item.access.wire(!self.0.group_ids.is_empty())),
            "created" => one(&item.created.to_string()),
            "modified" => one(&item.modified.to_string()),
            "ownerfolder" => item
                .folder_id
                .iter()
                .map(|s| Cow::Borrowed(s.as_str()))
                .collect(),
            "name" => item
                .extra
                .get("name")
                .and_then(|v| v.as_str())
                .map(|s| vec![Cow::Borrowed(s)])
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    fn default_fields(&self) -> &'static [&'static str] {
        ITEM_DEFAULT_FIELDS
    }
}

fn compare_items(field: &str, a: &SharedItem, b: &SharedItem) -> Ordering {
    let (a, b) = (&a.item, &b.item);
    match field {
        "title" | "name" => a.title.to_lowercase().cmp(&b.title.to_lowercase()),
        "owner" => a.owner.cmp(&b.owner),
        "type" => a.item_type.to_lowercase().cmp(&b.item_type.to_lowercase()),
        "modified" => a.modified.cmp(&b.modified),
        _ => a.created.cmp(&b.created),
    }
    .then_with(|| a.id.cmp(&b.id))
}

const SORT_FIELDS: &[&str] = &[
    "title",
    "name",
    "owner",
    "type",
    "created",
    "modified",
    "avgrating",
    "numratings",
    "numcomments",
    "numviews",
];

/// Checks `sortField`, which may list several comma-separated fields (the first decides).
pub(crate) fn sort_key(
    sort_field: Option<&str>,
    allowed: &[&str],
) -> ServiceResult<Option<String>> {
    let Some(first) = sort_field
        .and_then(|f| f.split(',').next())
        .map(|f| f.trim().to_ascii_lowercase())
        .filter(|f| !f.is_empty())
    else {
        return Ok(None);
    };
    if allowed.contains(&first.as_str()) {
        Ok(Some(first))
    } else {
        Err(DomainError::invalid_with(
            "Invalid sortField.",
            vec![format!(
                "'sortField' must be one of {}.",
                allowed.join(", ")
            )],
        )
        .into())
    }
}

impl Portal {
    /// `search`: items matching `q` that the caller may see.
    pub async fn search_items(
        &self,
        caller: &Caller,
        request: &SearchRequest,
    ) -> ServiceResult<Page<ItemView>> {
        if request.q.trim().is_empty() {
            return Err(DomainError::invalid_with(
                "Invalid query.",
                vec!["'q' is required.".into()],
            )
            .into());
        }
        let query = parse(&request.q)?;
        let sort = sort_key(request.sort_field.as_deref(), SORT_FIELDS)?;
        let viewer = caller.viewer();
        let mut matches: Vec<SharedItem> = self
            .store
            .list_all_items()
            .await?
            .into_iter()
            .filter(|s| {
                allows(
                    &viewer,
                    &Operation::ViewItem {
                        item: &s.item,
                        groups: &s.group_ids,
                    },
                )
            })
            .filter(|s| query.matches(&ItemDocument(s)))
            .collect();
        match sort {
            Some(ref field) => matches.sort_by(|a, b| compare_items(field, a, b)),
            // Without a sort field: newest first, like a relevance-free portal listing.
            None => matches.sort_by(|a, b| compare_items("created", b, a)),
        }
        if sort.is_some() && request.sort_order == SortOrder::Desc {
            matches.reverse();
        }
        let page = paginate(&request.q, matches, request.start, request.num);
        let mut results = Vec::with_capacity(page.results.len());
        for shared in page.results {
            results.push(self.with_slot_dates(self.view_item(caller, shared)).await?);
        }
        Ok(Page {
            query: page.query,
            total: page.total,
            start: page.start,
            num: page.num,
            next_start: page.next_start,
            results,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_report_next_start() {
        let page = paginate("q", (1..=25).collect(), 1, 10);
        assert_eq!(
            (page.total, page.next_start, page.results.len()),
            (25, 11, 10)
        );
        let last = paginate("q", (1..=25).collect(), 21, 10);
        assert_eq!(
            (last.next_start, last.results),
            (-1, vec![21, 22, 23, 24, 25])
        );
        let beyond = paginate("q", (1..=5).collect::<Vec<i32>>(), 10, 10);
        assert_eq!((beyond.next_start, beyond.results.len()), (-1, 0));
    }

    #[test]
    fn sort_fields_are_checked() {
        assert_eq!(
            sort_key(Some("Title"), SORT_FIELDS)
                .ok()
                .flatten()
                .as_deref(),
            Some("title")
        );
        assert_eq!(
            sort_key(Some("modified,title"), SORT_FIELDS)
                .ok()
                .flatten()
                .as_deref(),
            Some("modified")
        );
        assert!(sort_key(Some("1; DROP TABLE items"), SORT_FIELDS).is_err());
        assert_eq!(sort_key(None, SORT_FIELDS).ok().flatten(), None);
    }
}
