//! The item picker of the credentials wizard and the item-access editor: the owner's items
//! that a credential may be granted, searched and paged by the database (`Portal::search_items`)
//! so an owner with a million items reads one page of twenty. The selection travels in the
//! form: selected items are always listed (loaded by id, whatever page is shown), so paging
//! or searching never loses a choice. Everything works without JavaScript; `portal.js` only
//! keeps the counter current.

use keyportal_domain::credential::MAX_ITEM_ACCESS;
use keyportal_domain::ids::is_hex_id;
use keyportal_domain::item::ItemAccess;
use keyportal_service::{Caller, ItemView, Portal, SearchRequest, ServiceResult, SortOrder};

use crate::html::Html;
use crate::paging::{where_we_are, Pager};
use crate::pickers::{hidden, search_box};

/// Items on one page of the picker.
pub(crate) const PICKER_PER_PAGE: usize = 20;
/// Selected ids looked up per query (each `id:…` term is ~40 characters of a query that may
/// hold 2,048).
const IDS_PER_LOOKUP: usize = 40;
/// Selected ids looked up at all: more than the limit, so an over-long selection is still shown
/// to be cleared; beyond this the rest is carried along unseen.
const MOST_IDS_SHOWN: usize = 2 * MAX_ITEM_ACCESS;
/// Typed words searched for; a longer search is cut (the query language has a length limit).
const MOST_WORDS: usize = 12;

/// One of the owner's items, as the item picker shows it.
#[derive(Debug, Clone)]
pub(crate) struct PickItem {
    pub id: String,
    pub title: String,
    pub item_type: String,
    pub access: &'static str,
    /// Public items cannot be granted (every key can already read them).
    pub public: bool,
}

impl PickItem {
    fn of(view: ItemView) -> PickItem {
        PickItem {
            access: view.wire_access(),
            public: view.item.access == ItemAccess::Public,
            id: view.item.id,
            title: view.item.title,
            item_type: view.item.item_type,
        }
    }
}

/// Whose items the picker offers: the credential owner's, except the credential itself.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Owner<'a> {
    pub username: &'a str,
    pub exclude: Option<&'a str>,
}

impl Owner<'_> {
    fn clause(&self) -> String {
        // Usernames hold no quotes (validated), so the phrase cannot be broken out of.
        let mut q = format!("owner:\"{}\"", self.username);
        if let Some(id) = self.exclude.filter(|id| is_hex_id(id)) {
            q.push_str(&format!(" AND NOT id:{id}"));
        }
        q
    }

    /// Whether a found item really is one the owner may grant (the query already says so; this
    /// keeps the rule in one readable place).
    fn offers(&self, view: &ItemView) -> bool {
        view.item.owner == self.username && Some(view.item.id.as_str()) != self.exclude
    }
}

/// The search for what the member typed: every word (runs of letters and digits, as the search
/// index splits text) must begin a word of the title or type, or a tag; a whole item id also
/// finds its item. Only letters and digits reach the query, so nothing typed is syntax.
pub(crate) fn typed_search(owner: &Owner, typed: &str) -> String {
    let mut q = owner.clause();
    let words = typed
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(MOST_WORDS);
    for word in words {
        let word = word.to_lowercase();
        q.push_str(&format!(
            " AND (title:{word}* OR type:{word}* OR tags:{word}*"
        ));
        if is_hex_id(&word) {
            q.push_str(&format!(" OR id:{word}"));
        }
        q.push(')');
    }
    q
}

/// One page of the owner's items matching `typed`, newest first.
pub(crate) async fn search_page(
    portal: &Portal,
    caller: &Caller,
    owner: &Owner<'_>,
    typed: &str,
    pager: Pager,
) -> ServiceResult<(Vec<PickItem>, Pager)> {
    let request = SearchRequest {
        q: typed_search(owner, typed),
        start: pager.offset() + 1,
        num: pager.per_page,
        sort_field: Some("created".to_string()),
        sort_order: SortOrder::Desc,
    };
    let page = portal.search_items(caller, &request).await?;
    let pager = pager.with_total(page.total);
    let items = page
        .results
        .into_iter()
        .filter(|v| owner.offers(v))
        .map(PickItem::of)
        .collect();
    Ok((items, pager))
}

