//! Item search: the query language of `search`, visibility, sorting and paging.

use keyportal_domain::search::items::ItemSort;
use keyportal_domain::search::{parse, Query};
use keyportal_domain::visibility::VisibleItems;
use keyportal_domain::DomainError;
use keyportal_store::ItemSearch;

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

/// The parsed `q` of a search; an empty `q` is refused ("'q' is required.").
pub(crate) fn required_query(q: &str) -> ServiceResult<Query> {
    if q.trim().is_empty() {
        return Err(
            DomainError::invalid_with("Invalid query.", vec!["'q' is required.".into()]).into(),
        );
    }
    Ok(parse(q)?)
}

/// The 1-based `start` and the `num` (at most 100) a request asks for.
pub(crate) fn paging(request: &SearchRequest) -> (usize, usize) {
    (request.start.max(1), request.num.min(100))
}

/// The page `results` (at 1-based `start`, `num` asked for) of `total` results.
pub(crate) fn page_of<T>(
    query: &str,
    results: Vec<T>,
    total: usize,
    start: usize,
    num: usize,
) -> Page<T> {
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
        let plan = required_query(&request.q)?.item_plan()?;
        let sort = match sort_key(request.sort_field.as_deref(), SORT_FIELDS)? {
            Some(field) => ItemSort::by_field(&field, request.sort_order == SortOrder::Desc),
            // Without a sort field: newest first, like a relevance-free portal listing.
            None => ItemSort::NEWEST_FIRST,
        };
        let visible = VisibleItems::of(&caller.viewer());
        let (start, num) = paging(request);
        let found = self
            .store
            .search_items(&ItemSearch {
                plan: &plan,
                visible: (!plan.implies_visible(&visible)).then_some(&visible),
                sort,
                offset: start - 1,
                limit: num,
            })
            .await?;
        let page = page_of(&request.q, found.items, found.total, start, num);
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
        let page = page_of("q", (1..=10).collect(), 25, 1, 10);
        assert_eq!(
            (page.total, page.next_start, page.results.len()),
            (25, 11, 10)
        );
        let last = page_of("q", vec![21, 22, 23, 24, 25], 25, 21, 10);
        assert_eq!(last.next_start, -1);
        let beyond = page_of("q", Vec::<i32>::new(), 5, 10, 10);
        assert_eq!((beyond.next_start, beyond.results.len()), (-1, 0));
        let none_asked = page_of("q", Vec::<i32>::new(), 5, 1, 0);
        assert_eq!(none_asked.next_start, -1);
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
