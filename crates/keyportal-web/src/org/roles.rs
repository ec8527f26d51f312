//! Roles: the built-in roles (read-only) and custom roles, created and edited with the privilege
//! catalog grouped by category. The privilege filter is a server-side form action, so it works
//! without JavaScript and never loses what was ticked.

use std::collections::{BTreeSet, HashMap};

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use keyportal_domain::privilege::{PrivilegeInfo, CATALOG};
use keyportal_domain::role::Role;

use super::{lowest_user_type, needs_creator, status_of, Admin};
use crate::html::{url_encode, Html};
use crate::layout::{date, hidden_csrf, notice, org_tabs, OrgTab};
use crate::request::{error_page, forbidden_csrf, message, page, redirect, Session};
use crate::session::csrf_ok;
use crate::{Routes, St, Web};

const ROLES: &str = "/home/organization/roles";
const NEW_ROLE: &str = "/home/organization/roles/new";

pub(super) fn routes() -> Routes {
    Router::new()
        .route(ROLES, get(roles))
        .route(NEW_ROLE, get(new_role).post(save_new_role))
        .route("/home/organization/roles/{id}", get(role).post(save_role))
        .route(
            "/home/organization/roles/{id}/delete",
            get(confirm_delete).post(delete),
        )
}

fn role_path(id: &str) -> String {
    format!("{ROLES}/{}", url_encode(id))
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// How many members hold each role (by role id), counted by the database.
async fn holders(web: &Web, session: &Session) -> HashMap<String, usize> {
    web.portal
        .count_members_by_role(&session.caller)
        .await
        .unwrap_or_default()
}

// ------------------------------------------------------------------------------ the list

async fn roles(
    State(web): St,
    Admin(session): Admin,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let (roles, error) = match web.portal.list_roles(&session.caller).await {
        Ok(roles) => (roles, None),
        Err(e) => (Vec::new(), Some(message(&e))),
    };
    let counts = holders(&web, &session).await;
    let body = roles_body(
        &roles,
        &counts,
        query.get("notice").map(String::as_str),
        error.as_deref(),
    );
    page(StatusCode::OK, session.layout("Roles").render(body))
}

pub(crate) fn roles_body(
    roles: &[Role],
    counts: &HashMap<String, usize>,
    ok: Option<&str>,
    error: Option<&str>,
) -> Html {
    let held = |role: &Role| counts.get(&role.id).copied().unwrap_or(0);
    let mut h = Html::new();
    h.raw("<div class=\"org\"><div class=\"page-head\"><h1>Organization</h1></div>");
    org_tabs(&mut h, OrgTab::Roles);
    notice(&mut h, ok, "ok");
    notice(&mut h, error, "error");

    let custom: Vec<&Role> = roles.iter().filter(|r| !r.built_in).collect();
    h.raw("<section class=\"org-panel\" aria-labelledby=\"custom-title\"><div class=\"org-head\"><h2 id=\"custom-title\">Custom roles</h2>")
        .raw("<a class=\"button\" href=\"/home/organization/roles/new\">Create role</a></div>");
    if custom.is_empty() {
        h.raw("<p class=\"empty\">No custom roles yet. Create one to give members exactly the privileges they need.</p>");
    } else {
        h.raw("<table class=\"list org-roles\"><caption class=\"visually-hidden\">Custom roles</caption><thead><tr>")
            .raw("<th scope=\"col\">Name</th><th scope=\"col\">Description</th><th scope=\"col\">Privileges</th>")
            .raw("<th scope=\"col\">Members</th><th scope=\"col\">Modified</th><th scope=\"col\"><span class=\"visually-hidden\">Actions</span></th></tr></thead><tbody>");
        for role in custom {
            let path = role_path(&role.id);
            h.raw("<tr><td data-label=\"Name\"><a href=\"")
                .text(&path)
                .raw("\">")
                .text(&role.name)
                .raw("</a>");
            if needs_creator(role) {
                h.raw(" <span class=\"badge\">Creator and up</span>");
            }
            h.raw("</td><td data-label=\"Description\">")
                .text(&role.description)
                .raw("</td><td data-label=\"Privileges\">")
                .text(&role.privileges.len().to_string())
                .raw("</td><td data-label=\"Members\">");
            members_link(&mut h, role, held(role));
            h.raw("</td><td data-label=\"Modified\">")
                .text(&date(role.modified))
                .raw("</td><td data-label=\"Actions\" class=\"org-actions\"><a href=\"")
                .text(&path)
                .raw("\">Edit<span class=\"visually-hidden\"> ")
                .text(&role.name)
                .raw("</span></a> <a class=\"danger-link\" href=\"")
                .text(&format!("{path}/delete"))
                .raw("\">Delete<span class=\"visually-hidden\"> ")
                .text(&role.name)
                .raw("</span></a></td></tr>");
        }
        h.raw("</tbody></table>");
    }
    h.raw("</section>");

    h.raw("<section class=\"org-panel\" aria-labelledby=\"builtin-title\"><h2 id=\"builtin-title\">Built-in roles</h2>")
        .raw("<p class=\"hint\">Built-in roles cannot be changed. Open one to see its privileges.</p>")
        .raw("<table class=\"list org-roles\"><caption class=\"visually-hidden\">Built-in roles</caption><thead><tr>")
        .raw("<th scope=\"col\">Name</th><th scope=\"col\">Description</th><th scope=\"col\">Privileges</th><th scope=\"col\">Members</th><th scope=\"col\">User type</th></tr></thead><tbody>");
    for role in roles.iter().filter(|r| r.built_in) {
        h.raw("<tr><td data-label=\"Name\"><a href=\"")
            .text(&role_path(&role.id))
            .raw("\">")
            .text(&role.name)
            .raw("</a></td><td data-label=\"Description\">")
            .text(&role.description)
            .raw("</td><td data-label=\"Privileges\">")
            .text(&role.privileges.len().to_string())
            .raw("</td><td data-label=\"Members\">");
        members_link(&mut h, role, held(role));
        h.raw("</td><td data-label=\"User type\">")
            .raw(if needs_creator(role) {
                "Creator and up"
            } else {
                "Any"
            })
            .raw("</td></tr>");
    }
    h.raw("</tbody></table></section></div>");
    h
}

fn members_link(h: &mut Html, role: &Role, count: usize) {
    if count == 0 {
        h.raw("0");
    } else {
        h.raw("<a href=\"")
            .text(&format!("/home/organization?role={}", url_encode(&role.id)))
            .raw("\">")
            .text(&count.to_string())
            .raw("</a>");
    }
}

// ------------------------------------------------------------------------------ the editor

/// The role editor's state: what the form shows, rebuilt from a submission when the page is
/// shown again (filtering, or a refusal).
#[derive(Default)]
pub(crate) struct RoleForm {
    /// `None` while creating.
    pub id: Option<String>,
    pub name: String,
    pub description: String,
    pub privileges: BTreeSet<String>,
    /// The privilege filter.
    pub q: String,
}

impl RoleForm {
    fn of(role: &Role) -> RoleForm {
        RoleForm {
            id: Some(role.id.clone()),
            name: role.name.clone(),
            description: role.description.clone(),
            privileges: role.privileges.iter().map(str::to_string).collect(),
            q: String::new(),
        }
    }

    /// Reads a submission (privileges arrive as repeated `privilege` fields).
    fn from_fields(id: Option<String>, fields: &[(String, String)]) -> RoleForm {
        let mut form = RoleForm {
            id,
            ..Default::default()
        };
        for (key, value) in fields {
            match key.as_str() {
                "name" => form.name = value.trim().to_string(),
                "description" => form.description = value.trim().to_string(),
                "q" => form.q = value.trim().to_string(),
                "privilege" => {
                    form.privileges.insert(value.clone());
                }
                _ => {}
            }
        }
        form
    }
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Whether a catalog entry matches the filter text (label, description, string or category).
fn matches(info: &PrivilegeInfo, q: &str) -> bool {
    let q = q.to_lowercase();
    q.is_empty()
        || [info.label, info.description, info.string, info.category]
            .iter()
            .any(|t| t.to_lowercase().contains(&q))
}

async fn new_role(
    State(_web): St,
    Admin(session): Admin,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let form = RoleForm {
        q: query
            .get("q")
            .map(|q| q.trim().to_string())
            .unwrap_or_default(),
        ..Default::default()
    };
    editor_page(&session, &form, None, StatusCode::OK)
}

async fn role(
    State(web): St,
    Admin(session): Admin,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let role = match web.portal.get_role(&session.caller, &id).await {
        Ok(role) => role,
        Err(e) => return error_page(Some(&session), status_of(&e), &message(&e)),
    };
    if role.built_in {
        let held = holders(&web, &session)
            .await
            .get(&role.id)
            .copied()
            .unwrap_or(0);
        let body = built_in_body(&role, held);
        return page(StatusCode::OK, session.layout(&role.name).render(body));
    }
    let mut form = RoleForm::of(&role);
    form.q = query
        .get("q")
        .map(|q| q.trim().to_string())
        .unwrap_or_default();
    editor_page(&session, &form, None, StatusCode::OK)
}

fn editor_page(
    session: &Session,
    form: &RoleForm,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let title = if form.id.is_some() {
        "Edit role"
    } else {
        "Create role"
    };
    let body = editor_body(&session.csrf, form, error);
    page(status, session.layout(title).render(body))
}

/// What a submission of the editor asks for.
enum EditorAction {
    Filter,
    ShowAll,
    Save,
}

fn editor_action(fields: &[(String, String)]) -> EditorAction {
    match field(fields, "action") {
        Some("filter") => EditorAction::Filter,
        Some("clear") => EditorAction::ShowAll,
        _ => EditorAction::Save,
    }
}

async fn save_new_role(
    State(web): St,
    Admin(session): Admin,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    if !csrf_ok(&session.csrf, field(&fields, "csrf")) {
        return forbidden_csrf(Some(&session));
    }
    let mut form = RoleForm::from_fields(None, &fields);
    match editor_action(&fields) {
        EditorAction::Filter => editor_page(&session, &form, None, StatusCode::OK),
        EditorAction::ShowAll => {
            form.q.clear();
            editor_page(&session, &form, None, StatusCode::OK)
        }
        EditorAction::Save => {
            let privileges: Vec<String> = form.privileges.iter().cloned().collect();
            match web
                .portal
                .create_role(&session.caller, &form.name, &form.description, privileges)
                .await
            {
                Ok(role) => redirect(&format!(
                    "{ROLES}?notice={}",
                    url_encode(&format!(
                        "Role \u{201c}{}\u{201d} created with {}. Assign it to members on their pages.",
                        role.name,
                        plural(role.privileges.len(), "privilege", "privileges")
                    ))
                )),
                Err(e) => {
                    let text = format!("The role was not created: {}", message(&e));
                    editor_page(&session, &form, Some(&text), status_of(&e))
                }
            }
        }
    }
}

async fn save_role(
    State(web): St,
    Admin(session): Admin,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    if !csrf_ok(&session.csrf, field(&fields, "csrf")) {
        return forbidden_csrf(Some(&session));
    }
    let mut form = RoleForm::from_fields(Some(id.clone()), &fields);
    match editor_action(&fields) {
        EditorAction::Filter => return editor_page(&session, &form, None, StatusCode::OK),
        EditorAction::ShowAll => {
            form.q.clear();
            return editor_page(&session, &form, None, StatusCode::OK);
        }
        EditorAction::Save => {}
    }
    let portal = &web.portal;
    let privileges: Vec<String> = form.privileges.iter().cloned().collect();
    // Name and description first: a duplicate name is the likeliest refusal, and it should
    // leave the privileges untouched.
    let saved = match portal
        .update_role(
            &session.caller,
            &id,
            Some(&form.name),
            Some(&form.description),
        )
        .await
    {
        Ok(_) => {
            portal
                .set_role_privileges(&session.caller, &id, privileges)
                .await
        }
        Err(e) => Err(e),
    };
    match saved {
        Ok(role) => redirect(&format!(
            "{ROLES}?notice={}",
            url_encode(&format!(
                "Role \u{201c}{}\u{201d} saved with {}. Members holding it have the new privileges at once.",
                role.name,
                plural(role.privileges.len(), "privilege", "privileges")
            ))
        )),
        Err(e) => {
            let text = format!("The role was not saved: {}", message(&e));
            editor_page(&session, &form, Some(&text), status_of(&e))
        }
    }
}

pub(crate) fn editor_body(csrf: &str, form: &RoleForm, error: Option<&str>) -> Html {
    let action = match &form.id {
        Some(id) => role_path(id),
        None => NEW_ROLE.to_string(),
    };
    let mut h = Html::new();
    h.raw("<div class=\"org\"><nav class=\"crumbs\" aria-label=\"Breadcrumb\"><a href=\"/home/organization\">Organization</a> \u{203a} <a href=\"/home/organization/roles\">Roles</a> \u{203a} ");
    match &form.id {
        Some(_) => h.text(&form.name),
        None => h.raw("New role"),
    };
    h.raw("</nav><section class=\"card org-editor\" aria-labelledby=\"editor-title\"><h1 id=\"editor-title\">");
    match &form.id {
        Some(_) => h.raw("Edit role"),
        None => h.raw("Create role"),
    };
    h.raw("</h1>");
    notice(&mut h, error, "error");
    h.raw("<form method=\"post\" action=\"")
        .text(&action)
        .raw("\">");
    hidden_csrf(&mut h, csrf);
    h.raw("<label for=\"role-name\">Name</label><input id=\"role-name\" name=\"name\" required maxlength=\"128\" autocomplete=\"off\" value=\"")
        .text(&form.name)
        .raw("\"><label for=\"role-description\">Description <span class=\"muted\">(optional)</span></label>")
        .raw("<textarea id=\"role-description\" name=\"description\" rows=\"2\" maxlength=\"1024\">")
        .text(&form.description)
        .raw("</textarea>");

    let shown: Vec<&PrivilegeInfo> = CATALOG.iter().filter(|i| matches(i, &form.q)).collect();
    h.raw("<h2 class=\"org-privs-title\">Privileges</h2><p class=\"hint\" id=\"privs-count\">")
        .text(&format!(
            "{} selected of {}. Open a category to choose its privileges. Badges name the lowest user type that can use a privilege; members of lower types do not get it.",
            form.privileges.len(),
            CATALOG.len()
        ))
        .raw("</p><div class=\"org-privs-filter\" role=\"search\"><label for=\"privs-q\">Filter privileges</label><div class=\"row\">")
        .raw("<input id=\"privs-q\" name=\"q\" type=\"search\" placeholder=\"e.g. geocode, admin, items\" data-filter=\"role-privileges\" value=\"")
        .text(&form.q)
        .raw("\"><button type=\"submit\" name=\"action\" value=\"filter\" class=\"button secondary\">Filter</button>");
    if !form.q.is_empty() {
        h.raw("<button type=\"submit\" name=\"action\" value=\"clear\" class=\"button secondary\">Show all</button>");
    }
    h.raw("</div>");
    if !form.q.is_empty() {
        h.raw("<p class=\"hint\" role=\"status\">")
            .text(&format!(
                "{} match \u{201c}{}\u{201d}. Selected privileges that are not shown stay selected.",
                plural(shown.len(), "privilege", "privileges"),
                form.q
            ))
            .raw("</p>");
    }
    h.raw("</div>");

    // Ticked privileges the filter hides still travel with the form.
    for p in &form.privileges {
        if !shown.iter().any(|i| i.string == p) {
            h.raw("<input type=\"hidden\" name=\"privilege\" value=\"")
                .text(p)
                .raw("\">");
        }
    }
    if shown.is_empty() {
        h.raw("<p class=\"empty\">No privileges match the filter.</p>");
    }
    let mut categories: Vec<&str> = Vec::new();
    for info in &shown {
        if !categories.contains(&info.category) {
            categories.push(info.category);
        }
    }
    h.raw("<div data-filter-list=\"role-privileges\">");
    for category in categories {
        let in_category: Vec<&&PrivilegeInfo> =
            shown.iter().filter(|i| i.category == category).collect();
        let ticked = in_category
            .iter()
            .filter(|i| form.privileges.contains(i.string))
            .count();
        // Categories fold away so the catalog stays short; those with ticked privileges, and
        // every category while filtering, start open. The legend names the group for screen
        // readers; the summary shows it to everyone.
        let open = ticked > 0 || !form.q.is_empty();
        h.raw("<details class=\"org-category\" data-filter-group")
            .raw(if open { " open" } else { "" })
            .raw("><summary>")
            .text(category)
            .raw(" <span class=\"muted\">")
            .text(&format!("({ticked} of {} selected)", in_category.len()))
            .raw("</span></summary><fieldset><legend class=\"visually-hidden\">")
            .text(category)
            .raw("</legend><ul class=\"org-privs\">");
        for info in in_category {
            let index = CATALOG
                .iter()
                .position(|i| i.string == info.string)
                .unwrap_or_default();
            let id = format!("priv-{index}");
            h.raw("<li data-filter-text=\"")
                .text(
                    &format!(
                        "{} {} {} {}",
                        info.label, info.description, info.string, info.category
                    )
                    .to_lowercase(),
                )
                .raw("\"><input type=\"checkbox\" name=\"privilege\" id=\"")
                .text(&id)
                .raw("\" value=\"")
                .text(info.string)
                .raw("\" aria-describedby=\"")
                .text(&format!("{id}-desc"))
                .raw("\"")
                .raw(if form.privileges.contains(info.string) {
                    " checked"
                } else {
                    ""
                })
                .raw("><div><label for=\"")
                .text(&id)
                .raw("\">")
                .text(info.label)
                .raw("</label> <span class=\"badge\">")
                .text(&format!("{} and up", lowest_user_type(info).label()))
                .raw("</span><p class=\"hint\" id=\"")
                .text(&format!("{id}-desc"))
                .raw("\">")
                .text(info.description)
                .raw(" <code>")
                .text(info.string)
                .raw("</code></p></div></li>");
        }
        h.raw("</ul></fieldset></details>");
    }
    h.raw("</div>");
    h.raw("<div class=\"actions org-save\"><button type=\"submit\" name=\"action\" value=\"save\" class=\"button\">");
    match &form.id {
        Some(_) => h.raw("Save role"),
        None => h.raw("Create role"),
    };
    h.raw("</button><a class=\"button secondary\" href=\"/home/organization/roles\">Cancel</a></div></form></section></div>");
    h
}

pub(crate) fn built_in_body(role: &Role, held: usize) -> Html {
    let mut h = Html::new();
    h.raw("<div class=\"org\"><nav class=\"crumbs\" aria-label=\"Breadcrumb\"><a href=\"/home/organization\">Organization</a> \u{203a} <a href=\"/home/organization/roles\">Roles</a> \u{203a} ")
        .text(&role.name)
        .raw("</nav><section class=\"card\" aria-labelledby=\"role-title\"><div class=\"page-head\"><h1 id=\"role-title\">")
        .text(&role.name)
        .raw("</h1><span class=\"badge\">Built-in</span></div><p>")
        .text(&role.description)
        .raw("</p><p class=\"hint\">")
        .text(&format!(
            "{}; held by {}. {}",
            plural(role.privileges.len(), "privilege", "privileges"),
            plural(held, "member", "members"),
            if needs_creator(role) {
                "Members with this role need a Creator or Professional user type."
            } else {
                "Any user type may hold this role; the user type limits what it allows."
            }
        ))
        .raw(" Built-in roles cannot be changed: create a custom role to choose privileges.</p>");
    let mut categories: Vec<&str> = Vec::new();
    for info in CATALOG
        .iter()
        .filter(|i| role.privileges.contains(i.string))
    {
        if !categories.contains(&info.category) {
            categories.push(info.category);
        }
    }
    for category in categories {
        h.raw("<h2 class=\"org-category-title\">")
            .text(category)
            .raw("</h2><ul class=\"org-privs read-only\">");
        for info in CATALOG
            .iter()
            .filter(|i| i.category == category && role.privileges.contains(i.string))
        {
            h.raw("<li><div><strong>")
                .text(info.label)
                .raw("</strong> <span class=\"badge\">")
                .text(&format!("{} and up", lowest_user_type(info).label()))
                .raw("</span><p class=\"hint\">")
                .text(info.description)
                .raw(" <code>")
                .text(info.string)
                .raw("</code></p></div></li>");
        }
        h.raw("</ul>");
    }
    h.raw("<p><a class=\"button secondary\" href=\"/home/organization/roles\">Back to roles</a></p></section></div>");
    h
}

// ------------------------------------------------------------------------------ deleting

async fn confirm_delete(State(web): St, Admin(session): Admin, Path(id): Path<String>) -> Response {
    delete_page(&web, &session, &id, None, StatusCode::OK).await
}

async fn delete_page(
    web: &Web,
    session: &Session,
    id: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let role = match web.portal.get_role(&session.caller, id).await {
        Ok(role) => role,
        Err(e) => return error_page(Some(session), status_of(&e), &message(&e)),
    };
    if role.built_in {
        return error_page(
            Some(session),
            StatusCode::BAD_REQUEST,
            "Built-in roles cannot be changed or deleted.",
        );
    }
    let held = holders(web, session)
        .await
        .get(&role.id)
        .copied()
        .unwrap_or(0);
    let body = delete_body(&session.csrf, &role, held, error);
    page(status, session.layout("Delete role").render(body))
}

async fn delete(
    State(web): St,
    Admin(session): Admin,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    if !csrf_ok(&session.csrf, field(&fields, "csrf")) {
        return forbidden_csrf(Some(&session));
    }
    let name = web
        .portal
        .get_role(&session.caller, &id)
        .await
        .map(|r| r.name)
        .unwrap_or_default();
    match web.portal.delete_role(&session.caller, &id).await {
        Ok(()) => redirect(&format!(
            "{ROLES}?notice={}",
            url_encode(&format!("Role \u{201c}{name}\u{201d} was deleted."))
        )),
        Err(e) => {
            let text = format!("The role was not deleted: {}", message(&e));
            delete_page(&web, &session, &id, Some(&text), status_of(&e)).await
        }
    }
}

fn delete_body(csrf: &str, role: &Role, held: usize, error: Option<&str>) -> Html {
    let path = role_path(&role.id);
    let mut h = Html::new();
    h.raw("<div class=\"org\"><nav class=\"crumbs\" aria-label=\"Breadcrumb\"><a href=\"/home/organization\">Organization</a> \u{203a} <a href=\"/home/organization/roles\">Roles</a> \u{203a} ")
        .text(&role.name)
        .raw("</nav><section class=\"card narrow\" aria-labelledby=\"delete-title\"><h1 id=\"delete-title\">Delete role</h1>");
    notice(&mut h, error, "error");
    h.raw("<p>This deletes the role <strong>")
        .text(&role.name)
        .raw("</strong>. <strong>It cannot be undone.</strong></p>");
    if held > 0 {
        h.raw("<div class=\"notice warn\"><a href=\"")
            .text(&format!("/home/organization?role={}", url_encode(&role.id)))
            .raw("\">")
            .text(&plural(held, "member holds", "members hold"))
            .raw("</a> this role. A role in use cannot be deleted: give them another role first.</div>");
    }
    h.raw("<form method=\"post\" action=\"")
        .text(&format!("{path}/delete"))
        .raw("\">");
    hidden_csrf(&mut h, csrf);
    h.raw("<div class=\"actions\"><button type=\"submit\" class=\"button danger\">Delete role</button><a class=\"button secondary\" href=\"/home/organization/roles\">Cancel</a></div></form></section></div>");
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn submissions_keep_every_ticked_privilege() {
        let fields: Vec<(String, String)> = [
            ("name", " Key makers "),
            ("privilege", "portal:user:createItem"),
            ("privilege", "portal:user:generateApiTokens"),
            ("q", "geocode"),
            ("action", "filter"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let form = RoleForm::from_fields(None, &fields);
        assert_eq!(form.name, "Key makers");
        assert_eq!(form.privileges.len(), 2);
        assert!(matches!(editor_action(&fields), EditorAction::Filter));
        // Filtered to geocoding, the two ticked privileges travel as hidden fields.
        let html = editor_body("c", &form, None).into_string();
        assert!(html.contains(
            "<input type=\"hidden\" name=\"privilege\" value=\"portal:user:createItem\">"
        ));
        assert!(html.contains("<legend class=\"visually-hidden\">Location services"));
        assert!(!html.contains(">Administrative"));
    }

    #[test]
    fn filter_reads_labels_descriptions_and_strings() {
        let geocode =
            keyportal_domain::privilege::lookup("premium:user:geocode:temporary").expect("catalog");
        assert!(matches(geocode, "GEOCOD"));
        assert!(matches(geocode, "premium:user"));
        assert!(matches(geocode, ""));
        assert!(!matches(geocode, "administrative"));
    }
}