/// The items among `ids` that the owner may be granted access to (public ones included, to be
/// named in the refusal), found by id; ids that are not such items are simply absent.
pub(crate) async fn items_by_id(
    portal: &Portal,
    caller: &Caller,
    owner: &Owner<'_>,
    ids: &[String],
) -> ServiceResult<Vec<PickItem>> {
    let wanted: Vec<&String> = ids
        .iter()
        .filter(|id| is_hex_id(id))
        .take(MOST_IDS_SHOWN)
        .collect();
    let mut found = Vec::with_capacity(wanted.len());
    for chunk in wanted.chunks(IDS_PER_LOOKUP) {
        let terms: Vec<String> = chunk.iter().map(|id| format!("id:{id}")).collect();
        let request = SearchRequest {
            q: format!("{} AND ({})", owner.clause(), terms.join(" OR ")),
            start: 1,
            num: IDS_PER_LOOKUP,
            sort_field: None,
            sort_order: SortOrder::Desc,
        };
        let page = portal.search_items(caller, &request).await?;
        found.extend(
            page.results
                .into_iter()
                .filter(|v| owner.offers(v))
                .map(PickItem::of),
        );
    }
    Ok(found)
}

/// Checks an item selection: at most 100, each one of the owner's grantable items (`known`:
/// what [`items_by_id`] found for the selection).
pub(crate) fn check_item_choice(selected: &[String], known: &[PickItem]) -> Vec<String> {
    let mut problems = Vec::new();
    if selected.len() > MAX_ITEM_ACCESS {
        problems.push(too_many(selected.len()));
    }
    for id in selected {
        match known.iter().find(|i| &i.id == id) {
            _ if !is_hex_id(id) => problems.push("An item id is not valid.".to_string()),
            None => problems.push(format!(
                "Item {id} is not one of your items (it may have been deleted)."
            )),
            Some(i) if i.public => problems.push(format!(
                "\u{201c}{}\u{201d} is public: every key can already read it, so it cannot be granted.",
                i.title
            )),
            Some(_) => {}
        }
    }
    problems
}

fn too_many(selected: usize) -> String {
    format!(
        "Select at most {MAX_ITEM_ACCESS} items; {selected} are selected. Clear some under Selected items."
    )
}

/// What the picker shows: a page of search results, the selection and what is known of it.
pub(crate) struct PickerView<'a> {
    pub results: &'a [PickItem],
    pub pager: Pager,
    pub selected: &'a [String],
    /// The selected items that exist (titles, types, whether public).
    pub known: &'a [PickItem],
    /// The search as typed.
    pub q: &'a str,
}

/// The picker: search box, counter, the selected items (always), then one page of results
/// with Previous/Next buttons (form submissions, so the selection and search travel along).
pub(crate) fn item_picker(h: &mut Html, view: &PickerView) {
    let q = view.q.trim();
    search_box(
        h,
        "item-q",
        "Search your items",
        "Search your items by title, type, tag or id",
        q,
        None,
    );
    let over = view.selected.len() > MAX_ITEM_ACCESS;
    h.raw("<p class=\"counter")
        .raw(if over { " over" } else { "" })
        .raw("\" aria-live=\"polite\"><span data-count=\"item\" data-max=\"")
        .text(&MAX_ITEM_ACCESS.to_string())
        .raw("\">")
        .text(&view.selected.len().to_string())
        .raw("</span> of ")
        .text(&MAX_ITEM_ACCESS.to_string())
        .raw(" items selected</p>");
    if over {
        h.raw("<p class=\"field-error\" role=\"alert\">")
            .text(&too_many(view.selected.len()))
            .raw("</p>");
    }
    selected_items(h, view);
    results(h, view);
}

