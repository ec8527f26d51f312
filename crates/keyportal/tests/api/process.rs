//! keyportal as a separate process, for what an in-process server cannot show: a node killed
//! with SIGKILL mid-write, several nodes on one database, a database stopped under them.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{keyportal_command, ADMIN_PASSWORD};

/// One `keyportal serve` process on a free port.
pub struct Node {
    child: Child,
    pub url: String,
    launch: Launch,
}

/// How a node is started (again, on restart).
struct Launch {
    data_dir: PathBuf,
    database: String,
    secret: Option<String>,
    /// Extra environment, and where standard error goes (`None`: inherited).
    env: Vec<(String, String)>,
    log_file: Option<PathBuf>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

impl Node {
    /// Starts a node on `database` with its data in `data_dir` (where it creates the secret
    /// key unless `secret` is given) and waits until it answers `/health`.
    pub async fn start(data_dir: &Path, database: &str, secret: Option<&str>) -> Node {
        Self::start_with(data_dir, database, secret, &[], None).await
    }

    /// Like [`Node::start`], with extra environment variables and standard error written to
    /// `log_file`.
    pub async fn start_with(
        data_dir: &Path,
        database: &str,
        secret: Option<&str>,
        env: &[(&str, &str)],
        log_file: Option<&Path>,
    ) -> Node {
        let launch = Launch {
            data_dir: data_dir.to_path_buf(),
            database: database.to_string(),
            secret: secret.map(str::to_string),
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            log_file: log_file.map(Path::to_path_buf),
        };
        let (child, url) = launch.spawn();
        let node = Node { child, url, launch };
        node.wait_until_ready().await;
        node
    }
}

impl Launch {
    fn spawn(&self) -> (Child, String) {
        let (data_dir, database, secret) = (&self.data_dir, &self.database, self.secret.as_deref());
        let port = free_port();
        let mut command: Command = keyportal_command();
        command
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .arg("--data-dir")
            .arg(data_dir)
            .args(["--database", database])
            .env("KEYPORTAL_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("KEYPORTAL_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        if let Some(secret) = secret {
            command.env("KEYPORTAL_SECRET_KEY", secret);
        }
        command.envs(self.env.iter().map(|(k, v)| (k, v)));
        if let Some(path) = &self.log_file {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .expect("log file");
            command.stderr(file);
        }
        let child = command.spawn().expect("spawn keyportal serve");
        (child, format!("http://127.0.0.1:{port}"))
    }
}

impl Node {
    async fn wait_until_ready(&self) {
        let client = reqwest::Client::new();
        let started = Instant::now();
        loop {
            let ready = client
                .get(format!("{}/health", self.url))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ready {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "keyportal at {} did not start",
                self.url
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The server's secret key, for a second node on the same database.
    pub fn secret_key(&self) -> String {
        match &self.launch.secret {
            Some(secret) => secret.clone(),
            None => std::fs::read_to_string(self.launch.data_dir.join("secret.key"))
                .expect("secret key")
                .trim()
                .to_string(),
        }
    }

    /// SIGKILL: no flush, no goodbye.
    pub fn kill(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }

    /// SIGTERM (returns at once).
    pub fn signal_term(&self) {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill -TERM");
        assert!(sent.success(), "SIGTERM not delivered");
    }

    /// SIGTERM and wait (at most 20 s).
    pub fn terminate_and_wait(&mut self) -> std::process::ExitStatus {
        self.signal_term();
        self.wait_exit(Duration::from_secs(20))
    }

    /// Waits for the process to end (at most `within`); its exit status.
    pub fn wait_exit(&mut self, within: Duration) -> std::process::ExitStatus {
        let asked = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(
                asked.elapsed() < within,
                "keyportal did not stop within {within:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Starts the node again on the same data and database (on a new port).
    pub async fn restart(&mut self) {
        let (child, url) = self.launch.spawn();
        self.child = child;
        self.url = url;
        self.wait_until_ready().await;
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
