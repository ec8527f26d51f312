//! Editing a credential from its item page: privileges and item access, which invalidate its
//! API keys (and say so first); HTTP referrers are in `credential_referrers.rs`. Every change
//! goes through `Portal::update_app`, the rules of `oauth2/apps/{client_id}/update`: a changed
//! privilege set (item access included) deactivates both keys; a referrer change keeps them. The
//! item picker reads one page of the owner's items and the selected ones by id
//! (`item_picker.rs`).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use keyportal_domain::privilege::{self, item_access_target, PrivilegeSet, ITEM_ACCESS_PREFIX};
use keyportal_service::{AppChanges, AppView, ItemView};

use crate::html::{url_encode, Html};
use crate::item::slot_status;
use crate::item_picker::{
    asked_page, check_item_choice, item_picker, items_by_id, search_page, Owner, PickItem,
    PickerView,
};
use crate::layout::{hidden_csrf, notice};
use crate::paging::Pager;
use crate::pickers::{
    catalog_privileges, check_privilege_choice, item_ids, privilege_picker, FormList,
};
use crate::request::{
    credential_or_404, error_page, forbidden_csrf, message, page, redirect, Session,
};
use crate::session::csrf_ok;
use crate::{Routes, St, Web};

pub(crate) fn routes() -> Routes {
    Router::new()
        .route(
            "/home/item/{id}/edit/privileges",
            get(privileges_get).post(privileges_post),
        )
        .route(
            "/home/item/{id}/edit/item-access",
            get(items_get).post(items_post),
        )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Edit {
    Privileges,
    ItemAccess,
    Referrers,
    Addresses,
}

impl Edit {
    pub(crate) fn slug(self) -> &'static str {
        match self {
            Edit::Privileges => "privileges",
            Edit::ItemAccess => "item-access",
            Edit::Referrers => "referrers",
            Edit::Addresses => "addresses",
        }
    }

    pub(crate) fn title(self) -> &'static str {
        match self {
            Edit::Privileges => "Edit privileges",
            Edit::ItemAccess => "Edit item access",
            Edit::Referrers => "Edit referrers",
            Edit::Addresses => "Edit addresses",
        }
    }
}

/// A credential as an edit page needs it: the item, the registration and what its owner
/// holds (the rules are the owner's, even when an administrator edits).
pub(crate) struct Credential {
    pub session: Session,
    pub item: ItemView,
    pub app: AppView,
    pub held: PrivilegeSet,
}

pub(crate) async fn load(web: &Web, session: Session, id: &str) -> Result<Credential, Response> {
    let (item, app) = credential_or_404(web, &session, id).await?;
    let held = match web.portal.load_member(&app.app.owner).await {
        Ok(Some(owner)) => owner.privileges,
        Ok(None) => PrivilegeSet::new(),
        Err(e) => {
            return Err(error_page(
                Some(&session),
                StatusCode::BAD_REQUEST,
                &message(&e),
            ))
        }
    };
    Ok(Credential {
        session,
        item,
        app,
        held,
    })
}

pub(crate) fn head(h: &mut Html, item: &ItemView, edit: Edit) {
    h.raw("<nav class=\"crumbs\" aria-label=\"Breadcrumb\"><a href=\"/home/content\">My content</a> › <a href=\"/home/item/")
        .text(&url_encode(&item.item.id))
        .raw("\">")
        .text(&item.item.title)
        .raw("</a> › <span>")
        .raw(edit.title())
        .raw("</span></nav>");
}

pub(crate) fn item_url(item: &ItemView) -> String {
    format!("/home/item/{}", url_encode(&item.item.id))
}

pub(crate) fn form_start(h: &mut Html, c: &Credential, edit: Edit) {
    h.raw("<form method=\"post\" action=\"")
        .text(&format!("{}/edit/{}", item_url(&c.item), edit.slug()))
        .raw("\" class=\"card wizard\" aria-labelledby=\"edit-title\">");
    hidden_csrf(h, &c.session.csrf);
}

/// How many of the credential's keys work now.
fn active_keys(app: &AppView) -> usize {
    app.app
        .slots
        .iter()
        .filter(|s| slot_status(s, app.now) == "active")
        .count()
}

