//! The server-rendered pages of OAuth sign-in: the sign-in form, the out-of-band code page,
//! and the refusals. No scripts run: the pages are plain HTML and one stylesheet, served with
//! a strict Content-Security-Policy, `X-Frame-Options: DENY` and `Cache-Control: no-store`.
//!
//! The sign-in page also carries `var oAuthInfo = {…};` on one line, as ArcGIS portals do: the
//! ArcGIS API for Python takes the first `{…}` on a line of the page and reads `oauth_state`
//! from it (spec §3.4), and reads `messages` from it after a failed sign-in marked
//! `OAUTH_0015`. It sits in a non-executed data block (`type="text/plain"`), before anything
//! else that contains a brace.

use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use keyportal_domain::oauth::{ResponseType, CODE_LIFETIME_MS, OUT_OF_BAND};
use keyportal_domain::time::MINUTE_MS;
use keyportal_service::oauth::{AuthorizeRefusal, SigninPage};
use keyportal_service::ServiceError;
use serde_json::{json, Value};

/// Where the sign-in form posts (not under `/rest`, as ArcGIS).
pub(super) const SIGNIN_PATH: &str = "/sharing/oauth2/signin";
pub(super) const STYLESHEET_PATH: &str = "/sharing/oauth2/signin.css";
pub(super) const STYLESHEET: &str = include_str!("signin.css");

/// The message code the Python client looks for to report a failed sign-in.
pub(super) const LOGIN_FAILED_CODE: &str = "OAUTH_0015";

/// Text for HTML content and attribute values. Braces are escaped too, so that nothing but
/// `oAuthInfo` ever looks like a JSON object to clients scraping the page.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '{' => out.push_str("&#123;"),
            '}' => out.push_str("&#125;"),
            c => out.push(c),
        }
    }
    out
}

/// JSON safe inside a `<script>` element and for the clients' scrapers: no `<`, `>`, `&` (no
/// `</script>`), no `'` (Python swaps `'` for `"` before parsing the failure object), no `;`
/// (Python's `({.*?});` must end at the real end). JSON keeps its meaning: these characters
/// can only occur inside strings, where `\uXXXX` is the same character.
fn script_json(value: &Value) -> String {
    let text = serde_json::to_string(value).unwrap_or_else(|_| "{}".to_string());
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\'' => out.push_str("\\u0027"),
            ';' => out.push_str("\\u003b"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// `scheme://host[:port]` of an http(s) URL, when it is a plain origin usable in a CSP.
pub(super) fn origin(uri: &str) -> Option<String> {
    let (scheme, rest) = uri.split_once("://")?;
    if !(scheme.eq_ignore_ascii_case("https") || scheme.eq_ignore_ascii_case("http")) {
        return None;
    }
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let plain = !authority.is_empty()
        && authority
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    plain.then(|| format!("{}://{authority}", scheme.to_ascii_lowercase()))
}

fn document(title: &str, data: Option<&str>, body: &str) -> String {
    let data = data
        .map(|json| {
            format!(
                "<script type=\"text/plain\" id=\"oauth-info\">var oAuthInfo = {json};</script>\n"
            )
        })
        .unwrap_or_default();
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{}</title>\n{data}\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <link rel=\"stylesheet\" href=\"{STYLESHEET_PATH}\">\n</head>\n<body>\n<main>\n{body}</main>\n</body>\n</html>\n",
        escape(title)
    )
}

/// The security headers of every page. `form_action` adds origins the form may lead to: the
/// sign-in form's answer redirects to the application, and browsers apply `form-action` to
/// that redirect.
fn page_headers(form_action: Option<&str>) -> HeaderMap {
    let mut csp = String::from(
        "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; \
         frame-ancestors 'none'; form-action 'self'",
    );
    if let Some(extra) = form_action {
        csp.push(' ');
        csp.push_str(extra);
    }
    let mut headers = HeaderMap::new();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    let csp = HeaderValue::from_str(&csp).unwrap_or_else(|_| {
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; base-uri 'none'; frame-ancestors 'none'; \
             form-action 'self'",
        )
    });
    headers.insert(CONTENT_SECURITY_POLICY, csp);
    headers
}

