//! OAuth lifetimes, checked by stepping a clock: sign-in pages (30 minutes), codes (5
//! minutes, once), refresh tokens (as asked at authorize, two weeks at most; ArcGIS's 498
//! `refresh_token expired` afterwards).

use std::sync::Arc;

use keyportal_domain::oauth::{s256_challenge, AuthorizeParams, OAuthErrorKind};
use keyportal_domain::time::{MINUTE_MS, SECOND_MS};
use keyportal_service::oauth::{
    AuthorizeRefusal, CodeGrant, OAuthFailure, RefreshGrant, SigninFailure, SigninOutcome,
};
use keyportal_service::{ManualClock, Portal, PortalSettings, RequestFacts};
use keyportal_store::{DatabaseUrl, SqlStore};

const START: i64 = 1_750_000_000_000;
const ROOT: &str = "https://portal.test";
const VERIFIER: &str = "a-verifier-that-is-long-enough-for-rfc-7636-pkce-0123456789";

async fn portal(clock: Arc<ManualClock>) -> (Portal, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqlStore::connect(&DatabaseUrl::sqlite_in(dir.path()))
        .await
        .expect("store");
    let sealer = keyportal_service::Sealer::new([9u8; 32]);
    let portal = Portal::new(Arc::new(store), clock, PortalSettings::default(), sealer);
    portal
        .bootstrap("Org", Some("admin-pass-1".into()))
        .await
        .expect("bootstrap");
    (portal, dir)
}

fn roots() -> Vec<String> {
    vec![ROOT.to_string()]
}

fn facts() -> RequestFacts {
    RequestFacts {
        referer: None,
        client_ip: Some("127.0.0.1".into()),
    }
}

/// The sealed state of a code-flow sign-in page for `pythonapi` back to the portal.
async fn page_state(portal: &Portal, expiration: Option<i64>) -> String {
    let challenge = s256_challenge(VERIFIER);
    portal
        .oauth_authorize(
            &AuthorizeParams {
                client_id: Some("pythonapi"),
                response_type: Some("code"),
                redirect_uri: Some(ROOT),
                state: Some("st"),
                expiration,
                code_challenge: Some(&challenge),
                code_challenge_method: Some("S256"),
            },
            &roots(),
        )
        .await
        .expect("sign-in page")
        .oauth_state
}

async fn code(portal: &Portal, expiration: Option<i64>) -> String {
    let state = page_state(portal, expiration).await;
    match portal
        .oauth_signin(&state, "admin", "admin-pass-1", &roots(), &facts())
        .await
        .expect("signed in")
    {
        SigninOutcome::Code { code, .. } => code.expose().to_string(),
        other => panic!("expected a code, got {other:?}"),
    }
}

fn grant(code: &str) -> CodeGrant<'_> {
    CodeGrant {
        client_id: Some("pythonapi"),
        client_secret: None,
        code: Some(code),
        redirect_uri: Some(ROOT),
        code_verifier: Some(VERIFIER),
        expiration: None,
    }
}

fn refused(outcome: Result<impl std::fmt::Debug, OAuthFailure>) -> (u16, OAuthErrorKind, String) {
    match outcome {
        Err(OAuthFailure::Refused(e)) => (e.code, e.kind, e.message),
        other => panic!("expected an OAuth refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn sign_in_pages_can_be_submitted_for_thirty_minutes() {
    let clock = Arc::new(ManualClock::new(START));
    let (portal, _dir) = portal(clock.clone()).await;
    let state = page_state(&portal, None).await;
    clock.set(START + 30 * MINUTE_MS);
    let late = portal
        .oauth_signin(&state, "admin", "admin-pass-1", &roots(), &facts())
        .await;
    assert!(matches!(
        late,
        Err(SigninFailure::Refused(AuthorizeRefusal::BadSigninState))
    ));
    clock.set(START + 30 * MINUTE_MS - 1);
    assert!(portal
        .oauth_signin(&state, "admin", "admin-pass-1", &roots(), &facts())
        .await
        .is_ok());
}

#[tokio::test]
async fn codes_expire_after_five_minutes() {
    let clock = Arc::new(ManualClock::new(START));
    let (portal, _dir) = portal(clock.clone()).await;
    let late = code(&portal, None).await;
    let in_time = code(&portal, None).await;
    clock.set(START + 5 * MINUTE_MS);
    let (status, kind, message) = refused(portal.oauth_redeem_code(&grant(&late)).await);
    assert_eq!((status, kind), (400, OAuthErrorKind::InvalidGrant));
    assert!(message.contains("expired"), "{message}");
    clock.set(START + 5 * MINUTE_MS - 1);
    let tokens = portal
        .oauth_redeem_code(&grant(&in_time))
        .await
        .expect("redeemed in time");
    assert_eq!(tokens.username, "admin");
    assert_eq!(tokens.expires_in, 30 * MINUTE_MS / SECOND_MS);
}

#[tokio::test]
async fn refresh_tokens_live_as_long_as_asked_then_answer_498() {
    let clock = Arc::new(ManualClock::new(START));
    let (portal, _dir) = portal(clock.clone()).await;
    let code = code(&portal, Some(60)).await;
    let tokens = portal
        .oauth_redeem_code(&grant(&code))
        .await
        .expect("tokens");
    assert_eq!(tokens.refresh_token_expires_in, Some(3_600));
    let refresh = tokens.refresh_token.expect("refresh token");
    let refresh_grant = RefreshGrant {
        client_id: Some("pythonapi"),
        client_secret: None,
        refresh_token: Some(refresh.expose()),
        redirect_uri: None,
        expiration: Some(10),
    };
    clock.set(START + 60 * MINUTE_MS - 1);
    let refreshed = portal
        .oauth_refresh(&refresh_grant)
        .await
        .expect("still valid");
    assert_eq!(refreshed.expires_in, 600);
    clock.set(START + 60 * MINUTE_MS);
    assert_eq!(
        refused(portal.oauth_refresh(&refresh_grant).await),
        (
            498,
            OAuthErrorKind::InvalidRequest,
            "refresh_token expired".to_string()
        )
    );
    let exchange = RefreshGrant {
        redirect_uri: Some(ROOT),
        ..refresh_grant
    };
    assert_eq!(
        refused(
            portal
                .oauth_exchange_refresh_token(&exchange, &roots())
                .await
        )
        .0,
        498
    );
}

#[tokio::test]
async fn refresh_tokens_never_outlive_two_weeks() {
    let clock = Arc::new(ManualClock::new(START));
    let (portal, _dir) = portal(clock.clone()).await;
    let code = code(&portal, Some(1_000_000)).await;
    let tokens = portal
        .oauth_redeem_code(&grant(&code))
        .await
        .expect("tokens");
    assert_eq!(tokens.refresh_token_expires_in, Some(20_160 * 60));
}