fn invalidation_warning(h: &mut Html, app: &AppView) {
    h.raw("<div class=\"notice warn\" role=\"note\"><strong>Saving a change invalidates both API keys of this credential.</strong> ");
    match active_keys(app) {
        0 => h.raw("It has no active key right now."),
        1 => h.raw("Its active key stops working immediately;"),
        _ => h.raw("Both of its active keys stop working immediately;"),
    };
    if active_keys(app) > 0 {
        h.raw(" applications using it need a newly generated key.");
    }
    h.raw("</div>");
}

fn hidden_list(h: &mut Html, name: &'static str, values: &[String]) {
    for v in values {
        h.raw("<input type=\"hidden\" name=\"")
            .raw(name)
            .raw("\" value=\"")
            .text(v)
            .raw("\">");
    }
}

/// What the item picker shows and knows: the selected (and current) items found by id, and the
/// page of search results.
struct Items {
    known: Vec<PickItem>,
    results: Vec<PickItem>,
    pager: Pager,
}

/// The edit form of privileges or item access.
fn picker_form(
    c: &Credential,
    edit: Edit,
    selected: &[String],
    items: &Items,
    q: &str,
    problems: &[String],
    info: Option<&str>,
) -> Html {
    let mut h = Html::new();
    head(&mut h, &c.item, edit);
    form_start(&mut h, c, edit);
    h.raw("<h1 id=\"edit-title\">")
        .raw(edit.title())
        .raw("</h1>");
    invalidation_warning(&mut h, &c.app);
    notice(&mut h, info, "ok");
    problem_list(&mut h, problems);
    match edit {
        Edit::Privileges => {
            h.raw("<p>Choose the privileges of the credential's API keys. Only privileges its owner holds can be selected.</p>");
            privilege_picker(&mut h, selected, &c.held, q);
        }
        _ => {
            h.raw("<p>Choose the items the credential's API keys may read: at most 100 of the owner's items shared privately, with groups or with the organization. Select none to remove all item access.</p>");
            item_picker(
                &mut h,
                &PickerView {
                    results: &items.results,
                    pager: items.pager,
                    selected,
                    known: &items.known,
                    q,
                },
            );
        }
    }
    h.raw("<div class=\"wizard-nav\"><button type=\"submit\" name=\"go\" value=\"review\" class=\"button\">Review changes</button><a class=\"cancel\" href=\"")
        .text(&item_url(&c.item))
        .raw("\">Cancel</a></div></form>");
    h
}

fn problem_list(h: &mut Html, problems: &[String]) {
    if problems.is_empty() {
        return;
    }
    h.raw("<div class=\"notice error\" role=\"alert\"><p><strong>Please correct the following:</strong></p><ul>");
    for p in problems {
        h.raw("<li>").text(p).raw("</li>");
    }
    h.raw("</ul></div>");
}

/// What is added and removed, in people's words.
fn describe(edit: Edit, values: &[String], items: &[PickItem]) -> Vec<(String, String)> {
    values
        .iter()
        .map(|v| match edit {
            Edit::Privileges => (
                privilege::lookup(v)
                    .map(|i| i.label.to_string())
                    .unwrap_or_default(),
                v.clone(),
            ),
            _ => (
                items
                    .iter()
                    .find(|i| &i.id == v)
                    .map(|i| i.title.clone())
                    .unwrap_or_else(|| "Item no longer available".to_string()),
                v.clone(),
            ),
        })
        .collect()
}