fn selected_items(h: &mut Html, view: &PickerView) {
    if view.selected.is_empty() {
        return;
    }
    h.raw("<fieldset class=\"picker items-picker selected-items\"><legend>Selected items</legend>");
    for (n, id) in view.selected.iter().enumerate() {
        if n >= MOST_IDS_SHOWN {
            hidden(h, "item", id);
            continue;
        }
        let known = view.known.iter().find(|i| &i.id == id);
        let input = format!("selected-{n}");
        h.raw("<div class=\"pick\"><input type=\"checkbox\" name=\"item\" data-counted=\"item\" checked id=\"")
            .text(&input)
            .raw("\" value=\"")
            .text(id)
            .raw("\"><label for=\"")
            .text(&input)
            .raw("\">");
        match known {
            Some(item) => {
                h.text(&item.title).raw("</label>");
                badges(h, item);
                if item.public {
                    h.raw(" Public items cannot be granted: clear this one.");
                }
            }
            None => {
                h.raw("Not one of your items (it may have been deleted)</label><p class=\"hint\"><code>")
                    .text(id)
                    .raw("</code> Clear this one.");
            }
        }
        h.raw("</p></div>");
    }
    h.raw("</fieldset>");
}

fn badges(h: &mut Html, item: &PickItem) {
    h.raw("<p class=\"hint\"><span class=\"badge\">")
        .text(&item.item_type)
        .raw("</span> <span class=\"badge\">")
        .text(item.access)
        .raw("</span>");
}

fn results(h: &mut Html, view: &PickerView) {
    let pager = &view.pager;
    if view.results.is_empty() {
        h.raw("<p class=\"empty\">")
            .raw(if !view.q.trim().is_empty() {
                "None of your items matches your search."
            } else if pager.page > 1 {
                "There are no more items."
            } else {
                "You have no items yet. Items you own appear here."
            })
            .raw("</p>");
    } else {
        h.raw("<fieldset class=\"picker items-picker\"><legend>")
            .raw(if view.q.trim().is_empty() {
                "Your items"
            } else {
                "Your items matching the search"
            })
            .raw("</legend>");
        for item in view.results {
            result_row(h, item, view.selected.contains(&item.id));
        }
        h.raw("</fieldset>");
    }
    if pager.pages() > 1 || pager.page > 1 {
        // Buttons, not links: the form (selection, search, the wizard's draft) goes along.
        h.raw("<nav class=\"pager\" aria-label=\"Pages of your items\">");
        if pager.page > 1 {
            page_button(
                h,
                pager.page.min(pager.pages() + 1) - 1,
                "\u{2039} Previous",
            );
        }
        where_we_are(h, pager, view.results.len());
        if pager.page < pager.pages() {
            page_button(h, pager.page + 1, "Next page \u{203a}");
        }
        h.raw("</nav>");
    }
}

fn page_button(h: &mut Html, page: usize, label: &'static str) {
    h.raw("<button type=\"submit\" name=\"item_page\" formnovalidate class=\"button secondary\" value=\"")
        .text(&page.to_string())
        .raw("\">")
        .raw(label)
        .raw("</button>");
}

/// A search result. A selected one is listed above with its checkbox, so here it only says so
/// (a second box for the same item could contradict the first).
fn result_row(h: &mut Html, item: &PickItem, selected: bool) {
    let input = format!("item-{}", item.id);
    h.raw("<div class=\"pick")
        .raw(if item.public { " unavailable" } else { "" })
        .raw("\"><input type=\"checkbox\" id=\"")
        .text(&input)
        .raw("\"");
    if selected {
        h.raw(" checked disabled");
    } else if item.public {
        h.raw(" disabled");
    } else {
        h.raw(" name=\"item\" data-counted=\"item\" value=\"")
            .text(&item.id)
            .raw("\"");
    }
    h.raw("><label for=\"")
        .text(&input)
        .raw("\">")
        .text(&item.title)
        .raw("</label>");
    badges(h, item);
    if selected {
        h.raw(" Selected: listed under Selected items.");
    } else if item.public {
        h.raw(" Public items cannot be granted: every key can already read them.");
    }
    h.raw("</p></div>");
}

