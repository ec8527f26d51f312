//! Settings: every one has a flag, a `KEYPORTAL_…` environment variable and a config-file key.
//! Precedence: flag, then environment, then config file, then the default.

mod limits;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use keyportal_service::{HashingLimits, Sealer};
use keyportal_store::DatabaseUrl;
use serde::Deserialize;

pub use limits::{resolve_limits, LimitKnobs};

use crate::conn::ConnectionLimits;

pub const DEFAULT_DATA_DIR: &str = "./keyportal-data";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:7080";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("config file {path} is invalid: {reason}")]
    Parse { path: String, reason: String },
    #[error("{0}")]
    Invalid(String),
}

/// The keys a config file (TOML) may set. Unknown keys are refused so typos do not hide.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub data_dir: Option<PathBuf>,
    pub listen: Option<String>,
    pub database: Option<String>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub tls_self_signed: Option<bool>,
    pub portal_name: Option<String>,
    pub org_name: Option<String>,
    pub public_url: Option<String>,
    pub trusted_proxies: Option<String>,
    pub secret_key_file: Option<PathBuf>,
    pub default_key_lifetime_days: Option<i64>,
    pub idle_timeout: Option<u64>,
    pub head_timeout: Option<u64>,
    pub min_body_rate: Option<u64>,
    pub body_rate_window: Option<u64>,
    pub max_connections: Option<usize>,
    pub max_connections_per_address: Option<usize>,
    pub password_hash_threads: Option<usize>,
    pub password_hash_queue: Option<usize>,
    pub shutdown_grace: Option<u64>,
    pub metrics_listen: Option<String>,
    pub secret_scanning_keys: Option<PathBuf>,
    pub event_retention_days: Option<u32>,
    pub expiry_check_interval: Option<u64>,
}

impl FileConfig {
    pub fn load(path: Option<&Path>) -> Result<FileConfig, ConfigError> {
        let Some(path) = path else {
            return Ok(FileConfig::default());
        };
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.display().to_string(),
            reason: e.to_string(),
        })
    }
}

/// Where the data lives: shared by `serve` and the CLI commands.
#[derive(Debug, Clone)]
pub struct StorageConfig {
    pub data_dir: PathBuf,
    pub database: DatabaseUrl,
    /// The sealing key for client secrets: `KEYPORTAL_SECRET_KEY` (the key text), else this
    /// file (created with a fresh key when missing).
    pub secret_key_file: PathBuf,
}

/// Where the sealing key in use came from, with its text.
#[derive(Clone, PartialEq, Eq)]
pub enum SecretKeySource {
    Environment(String),
    File(String),
}

impl SecretKeySource {
    pub fn text(&self) -> &str {
        match self {
            SecretKeySource::Environment(text) | SecretKeySource::File(text) => text,
        }
    }
}

impl std::fmt::Debug for SecretKeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SecretKeySource::Environment(_) => "Environment(<redacted>)",
            SecretKeySource::File(_) => "File(<redacted>)",
        })
    }
}

/// Name of the environment variable holding the sealing key itself (for several nodes).
pub const SECRET_KEY_ENV: &str = "KEYPORTAL_SECRET_KEY";

impl StorageConfig {
    pub fn resolve(
        data_dir: Option<PathBuf>,
        database: Option<String>,
        file: &FileConfig,
    ) -> Result<StorageConfig, ConfigError> {
        let data_dir = data_dir
            .or_else(|| file.data_dir.clone())
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
        let database = match database.or_else(|| file.database.clone()) {
            Some(url) => {
                DatabaseUrl::parse(&url).map_err(|e| ConfigError::Invalid(e.to_string()))?
            }
            None => DatabaseUrl::sqlite_in(&data_dir),
        };
        let secret_key_file = file
            .secret_key_file
            .clone()
            .unwrap_or_else(|| data_dir.join("secret.key"));
        Ok(StorageConfig {
            data_dir,
            database,
            secret_key_file,
        })
    }