fn confirm_page(
    c: &Credential,
    edit: Edit,
    selected: &[String],
    before: &[String],
    items: &[PickItem],
) -> Html {
    let added: Vec<String> = selected
        .iter()
        .filter(|s| !before.contains(s))
        .cloned()
        .collect();
    let removed: Vec<String> = before
        .iter()
        .filter(|b| !selected.contains(b))
        .cloned()
        .collect();
    let mut h = Html::new();
    head(&mut h, &c.item, edit);
    form_start(&mut h, c, edit);
    h.raw("<h1 id=\"edit-title\">")
        .raw(match edit {
            Edit::Privileges => "Save the new privileges?",
            _ => "Save the new item access?",
        })
        .raw("</h1>");
    hidden_list(
        &mut h,
        if edit == Edit::Privileges {
            "priv"
        } else {
            "item"
        },
        selected,
    );
    h.raw("<div class=\"notice warn\" role=\"alert\"><strong>Both API keys of this credential will be invalidated.</strong> Any application using them stops working until you generate new keys on the item page and give them to it.</div>");
    for (title, list) in [("Added", &added), ("Removed", &removed)] {
        if list.is_empty() {
            continue;
        }
        h.raw("<h2>")
            .text(title)
            .raw("</h2><ul class=\"summary-list\">");
        for (label, value) in describe(edit, list, items) {
            h.raw("<li>")
                .text(&label)
                .raw(" <code>")
                .text(&value)
                .raw("</code></li>");
        }
        h.raw("</ul>");
    }
    h.raw("<div class=\"wizard-nav\"><button type=\"submit\" name=\"go\" value=\"save\" class=\"button danger\">Save and invalidate API keys</button><button type=\"submit\" name=\"go\" value=\"edit\" class=\"button secondary\">Back to editing</button><a class=\"cancel\" href=\"")
        .text(&item_url(&c.item))
        .raw("\">Cancel</a></div></form>");
    h
}

pub(crate) fn show(c: &Credential, status: StatusCode, edit: Edit, body: Html) -> Response {
    page(status, c.session.layout(edit.title()).render(body))
}

async fn privileges_get(State(web): St, session: Session, Path(id): Path<String>) -> Response {
    edit_get(&web, session, &id, Edit::Privileges).await
}

async fn items_get(State(web): St, session: Session, Path(id): Path<String>) -> Response {
    edit_get(&web, session, &id, Edit::ItemAccess).await
}

async fn privileges_post(
    State(web): St,
    session: Session,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    edit_post(&web, session, &id, Edit::Privileges, &body).await
}

async fn items_post(
    State(web): St,
    session: Session,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    edit_post(&web, session, &id, Edit::ItemAccess, &body).await
}

/// The current selection of `edit` (catalog privileges, or item ids).
fn current(app: &AppView, edit: Edit) -> Vec<String> {
    match edit {
        Edit::Privileges => catalog_privileges(&app.app.privileges)
            .into_iter()
            .map(str::to_string)
            .collect(),
        _ => item_ids(&app.app.privileges),
    }
}

/// The owner's items the credential may be granted (never the credential itself).
fn owner_of(c: &Credential) -> Owner<'_> {
    Owner {
        username: &c.app.app.owner,
        exclude: Some(&c.item.item.id),
    }
}

/// Finds the given items by id (for privileges, nothing to find).
async fn known_items(
    web: &Web,
    c: &Credential,
    edit: Edit,
    ids: &[String],
) -> Result<Items, Response> {
    let known = if edit == Edit::Privileges {
        Vec::new()
    } else {
        items_by_id(&web.portal, &c.session.caller, &owner_of(c), ids)
            .await
            .map_err(|e| error_page(Some(&c.session), StatusCode::BAD_REQUEST, &message(&e)))?
    };
    Ok(Items {
        known,
        results: Vec::new(),
        pager: asked_page(None),
    })
}

/// Reads the page of the owner's items the picker shows.
async fn with_results(
    web: &Web,
    c: &Credential,
    edit: Edit,
    mut items: Items,
    q: &str,
    pager: Pager,
) -> Result<Items, Response> {
    if edit == Edit::Privileges {
        return Ok(items);
    }
    let (results, pager) = search_page(&web.portal, &c.session.caller, &owner_of(c), q, pager)
        .await
        .map_err(|e| error_page(Some(&c.session), StatusCode::BAD_REQUEST, &message(&e)))?;
    items.results = results;
    items.pager = pager;
    Ok(items)
}

async fn edit_get(web: &Web, session: Session, id: &str, edit: Edit) -> Response {
    let c = match load(web, session, id).await {
        Ok(c) => c,
        Err(response) => return response,
    };
    let selected = current(&c.app, edit);
    let items = match known_items(web, &c, edit, &selected).await {
        Ok(items) => with_results(web, &c, edit, items, "", asked_page(None)).await,
        Err(response) => Err(response),
    };
    let items = match items {
        Ok(items) => items,
        Err(response) => return response,
    };
    let body = picker_form(&c, edit, &selected, &items, "", &[], None);
    show(&c, StatusCode::OK, edit, body)
}

/// Sorted copies, to compare selections regardless of order.
fn same_set(a: &[String], b: &[String]) -> bool {
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort();
    b.sort();
    a == b
}

