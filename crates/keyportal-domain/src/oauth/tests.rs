//! Unit and property tests of the OAuth rules.

use super::*;

const NOW: EpochMillis = 1_750_000_000_000;
/// RFC 7636 Appendix B.
const RFC_VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const RFC_CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn params<'a>() -> AuthorizeParams<'a> {
    AuthorizeParams {
        client_id: Some("abcdEFGH12345678"),
        response_type: Some("code"),
        redirect_uri: Some("https://app.example.com/callback"),
        state: Some("xyz"),
        expiration: None,
        code_challenge: Some(RFC_CHALLENGE),
        code_challenge_method: Some("S256"),
    }
}

fn code(challenge: Option<PkceChallenge>) -> AuthorizationCode {
    let mut context = SigninContext::from_params(&params(), NOW).expect("context");
    context.challenge = challenge;
    AuthorizationCode::issue("h".into(), &context, "alice", "id1", NOW).expect("code")
}

fn s256() -> Option<PkceChallenge> {
    Some(PkceChallenge {
        method: PkceMethod::S256,
        challenge: RFC_CHALLENGE.into(),
    })
}

fn redeem<'a>(verifier: Option<&'a str>) -> CodeRedemption<'a> {
    CodeRedemption {
        client_id: "abcdEFGH12345678",
        redirect_uri: Some("https://app.example.com/callback"),
        code_verifier: verifier,
    }
}

#[test]
fn s256_matches_the_rfc_example() {
    assert_eq!(s256_challenge(RFC_VERIFIER), RFC_CHALLENGE);
    let challenge = s256().expect("challenge");
    assert!(challenge.verify(RFC_VERIFIER));
    assert!(!challenge.verify(&RFC_VERIFIER.replace('d', "e")));
    assert!(!challenge.verify(RFC_CHALLENGE));
    assert!(!challenge.verify(""));
}

#[test]
fn plain_compares_the_verifier_itself() {
    let verifier = "a".repeat(43);
    let challenge = PkceChallenge::parse(Some(&verifier), None)
        .expect("parse")
        .expect("some");
    assert_eq!(challenge.method, PkceMethod::Plain);
    assert!(challenge.verify(&verifier));
    assert!(!challenge.verify(&"a".repeat(44)));
}

#[test]
fn challenges_are_checked_for_shape() {
    assert_eq!(PkceChallenge::parse(None, None), Ok(None));
    assert!(PkceChallenge::parse(None, Some("S256")).is_err());
    assert!(PkceChallenge::parse(Some(RFC_CHALLENGE), Some("s256")).is_err());
    assert!(PkceChallenge::parse(Some(RFC_CHALLENGE), Some("SHA1")).is_err());
    assert!(PkceChallenge::parse(Some("short"), Some("S256")).is_err());
    assert!(PkceChallenge::parse(Some("short"), Some("plain")).is_err());
    assert!(PkceChallenge::parse(Some(&"a".repeat(129)), Some("plain")).is_err());
    assert!(PkceChallenge::parse(Some(&"a b".repeat(20)), Some("plain")).is_err());
    assert!(PkceChallenge::parse(Some(&"=".repeat(43)), Some("S256")).is_err());
    assert_eq!(
        PkceChallenge::parse(Some(RFC_CHALLENGE), Some("S256")),
        Ok(s256())
    );
}

#[test]
fn verifiers_must_have_the_rfc_shape() {
    assert!(is_pkce_text(&"A".repeat(43)));
    assert!(is_pkce_text(&"-._~".repeat(32)));
    assert!(!is_pkce_text(&"A".repeat(42)));
    assert!(!is_pkce_text(&"A".repeat(129)));
    assert!(!is_pkce_text(&format!("{}+", "A".repeat(42))));
    assert!(!is_pkce_text(&"é".repeat(30)));
}

#[test]
fn redirect_uris_match_exactly() {
    let allowed = vec!["https://app.example.com/callback".to_string()];
    assert!(redirect_allowed(
        &allowed,
        "https://app.example.com/callback"
    ));
    for other in [
        "https://app.example.com/callback/",
        "https://APP.example.com/callback",
        "https://app.example.com/callback?x=1",
        "https://app.example.com/callbac",
        "https://app.example.com:443/callback",
        "http://app.example.com/callback",
        " https://app.example.com/callback",
        "",
    ] {
        assert!(!redirect_allowed(&allowed, other), "{other}");
    }
    assert!(redirect_allowed(&allowed, OUT_OF_BAND));
    assert!(redirect_allowed(&[], OUT_OF_BAND));
    assert!(!redirect_allowed(&[], "https://app.example.com/callback"));
}