    /// The sealer for client secrets. Nodes sharing a PostgreSQL database must share the key
    /// (set `KEYPORTAL_SECRET_KEY`, or point `secret_key_file` at the same file).
    pub fn sealer(&self) -> Result<Sealer, ConfigError> {
        if let Some(text) = std::env::var(SECRET_KEY_ENV)
            .ok()
            .filter(|v| !v.trim().is_empty())
        {
            return Sealer::from_key_text(&text)
                .map_err(|e| ConfigError::Invalid(format!("{SECRET_KEY_ENV}: {e}")));
        }
        let path = &self.secret_key_file;
        match std::fs::read_to_string(path) {
            Ok(text) => Sealer::from_key_text(&text)
                .map_err(|e| ConfigError::Invalid(format!("{}: {e}", path.display()))),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let text = Sealer::generate_key_text();
                write_private_file(path, &text).map_err(|e| {
                    ConfigError::Invalid(format!("cannot write {}: {e}", path.display()))
                })?;
                if self.database.is_postgres() {
                    tracing::warn!(
                        path = %path.display(),
                        "generated a new secret key: every node on this database must use the same one ({SECRET_KEY_ENV} or secret_key_file)"
                    );
                }
                Sealer::from_key_text(&text).map_err(ConfigError::Invalid)
            }
            Err(error) => Err(ConfigError::Invalid(format!(
                "cannot read {}: {error}",
                path.display()
            ))),
        }
    }

    /// The configured sealing key's text, without creating one: `KEYPORTAL_SECRET_KEY`, else
    /// the key file, else `None` (for backup and restore, which must not invent a key).
    pub fn existing_secret_key(&self) -> Result<Option<SecretKeySource>, ConfigError> {
        if let Some(text) = std::env::var(SECRET_KEY_ENV)
            .ok()
            .filter(|v| !v.trim().is_empty())
        {
            return Ok(Some(SecretKeySource::Environment(text.trim().to_string())));
        }
        match std::fs::read_to_string(&self.secret_key_file) {
            Ok(text) => Ok(Some(SecretKeySource::File(text.trim().to_string()))),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(ConfigError::Invalid(format!(
                "cannot read {}: {error}",
                self.secret_key_file.display()
            ))),
        }
    }

    /// Creates the data directory when the database lives in it.
    pub fn prepare(&self) -> Result<(), ConfigError> {
        if let DatabaseUrl::Sqlite(path) = &self.database {
            if path.starts_with(&self.data_dir) {
                std::fs::create_dir_all(&self.data_dir).map_err(|e| {
                    ConfigError::Invalid(format!(
                        "cannot create data directory {}: {e}",
                        self.data_dir.display()
                    ))
                })?;
            }
        }
        Ok(())
    }
}

/// How the server speaks TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsConfig {
    None,
    Files {
        cert: PathBuf,
        key: PathBuf,
    },
    /// A certificate for localhost/127.0.0.1 generated at start (kept in the data dir).
    SelfSigned,
}

#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub storage: StorageConfig,
    pub listen: SocketAddr,
    pub tls: TlsConfig,
    pub portal_name: String,
    pub org_name: String,
    pub admin_password: Option<String>,
    /// Lifetime of keys minted into undated slots.
    pub default_key_lifetime_days: i64,
    /// Timeouts, the minimum body rate and connection counts.
    pub connections: ConnectionLimits,
    /// Argon2 threads and the queue before them.
    pub password_hashing: HashingLimits,
    /// The site root people and clients reach the portal at (`https://portal.example.com`),
    /// normalised by [`parse_public_url`]; `None`: the address the server listens on.
    pub public_url: Option<String>,
    /// Where `GET /metrics` answers (Prometheus); `None`: no metrics listener.
    pub metrics_listen: Option<SocketAddr>,
    /// GitHub's secret scanning public keys (its published JSON document); `None`:
    /// `/secret-scanning/github` answers 404.
    pub secret_scanning_keys: Option<PathBuf>,
    /// Expiry checks and event retention.
    pub events: EventTasks,
    /// Proxies whose `X-Forwarded-For` / `X-Real-IP` name the client (`--trusted-proxies`).
    pub trusted_proxies: keyportal_domain::address::TrustedProxies,
}

