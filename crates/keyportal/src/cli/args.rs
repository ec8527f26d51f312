//! Command-line arguments. Every setting also reads a `KEYPORTAL_…` environment variable.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

pub use super::backup::BackupArgs;
pub use super::credential::CredentialArgs;
pub use super::item::ItemArgs;
pub use super::restore::RestoreArgs;
pub use super::role::RoleArgs;

#[derive(Debug, Parser)]
#[command(
    name = "keyportal",
    version,
    about = "A self-hosted portal for developer credentials and API keys, speaking the ArcGIS Sharing REST API.",
    after_help = "Exit codes: 0 success; 1 the operation was refused or failed (the reason on \
                  standard error); 2 bad usage; 3 the credential, role, item or member named \
                  does not exist.\nWith --json a command prints one JSON document on standard \
                  output and nothing else there."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the portal server.
    Serve(ServeArgs),
    /// Manage members of the organization (works while the server runs).
    User(UserArgs),
    /// Exit 0 when a keyportal server answers at URL.
    Healthcheck(HealthcheckArgs),
    /// Create, change and delete developer credentials; generate, regenerate and invalidate
    /// their API keys; set their limits.
    Credential(CredentialArgs),
    /// Custom roles: list, show, create, set privileges, delete.
    Role(RoleArgs),
    /// Every item of the organization (administrators): list, show, share.
    Item(ItemArgs),
    /// Import, list, retire, invalidate and migrate legacy API keys (AAPK…).
    Legacy(LegacyArgs),
    /// Usage of API keys by service, for one credential or the organization.
    Usage(UsageArgs),
    /// The audit trail: credential, key, member, role and sign-in events, oldest first.
    Events(EventsArgs),
    /// The service proxy: the allow-list of upstream hosts it may reach.
    Proxy(ProxyArgs),
    /// Write a consistent snapshot of the database (taken while the server runs) to one
    /// portable archive, with a checksum and the schema version.
    Backup(BackupArgs),
    /// Load an archive made by backup into an empty database of either backend (also the way
    /// from SQLite to PostgreSQL).
    Restore(RestoreArgs),
    /// The server key that seals client secrets (every node on one database needs the same).
    #[command(name = "secret-key", subcommand)]
    SecretKey(SecretKeyCommand),
    /// Print the OpenAPI 3.1 document of the REST API (what GET /openapi.json answers).
    Openapi,
    /// Print a shell completion script: keyportal completions bash|zsh|fish.
    Completions {
        #[arg(value_enum)]
        shell: CompletionShell,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
}

#[derive(Debug, Subcommand)]
pub enum SecretKeyCommand {
    /// Print a new random key: 32 bytes from the operating system's CSPRNG, base64url without
    /// padding (43 characters), the form KEYPORTAL_SECRET_KEY and secret_key_file take.
    Generate,
}

#[derive(Debug, Args)]
pub struct ProxyArgs {
    #[command(flatten)]
    pub storage: StorageArgs,
    #[command(subcommand)]
    pub command: ProxyCommand,
}

#[derive(Debug, Subcommand)]
pub enum ProxyCommand {
    /// The upstream hosts proxied items and location services may forward to.
    #[command(name = "allow-list", subcommand)]
    AllowList(AllowListCommand),
}

#[derive(Debug, Subcommand)]
pub enum AllowListCommand {
    /// Show the entries, and the enabled proxies whose upstream they do not allow.
    List,
    /// Add entries: host names (gis.example.com, *.example.com, gis.example.com:8443),
    /// addresses (203.0.113.7, 127.0.0.1:8080, [fd00::7]:443) or blocks (10.0.0.0/8).
    /// Loopback, link-local and private addresses are reached only when named this way.
    Add {
        #[arg(required = true)]
        entries: Vec<String>,
    },
    /// Remove entries (written as they are listed, or in any equivalent form).
    Remove {
        #[arg(required = true)]
        entries: Vec<String>,
    },
}