fn page(status: StatusCode, form_action: Option<&str>, html: String) -> Response {
    (status, page_headers(form_action), html).into_response()
}

/// The sign-in form, optionally after a failed attempt (`message`, with the username kept).
pub(super) fn signin(
    portal_name: &str,
    page_info: &SigninPage,
    failure: Option<(&str, &str)>,
) -> Response {
    let mut info = json!({
        "oauth_state": page_info.oauth_state,
        "client_id": page_info.client_id,
        "appTitle": page_info.app_title,
        "redirect_uri": page_info.redirect_uri,
        "response_type": page_info.response_type.as_str(),
        "portalName": portal_name,
        "locale": "en",
    });
    if let Some(expiration) = page_info.expiration {
        info["expiration"] = json!(expiration);
    }
    if let Some((message, _)) = failure {
        info["messages"] = json!([message]);
        info["messageCode"] = json!(LOGIN_FAILED_CODE);
    }
    let destination = if page_info.redirect_uri == OUT_OF_BAND {
        "After you sign in, this portal shows a code to copy into the application.".to_string()
    } else {
        let target =
            origin(&page_info.redirect_uri).unwrap_or_else(|| page_info.redirect_uri.clone());
        format!(
            "After you sign in, you return to <strong>{}</strong>{}.",
            escape(&target),
            match page_info.response_type {
                ResponseType::Token => ", which receives an access token for your account",
                ResponseType::Code => "",
            }
        )
    };
    let (alert, described, username) = match failure {
        Some((message, username)) => (
            format!(
                "<p class=\"error\" role=\"alert\" id=\"signin-error\">{}</p>\n",
                escape(message)
            ),
            " aria-describedby=\"signin-error\"",
            username,
        ),
        None => (String::new(), "", ""),
    };
    let (user_focus, password_focus) = if username.is_empty() {
        (" autofocus", "")
    } else {
        ("", " autofocus")
    };
    let expiration = page_info
        .expiration
        .map(|m| format!("<input type=\"hidden\" name=\"expiration\" value=\"{m}\">\n"))
        .unwrap_or_default();
    let body = format!(
        "<p class=\"portal\">{portal}</p>\n\
         <h1>Sign in</h1>\n\
         <p class=\"app\">to continue to <strong>{app}</strong></p>\n\
         {alert}\
         <form method=\"post\" action=\"{SIGNIN_PATH}\"{described}>\n\
         <input type=\"hidden\" name=\"oauth_state\" value=\"{state}\">\n\
         {expiration}\
         <label for=\"username\">Username</label>\n\
         <input type=\"text\" id=\"username\" name=\"username\" value=\"{username}\" \
         autocomplete=\"username\" autocapitalize=\"none\" spellcheck=\"false\" required{user_focus}>\n\
         <label for=\"password\">Password</label>\n\
         <input type=\"password\" id=\"password\" name=\"password\" \
         autocomplete=\"current-password\" required{password_focus}>\n\
         <button type=\"submit\">Sign in</button>\n\
         </form>\n\
         <p class=\"note\">{destination}</p>\n",
        portal = escape(portal_name),
        app = escape(&page_info.app_title),
        state = escape(&page_info.oauth_state),
        username = escape(username),
    );
    let html = document(
        &format!("Sign in · {portal_name}"),
        Some(&script_json(&info)),
        &body,
    );
    let form_action = origin(&page_info.redirect_uri);
    page(StatusCode::OK, form_action.as_deref(), html)
}

