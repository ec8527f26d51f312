//! Applying a change to a proxy's settings: every problem reported at once, nothing
//! half-applied, credentials never following a URL change unasked.

use crate::error::DomainError;
use crate::ids::shorten;
use crate::privilege::lookup;
use crate::referrer::ReferrerPattern;
use crate::service_catalog::privileges_for;
use crate::time::EpochMillis;

use super::allow_list::UpstreamAllowList;
use super::credentials::{parse_headers, parse_query};
use super::settings::{
    ProxyChanges, ProxySettings, UpstreamSecrets, MAX_ALLOWED_REFERRERS, MAX_MAX_BODY_BYTES,
    MAX_RATE_PER_KEY, MAX_TIMEOUT_SECONDS,
};
use super::target::ProxyTarget;
use super::url::{check_upstream_url, upstream_origin};

fn parse_referrers(values: &[String], problems: &mut Vec<String>) -> Vec<String> {
    if values.len() > MAX_ALLOWED_REFERRERS {
        problems.push(format!(
            "At most {MAX_ALLOWED_REFERRERS} allowed referrers can be set."
        ));
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::new();
    for value in values.iter().map(|v| v.trim()).filter(|v| !v.is_empty()) {
        match ReferrerPattern::parse(value) {
            Ok(pattern) => {
                let text = pattern.as_str().to_string();
                if !out.contains(&text) {
                    out.push(text);
                }
            }
            Err(error) => problems.push(format!("Allowed referrer '{}': {error}", shorten(value))),
        }
    }
    out
}

/// Applies `changes` to `current` settings and credentials. `item_url` is the item's current
/// `url` for item targets (ignored for services). Every problem is reported at once; on any,
/// nothing is applied.
///
/// Credentials never follow a URL change unasked: when the upstream URL changes and
/// credentials are kept (not re-sent), the change is refused.
pub fn apply_changes(
    current: &ProxySettings,
    secrets: &UpstreamSecrets,
    changes: &ProxyChanges,
    item_url: Option<&str>,
    allow_list: &UpstreamAllowList,
    now: EpochMillis,
) -> Result<(ProxySettings, UpstreamSecrets), DomainError> {
    let mut problems = Vec::new();
    let mut next = current.clone();
    let mut next_secrets = secrets.clone();
    if let Some(enabled) = changes.enabled {
        next.enabled = enabled;
    }

    // The upstream URL.
    let candidate = match (&current.target, item_url) {
        (ProxyTarget::Item(_), Some(url)) => Some(url.to_string()),
        (ProxyTarget::Item(_), None) => None,
        (ProxyTarget::Service(_), _) => changes.url.clone(),
    };
    if matches!(current.target, ProxyTarget::Item(_)) && changes.url.is_some() {
        problems.push(
            "A proxied item forwards to the item's own 'url': update the item to change it.".into(),
        );
    }
    if let Some(url) = candidate {
        if url.trim().is_empty() && !next.enabled {
            next.url = String::new();
        } else {
            match check_upstream_url(&url) {
                Ok(url) => next.url = url,
                Err(DomainError::Invalid { message, details }) => {
                    problems.push(message);
                    problems.extend(details);
                }
                Err(other) => problems.push(other.to_string()),
            }
        }
    }
    // An enabled proxy must forward to a host on the allow-list (design §2.13); the addresses
    // it resolves to are checked again at every connection.
    if next.enabled && !next.url.is_empty() && problems.is_empty() {
        if let Ok((host, port)) = upstream_origin(&next.url) {
            if let Err(refusal) = allow_list.check_host(&host, port) {
                problems.push(refusal.to_string());
            }
        }
    }
    if next.enabled && next.url.is_empty() && problems.is_empty() {
        problems.push(match current.target {
            ProxyTarget::Item(_) => {
                "The item has no 'url': set it to the upstream http(s) URL before proxying.".into()
            }
            ProxyTarget::Service(_) => "'url' must be specified (the upstream http(s) URL).".into(),
        });
    }

    // The privilege of a location service.
    match (&current.target, &changes.privilege) {
        (ProxyTarget::Item(_), Some(Some(_))) => {
            problems.push("'privilege' applies to location services only.".into())
        }
        (ProxyTarget::Item(_), _) => {}
        (ProxyTarget::Service(_), Some(Some(p))) => {
            if lookup(p.trim()).is_some() {
                next.privilege = Some(p.trim().to_string());
            } else {
                problems.push(format!("'{}' is not a known privilege.", shorten(p)));
            }
        }
        (ProxyTarget::Service(_), Some(None)) => next.privilege = None,
        (ProxyTarget::Service(_), None) => {}
    }
    if let ProxyTarget::Service(name) = &current.target {
        if next.privilege.is_none() && privileges_for(name).is_none() {
            problems.push(format!(
                "'privilege' must be specified: '{name}' is not a location service keyportal knows."
            ));
        }
    }

    if let Some(referrers) = &changes.allowed_referrers {
        next.allowed_referrers = parse_referrers(referrers, &mut problems);
    }
    match changes.rate_limit_per_key {
        None => {}
        Some(None) => next.rate_limit_per_key = None,
        Some(Some(rate)) => match u32::try_from(rate) {
            Ok(rate) if (1..=MAX_RATE_PER_KEY).contains(&rate) => {
                next.rate_limit_per_key = Some(rate)
            }
            _ => problems.push(format!(
                "'rateLimitPerKey' must be 1 to {MAX_RATE_PER_KEY} requests per second (or empty for no limit)."
            )),
        },
    }
    if let Some(seconds) = changes.timeout_seconds {
        match u32::try_from(seconds) {
            Ok(s) if (1..=MAX_TIMEOUT_SECONDS).contains(&s) => next.timeout_seconds = s,
            _ => problems.push(format!(
                "'timeoutSeconds' must be 1 to {MAX_TIMEOUT_SECONDS}."
            )),
        }
    }
    if let Some(bytes) = changes.max_body_bytes {
        match u64::try_from(bytes) {
            Ok(b) if b <= MAX_MAX_BODY_BYTES => next.max_body_bytes = b,
            _ => problems.push(format!("'maxBodyBytes' must be 0 to {MAX_MAX_BODY_BYTES}.")),
        }
    }
    if let Some(headers) = &changes.upstream_headers {
        next_secrets.headers = parse_headers(headers, &mut problems);
    }
    if let Some(query) = &changes.upstream_query {
        next_secrets.query = parse_query(query, &mut problems);
    }

    // Kept credentials may not be sent to a new upstream. A disabled proxy keeps its old URL
    // (so disabling always works); enabling it later asks for the credentials again.
    if !current.url.is_empty() && next.url != current.url {
        let kept_headers = changes.upstream_headers.is_none() && !secrets.headers.is_empty();
        let kept_query = changes.upstream_query.is_none() && !secrets.query.is_empty();
        if (kept_headers || kept_query) && !next.enabled {
            next.url = current.url.clone();
        } else if kept_headers || kept_query {
            problems.push(
                "The upstream URL changed: send 'upstreamHeaders' and 'upstreamQuery' again (or {} to clear them) so that credentials never follow a URL unasked."
                    .into(),
            );
        }
    }

    if !problems.is_empty() {
        return Err(DomainError::invalid_with(
            "Invalid proxy settings.",
            problems,
        ));
    }
    next.header_names = next_secrets.header_names();
    next.query_names = next_secrets.query_names();
    next.modified = now;
    Ok((next, next_secrets))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// Allows the hosts these tests use.
    fn allowed() -> UpstreamAllowList {
        UpstreamAllowList::replaced(&["*.example.com".into(), "127.0.0.1".into()]).expect("list")
    }

    fn item() -> ProxySettings {
        ProxySettings::new(ProxyTarget::Item("a".repeat(32)), 1)
    }

    fn details(error: DomainError) -> Vec<String> {
        match error {
            DomainError::Invalid { details, .. } => details,
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn a_change_applies_whole_or_not_at_all() {
        let changes = ProxyChanges {
            enabled: Some(true),
            timeout_seconds: Some(0),
            rate_limit_per_key: Some(Some(5)),
            upstream_headers: Some(json!({"X-Api-Key": "s3cret", "Host": "evil", "Bad Name": "x"})),
            allowed_referrers: Some(vec!["*".into(), "https://app.example.com".into()]),
            max_body_bytes: Some(-1),
            ..Default::default()
        };
        let error = apply_changes(
            &item(),
            &UpstreamSecrets::default(),
            &changes,
            Some("https://up.example.com"),
            &allowed(),
            5,
        )
        .expect_err("refused");
        let details = details(error);
        assert_eq!(details.len(), 5, "{details:?}");
        assert!(
            details.iter().all(|d| !d.contains("s3cret")),
            "values are never echoed"
        );
    }

    #[test]
    fn enabling_an_item_copies_its_url_and_keeps_names_of_credentials() {
        let changes = ProxyChanges {
            enabled: Some(true),
            upstream_headers: Some(json!({"X-Api-Key": "s3cret"})),
            upstream_query: Some(json!({"key": "v", "n": 3})),
            allowed_referrers: Some(vec![
                "https://app.example.com".into(),
                "https://app.example.com".into(),
            ]),
            rate_limit_per_key: Some(Some(10)),
            ..Default::default()
        };
        let (settings, secrets) = apply_changes(
            &item(),
            &UpstreamSecrets::default(),
            &changes,
            Some("https://up.example.com/svc/"),
            &allowed(),
            9,
        )
        .expect("applied");
        assert!(settings.enabled);
        assert_eq!(settings.url, "https://up.example.com/svc");
        assert_eq!(settings.header_names, ["X-Api-Key"]);
        assert_eq!(settings.query_names, ["key", "n"]);
        assert_eq!(settings.allowed_referrers.len(), 1);
        assert_eq!(settings.rate_limit_per_key, Some(10));
        assert_eq!(settings.modified, 9);
        assert_eq!(
            secrets.query,
            vec![("key".into(), "v".into()), ("n".into(), "3".into())]
        );
        let shown = format!("{secrets:?}");
        assert!(shown.contains("X-Api-Key") && !shown.contains("s3cret"));

        // The item's URL changed: kept credentials are not sent there.
        let moved = apply_changes(
            &settings,
            &secrets,
            &ProxyChanges::default(),
            Some("https://elsewhere.example.com"),
            &allowed(),
            10,
        );
        assert!(moved.is_err());
        let resent = ProxyChanges {
            upstream_headers: Some(json!({})),
            upstream_query: Some(json!({})),
            ..Default::default()
        };
        let (moved, cleared) = apply_changes(
            &settings,
            &secrets,
            &resent,
            Some("https://elsewhere.example.com"),
            &allowed(),
            10,
        )
        .expect("credentials cleared");
        assert_eq!(moved.url, "https://elsewhere.example.com");
        assert!(cleared.is_empty() && moved.header_names.is_empty());
    }

    #[test]
    fn enabled_upstreams_must_be_on_the_allow_list() {
        let enable = ProxyChanges {
            enabled: Some(true),
            ..Default::default()
        };
        let empty = UpstreamAllowList::default();
        for url in [
            "http://127.0.0.1:8080/admin",
            "http://169.254.169.254/latest/meta-data",
            "http://localhost:8080",
            "https://up.example.com",
        ] {
            let details = details(
                apply_changes(&item(), &Default::default(), &enable, Some(url), &empty, 1)
                    .expect_err(url),
            );
            assert!(
                details.iter().any(|d| d.contains("allow-list")),
                "{url}: {details:?}"
            );
        }
        let refused = details(
            apply_changes(
                &item(),
                &Default::default(),
                &enable,
                Some("http://127.0.0.1:8080/admin"),
                &empty,
                1,
            )
            .expect_err("refused"),
        );
        assert!(
            refused[0].contains("'127.0.0.1' (port 8080)"),
            "{refused:?}"
        );
        assert!(
            apply_changes(
                &item(),
                &Default::default(),
                &enable,
                Some("http://127.0.0.1:8080/admin"),
                &allowed(),
                1
            )
            .is_ok(),
            "named explicitly"
        );
        // Disabling (or saving a disabled proxy) never needs the list.
        let disable = ProxyChanges {
            enabled: Some(false),
            ..Default::default()
        };
        assert!(apply_changes(
            &item(),
            &Default::default(),
            &disable,
            Some("http://10.0.0.1"),
            &empty,
            1
        )
        .is_ok());
    }

    #[test]
    fn items_need_an_http_url_to_be_enabled() {
        let enable = ProxyChanges {
            enabled: Some(true),
            ..Default::default()
        };
        assert!(apply_changes(
            &item(),
            &Default::default(),
            &enable,
            Some(""),
            &allowed(),
            1
        )
        .is_err());
        assert!(apply_changes(
            &item(),
            &Default::default(),
            &enable,
            Some("file:///x"),
            &allowed(),
            1
        )
        .is_err());
        let disabled = ProxyChanges {
            enabled: Some(false),
            timeout_seconds: Some(5),
            ..Default::default()
        };
        let (settings, _) = apply_changes(
            &item(),
            &Default::default(),
            &disabled,
            Some(""),
            &allowed(),
            1,
        )
        .expect("a disabled item may have no url");
        assert_eq!(settings.timeout_seconds, 5);
        let with_url = ProxyChanges {
            url: Some("https://x.example.com".into()),
            ..Default::default()
        };
        assert!(apply_changes(
            &item(),
            &Default::default(),
            &with_url,
            Some(""),
            &allowed(),
            1
        )
        .is_err());
    }

    #[test]
    fn location_services_take_the_catalog_privilege_unless_given() {
        let geocode = ProxySettings::new(ProxyTarget::service("GeoCode").expect("name"), 1);
        assert_eq!(geocode.target.name(), "geocode");
        let changes = ProxyChanges {
            enabled: Some(true),
            url: Some("http://127.0.0.1:9/geocode".into()),
            ..Default::default()
        };
        let (settings, _) =
            apply_changes(&geocode, &Default::default(), &changes, None, &allowed(), 1)
                .expect("ok");
        assert_eq!(
            settings.required_privileges()[0],
            "premium:user:geocode:temporary"
        );
        let custom = ProxySettings::new(ProxyTarget::service("weather").expect("name"), 1);
        assert!(
            apply_changes(&custom, &Default::default(), &changes, None, &allowed(), 1).is_err()
        );
        let with_privilege = ProxyChanges {
            privilege: Some(Some("premium:user:elevation".into())),
            ..changes.clone()
        };
        let (settings, _) = apply_changes(
            &custom,
            &Default::default(),
            &with_privilege,
            None,
            &allowed(),
            1,
        )
        .expect("ok");
        assert_eq!(settings.required_privileges(), ["premium:user:elevation"]);
        let unknown = ProxyChanges {
            privilege: Some(Some("premium:user:teleport".into())),
            ..changes
        };
        assert!(
            apply_changes(&custom, &Default::default(), &unknown, None, &allowed(), 1).is_err()
        );
        assert!(ProxyTarget::service("bad name").is_err());
    }
}