#[derive(Debug, Args)]
pub struct UsageArgs {
    #[command(flatten)]
    pub storage: StorageArgs,
    /// A credential's item id or client id (default: the whole organization)
    #[arg(long)]
    pub credential: Option<String>,
    /// billing-cycle, previous-billing-cycle, last-30-days or last-60-days
    #[arg(long, default_value = "billing-cycle")]
    pub period: String,
    /// First day of a custom range (YYYY-MM-DD, UTC), with --to
    #[arg(long)]
    pub from: Option<String>,
    /// Last day of a custom range (YYYY-MM-DD, UTC), with --from
    #[arg(long)]
    pub to: Option<String>,
    /// Print CSV rows (date, client id, slot, service, count) instead of totals
    #[arg(long)]
    pub csv: bool,
}

#[derive(Debug, Args)]
pub struct EventsArgs {
    #[command(flatten)]
    pub storage: StorageArgs,
    /// Only events since: YYYY-MM-DD (UTC), a duration back from now (30m, 12h, 7d) or epoch
    /// ms (default: the last 50 events)
    #[arg(long)]
    pub since: Option<String>,
    /// Only events of this type (repeat, or a comma list), e.g. key.generated
    #[arg(long = "type")]
    pub types: Vec<String>,
    /// Keep printing new events as they are recorded (every second) until interrupted
    #[arg(long)]
    pub follow: bool,
    /// One JSON object per line (the REST API's shape) instead of a table
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct LegacyArgs {
    #[command(flatten)]
    pub storage: StorageArgs,
    #[command(subcommand)]
    pub command: LegacyCommand,
}

#[derive(Debug, Subcommand)]
pub enum LegacyCommand {
    /// Import keys from a JSON file: {"keys":[{"key":"AAPK…","owner":"jdoe","title":"…",
    /// "privileges":["premium:user:geocode:temporary"],"itemAccess":["<itemId>"],
    /// "httpReferrers":["https://app.example.com"]}]}. Only hashes are stored.
    Import { file: PathBuf },
    /// Legacy keys with their state and last use.
    List,
    /// Set the date (UTC midnight) after which every legacy key stops working, or clear it.
    Retire {
        #[arg(long)]
        date: Option<String>,
        #[arg(long)]
        clear: bool,
    },
    /// Stop one legacy key at once (by its item id).
    Invalidate { item: String },
    /// Create API key credentials with the legacy key's privileges and print a new key once.
    Migrate { item: String },
}

/// Where the data lives; shared by every command that opens the database.
#[derive(Debug, Args, Clone)]
pub struct StorageArgs {
    /// Directory for the SQLite database and generated files [default: ./keyportal-data]
    #[arg(long, global = true, env = "KEYPORTAL_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database URL: sqlite:PATH or postgres://user@host:port/db [default: SQLite in the data dir]
    #[arg(long, global = true, env = "KEYPORTAL_DATABASE")]
    pub database: Option<String>,
    /// TOML config file with any of: data_dir, listen, database, tls_cert, tls_key,
    /// tls_self_signed, portal_name, org_name, default_key_lifetime_days, metrics_listen,
    /// secret_scanning_keys, event_retention_days, expiry_check_interval, and the limits
    /// (idle_timeout, head_timeout, min_body_rate, body_rate_window, max_connections,
    /// max_connections_per_address, password_hash_threads, password_hash_queue, shutdown_grace)
    #[arg(long, global = true, env = "KEYPORTAL_CONFIG")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub storage: StorageArgs,
    /// Address to listen on [default: 127.0.0.1:7080]
    #[arg(long, env = "KEYPORTAL_LISTEN")]
    pub listen: Option<String>,
    /// PEM certificate chain for HTTPS (with --tls-key)
    #[arg(long, env = "KEYPORTAL_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for HTTPS (with --tls-cert)
    #[arg(long, env = "KEYPORTAL_TLS_KEY")]
    pub tls_key: Option<PathBuf>,
    /// Serve HTTPS with a self-signed certificate for localhost (kept in the data dir)
    #[arg(long, env = "KEYPORTAL_TLS_SELF_SIGNED")]
    pub tls_self_signed: bool,
    /// Name shown as the portal's name [default: keyportal]
    #[arg(long, env = "KEYPORTAL_PORTAL_NAME")]
    pub portal_name: Option<String>,
    /// Name of the organization created on first start [default: My Organization]
    #[arg(long, env = "KEYPORTAL_ORG_NAME")]
    pub org_name: Option<String>,
    /// The portal's public site root, e.g. https://portal.example.com (the built-in sign-in
    /// clients may redirect only there) [default: the listen address]
    #[arg(long, env = "KEYPORTAL_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Proxies (addresses and CIDR blocks, comma-separated) whose X-Forwarded-For and
    /// X-Real-IP name the client address; from anyone else those headers are ignored
    /// [default: none]
    #[arg(long, env = "KEYPORTAL_TRUSTED_PROXIES")]
    pub trusted_proxies: Option<String>,
    /// Days a key lives when minted into a slot without an expiration date [default: 30]
    #[arg(long, env = "KEYPORTAL_DEFAULT_KEY_LIFETIME_DAYS")]
    pub default_key_lifetime_days: Option<i64>,
    /// Address of a separate plain-HTTP listener answering GET /metrics (Prometheus text
    /// format), e.g. 127.0.0.1:9464 [default: none, no metrics listener]
    #[arg(long, env = "KEYPORTAL_METRICS_LISTEN")]
    pub metrics_listen: Option<String>,
    /// GitHub's secret scanning public keys: a JSON file in the shape GitHub publishes
    /// ({"public_keys":[{"key_identifier","key","is_current"}]}); enables
    /// POST /secret-scanning/github [default: none, the route answers 404]
    #[arg(long, env = "KEYPORTAL_SECRET_SCANNING_KEYS")]
    pub secret_scanning_keys: Option<PathBuf>,
    /// Days events are kept before the background task deletes them [default: forever]
    #[arg(long, env = "KEYPORTAL_EVENT_RETENTION_DAYS")]
    pub event_retention_days: Option<u32>,
    /// Seconds between expiry checks (1–60) [default: 60]
    #[arg(long, env = "KEYPORTAL_EXPIRY_CHECK_INTERVAL")]
    pub expiry_check_interval: Option<u64>,
    #[command(flatten)]
    pub limits: crate::config::LimitKnobs,
}

#[derive(Debug, Args)]
pub struct UserArgs {
    #[command(flatten)]
    pub storage: StorageArgs,
    #[command(subcommand)]
    pub command: UserCommand,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a member. Without --password-stdin a password is generated and printed once.
    Add {
        #[arg(long)]
        username: String,
        /// Read the password from the first line of standard input
        #[arg(long)]
        password_stdin: bool,
        /// org_admin, org_publisher, org_user, viewer, "data editor" or a custom role id/name
        #[arg(long, default_value = "org_user")]
        role: String,
        /// viewerUT, editorUT, fieldWorkerUT, creatorUT, GISProfessionalBasicUT,
        /// GISProfessionalStdUT or GISProfessionalAdvUT
        #[arg(long, default_value = "creatorUT")]
        user_type: String,
        #[arg(long)]
        full_name: Option<String>,
        #[arg(long)]
        email: Option<String>,
    },
    /// List members with their role, user type and state.
    List,
    /// Give a member another role.
    SetRole { username: String, role: String },
    /// Give a member another user type.
    SetUserType { username: String, user_type: String },
    /// Disable a member: they cannot sign in and their tokens stop working.
    Disable { username: String },
    /// Enable a disabled member.
    Enable { username: String },
}

#[derive(Debug, Args)]
pub struct HealthcheckArgs {
    /// The server's site root or its /health URL
    #[arg(long, env = "KEYPORTAL_URL", default_value = "http://127.0.0.1:7080")]
    pub url: String,
}
