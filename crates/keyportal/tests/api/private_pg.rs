//! A PostgreSQL cluster of the test's own (Debian's `initdb` and `pg_ctl`, a temporary
//! directory, a free port), so a test can stop and start the database under running nodes
//! without touching the machine's shared PostgreSQL. PostgreSQL refuses to run as root, so
//! as root its commands run as the `postgres` user (`runuser`).

use std::path::PathBuf;
use std::process::Command;

pub struct PrivatePg {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    as_postgres: bool,
}

/// The newest `/usr/lib/postgresql/<version>/bin` holding `initdb` and `pg_ctl`.
fn bin_dir() -> Result<PathBuf, String> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|e| format!("/usr/lib/postgresql: {e}"))?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            (bin.join("initdb").is_file() && bin.join("pg_ctl").is_file()).then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, bin)| bin)
        .ok_or_else(|| "no /usr/lib/postgresql/*/bin with initdb and pg_ctl".to_string())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.trim_ascii() == b"0")
}

impl PrivatePg {
    /// A running cluster, or `None` after a loud message when one cannot be set up here
    /// (in CI, `CI` set, that fails the test instead).
    pub fn start() -> Option<PrivatePg> {
        match Self::try_start() {
            Ok(pg) => Some(pg),
            Err(reason) => {
                if std::env::var_os("CI").is_some() {
                    panic!("cannot set up a private PostgreSQL cluster in CI: {reason}");
                }
                eprintln!(
                    "\n!!!!!!!!\nSKIPPING the database restart test: cannot set up a private \
                     PostgreSQL cluster ({reason})\n!!!!!!!!\n"
                );
                None
            }
        }
    }

    fn try_start() -> Result<PrivatePg, String> {
        let bin = bin_dir()?;
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let as_postgres = is_root();
        if as_postgres {
            run(Command::new("chown")
                .arg("postgres:postgres")
                .arg(dir.path()))?;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let pg = PrivatePg {
            dir,
            bin,
            port,
            as_postgres,
        };
        pg.run_pg(
            "initdb",
            &[
                "-D",
                &pg.data().display().to_string(),
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
            ],
        )?;
        pg.start_again_checked()?;
        Ok(pg)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Runs one of PostgreSQL's programs (as `postgres` when we are root).
    fn run_pg(&self, program: &str, args: &[&str]) -> Result<(), String> {
        let program = self.bin.join(program);
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program);
            c
        } else {
            Command::new(&program)
        };
        command.args(args).current_dir(self.dir.path());
        run(&mut command)
    }

    /// `postgres://postgres@127.0.0.1:<port>/postgres`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn start_again_checked(&self) -> Result<(), String> {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("postgres.log").display().to_string();
        self.run_pg(
            "pg_ctl",
            &[
                "-D",
                &self.data().display().to_string(),
                "-o",
                &options,
                "-l",
                &log,
                "-w",
                "start",
            ],
        )
    }

    /// Starts the (stopped) cluster and waits until it accepts connections.
    pub fn start_again(&self) {
        if let Err(reason) = self.start_again_checked() {
            panic!(
                "restarting the private PostgreSQL: {reason}\n{}",
                self.log()
            );
        }
    }

    /// Stops the cluster the way an operator restarting it does (`pg_ctl stop -m fast`:
    /// sessions are ended, the port closes) and waits until it has stopped.
    pub fn stop(&self) {
        let data = self.data().display().to_string();
        if let Err(reason) = self.run_pg("pg_ctl", &["-D", &data, "-m", "fast", "-w", "stop"]) {
            panic!("stopping the private PostgreSQL: {reason}\n{}", self.log());
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("postgres.log")).unwrap_or_default()
    }
}

impl Drop for PrivatePg {
    fn drop(&mut self) {
        let data = self.data().display().to_string();
        let _ = self.run_pg("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"]);
    }
}

fn run(command: &mut Command) -> Result<(), String> {
    let output = command
        .output()
        .map_err(|e| format!("cannot run {command:?}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{command:?} failed ({}): {}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}
