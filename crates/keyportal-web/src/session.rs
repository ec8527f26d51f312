//! Session cookie, CSRF tokens and the `next` parameter.

use axum::http::HeaderMap;
use keyportal_domain::secret::{constant_time_eq, sha256_hex};

pub const SESSION_COOKIE: &str = "kp_session";
pub const SIGNIN_CSRF_COOKIE: &str = "kp_csrf";
/// Session lifetime in minutes (the token's expiration).
pub const SESSION_MINUTES: i64 = 480;

/// The CSRF token of a session: derived from the session token, so it needs no storage and
/// dies with the session.
pub fn csrf_for(session_token: &str) -> String {
    let mut digest = sha256_hex(&format!("csrf:{session_token}"));
    digest.truncate(32);
    digest
}

/// Whether a submitted CSRF token matches the expected one (constant time).
pub fn csrf_ok(expected: &str, submitted: Option<&str>) -> bool {
    match submitted {
        Some(s) if !expected.is_empty() => constant_time_eq(expected.as_bytes(), s.as_bytes()),
        _ => false,
    }
}

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
        .filter(|v| !v.is_empty())
}

/// `Set-Cookie` for a cookie under `/home`.
pub fn set_cookie(
    name: &str,
    value: &str,
    max_age_seconds: i64,
    same_site: &str,
    https: bool,
) -> String {
    format!(
        "{name}={value}; Path=/home; Max-Age={max_age_seconds}; HttpOnly; SameSite={same_site}{}",
        if https { "; Secure" } else { "" }
    )
}

/// Where to go after signing in: only a relative path inside the portal's pages, never another
/// site (`//host`, `/\host`, schemes) and nothing with control characters.
pub fn safe_next(next: Option<&str>) -> String {
    const DEFAULT: &str = "/home/content";
    let Some(next) = next else {
        return DEFAULT.to_string();
    };
    let path_ok = next == "/home" || next.starts_with("/home/") || next.starts_with("/home?");
    let bad = next.len() > 2048
        || next.contains('\\')
        || next.starts_with("//")
        || next.chars().any(|c| c.is_control() || c.is_whitespace())
        || next.contains("/..")
        || next.starts_with("/home/signout");
    if path_ok && !bad {
        next.to_string()
    } else {
        DEFAULT.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_is_derived_and_stable() {
        let a = csrf_for("token-a");
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(a, csrf_for("token-a"));
        assert_ne!(a, csrf_for("token-b"));
        assert_eq!(a, sha256_hex("csrf:token-a")[..32]);
    }

    #[test]
    fn csrf_comparison() {
        let expected = csrf_for("t");
        assert!(csrf_ok(&expected, Some(&expected)));
        assert!(!csrf_ok(&expected, Some("nope")));
        assert!(!csrf_ok(&expected, None));
        assert!(!csrf_ok("", Some("")));
    }

    #[test]
    fn next_accepts_only_portal_paths() {
        assert_eq!(safe_next(Some("/home/item/abc")), "/home/item/abc");
        assert_eq!(
            safe_next(Some("/home/content?folder=x&q=y")),
            "/home/content?folder=x&q=y"
        );
        assert_eq!(safe_next(Some("/home")), "/home");
        for bad in [
            "https://evil.example/",
            "//evil.example/home/",
            "/\\evil.example",
            "/home/\\evil",
            "javascript:alert(1)",
            "/sharing/rest/portals/self",
            "/home/../sharing",
            "/home/x\r\nSet-Cookie: a=b",
            "/homeevil",
            "",
            "/home/signout",
        ] {
            assert_eq!(safe_next(Some(bad)), "/home/content", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/home/content");
    }

    #[test]
    fn reads_cookies() {
        let mut headers = HeaderMap::new();
        headers.insert(
            axum::http::header::COOKIE,
            "a=1; kp_session=abc; kp_csrf=".parse().expect("header"),
        );
        assert_eq!(cookie(&headers, "kp_session").as_deref(), Some("abc"));
        assert_eq!(cookie(&headers, "kp_csrf"), None);
        assert_eq!(cookie(&headers, "b"), None);
    }

    #[test]
    fn cookie_attributes() {
        let c = set_cookie("kp_session", "v", 60, "Lax", true);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax") && c.contains("Secure"));
        assert!(c.contains("Path=/home"));
        assert!(!set_cookie("kp_session", "v", 60, "Lax", false).contains("Secure"));
    }
}
