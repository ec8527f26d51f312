//! New item: the kinds of item a member can create, with Developer credentials (API key or
//! OAuth credentials) offered only to those allowed, and an explanation for those who are not.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use keyportal_domain::credential::{lacking_for_api_keys, Lacking};
use keyportal_domain::privilege::{self, names};
use keyportal_service::Member;

use crate::html::Html;
use crate::layout::notice;
use crate::request::{page, redirect, Session};
use crate::{Routes, St};

pub(crate) fn routes() -> Routes {
    Router::new().route("/home/new", get(new_item)).route(
        "/home/new/developer-credentials",
        get(developer_credentials),
    )
}

/// What a member lacks for each kind of developer credentials (empty: allowed). The same
/// requirements the service enforces: a Creator (or higher) user type and `createItem` for any
/// credential; API keys also need "Generate API keys" and "Assign privileges to OAuth 2.0
/// applications" (`check_may_create_api_keys`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Eligibility {
    pub developer_credentials: Vec<String>,
    pub api_keys: Vec<String>,
}

fn privilege_name(string: &str) -> String {
    match privilege::lookup(string) {
        Some(info) => format!(
            "the privilege \u{201c}General privileges › Content › {}\u{201d} ({string})",
            info.label
        ),
        None => format!("the privilege {string}"),
    }
}