async fn edit_post(web: &Web, session: Session, id: &str, edit: Edit, body: &[u8]) -> Response {
    let c = match load(web, session, id).await {
        Ok(c) => c,
        Err(response) => return response,
    };
    let form = FormList::parse(body);
    if !csrf_ok(&c.session.csrf, form.get("csrf")) {
        return forbidden_csrf(Some(&c.session));
    }
    let selected: Vec<String> = match edit {
        Edit::Privileges => form.all("priv"),
        _ => form
            .all("item")
            .into_iter()
            .map(|i| i.to_ascii_lowercase())
            .collect(),
    };
    let before = current(&c.app, edit);
    // The selection and the current access, to check the one and name both on the
    // confirmation.
    let mut wanted = selected.clone();
    wanted.extend(before.iter().filter(|b| !selected.contains(b)).cloned());
    let items = match known_items(web, &c, edit, &wanted).await {
        Ok(items) => items,
        Err(response) => return response,
    };
    let q = form.text("q");
    let problems = match edit {
        Edit::Privileges => check_privilege_choice(&selected, &c.held),
        _ => check_item_choice(&selected, &items.known),
    };
    let go = form.text("go");
    // The picker again: a search (first page), a page button, Back to editing, or a refusal.
    let picker = |items: Items, pager: Pager, problems: Vec<String>, info: Option<&'static str>| {
        let q = q.clone();
        let selected = selected.clone();
        let c = &c;
        async move {
            match with_results(web, c, edit, items, &q, pager).await {
                Ok(items) => {
                    let status = if problems.is_empty() {
                        StatusCode::OK
                    } else {
                        StatusCode::BAD_REQUEST
                    };
                    let body = picker_form(c, edit, &selected, &items, &q, &problems, info);
                    show(c, status, edit, body)
                }
                Err(response) => response,
            }
        }
    };
    let page_asked = form.get("item_page");
    if go == "search" || go == "edit" || page_asked.is_some() {
        let pager = if go == "search" {
            asked_page(None)
        } else {
            asked_page(page_asked)
        };
        return picker(items, pager, Vec::new(), None).await;
    }
    if !problems.is_empty() {
        return picker(items, asked_page(None), problems, None).await;
    }
    if same_set(&selected, &before) {
        return picker(
            items,
            asked_page(None),
            Vec::new(),
            Some("Nothing to save: the selection is the same as now. The API keys are unchanged."),
        )
        .await;
    }
    if go != "save" {
        let body = confirm_page(&c, edit, &selected, &before, &items.known);
        return show(&c, StatusCode::OK, edit, body);
    }
    // The other half of the privilege list stays as it is.
    let mut privileges: Vec<String> = c
        .app
        .app
        .privileges
        .iter()
        .filter(|p| match edit {
            Edit::Privileges => item_access_target(p).is_some(),
            _ => item_access_target(p).is_none(),
        })
        .cloned()
        .collect();
    privileges.extend(selected.iter().map(|s| match edit {
        Edit::Privileges => s.clone(),
        _ => format!("{ITEM_ACCESS_PREFIX}{s}"),
    }));
    let changes = AppChanges {
        privileges: Some(privileges),
        ..AppChanges::default()
    };
    match web
        .portal
        .update_app(&c.session.caller, &c.app.app.client_id, changes)
        .await
    {
        Ok(_) => redirect(&format!(
            "{}?notice={}",
            item_url(&c.item),
            url_encode(match edit {
                Edit::Privileges => "Privileges saved. Both API keys were invalidated: generate new keys in Settings.",
                _ => "Item access saved. Both API keys were invalidated: generate new keys in Settings.",
            })
        )),
        Err(e) => picker(items, asked_page(None), vec![message(&e)], None).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selections_compare_as_sets() {
        assert!(same_set(
            &["b".into(), "a".into()],
            &["a".into(), "b".into()]
        ));
        assert!(!same_set(&["a".into()], &["a".into(), "b".into()]));
    }

    #[test]
    fn edit_urls() {
        assert_eq!(Edit::Privileges.slug(), "privileges");
        assert_eq!(Edit::ItemAccess.slug(), "item-access");
        assert_eq!(Edit::Referrers.slug(), "referrers");
    }
}
