//! The knobs that keep clients from exhausting the server: connection timeouts, the minimum
//! body rate, connection counts, and the Argon2 threads. Each has a flag, a `KEYPORTAL_…`
//! variable (clap reads both into [`LimitKnobs`]), a config-file key of the same name, and a
//! default; [`resolve_limits`] applies the precedence and checks the values.

use std::time::Duration;

use keyportal_service::HashingLimits;

use super::{ConfigError, FileConfig};
use crate::conn::ConnectionLimits;

/// The limit knobs as given, each optional.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct LimitKnobs {
    /// Seconds a connection may stay silent between requests (or leave an answer unread)
    /// [default: 120]
    #[arg(long, env = "KEYPORTAL_IDLE_TIMEOUT")]
    pub idle_timeout: Option<u64>,
    /// Seconds a request head (and a TLS handshake) may take to arrive whole [default: 30]
    #[arg(long, env = "KEYPORTAL_HEAD_TIMEOUT")]
    pub head_timeout: Option<u64>,
    /// Bytes per second a request body must bring while awaited, 0 for no minimum
    /// [default: 1024]
    #[arg(long, env = "KEYPORTAL_MIN_BODY_RATE")]
    pub min_body_rate: Option<u64>,
    /// Seconds over which the body rate is measured [default: 10]
    #[arg(long, env = "KEYPORTAL_BODY_RATE_WINDOW")]
    pub body_rate_window: Option<u64>,
    /// Connections open at once [default: 10000]
    #[arg(long, env = "KEYPORTAL_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
    /// Connections open at once from one client address (IPv6: one /64) [default: 256]
    #[arg(long, env = "KEYPORTAL_MAX_CONNECTIONS_PER_ADDRESS")]
    pub max_connections_per_address: Option<usize>,
    /// Threads computing Argon2 password hashes, 19 MiB each [default: one per core]
    #[arg(long, env = "KEYPORTAL_PASSWORD_HASH_THREADS")]
    pub password_hash_threads: Option<usize>,
    /// Sign-ins that may wait for a hashing thread; beyond, "busy, try again" [default: 8 per
    /// thread]
    #[arg(long, env = "KEYPORTAL_PASSWORD_HASH_QUEUE")]
    pub password_hash_queue: Option<usize>,
    /// Seconds a stopping server (SIGTERM, SIGINT) waits for requests under way before it
    /// closes the remaining connections and writes its last usage counts [default: 10]
    #[arg(long, env = "KEYPORTAL_SHUTDOWN_GRACE")]
    pub shutdown_grace: Option<u64>,
}

impl LimitKnobs {
    /// Each knob given here, else in `file`.
    fn or_file(&self, file: &FileConfig) -> LimitKnobs {
        LimitKnobs {
            idle_timeout: self.idle_timeout.or(file.idle_timeout),
            head_timeout: self.head_timeout.or(file.head_timeout),
            min_body_rate: self.min_body_rate.or(file.min_body_rate),
            body_rate_window: self.body_rate_window.or(file.body_rate_window),
            max_connections: self.max_connections.or(file.max_connections),
            max_connections_per_address: self
                .max_connections_per_address
                .or(file.max_connections_per_address),
            password_hash_threads: self.password_hash_threads.or(file.password_hash_threads),
            password_hash_queue: self.password_hash_queue.or(file.password_hash_queue),
            shutdown_grace: self.shutdown_grace.or(file.shutdown_grace),
        }
    }
}

fn seconds(
    name: &str,
    value: Option<u64>,
    default: Duration,
    max: u64,
) -> Result<Duration, ConfigError> {
    match value {
        None => Ok(default),
        Some(secs) if (1..=max).contains(&secs) => Ok(Duration::from_secs(secs)),
        Some(secs) => Err(ConfigError::Invalid(format!(
            "{name} {secs}: use 1 to {max} seconds"
        ))),
    }
}

fn count(
    name: &str,
    value: Option<usize>,
    default: usize,
    range: (usize, usize),
) -> Result<usize, ConfigError> {
    match value {
        None => Ok(default),
        Some(n) if (range.0..=range.1).contains(&n) => Ok(n),
        Some(n) => Err(ConfigError::Invalid(format!(
            "{name} {n}: use {} to {}",
            range.0, range.1
        ))),
    }
}

