//! Which database to use, parsed strictly from the `--database` setting.
//!
//! A typo must never become a fresh empty database, so anything that is not clearly a SQLite
//! path or a PostgreSQL URL is refused with the accepted forms in the message.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::StoreError;

/// File name of the SQLite database inside the data directory.
const SQLITE_FILE: &str = "keyportal.db";

const ACCEPTED_FORMS: &str =
    "accepted forms: sqlite:PATH, sqlite://PATH, sqlite:///ABSOLUTE/PATH, \
                              postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE or postgresql://…";

/// A database the store can open.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// An SQLite file, created on first use (its directory must exist).
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL, kept verbatim for the driver.
    Postgres(String),
}

impl DatabaseUrl {
    /// Parses `sqlite:PATH`, `sqlite://PATH`, `sqlite:///abs/path`, `postgres://…` or
    /// `postgresql://…`; everything else is a `Config` error.
    pub fn parse(s: &str) -> Result<DatabaseUrl, StoreError> {
        let trimmed = s.trim();
        if trimmed.is_empty() {
            return Err(StoreError::Config(format!(
                "the database URL is empty; {ACCEPTED_FORMS}"
            )));
        }
        let lower = trimmed.to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            let rest = &trimmed[trimmed.find("://").map_or(0, |i| i + 3)..];
            if rest.is_empty() {
                return Err(StoreError::Config(format!(
                    "the PostgreSQL URL names no server; {ACCEPTED_FORMS}"
                )));
            }
            return Ok(DatabaseUrl::Postgres(trimmed.to_string()));
        }
        if lower.starts_with("sqlite:") {
            let rest = &trimmed["sqlite:".len()..];
            let path = rest.strip_prefix("//").unwrap_or(rest);
            if path.is_empty() {
                return Err(StoreError::Config(format!(
                    "the SQLite URL '{trimmed}' names no file; {ACCEPTED_FORMS}"
                )));
            }
            if path.contains('?') || path == ":memory:" {
                return Err(StoreError::Config(format!(
                    "the SQLite URL '{trimmed}' has options or names an in-memory database; \
                     give a file path only ({ACCEPTED_FORMS})"
                )));
            }
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(path)));
        }
        let shown: String = trimmed.chars().take(80).collect();
        let shown = DatabaseUrl::Postgres(shown).redacted();
        Err(StoreError::Config(format!(
            "unsupported database URL '{shown}'; {ACCEPTED_FORMS}"
        )))
    }

    /// The default database: `keyportal.db` in the data directory.
    pub fn sqlite_in(data_dir: &Path) -> DatabaseUrl {
        DatabaseUrl::Sqlite(data_dir.join(SQLITE_FILE))
    }

    /// The URL with any password replaced by `***`, safe for logs and error messages.
    pub fn redacted(&self) -> String {
        match self {
            DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
            DatabaseUrl::Postgres(url) => redact_url(url),
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, DatabaseUrl::Postgres(_))
    }
}

/// Hides the password of `scheme://user:password@host/…` and any `password=` query value.
fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_string();
    };
    let (scheme, rest) = url.split_at(scheme_end);
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rfind('@') {
        Some(at) => {
            let (userinfo, host) = authority.split_at(at);
            match userinfo.split_once(':') {
                Some((user, _password)) => format!("{user}:***{host}"),
                None => authority.to_string(),
            }
        }
        None => authority.to_string(),
    };
    format!("{scheme}{authority}{}", redact_query_password(tail))
}

fn redact_query_password(tail: &str) -> String {
    let Some((path, query)) = tail.split_once('?') else {
        return tail.to_string();
    };
    let query = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
            _ => pair.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&");
    format!("{path}?{query}")
}

/// Debug shows the redacted form so a stray `{:?}` cannot leak a password.
impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({})", self.redacted())
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config_error(s: &str) -> String {
        match DatabaseUrl::parse(s) {
            Err(StoreError::Config(message)) => message,
            other => panic!("{s:?} should be refused, got {other:?}"),
        }
    }

    #[test]
    fn sqlite_forms() {
        let cases = [
            ("sqlite:data/kp.db", "data/kp.db"),
            ("sqlite://data/kp.db", "data/kp.db"),
            ("sqlite:///var/lib/kp.db", "/var/lib/kp.db"),
            ("sqlite:/var/lib/kp.db", "/var/lib/kp.db"),
            ("SQLite://kp.db", "kp.db"),
            ("  sqlite:kp.db  ", "kp.db"),
        ];
        for (input, path) in cases {
            assert_eq!(
                DatabaseUrl::parse(input).expect(input),
                DatabaseUrl::Sqlite(PathBuf::from(path)),
                "{input}"
            );
        }
    }

    #[test]
    fn postgres_forms() {
        for input in [
            "postgres://kp@db/keyportal",
            "postgresql://kp:pw@db:5433/keyportal?sslmode=disable",
        ] {
            let url = DatabaseUrl::parse(input).expect(input);
            assert!(url.is_postgres());
            assert_eq!(url, DatabaseUrl::Postgres(input.to_string()));
        }
    }

    #[test]
    fn everything_else_is_refused_with_the_accepted_forms() {
        for input in [
            "",
            "   ",
            "mysql://x",
            "postgress://x",
            "foo.db",
            "/var/lib/kp.db",
            "sqlite:",
            "sqlite://",
            "sqlite::memory:",
            "sqlite://kp.db?mode=ro",
            "postgres://",
        ] {
            let message = config_error(input);
            assert!(message.contains("sqlite:PATH"), "{input}: {message}");
            assert!(message.contains("postgres://"), "{input}: {message}");
        }
    }

    #[test]
    fn refusal_does_not_echo_a_password() {
        let message = config_error("postgress://kp:hunter2@db/x");
        assert!(!message.contains("hunter2"), "{message}");
    }

    #[test]
    fn redaction_hides_passwords() {
        let url = DatabaseUrl::parse("postgres://kp:s3cr:et@db.example:5432/kp?password=zz&x=1")
            .expect("parse");
        let shown = url.redacted();
        assert_eq!(
            shown,
            "postgres://kp:***@db.example:5432/kp?password=***&x=1"
        );
        assert!(!format!("{url:?}").contains("s3cr"));
        assert!(!url.to_string().contains("zz"));
        let plain = DatabaseUrl::parse("postgres://kp@db/kp").expect("parse");
        assert_eq!(plain.redacted(), "postgres://kp@db/kp");
    }

    #[test]
    fn data_dir_default() {
        let url = DatabaseUrl::sqlite_in(Path::new("/srv/kp"));
        assert_eq!(
            url,
            DatabaseUrl::Sqlite(PathBuf::from("/srv/kp/keyportal.db"))
        );
        assert!(!url.is_postgres());
        assert_eq!(url.redacted(), "sqlite:///srv/kp/keyportal.db");
    }
}
