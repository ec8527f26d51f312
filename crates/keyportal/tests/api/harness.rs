//! The test server: the real `keyportal` server started in-process on a free port, over HTTP
//! or HTTPS, on SQLite (temp dir) or PostgreSQL (a fresh database per test).

use std::path::PathBuf;

use keyportal::config::{ServeConfig, StorageConfig, TlsConfig};
use keyportal::server::{start, RunningServer};
use keyportal_store::DatabaseUrl;
use serde_json::Value;
use sqlx::Connection;

pub const ADMIN_PASSWORD: &str = "admin-pass-1";
pub const REFERER: &str = "@esri/arcgis-rest-js";
pub const PG_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestServer {
    pub server: Option<RunningServer>,
    pub url: String,
    pub client: reqwest::Client,
    pub data_dir: tempfile::TempDir,
    pub database: DatabaseUrl,
    pg_database: Option<String>,
    /// Changes to the default configuration (limits a test needs), kept for restarts.
    tune: fn(&mut ServeConfig),
}

/// A fresh PostgreSQL database, or `None` (with a loud message) when PostgreSQL is not there
/// outside CI. In CI an unreachable PostgreSQL fails the test.
pub async fn fresh_pg_database() -> Option<String> {
    match sqlx::PgConnection::connect(PG_ADMIN_URL).await {
        Ok(mut conn) => {
            let name = format!("kp_api_{}", keyportal_domain::secret::random_hex::<6>());
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .expect("create test database");
            Some(name)
        }
        Err(error) => {
            if std::env::var_os("CI").is_some() {
                panic!("PostgreSQL at 127.0.0.1:5432 is unreachable in CI: {error}");
            }
            eprintln!("SKIPPING PostgreSQL API test: PostgreSQL at 127.0.0.1:5432 is unreachable ({error})");
            None
        }
    }
}

impl TestServer {
    pub async fn start(backend: Backend, https: bool) -> Option<TestServer> {
        Self::start_tuned(backend, https, |_| {}).await
    }

    /// A server whose configuration `tune` adjusts first.
    pub async fn start_tuned(
        backend: Backend,
        https: bool,
        tune: fn(&mut ServeConfig),
    ) -> Option<TestServer> {
        // Server warnings and errors appear in the output of a failing test.
        let _ = tracing_subscriber::fmt()
            .with_test_writer()
            .with_env_filter(tracing_subscriber::EnvFilter::new("warn"))
            .try_init();
        let data_dir = tempfile::tempdir().expect("temp dir");
        let (database, pg_database) = match backend {
            Backend::Sqlite => (DatabaseUrl::sqlite_in(data_dir.path()), None),
            Backend::Postgres => {
                let name = fresh_pg_database().await?;
                (
                    DatabaseUrl::parse(&format!("postgres://postgres@127.0.0.1:5432/{name}"))
                        .expect("url"),
                    Some(name),
                )
            }
        };
        let server =
            Self::launch(data_dir.path().to_path_buf(), database.clone(), https, tune).await;
        let client = reqwest::Client::builder()
            .danger_accept_invalid_certs(true)
            .build()
            .expect("client");
        Some(TestServer {
            url: server.url(),
            server: Some(server),
            client,
            data_dir,
            database,
            pg_database,
            tune,
        })
    }

    /// Requests go to `url`, a keyportal process the test runs itself on `database` (which
    /// the test cleans up), with its data in `data_dir`.
    pub fn for_process(
        url: String,
        data_dir: tempfile::TempDir,
        database: DatabaseUrl,
    ) -> TestServer {
        TestServer {
            server: None,
            url,
            client: reqwest::Client::new(),
            data_dir,
            database,
            pg_database: None,
            tune: |_| {},
        }
    }

    async fn launch(
        data_dir: PathBuf,
        database: DatabaseUrl,
        https: bool,
        tune: fn(&mut ServeConfig),
    ) -> RunningServer {
        let mut config = ServeConfig {
            storage: StorageConfig {
                secret_key_file: data_dir.join("secret.key"),
                data_dir,
                database,
            },
            listen: "127.0.0.1:0".parse().expect("addr"),
            tls: if https {
                TlsConfig::SelfSigned
            } else {
                TlsConfig::None
            },
            portal_name: "keyportal test".into(),
            org_name: "Test Org".into(),
            admin_password: Some(ADMIN_PASSWORD.into()),
            default_key_lifetime_days: 30,
            public_url: None,
            metrics_listen: None,
            secret_scanning_keys: None,
            events: Default::default(),
            trusted_proxies: Default::default(),
            connections: Default::default(),
            password_hashing: Default::default(),
        };
        tune(&mut config);
        start(config).await.expect("server starts")
    }