/// Reads GitHub's secret scanning key document (`--secret-scanning-keys`).
pub fn load_secret_scanning_keys(
    path: &Path,
) -> Result<keyportal_domain::leak::github::ScanningKeys, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    keyportal_domain::leak::github::ScanningKeys::from_document(&text).map_err(|reason| {
        ConfigError::Invalid(format!(
            "--secret-scanning-keys {}: {reason}",
            path.display()
        ))
    })
}

/// The background work on events: expiry checks and retention.
#[derive(Debug, Clone, Copy)]
pub struct EventTasks {
    /// Events older than this many days are deleted; `None` keeps them forever.
    pub retention_days: Option<u32>,
    /// Time between expiry checks (at most a minute).
    pub expiry_interval: std::time::Duration,
}

impl Default for EventTasks {
    fn default() -> Self {
        EventTasks {
            retention_days: None,
            expiry_interval: std::time::Duration::from_secs(60),
        }
    }
}

/// Checks a public URL: `http(s)://host[:port]`, nothing after it but an optional `/`.
/// Returns it with a lower-case scheme and without the trailing slash.
pub fn parse_public_url(value: &str) -> Result<String, ConfigError> {
    let refuse = || {
        ConfigError::Invalid(format!(
            "--public-url '{value}' is not a site root like https://portal.example.com or http://127.0.0.1:7080"
        ))
    };
    let (scheme, rest) = value.trim().split_once("://").ok_or_else(refuse)?;
    let scheme = scheme.to_ascii_lowercase();
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    let plain = authority
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    if !matches!(scheme.as_str(), "http" | "https") || authority.is_empty() || !plain {
        return Err(refuse());
    }
    Ok(format!("{scheme}://{authority}"))
}

/// The public URL to use: the configured one, or the address the server is bound to.
pub fn public_url_or_default(configured: Option<&str>, https: bool, bound: SocketAddr) -> String {
    match configured {
        Some(url) => url.to_string(),
        None => format!("{}://{bound}", if https { "https" } else { "http" }),
    }
}

/// Writes a file only its owner can read (a secret key).
pub fn write_private_file(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(text.as_bytes())
}

pub fn parse_listen(value: &str) -> Result<SocketAddr, ConfigError> {
    value.parse().map_err(|_| {
        ConfigError::Invalid(format!(
            "--listen '{value}' is not an address like 127.0.0.1:7080 or [::1]:7080"
        ))
    })
}

/// The metrics listener's address: flag or environment, then the config file; none by default.
pub fn resolve_metrics_listen(
    given: Option<String>,
    file: &FileConfig,
) -> Result<Option<SocketAddr>, ConfigError> {
    let Some(value) = given.or_else(|| file.metrics_listen.clone()) else {
        return Ok(None);
    };
    value.trim().parse().map(Some).map_err(|_| {
        ConfigError::Invalid(format!(
            "--metrics-listen '{value}' is not an address like 127.0.0.1:9464 or [::1]:9464"
        ))
    })
}