/// The out-of-band answer of the code flow: the code, to copy into the application. The
/// title is what the ArcGIS API for Python reads (`SUCCESS code=…`).
pub(super) fn out_of_band(portal_name: &str, code: &str) -> Response {
    let minutes = CODE_LIFETIME_MS / MINUTE_MS;
    let body = format!(
        "<p class=\"portal\">{portal}</p>\n\
         <h1>Signed in</h1>\n\
         <p class=\"app\">Copy this code and paste it into the application. It works once, \
         within {minutes} minutes.</p>\n\
         <label for=\"code\">Authorization code</label>\n\
         <input type=\"text\" id=\"code\" value=\"{code}\" readonly autofocus>\n",
        portal = escape(portal_name),
        code = escape(code),
    );
    let html = document(&format!("SUCCESS code={code}"), None, &body);
    page(StatusCode::OK, None, html)
}

fn error_page(portal_name: &str, status: StatusCode, heading: &str, text: &str) -> Response {
    let body = format!(
        "<p class=\"portal\">{}</p>\n<h1>{}</h1>\n<p class=\"app\" role=\"alert\">{}</p>\n",
        escape(portal_name),
        escape(heading),
        escape(text)
    );
    page(status, None, document(heading, None, &body))
}

/// Why sign-in cannot go on. Never redirects: a bad client or redirect URI gets a page here.
pub(super) fn refusal(portal_name: &str, refusal: &AuthorizeRefusal) -> Response {
    match refusal {
        AuthorizeRefusal::UnknownClient => error_page(
            portal_name,
            StatusCode::BAD_REQUEST,
            "Error: Invalid client_id",
            "No application with this client_id is registered with this portal. Check the \
             application's settings.",
        ),
        AuthorizeRefusal::RedirectNotAllowed => error_page(
            portal_name,
            StatusCode::BAD_REQUEST,
            "Error: Invalid redirect_uri",
            "The redirect_uri is missing or is not one of the application's registered \
             redirect URIs. Sign-in stops here and nothing is sent to it.",
        ),
        AuthorizeRefusal::Invalid(error) => {
            let text = match error {
                keyportal_domain::DomainError::Invalid { message, details } => {
                    std::iter::once(message.as_str())
                        .chain(details.iter().map(String::as_str))
                        .collect::<Vec<_>>()
                        .join(" ")
                }
                other => other.to_string(),
            };
            error_page(
                portal_name,
                StatusCode::BAD_REQUEST,
                "Error: Invalid request",
                &text,
            )
        }
        AuthorizeRefusal::BadSigninState => error_page(
            portal_name,
            StatusCode::BAD_REQUEST,
            "This sign-in page has expired",
            "The sign-in page is too old or was changed. Return to the application and sign in \
             again.",
        ),
        AuthorizeRefusal::Internal(error) => {
            if let ServiceError::Internal(cause) = error {
                tracing::error!(%cause, "internal error during OAuth sign-in");
            } else {
                tracing::error!(%error, "unexpected error during OAuth sign-in");
            }
            error_page(
                portal_name,
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "The portal could not complete the sign-in. Try again later; the server log has \
                 the details.",
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_quotes_and_braces() {
        assert_eq!(
            escape("<a href='x'>\"{&}\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&quot;&#123;&amp;&#125;&quot;&lt;/a&gt;"
        );
    }

    #[test]
    fn script_json_cannot_close_the_script_or_end_early() {
        let value = json!({ "t": "</script><b>'x';}" });
        let text = script_json(&value);
        assert!(!text.contains('<') && !text.contains('\'') && !text.contains(';'));
        let back: Value = serde_json::from_str(&text).expect("still JSON");
        assert_eq!(back, value);
    }

    #[test]
    fn origins_of_redirect_uris() {
        assert_eq!(
            origin("https://App.example.com:8443/cb?x=1").as_deref(),
            Some("https://App.example.com:8443")
        );
        assert_eq!(
            origin("HTTP://[::1]:7080").as_deref(),
            Some("http://[::1]:7080")
        );
        assert_eq!(origin(OUT_OF_BAND), None);
        assert_eq!(origin("https://user@host/"), None);
        assert_eq!(origin("https://a b/"), None);
        assert_eq!(origin("https:///x"), None);
        assert_eq!(origin("javascript://x"), None);
    }
}