    /// Stops the server and starts it again on the same database (new port).
    pub async fn restart(&mut self) {
        if let Some(server) = self.server.take() {
            server.stop().await;
        }
        let https = self.url.starts_with("https");
        let server = Self::launch(
            self.data_dir.path().to_path_buf(),
            self.database.clone(),
            https,
            self.tune,
        )
        .await;
        self.url = server.url();
        self.server = Some(server);
    }

    pub fn rest(&self, path: &str) -> String {
        format!("{}/sharing/rest/{}", self.url, path.trim_start_matches('/'))
    }

    /// POSTs a form to a Sharing API path (with `f=json`) and returns the JSON answer.
    pub async fn post(&self, path: &str, token: Option<&str>, form: &[(&str, &str)]) -> Value {
        let mut fields: Vec<(&str, &str)> = form.to_vec();
        fields.push(("f", "json"));
        if let Some(token) = token {
            fields.push(("token", token));
        }
        let response = self
            .client
            .post(self.rest(path))
            .header("Referer", REFERER)
            .form(&fields)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 200, "Sharing API answers are HTTP 200");
        response.json().await.expect("json answer")
    }

    /// POSTs a form to a path outside the Sharing API root (for example `/portaladmin/…`).
    pub async fn post_raw(&self, path: &str, form: &[(&str, &str)]) -> Value {
        self.client
            .post(format!("{}{}", self.url, path))
            .header("Referer", REFERER)
            .form(form)
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("json answer")
    }

    /// GETs a Sharing API path with query parameters.
    pub async fn get(&self, path: &str, token: Option<&str>, query: &[(&str, &str)]) -> Value {
        let mut fields: Vec<(&str, &str)> = query.to_vec();
        fields.push(("f", "json"));
        if let Some(token) = token {
            fields.push(("token", token));
        }
        let response = self
            .client
            .get(self.rest(path))
            .header("Referer", REFERER)
            .query(&fields)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 200);
        response.json().await.expect("json answer")
    }

    /// A GET of a Sharing API path with a key (or token) in `token` and an explicit (or no)
    /// `Referer`, for checks that must control the referrer.
    pub async fn get_with_key(&self, path: &str, key: &str, referer: Option<&str>) -> Value {
        let mut request = self
            .client
            .get(self.rest(path))
            .query(&[("f", "json"), ("token", key)]);
        if let Some(referer) = referer {
            request = request.header("Referer", referer);
        }
        request
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("json answer")
    }

    pub async fn sign_in(&self, username: &str, password: &str) -> String {
        let answer = self
            .post(
                "generateToken",
                None,
                &[
                    ("username", username),
                    ("password", password),
                    ("client", "referer"),
                    ("referer", REFERER),
                    ("expiration", "60"),
                ],
            )
            .await;
        answer["token"]
            .as_str()
            .unwrap_or_else(|| panic!("sign-in failed: {answer}"))
            .to_string()
    }

    pub async fn admin_token(&self) -> String {
        self.sign_in("admin", ADMIN_PASSWORD).await
    }

    /// Creates a member through `createUser` and returns their token.
    pub async fn member(&self, admin: &str, username: &str, role: &str, user_type: &str) -> String {
        let password = format!("{username}-pass-1");
        let created = self
            .client
            .post(format!(
                "{}/portaladmin/security/users/createUser",
                self.url
            ))
            .header("Referer", REFERER)
            .form(&[
                ("username", username),
                ("password", password.as_str()),
                ("firstname", "Test"),
                ("lastname", username),
                ("email", "test@example.com"),
                ("role", role),
                ("userLicenseTypeId", user_type),
                ("provider", "arcgis"),
                ("f", "json"),
                ("token", admin),
            ])
            .send()
            .await
            .expect("createUser")
            .json::<Value>()
            .await
            .expect("json");
        assert!(
            created.get("error").is_none(),
            "createUser failed: {created}"
        );
        self.sign_in(username, &password).await
    }

    pub async fn add_item(
        &self,
        token: &str,
        owner: &str,
        title: &str,
        extra: &[(&str, &str)],
    ) -> String {
        let mut form = vec![("title", title), ("type", "Web Map")];
        form.extend_from_slice(extra);
        let answer = self
            .post(
                &format!("content/users/{owner}/addItem"),
                Some(token),
                &form,
            )
            .await;
        assert_eq!(answer["success"], true, "addItem failed: {answer}");
        answer["id"].as_str().expect("id").to_string()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(name) = self.pg_database.take() {
            if let Some(server) = self.server.take() {
                drop(server);
            }
            drop_pg_database(name);
        }
    }
}