#[test]
fn built_in_clients() {
    assert!(is_built_in_client("pythonapi"));
    assert!(is_built_in_client("arcgisonline"));
    assert!(!is_built_in_client("PythonAPI"));
    assert!(!is_built_in_client("arcgispro"));
}

#[test]
fn authorization_requests_are_checked() {
    let context = SigninContext::from_params(&params(), NOW).expect("valid");
    assert_eq!(context.response_type, ResponseType::Code);
    assert_eq!(context.state.as_deref(), Some("xyz"));
    assert_eq!(context.expires, NOW + SIGNIN_STATE_LIFETIME_MS);
    assert!(!context.is_expired(NOW + SIGNIN_STATE_LIFETIME_MS - 1));
    assert!(context.is_expired(NOW + SIGNIN_STATE_LIFETIME_MS));

    let refused = |change: &dyn Fn(&mut AuthorizeParams<'static>)| {
        let mut p = params();
        change(&mut p);
        SigninContext::from_params(&p, NOW).is_err()
    };
    assert!(refused(&|p| p.client_id = None));
    assert!(refused(&|p| p.client_id = Some("")));
    assert!(refused(&|p| p.redirect_uri = None));
    assert!(refused(&|p| p.response_type = None));
    assert!(refused(&|p| p.response_type = Some("id_token")));
    assert!(refused(&|p| p.response_type = Some("CODE")));
    assert!(refused(&|p| p.expiration = Some(0)));
    assert!(refused(&|p| p.code_challenge_method = Some("S512")));
    assert!(refused(&|p| p.state = Some("a\u{1}b")));
    assert!(refused(&|p| p.state = Some("a\nb")));
    // PKCE belongs to the code flow; the implicit flow cannot go out of band.
    assert!(refused(&|p| p.response_type = Some("token")));
    assert!(refused(&|p| {
        p.response_type = Some("token");
        p.code_challenge = None;
        p.code_challenge_method = None;
        p.redirect_uri = Some(OUT_OF_BAND);
    }));
    assert!(!refused(&|p| {
        p.response_type = Some("token");
        p.code_challenge = None;
        p.code_challenge_method = None;
    }));
    let long_state = "s".repeat(MAX_STATE_LEN + 1);
    let mut p = params();
    p.state = Some(&long_state);
    assert!(SigninContext::from_params(&p, NOW).is_err());
}

#[test]
fn codes_expire_after_five_minutes() {
    let code = code(s256());
    assert_eq!(code.expires, NOW + 5 * MINUTE_MS);
    assert_eq!(
        code.check_redemption(&redeem(Some(RFC_VERIFIER)), NOW + 5 * MINUTE_MS - 1),
        Ok(())
    );
    let late = code
        .check_redemption(&redeem(Some(RFC_VERIFIER)), NOW + 5 * MINUTE_MS)
        .expect_err("expired");
    assert_eq!(late.kind, OAuthErrorKind::InvalidGrant);
    assert!(late.message.contains("expired"));
}

#[test]
fn codes_are_bound_to_client_redirect_and_verifier() {
    let code = code(s256());
    let kind = |r: CodeRedemption<'_>| code.check_redemption(&r, NOW).map_err(|e| e.kind);
    assert_eq!(kind(redeem(Some(RFC_VERIFIER))), Ok(()));
    let mut other_client = redeem(Some(RFC_VERIFIER));
    other_client.client_id = "someoneElse";
    assert_eq!(kind(other_client), Err(OAuthErrorKind::InvalidGrant));
    let mut other_redirect = redeem(Some(RFC_VERIFIER));
    other_redirect.redirect_uri = Some("https://app.example.com/callback/");
    assert_eq!(kind(other_redirect), Err(OAuthErrorKind::InvalidGrant));
    let mut no_redirect = redeem(Some(RFC_VERIFIER));
    no_redirect.redirect_uri = None;
    assert_eq!(kind(no_redirect), Err(OAuthErrorKind::InvalidRequest));
    assert_eq!(kind(redeem(None)), Err(OAuthErrorKind::InvalidRequest));
    assert_eq!(
        kind(redeem(Some(&"x".repeat(43)))),
        Err(OAuthErrorKind::InvalidGrant)
    );
}