/// The picker's page from a submitted form (`item_page`, set by its Previous/Next buttons).
pub(crate) fn asked_page(form_value: Option<&str>) -> Pager {
    Pager::asked(form_value, PICKER_PER_PAGE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyportal_domain::search::parse;

    fn item(id: &str, title: &str, public: bool) -> PickItem {
        PickItem {
            id: id.into(),
            title: title.into(),
            item_type: "Web Map".into(),
            access: if public { "public" } else { "private" },
            public,
        }
    }

    #[test]
    fn typed_words_become_prefix_terms_and_never_syntax() {
        let owner = Owner {
            username: "jane",
            exclude: Some(&"c".repeat(32)),
        };
        let q = typed_search(&owner, "Alpha) OR (owner:bob \"x");
        assert!(q.starts_with(&format!("owner:\"jane\" AND NOT id:{}", "c".repeat(32))));
        assert!(q.contains("(title:alpha* OR type:alpha* OR tags:alpha*)"));
        assert!(q.contains("(title:or* OR"));
        assert!(!q.contains("bob\"") && !q.contains("owner:bob"));
        parse(&q).expect("a valid query");
        let id = "ab".repeat(16);
        let by_id = typed_search(&owner, &id.to_uppercase());
        assert!(by_id.contains(&format!(" OR id:{id})")));
        parse(&by_id).expect("valid");
        // Many words are cut to stay within the query length limit.
        let long = typed_search(&owner, &"abcdefghijklmnopqrstuvwxyz ".repeat(40));
        parse(&long).expect("short enough");
        assert_eq!(typed_search(&owner, " ,; "), owner.clause());
    }

    #[test]
    fn item_choices_are_checked() {
        let id = "a".repeat(32);
        let public = "b".repeat(32);
        let known = vec![item(&id, "Mine", false), item(&public, "Open", true)];
        assert!(check_item_choice(std::slice::from_ref(&id), &known).is_empty());
        assert_eq!(check_item_choice(&[public], &known).len(), 1);
        assert_eq!(check_item_choice(&["c".repeat(32)], &known).len(), 1);
        assert_eq!(check_item_choice(&["../x".into()], &known).len(), 1);
        let many: Vec<String> = (0..101).map(|n| format!("{n:032x}")).collect();
        assert!(check_item_choice(&many, &known)[0].contains("at most 100"));
    }

    #[test]
    fn selected_items_are_listed_once_with_their_boxes_and_pages_are_buttons() {
        let a = "a".repeat(32);
        let gone = "d".repeat(32);
        let results = vec![
            item(&a, "Alpha <b>", false),
            item(&"e".repeat(32), "Echo", false),
        ];
        let known = vec![item(&a, "Alpha <b>", false)];
        let selected = vec![a.clone(), gone.clone()];
        let mut h = Html::new();
        item_picker(
            &mut h,
            &PickerView {
                results: &results,
                pager: asked_page(Some("2")).with_total(45),
                selected: &selected,
                known: &known,
                q: "",
            },
        );
        let html = h.into_string();
        assert!(!html.contains("<b>"));
        // Each selected id is one named, checked box; the result row of a selected item has none.
        assert_eq!(
            html.matches(&format!(
                "name=\"item\" data-counted=\"item\" checked id=\"selected-0\" value=\"{a}\""
            ))
            .count(),
            1
        );
        assert_eq!(html.matches(&format!("value=\"{a}\"")).count(), 1);
        assert!(html.contains(&format!("value=\"{gone}\"")));
        assert!(html.contains("Not one of your items"));
        assert!(html
            .contains("name=\"item_page\" formnovalidate class=\"button secondary\" value=\"1\""));
        assert!(html.contains("value=\"3\""));
        assert!(html.contains("Page 2 of 3"));
    }

    #[test]
    fn too_many_selected_items_are_said_at_once() {
        let selected: Vec<String> = (0..101).map(|n| format!("{n:032x}")).collect();
        let mut h = Html::new();
        item_picker(
            &mut h,
            &PickerView {
                results: &[],
                pager: asked_page(None),
                selected: &selected,
                known: &[],
                q: "",
            },
        );
        let html = h.into_string();
        assert!(html.contains("counter over"));
        assert!(html.contains("Select at most 100 items; 101 are selected."));
    }
}