/// The limits from `given` (flags and environment), then `file`, then the defaults.
pub fn resolve_limits(
    given: &LimitKnobs,
    file: &FileConfig,
) -> Result<(ConnectionLimits, HashingLimits), ConfigError> {
    let knobs = given.or_file(file);
    let defaults = ConnectionLimits::default();
    let max_connections = count(
        "max_connections",
        knobs.max_connections,
        defaults.max_connections,
        (1, 1_000_000),
    )?;
    let connections = ConnectionLimits {
        idle_timeout: seconds(
            "idle_timeout",
            knobs.idle_timeout,
            defaults.idle_timeout,
            86_400,
        )?,
        head_timeout: seconds(
            "head_timeout",
            knobs.head_timeout,
            defaults.head_timeout,
            3_600,
        )?,
        min_body_rate: knobs.min_body_rate.unwrap_or(defaults.min_body_rate),
        body_rate_window: seconds(
            "body_rate_window",
            knobs.body_rate_window,
            defaults.body_rate_window,
            3_600,
        )?,
        max_connections,
        max_connections_per_address: count(
            "max_connections_per_address",
            knobs.max_connections_per_address,
            defaults.max_connections_per_address.min(max_connections),
            (1, max_connections),
        )?,
        shutdown_grace: seconds(
            "shutdown_grace",
            knobs.shutdown_grace,
            defaults.shutdown_grace,
            3_600,
        )?,
    };
    let machine = HashingLimits::for_this_machine();
    let threads = count(
        "password_hash_threads",
        knobs.password_hash_threads,
        machine.threads,
        (1, 256),
    )?;
    let hashing = HashingLimits {
        threads,
        queue: count(
            "password_hash_queue",
            knobs.password_hash_queue,
            threads * HashingLimits::QUEUE_PER_THREAD,
            (0, 100_000),
        )?,
    };
    Ok((connections, hashing))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_apply_when_nothing_is_given() {
        let (connections, hashing) =
            resolve_limits(&LimitKnobs::default(), &FileConfig::default()).expect("limits");
        assert_eq!(connections, ConnectionLimits::default());
        assert_eq!(connections.idle_timeout, Duration::from_secs(120));
        assert_eq!(connections.max_connections_per_address, 256);
        assert_eq!(hashing.queue, hashing.threads * 8);
    }

    #[test]
    fn flags_win_over_the_file_which_wins_over_defaults() {
        let file: FileConfig = toml::from_str(
            "idle_timeout = 60\nhead_timeout = 10\nmax_connections = 500\npassword_hash_threads = 3",
        )
        .expect("toml");
        let given = LimitKnobs {
            head_timeout: Some(2),
            max_connections_per_address: Some(4),
            ..LimitKnobs::default()
        };
        let (connections, hashing) = resolve_limits(&given, &file).expect("limits");
        assert_eq!(connections.idle_timeout, Duration::from_secs(60));
        assert_eq!(connections.head_timeout, Duration::from_secs(2));
        assert_eq!(connections.max_connections, 500);
        assert_eq!(connections.max_connections_per_address, 4);
        assert_eq!(connections.min_body_rate, 1024);
        assert_eq!(
            hashing,
            HashingLimits {
                threads: 3,
                queue: 24
            }
        );
    }

    #[test]
    fn nonsense_is_refused() {
        let file = FileConfig::default();
        for given in [
            LimitKnobs {
                idle_timeout: Some(0),
                ..LimitKnobs::default()
            },
            LimitKnobs {
                max_connections: Some(10),
                max_connections_per_address: Some(11),
                ..LimitKnobs::default()
            },
            LimitKnobs {
                password_hash_threads: Some(0),
                ..LimitKnobs::default()
            },
        ] {
            assert!(resolve_limits(&given, &file).is_err(), "{given:?}");
        }
        // A small total lowers the per-address default with it.
        let small = LimitKnobs {
            max_connections: Some(100),
            ..LimitKnobs::default()
        };
        let (connections, _) = resolve_limits(&small, &file).expect("limits");
        assert_eq!(connections.max_connections_per_address, 100);
    }
}