pub(crate) fn eligibility(member: &Member) -> Eligibility {
    let mut developer = Vec::new();
    if !member.user.user_type.is_creator_or_higher() {
        developer.push(format!(
            "A user type of Creator or higher (yours is {}).",
            member.user.user_type.label()
        ));
    }
    if !member.has(names::CREATE_ITEM) {
        developer.push(format!(
            "{} in your role.",
            capitalise(&privilege_name(names::CREATE_ITEM))
        ));
    }
    // The domain's rule for API keys; the user type is already in the list above.
    let mut api = developer.clone();
    for lacking in lacking_for_api_keys(member.user.user_type, &member.privileges) {
        if let Lacking::Privilege(needed) = lacking {
            api.push(format!(
                "{} in your role.",
                capitalise(&privilege_name(needed))
            ));
        }
    }
    Eligibility {
        developer_credentials: developer,
        api_keys: api,
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Why an option is missing, and what an administrator must grant.
pub(crate) fn explain_missing(h: &mut Html, heading: &'static str, missing: &[String]) {
    h.raw("<div class=\"notice warn explain\" role=\"note\"><p><strong>")
        .raw(heading)
        .raw("</strong> Your account is missing:</p><ul>");
    for m in missing {
        h.raw("<li>").text(m).raw("</li>");
    }
    h.raw("</ul><p>Ask an administrator of your organization to grant them: change your user type to Creator (or higher) and give you a role — for example a custom role — that includes the privileges above.</p></div>");
}

fn crumbs(h: &mut Html, last: &'static str, middle: bool) {
    h.raw("<nav class=\"crumbs\" aria-label=\"Breadcrumb\"><a href=\"/home/content\">My content</a> › ");
    if middle {
        h.raw("<a href=\"/home/new\">New item</a> › ");
    }
    h.raw("<span>").raw(last).raw("</span></nav>");
}

async fn new_item(State(_web): St, session: Session) -> Response {
    let allowed = session.caller.member().map(eligibility).unwrap_or_default();
    page(
        StatusCode::OK,
        session.layout("New item").render(new_item_body(&allowed)),
    )
}

pub(crate) fn new_item_body(allowed: &Eligibility) -> Html {
    let mut h = Html::new();
    crumbs(&mut h, "New item", false);
    h.raw("<div class=\"page-head\"><h1>New item</h1></div>")
        .raw("<p class=\"lead\">Choose the kind of item to create.</p><div class=\"kinds\">");
    if allowed.developer_credentials.is_empty() {
        h.raw("<a class=\"kind\" href=\"/home/new/developer-credentials\"><svg class=\"kind-icon\" aria-hidden=\"true\" viewBox=\"0 0 24 24\" width=\"28\" height=\"28\"><circle cx=\"7.5\" cy=\"12\" r=\"4.5\" fill=\"none\" stroke=\"currentColor\" stroke-width=\"2\"/><path d=\"M12 12h10M18 12v4M21 12v3\" fill=\"none\" stroke=\"currentColor\" stroke-width=\"2\" stroke-linecap=\"round\"/></svg><span><strong>Developer credentials</strong><span class=\"hint\">API key credentials and OAuth credentials for your applications: long-lived API keys with chosen privileges and item access, or sign-in for your users.</span></span></a>");
    } else {
        h.raw("<div class=\"kind disabled\" aria-disabled=\"true\"><svg class=\"kind-icon\" aria-hidden=\"true\" viewBox=\"0 0 24 24\" width=\"28\" height=\"28\"><circle cx=\"7.5\" cy=\"12\" r=\"4.5\" fill=\"none\" stroke=\"currentColor\" stroke-width=\"2\"/><path d=\"M12 12h10M18 12v4M21 12v3\" fill=\"none\" stroke=\"currentColor\" stroke-width=\"2\" stroke-linecap=\"round\"/></svg><span><strong>Developer credentials</strong><span class=\"hint\">Not available to your account.</span></span></div>");
    }
    h.raw("</div>");
    if !allowed.developer_credentials.is_empty() {
        explain_missing(
            &mut h,
            "Why is Developer credentials not available?",
            &allowed.developer_credentials,
        );
        let extra: Vec<String> = allowed
            .api_keys
            .iter()
            .filter(|m| !allowed.developer_credentials.contains(m))
            .cloned()
            .collect();
        if !extra.is_empty() {
            h.raw("<p class=\"hint\">API key credentials also need:</p><ul class=\"hint\">");
            for m in &extra {
                h.raw("<li>").text(m).raw("</li>");
            }
            h.raw("</ul>");
        }
    }
    h.raw("<p class=\"hint\">Other item types (web maps, layers, files) are added with the Sharing REST API (<code>addItem</code>).</p>");
    h
}

async fn developer_credentials(
    State(_web): St,
    session: Session,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let allowed = session.caller.member().map(eligibility).unwrap_or_default();
    let mut error = None;
    if allowed.developer_credentials.is_empty() {
        match query.get("kind").map(String::as_str) {
            Some("api-key") if allowed.api_keys.is_empty() => {
                return redirect("/home/new/api-key-credentials")
            }
            Some("oauth") => return redirect("/home/new/oauth-credentials"),
            Some(_) => error = Some("Choose API key credentials or OAuth credentials."),
            None => {}
        }
    }
    let status = if allowed.developer_credentials.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::FORBIDDEN
    };
    page(
        status,
        session
            .layout("Developer credentials")
            .render(developer_credentials_body(&allowed, error)),
    )
}

pub(crate) fn developer_credentials_body(allowed: &Eligibility, error: Option<&str>) -> Html {
    let mut h = Html::new();
    crumbs(&mut h, "Developer credentials", true);
    h.raw("<section class=\"card narrow-wide\" aria-labelledby=\"dc\"><h1 id=\"dc\">Developer credentials</h1>");
    if !allowed.developer_credentials.is_empty() {
        explain_missing(
            &mut h,
            "You cannot create developer credentials.",
            &allowed.developer_credentials,
        );
        h.raw("<p><a class=\"button secondary\" href=\"/home/content\">Back to My content</a></p></section>");
        return h;
    }
    notice(&mut h, error, "error");
    h.raw("<form method=\"get\" action=\"/home/new/developer-credentials\"><fieldset class=\"choices\"><legend>What kind of developer credentials?</legend>");
    if allowed.api_keys.is_empty() {
        h.raw("<div class=\"choice\"><input type=\"radio\" name=\"kind\" id=\"kind-api-key\" value=\"api-key\" required checked aria-describedby=\"kind-api-key-d\"><label for=\"kind-api-key\">API key credentials</label><p class=\"hint\" id=\"kind-api-key-d\">Long-lived API keys (up to two at a time) with the privileges and item access you choose, an expiration date and referrer restrictions. For scripts, servers and private apps.</p></div>");
    }
    h.raw("<div class=\"choice\"><input type=\"radio\" name=\"kind\" id=\"kind-oauth\" value=\"oauth\" required aria-describedby=\"kind-oauth-d\"><label for=\"kind-oauth\">OAuth credentials</label><p class=\"hint\" id=\"kind-oauth-d\">A client ID and redirect URIs so that your application can sign users in with their own accounts.</p></div></fieldset>");
    if !allowed.api_keys.is_empty() {
        explain_missing(
            &mut h,
            "Why is API key credentials not available?",
            &allowed.api_keys,
        );
    }
    h.raw("<div class=\"wizard-nav\"><button type=\"submit\" class=\"button\">Next</button><a class=\"button secondary\" href=\"/home/new\">Back</a></div></form></section>");
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyportal_domain::privilege::PrivilegeSet;
    use keyportal_domain::role::built_in_role;
    use keyportal_domain::user_type::UserType;

    fn member(user_type: UserType, role: &str) -> Member {
        let role = built_in_role(role).expect("role");
        let privileges: PrivilegeSet = role
            .privileges
            .iter()
            .filter(|p| user_type.allows(p))
            .collect();
        let user = keyportal_domain::user::User {
            id: "0".repeat(32),
            username: "someone".into(),
            org_id: "org".into(),
            full_name: String::new(),
            first_name: String::new(),
            last_name: String::new(),
            email: String::new(),
            description: String::new(),
            user_type,
            role_id: role.id.clone(),
            disabled: false,
            provider: "arcgis".into(),
            created: 0,
            modified: 0,
            last_login: -1,
        };
        Member {
            user,
            role,
            privileges,
            memberships: Vec::new(),
            token_hash: None,
            address: None,
        }
    }

    #[test]
    fn publishers_who_are_creators_may_create_api_keys() {
        let e = eligibility(&member(UserType::Creator, "publisher"));
        assert!(e.developer_credentials.is_empty() && e.api_keys.is_empty());
    }

    #[test]
    fn viewers_learn_what_is_missing() {
        let e = eligibility(&member(UserType::Viewer, "viewer"));
        assert!(e.developer_credentials[0].contains("Creator"));
        assert!(e
            .api_keys
            .iter()
            .any(|m| m.contains("portal:user:generateApiTokens")));
        let page = new_item_body(&e).into_string();
        assert!(page.contains("Why is Developer credentials not available?"));
        assert!(!page.contains("href=\"/home/new/developer-credentials\""));
    }

    #[test]
    fn creators_with_the_user_role_get_oauth_only() {
        let e = eligibility(&member(UserType::Creator, "user"));
        assert!(e.developer_credentials.is_empty());
        assert_eq!(e.api_keys.len(), 2);
        let page = developer_credentials_body(&e, None).into_string();
        assert!(!page.contains("kind-api-key"));
        assert!(page.contains("Assign privileges to OAuth 2.0 applications"));
    }
}