#[test]
fn a_verifier_without_a_challenge_is_a_downgrade_and_refused() {
    let code = code(None);
    assert_eq!(code.check_redemption(&redeem(None), NOW), Ok(()));
    assert_eq!(
        code.check_redemption(&redeem(Some(RFC_VERIFIER)), NOW)
            .map_err(|e| e.kind),
        Err(OAuthErrorKind::InvalidGrant)
    );
}

#[test]
fn refresh_tokens_expire_with_arcgis_498() {
    let token = RefreshToken {
        hash: "h".into(),
        client_id: "app".into(),
        username: "alice".into(),
        user_id: "id1".into(),
        created: NOW,
        expires: NOW + 100,
    };
    assert_eq!(token.check_use("app", NOW + 99), Ok(()));
    assert_eq!(
        token.check_use("app", NOW + 100),
        Err(OAuthError::refresh_token_expired())
    );
    assert_eq!(OAuthError::refresh_token_expired().code, 498);
    assert_eq!(
        token.check_use("other", NOW).map_err(|e| e.kind),
        Err(OAuthErrorKind::InvalidGrant)
    );
}

#[test]
fn lifetimes_default_and_cap() {
    assert_eq!(implicit_token_lifetime_ms(None), Ok(120 * MINUTE_MS));
    assert_eq!(
        implicit_token_lifetime_ms(Some(20_160)),
        Ok(20_160 * MINUTE_MS)
    );
    assert_eq!(
        implicit_token_lifetime_ms(Some(1_000_000)),
        Ok(20_160 * MINUTE_MS)
    );
    assert_eq!(access_token_lifetime_ms(None), Ok(30 * MINUTE_MS));
    assert_eq!(refresh_token_lifetime_ms(None), Ok(20_160 * MINUTE_MS));
    assert_eq!(refresh_token_lifetime_ms(Some(60)), Ok(60 * MINUTE_MS));
    assert!(refresh_token_lifetime_ms(Some(-1)).is_err());
    assert!(access_token_lifetime_ms(Some(0)).is_err());
    assert_eq!(seconds_until(NOW + 1_999, NOW), 1);
    assert_eq!(seconds_until(NOW - 5, NOW), 0);
}

#[test]
fn codes_keep_the_requested_refresh_lifetime() {
    let mut p = params();
    p.expiration = Some(90);
    let context = SigninContext::from_params(&p, NOW).expect("context");
    let code = AuthorizationCode::issue("h".into(), &context, "alice", "id1", NOW).expect("code");
    assert_eq!(code.refresh_minutes, 90);
    p.expiration = Some(999_999);
    let context = SigninContext::from_params(&p, NOW).expect("context");
    let code = AuthorizationCode::issue("h".into(), &context, "alice", "id1", NOW).expect("code");
    assert_eq!(code.refresh_minutes, MAX_REFRESH_TOKEN_MINUTES);
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn verifier() -> impl Strategy<Value = String> {
        proptest::string::string_regex("[A-Za-z0-9._~-]{43,128}").expect("regex")
    }

    proptest! {
        /// The S256 challenge of any valid verifier accepts that verifier and no other.
        #[test]
        fn s256_accepts_exactly_its_verifier(v in verifier(), w in verifier()) {
            let challenge = PkceChallenge::parse(Some(&s256_challenge(&v)), Some("S256"))
                .expect("well-formed")
                .expect("some");
            prop_assert!(challenge.verify(&v));
            prop_assert_eq!(challenge.verify(&w), v == w);
        }

        /// A plain challenge accepts exactly itself.
        #[test]
        fn plain_accepts_exactly_itself(v in verifier(), w in verifier()) {
            let challenge = PkceChallenge::parse(Some(&v), Some("plain"))
                .expect("well-formed")
                .expect("some");
            prop_assert!(challenge.verify(&v));
            prop_assert_eq!(challenge.verify(&w), v == w);
        }

        /// Malformed verifiers never pass, whatever the challenge.
        #[test]
        fn malformed_verifiers_never_pass(v in verifier(), junk in "[^A-Za-z0-9._~-]{1,3}") {
            let bad = format!("{v}{junk}");
            let s256 = PkceChallenge { method: PkceMethod::S256, challenge: s256_challenge(&bad) };
            let plain = PkceChallenge { method: PkceMethod::Plain, challenge: bad.clone() };
            prop_assert!(!s256.verify(&bad));
            prop_assert!(!plain.verify(&bad));
        }
    }
}
