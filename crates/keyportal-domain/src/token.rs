//! User tokens: opaque random strings handed out by `generateToken` (and later OAuth), stored
//! only as SHA-256 hashes, optionally bound to the `Referer` or address they were issued for.

use crate::error::DomainError;
use crate::referer_binding::binding_allows;
use crate::time::{EpochMillis, MINUTE_MS};

/// Default lifetime when `expiration` is absent.
pub const DEFAULT_TOKEN_MINUTES: i64 = 60;
/// The longest lifetime a user token may have: two weeks, as ArcGIS.
pub const MAX_TOKEN_MINUTES: i64 = 20_160;

/// What a token is bound to (`client` parameter of generateToken).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenBinding {
    /// Usable from anywhere.
    None,
    /// Requests must carry a `Referer` (or `Origin`) this value allows: the same origin (and
    /// a page below its path) for a URL, the same text for a label (`referer_binding`).
    Referer(String),
    /// Requests must come from this address.
    Ip(String),
}

/// A stored user token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserToken {
    pub hash: String,
    pub username: String,
    pub created: EpochMillis,
    pub expires: EpochMillis,
    pub binding: TokenBinding,
}

impl UserToken {
    pub fn is_expired(&self, now: EpochMillis) -> bool {
        now >= self.expires
    }

    /// Whether a request with these facts may use the token.
    pub fn binding_allows(&self, referer: Option<&str>, client_ip: Option<&str>) -> bool {
        match &self.binding {
            TokenBinding::None => true,
            TokenBinding::Referer(bound) => referer.is_some_and(|r| binding_allows(bound, r)),
            TokenBinding::Ip(bound) => client_ip.is_some_and(|ip| ip == bound),
        }
    }
}

/// Checks the `ip` of `client=ip` and writes it as request addresses are written, so
/// `::FFFF:10.0.0.1`-style spellings compare equal to what the server sees.
pub fn check_ip_binding(ip: &str) -> Result<String, DomainError> {
    ip.trim()
        .parse::<std::net::IpAddr>()
        .map(|address| address.to_string())
        .map_err(|_| {
            DomainError::invalid_with(
                "Unable to generate token.",
                vec!["'ip' must be an IPv4 or IPv6 address.".into()],
            )
        })
}

/// Lifetime in milliseconds for an `expiration` parameter given in minutes.
pub fn token_lifetime_ms(expiration_minutes: Option<i64>) -> Result<EpochMillis, DomainError> {
    match expiration_minutes {
        None => Ok(DEFAULT_TOKEN_MINUTES * MINUTE_MS),
        Some(m) if m <= 0 => Err(DomainError::invalid_with(
            "Unable to generate token.",
            vec!["'expiration' must be a positive number of minutes.".into()],
        )),
        Some(m) => Ok(m.min(MAX_TOKEN_MINUTES) * MINUTE_MS),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(binding: TokenBinding) -> UserToken {
        UserToken {
            hash: "h".into(),
            username: "u".into(),
            created: 0,
            expires: 100,
            binding,
        }
    }

    #[test]
    fn expiry_is_exclusive_at_the_deadline() {
        let t = token(TokenBinding::None);
        assert!(!t.is_expired(99));
        assert!(t.is_expired(100));
    }

    #[test]
    fn referer_binding_compares_origins() {
        let t = token(TokenBinding::Referer("https://App.example.com".into()));
        assert!(t.binding_allows(Some("https://app.example.com/page?x=1"), None));
        assert!(!t.binding_allows(Some("https://evil.example.com"), None));
        assert!(!t.binding_allows(Some("https://app.example.com.evil.net/"), None));
        assert!(!t.binding_allows(None, None));
        let node = token(TokenBinding::Referer("@esri/arcgis-rest-js".into()));
        assert!(node.binding_allows(Some("@esri/arcgis-rest-js"), None));
    }

    #[test]
    fn ip_bindings_are_addresses() {
        assert_eq!(check_ip_binding(" 10.0.0.1 ").as_deref(), Ok("10.0.0.1"));
        assert_eq!(check_ip_binding("0:0::1").as_deref(), Ok("::1"));
        for bad in ["", "10.0.0", "10.0.0.1\0", "host.example", "10.0.0.1/8"] {
            assert!(check_ip_binding(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn ip_binding() {
        let t = token(TokenBinding::Ip("10.0.0.1".into()));
        assert!(t.binding_allows(None, Some("10.0.0.1")));
        assert!(!t.binding_allows(None, Some("10.0.0.2")));
    }

    #[test]
    fn lifetimes_are_capped() {
        assert_eq!(token_lifetime_ms(None), Ok(60 * MINUTE_MS));
        assert_eq!(token_lifetime_ms(Some(20_160)), Ok(20_160 * MINUTE_MS));
        assert_eq!(token_lifetime_ms(Some(99_999)), Ok(20_160 * MINUTE_MS));
        assert!(token_lifetime_ms(Some(0)).is_err());
    }
}