pub fn resolve_tls(
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
    self_signed: bool,
    file: &FileConfig,
) -> Result<TlsConfig, ConfigError> {
    let cert = cert.or_else(|| file.tls_cert.clone());
    let key = key.or_else(|| file.tls_key.clone());
    let self_signed = self_signed || file.tls_self_signed.unwrap_or(false);
    match (cert, key, self_signed) {
        (Some(_), _, true) | (_, Some(_), true) => Err(ConfigError::Invalid(
            "use either --tls-cert/--tls-key or --tls-self-signed, not both".into(),
        )),
        (Some(cert), Some(key), false) => Ok(TlsConfig::Files { cert, key }),
        (Some(_), None, false) | (None, Some(_), false) => Err(ConfigError::Invalid(
            "--tls-cert and --tls-key must be given together".into(),
        )),
        (None, None, true) => Ok(TlsConfig::SelfSigned),
        (None, None, false) => Ok(TlsConfig::None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_defaults_to_sqlite_in_the_data_dir() {
        let storage = StorageConfig::resolve(Some("/tmp/kp".into()), None, &FileConfig::default())
            .expect("resolve");
        assert!(matches!(storage.database, DatabaseUrl::Sqlite(p) if p.starts_with("/tmp/kp")));
    }

    #[test]
    fn unknown_database_urls_are_refused() {
        for url in ["mysql://x/y", "postgress://x", "kp.db", ""] {
            assert!(
                StorageConfig::resolve(None, Some(url.into()), &FileConfig::default()).is_err(),
                "{url} accepted"
            );
        }
    }

    #[test]
    fn flags_win_over_the_config_file() {
        let file: FileConfig =
            toml::from_str("data_dir = \"/from/file\"\nlisten = \"0.0.0.0:1\"").expect("toml");
        let storage =
            StorageConfig::resolve(Some("/from/flag".into()), None, &file).expect("resolve");
        assert_eq!(storage.data_dir, PathBuf::from("/from/flag"));
        let storage = StorageConfig::resolve(None, None, &file).expect("resolve");
        assert_eq!(storage.data_dir, PathBuf::from("/from/file"));
    }

    #[test]
    fn config_files_refuse_unknown_keys() {
        assert!(toml::from_str::<FileConfig>("listn = \"x\"").is_err());
    }

    #[test]
    fn tls_options_must_be_consistent() {
        let none = FileConfig::default();
        assert_eq!(
            resolve_tls(None, None, false, &none).ok(),
            Some(TlsConfig::None)
        );
        assert_eq!(
            resolve_tls(None, None, true, &none).ok(),
            Some(TlsConfig::SelfSigned)
        );
        assert!(resolve_tls(Some("c".into()), None, false, &none).is_err());
        assert!(resolve_tls(Some("c".into()), Some("k".into()), true, &none).is_err());
    }

    #[test]
    fn public_urls_are_site_roots() {
        assert_eq!(
            parse_public_url("HTTPS://portal.example.com/")
                .ok()
                .as_deref(),
            Some("https://portal.example.com")
        );
        assert_eq!(
            parse_public_url("http://[::1]:7080").ok().as_deref(),
            Some("http://[::1]:7080")
        );
        for bad in [
            "portal.example.com",
            "ftp://portal.example.com",
            "https://",
            "https://portal.example.com/app",
            "https://user@portal.example.com",
            "https://portal.example.com?x",
        ] {
            assert!(parse_public_url(bad).is_err(), "{bad}");
        }
        let bound: SocketAddr = "127.0.0.1:7443".parse().unwrap();
        assert_eq!(
            public_url_or_default(None, true, bound),
            "https://127.0.0.1:7443"
        );
        assert_eq!(
            public_url_or_default(Some("https://p.example"), false, bound),
            "https://p.example"
        );
    }

    #[test]
    fn the_metrics_listener_is_off_unless_set_and_the_flag_wins() {
        let none = FileConfig::default();
        assert_eq!(resolve_metrics_listen(None, &none).ok(), Some(None));
        let file: FileConfig = toml::from_str("metrics_listen = \"127.0.0.1:9464\"").expect("toml");
        let from_file: SocketAddr = "127.0.0.1:9464".parse().unwrap();
        assert_eq!(
            resolve_metrics_listen(None, &file).ok(),
            Some(Some(from_file))
        );
        let from_flag: SocketAddr = "[::1]:9100".parse().unwrap();
        assert_eq!(
            resolve_metrics_listen(Some("[::1]:9100".into()), &file).ok(),
            Some(Some(from_flag))
        );
        assert!(resolve_metrics_listen(Some("localhost:9464".into()), &none).is_err());
    }

    #[test]
    fn listen_addresses_are_checked() {
        assert!(parse_listen("127.0.0.1:7080").is_ok());
        assert!(parse_listen("localhost").is_err());
    }
}
