//! The real `keyportal` binary in its own process on a test server's database: for what only
//! a separate process shows (its memory, its log output). Shared by the API and security suites.

use std::process::{Child, Stdio};
use std::time::Duration;

use crate::harness::{database_args, keyportal_command, TestServer};

/// The real binary in its own process, killed when dropped.
pub(crate) struct Node {
    pub(crate) child: Child,
    pub(crate) url: String,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `keyportal serve` on the test server's database and a free port, with `env` set
/// and its log (stderr) sent to `log`; waits until it answers `/health`.
pub(crate) async fn start_node(s: &TestServer, env: &[(&str, &str)], log: Stdio) -> Node {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = keyportal_command()
        .arg("serve")
        .args(database_args(s))
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("spawn keyportal");
    let node = Node {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let mut attempts = 0;
    while s
        .client
        .get(format!("{}/health", node.url))
        .send()
        .await
        .map(|r| r.status().is_success())
        .ok()
        != Some(true)
    {
        attempts += 1;
        assert!(attempts < 600, "the node did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    node
}
