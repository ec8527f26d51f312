//! The redactor, and the log line the middleware writes.

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::Request;
use axum::routing::get;
use axum::Router;
use proptest::prelude::*;
use tower::ServiceExt;

use super::*;

const KEY: &str = "AAPTxy1234567890abcdefghijklmnopqrstuvwxyzABCDEFG.AT1_a1b2c3d4";
const TOKEN: &str = "3q2-7wSomeRandomUserTokenOf43Characters_xyz";

#[test]
fn keys_and_tokens_anywhere_in_a_path_are_redacted() {
    let cases = [
        (
            format!("/verify%3Ftoken={KEY}"),
            "/verify%3Ftoken=[redacted]",
        ),
        (
            format!("/verify%3ftoken%3D{KEY}"),
            "/verify%3ftoken%3D[redacted]",
        ),
        (format!("/x/{KEY}/y"), "/x/[redacted]/y"),
        (format!("/x/token{KEY}"), "/x/[redacted]"),
        (
            "/x/aapk0123456789012345678901234567890123".to_string(),
            "/x/[redacted]",
        ),
        (
            format!("/sharing/rest/community/self/{TOKEN}"),
            "/sharing/rest/community/self/[redacted]",
        ),
        // Percent-encoding a key's own characters does not hide it.
        (format!("/x/%41APT{}", &KEY[4..]), "/x/[redacted]"),
        (
            format!("/x/{}%2D{}", &KEY[..20], &KEY[20..]),
            "/x/[redacted]",
        ),
    ];
    for (path, expected) in &cases {
        assert_eq!(loggable_path(path), *expected, "{path}");
    }
}

#[test]
fn ordinary_paths_are_logged_as_they_are() {
    for path in [
        "/sharing/rest/content/users/admin/items/da7720eff87c4f5b9504f526ad6f0c6e/update",
        "/sharing/rest/community/groups/0123456789abcdef0123456789abcdef",
        "/sharing/rest/oauth2/apps/AbCdEf0123456789/registeredAppInfo",
        "/sharing/servers/da7720eff87c4f5b9504f526ad6f0c6e/rest/services/World/GeocodeServer",
        "/verify",
        "/home/item.html",
        "/x/%C3%A9t%C3%A9",
        "",
    ] {
        assert!(matches!(loggable_path(path), Cow::Borrowed(_)), "{path}");
    }
}

proptest! {
    /// Whatever surrounds it, a key or a token never survives redaction.
    #[test]
    fn secrets_never_survive(
        before in "[ -~]{0,30}",
        after in "[ -~]{0,30}",
        secret in prop_oneof![Just(KEY), Just(TOKEN)],
    ) {
        let path = format!("{before}{secret}{after}");
        let logged = loggable_path(&path);
        prop_assert!(!logged.contains(secret), "{}", logged);
        prop_assert!(!logged.contains(&secret[..20]), "{}", logged);
    }

    #[test]
    fn arbitrary_paths_never_panic(path in any::<String>()) {
        let _ = loggable_path(&path);
    }
}

/// Where the test subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_log_line_of_a_key_in_the_path_holds_no_key() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let app = Router::new()
        .route("/ok", get(|| async { "ok" }))
        .layer(axum::middleware::from_fn(log_request));
    for uri in [
        format!("/verify%3Ftoken={KEY}"),
        format!("/ok?token={TOKEN}"),
    ] {
        let _ = app
            .clone()
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
    }
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("path=/verify%3Ftoken=[redacted]"), "{log}");
    assert!(log.contains("status=404"), "{log}");
    assert!(
        log.contains("path=/ok ") && log.contains("status=200"),
        "{log}"
    );
    assert!(!log.contains(&KEY[4..24]), "{log}");
    assert!(!log.contains(TOKEN), "{log}");
}