/// Drops a test database, best effort, from a separate thread and blocking connection (callers
/// are often `Drop` impls inside a runtime).
pub fn drop_pg_database(name: String) {
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build();
        if let Ok(runtime) = runtime {
            runtime.block_on(async move {
                if let Ok(mut conn) = sqlx::PgConnection::connect(PG_ADMIN_URL).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut conn)
                        .await;
                }
            });
        }
    });
}

/// The error code of an ArcGIS error envelope, or 0.
pub fn error_code(answer: &Value) -> i64 {
    answer["error"]["code"].as_i64().unwrap_or(0)
}

/// Declares a test that runs once per backend: `sqlite_<name>` and `postgres_<name>`.
#[macro_export]
macro_rules! on_both_backends {
    ($name:ident, $https:expr, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let server =
                    $crate::harness::TestServer::start($crate::harness::Backend::Sqlite, $https)
                        .await
                        .expect("sqlite server");
                ($body)(server).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(server) =
                    $crate::harness::TestServer::start($crate::harness::Backend::Postgres, $https)
                        .await
                {
                    ($body)(server).await;
                }
            }
        }
    };
}

/// Like `on_both_backends!`, on servers whose configuration `$tune` (a `fn(&mut
/// ServeConfig)`) adjusts first.
#[macro_export]
macro_rules! tuned_on_both_backends {
    ($name:ident, $https:expr, $tune:expr, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let server = $crate::harness::TestServer::start_tuned(
                    $crate::harness::Backend::Sqlite,
                    $https,
                    $tune,
                )
                .await
                .expect("sqlite server");
                ($body)(server).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(server) = $crate::harness::TestServer::start_tuned(
                    $crate::harness::Backend::Postgres,
                    $https,
                    $tune,
                )
                .await
                {
                    ($body)(server).await;
                }
            }
        }
    };
}

/// `--data-dir … --database …` for running the CLI against a test server's database.
pub fn database_args(s: &TestServer) -> Vec<String> {
    let url = match &s.database {
        DatabaseUrl::Sqlite(path) => format!("sqlite:{}", path.display()),
        DatabaseUrl::Postgres(url) => url.clone(),
    };
    vec![
        "--data-dir".into(),
        s.data_dir.path().display().to_string(),
        "--database".into(),
        url,
    ]
}

/// The `keyportal` binary, with no `KEYPORTAL_…` settings inherited from the environment.
pub fn keyportal_command() -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_keyportal"));
    for (name, _) in std::env::vars().filter(|(k, _)| k.starts_with("KEYPORTAL_")) {
        command.env_remove(name);
    }
    command
}

/// Registers API key credentials (an `Application` item owned by `admin`) with `privileges`
/// and referrers and mints key 1: `(item id, client id, key)`.
pub async fn key_with(
    s: &TestServer,
    admin: &str,
    privileges: &[String],
    referrers: &[&str],
) -> (String, String, String) {
    let item = s
        .add_item(admin, "admin", "Service keys", &[("type", "Application")])
        .await;
    let app = s
        .post(
            "oauth2/registerApp",
            Some(admin),
            &[
                ("itemId", &item),
                ("privileges", &serde_json::json!(privileges).to_string()),
                ("httpReferrers", &serde_json::json!(referrers).to_string()),
            ],
        )
        .await;
    let client_id = app["client_id"]
        .as_str()
        .unwrap_or_else(|| panic!("{app}"))
        .to_string();
    let secret = app["client_secret"]
        .as_str()
        .expect("client secret")
        .to_string();
    let minted = s
        .post(
            "oauth2/token",
            None,
            &[
                ("client_id", &client_id),
                ("client_secret", &secret),
                ("apiToken", "1"),
            ],
        )
        .await;
    let key = minted["access_token"].as_str().expect("key").to_string();
    (item, client_id, key)
}
