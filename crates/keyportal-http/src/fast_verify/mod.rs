//! The connection front. Every HTTP/1.x connection starts here: well-formed `GET`/`HEAD
//! /verify` requests — what a busy nginx sends through `auth_request` for each request it
//! serves — are read with `httparse` and answered by hand, one read and one write per request
//! and no allocation once the connection's buffers have grown. At the first request that is
//! anything else (another path or method, a body, an upgrade, HTTP/2, a malformed or oversized
//! head) the connection goes to hyper and the router for good, with the bytes already read.
//! So the front answers only what it fully understands, and every error answer is hyper's.
//! It closes idle connections, heads that do not end in time (slow-loris clients) and
//! clients that stop reading their answers; one timer per connection, re-armed only when it
//! fires, so answering sets no timer (`pace`).

mod date;
mod head;
mod pace;
mod prefixed;
mod write;

use std::time::Duration;

use keyportal_service::Portal;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::watch;
use tokio::time::Instant;

pub use head::{next_request, Next, VerifyHead, MAX_HEAD};
pub use pace::Timeouts;
pub use prefixed::Prefixed;

use crate::http_metrics::HttpMetrics;
use crate::routes::verify::{decide, render};
use date::DateHeader;
use pace::{write_out, Pace};
use write::write_answer;

/// How much is read at a time (nginx's verify heads are a few hundred bytes).
const READ_SIZE: usize = 4096;
/// The default idle timeout: a connection that sends nothing for this long (at most twice as
/// long: the timer is re-armed lazily, not per request) is closed. nginx closes idle
/// upstream connections after 60 s itself, so it never sends on a connection keyportal is
/// closing.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(120);
/// The default head timeout: a head that has begun must end within this long, however
/// slowly its bytes trickle in.
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(30);

/// A connection the front hands to hyper.
pub struct Handover<I> {
    /// The connection, the bytes already read first.
    pub io: Prefixed<I>,
    /// When the head it starts with began arriving (its head timeout runs from here).
    pub head_began: Instant,
}

/// Answers the connection's `/verify` requests until it closes (`None`) or carries another
/// request (`Some`: the connection, to be served by hyper from that request on). Once
/// `draining` turns true (the server is stopping) the connection is closed as soon as no
/// request is half read: every request already received is answered.
pub async fn serve<I>(
    mut io: I,
    peer: Option<std::net::IpAddr>,
    portal: &Portal,
    metrics: &HttpMetrics,
    timeouts: Timeouts,
    mut draining: watch::Receiver<bool>,
) -> Option<Handover<I>>
where
    I: AsyncRead + AsyncWrite + Unpin,
{
    let mut input: Vec<u8> = Vec::with_capacity(READ_SIZE);
    let mut output: Vec<u8> = Vec::new();
    let mut body = String::new();
    let mut date = DateHeader::new();
    let mut pace = Pace::new(timeouts);
    let timer = tokio::time::sleep_until(pace.first_deadline());
    tokio::pin!(timer);
    loop {
        // Answer every complete request read so far (pipelined ones in order).
        let mut start = 0;
        let mut close = false;
        let handover = loop {
            match next_request(&input[start..]) {
                Next::Verify(head) => {
                    let started = std::time::Instant::now();
                    let outcome = decide(portal, head.query, &head.headers, peer);
                    let answer = render(&outcome, &mut body);
                    write_answer(&mut output, &answer, &body, &head, date.now());
                    let status = answer.status.as_u16();
                    metrics.count_verify(head.head_only, status, started.elapsed());
                    tracing::debug!(status, "verify");
                    start += head.consumed;
                    if !head.keep_alive {
                        close = true;
                        break false;
                    }
                }
                Next::Incomplete => break false,
                Next::Other => break true,
            }
        };
        if !output.is_empty() {
            if !write_out(&mut io, &output, &mut pace, &mut timer).await {
                return None;
            }
            output.clear();
        }
        if close {
            let _ = io.shutdown().await;
            return None;
        }
        input.drain(..start);
        if handover {
            // A head that began in an earlier read and did not follow an answered request
            // keeps its start; otherwise it began in the last read.
            let head_began = match pace.head_began() {
                Some(began) if start == 0 => began,
                _ => Instant::now(),
            };
            return Some(Handover {
                io: Prefixed::new(input, io),
                head_began,
            });
        }
        if start > 0 {
            // The head waiting now (if any) began after the ones just answered.
            pace.set_head_pending(false, timer.as_mut());
        }
        pace.set_head_pending(!input.is_empty(), timer.as_mut());
        if input.capacity() - input.len() < READ_SIZE / 2 {
            input.reserve(READ_SIZE);
        }
        loop {
            let idle = input.is_empty();
            tokio::select! {
                biased;
                // (A dropped sender never drains: the branch is then disabled.)
                true = stopping(&mut draining), if idle => {
                    let _ = io.shutdown().await;
                    return None;
                }
                read = io.read_buf(&mut input) => match read {
                    Ok(0) | Err(_) => return None,
                    Ok(_) => {
                        pace.moved();
                        break;
                    }
                },
                () = &mut timer => if !pace.fired(timer.as_mut()) {
                    return None;
                },
            }
        }
    }
}

/// Resolves `true` once the server is stopping; `false` at once if it never can (the sender
/// is gone), which disables the `select!` branch waiting on it.
pub async fn stopping(draining: &mut watch::Receiver<bool>) -> bool {
    draining.wait_for(|stop| *stop).await.is_ok()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use keyportal_service::{PortalSettings, Sealer, SystemClock};
    use keyportal_store::{DatabaseUrl, SqlStore};
    use tokio::io::DuplexStream;

    use super::*;

    /// A server that never stops.
    fn not_draining() -> watch::Receiver<bool> {
        watch::channel(false).1
    }

    /// A portal (its store is never read here: the requests below carry no key).
    async fn portal(dir: &tempfile::TempDir) -> Portal {
        let store = SqlStore::connect(&DatabaseUrl::sqlite_in(dir.path()))
            .await
            .expect("store");
        Portal::new(
            Arc::new(store),
            Arc::new(SystemClock),
            PortalSettings::default(),
            Sealer::new([7u8; 32]),
        )
    }

    /// Serves `server` until the front lets go; returns when, in (paused) time since `started`.
    async fn served_for(
        portal: &Portal,
        server: DuplexStream,
        started: Instant,
        timeouts: Timeouts,
    ) -> Duration {
        assert!(
            serve(
                server,
                None,
                portal,
                &HttpMetrics::new(),
                timeouts,
                not_draining()
            )
            .await
            .is_none(),
            "no hand-over expected"
        );
        started.elapsed()
    }

    /// Tokio's timers fire on whole milliseconds, rounded up.
    fn assert_about(took: Duration, expected: Duration) {
        assert!(
            took >= expected && took <= expected + Duration::from_millis(50),
            "{took:?}, expected {expected:?}"
        );
    }

    const MISSING_KEY: &[u8] = b"GET /verify HTTP/1.1\r\nHost: kp\r\n\r\n";

    #[tokio::test]
    async fn idle_connections_and_slow_heads_are_closed_but_busy_ones_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let portal = portal(&dir).await;
        tokio::time::pause();

        // Idle from the start: closed after IDLE_TIMEOUT (the timer's first firing).
        let (_client, server) = tokio::io::duplex(4096);
        let took = served_for(&portal, server, Instant::now(), Timeouts::default()).await;
        assert_about(took, IDLE_TIMEOUT);

        // A head trickling in a byte every 10 s: closed HEAD_TIMEOUT after it began.
        let (mut client, server) = tokio::io::duplex(4096);
        let trickle = tokio::spawn(async move {
            for &byte in b"GET /verify HTTP/1.1\r\nHost: kp\r\n" {
                if client.write_all(&[byte]).await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_secs(10)).await;
            }
        });
        let took = served_for(&portal, server, Instant::now(), Timeouts::default()).await;
        assert_about(took, HEAD_TIMEOUT);
        trickle.await.unwrap();

        // A request every 100 s for 500 s: answered each time, then closed once idle.
        let (mut client, server) = tokio::io::duplex(4096);
        let started = Instant::now();
        let asking = tokio::spawn(async move {
            let mut answers = 0;
            for _ in 0..5 {
                tokio::time::sleep(Duration::from_secs(100)).await;
                client.write_all(MISSING_KEY).await.unwrap();
                let mut answer = [0u8; 512];
                let n = client.read(&mut answer).await.unwrap();
                assert!(answer[..n].starts_with(b"HTTP/1.1 401 "));
                answers += 1;
            }
            // Stay open, silent, until the server closes.
            let mut rest = Vec::new();
            client.read_to_end(&mut rest).await.unwrap();
            answers
        });
        let took = served_for(&portal, server, started, Timeouts::default()).await;
        assert_eq!(asking.await.unwrap(), 5);
        assert!(
            took >= Duration::from_secs(500) + IDLE_TIMEOUT
                && took <= Duration::from_secs(500) + 2 * IDLE_TIMEOUT,
            "closed {took:?} after it began"
        );
    }

    #[tokio::test]
    async fn clients_that_stop_reading_their_answers_are_closed() {
        let dir = tempfile::tempdir().unwrap();
        let portal = portal(&dir).await;
        tokio::time::pause();
        let timeouts = Timeouts {
            idle: Duration::from_secs(5),
            head: Duration::from_secs(2),
        };
        // Pipelined requests whose answers are never read: the server's writes block.
        let (mut client, server) = tokio::io::duplex(256);
        let asking = tokio::spawn(async move {
            for _ in 0..1_000 {
                if client.write_all(MISSING_KEY).await.is_err() {
                    break;
                }
            }
            client
        });
        let started = Instant::now();
        assert!(serve(
            server,
            None,
            &portal,
            &HttpMetrics::new(),
            timeouts,
            not_draining()
        )
        .await
        .is_none());
        let took = started.elapsed();
        assert!(
            took >= timeouts.idle && took <= 2 * timeouts.idle + Duration::from_millis(50),
            "closed after {took:?}"
        );
        drop(asking.await.unwrap());

        // The configured head timeout applies to a trickled head.
        let (mut client, server) = tokio::io::duplex(4096);
        let trickle = tokio::spawn(async move {
            for &byte in b"GET /verify HTTP/1.1\r\nHost: kp\r\n" {
                if client.write_all(&[byte]).await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        });
        let took = served_for(&portal, server, Instant::now(), timeouts).await;
        assert_about(took, timeouts.head);
        trickle.await.unwrap();
    }

    #[tokio::test]
    async fn a_stopping_server_answers_what_it_received_then_closes() {
        let dir = tempfile::tempdir().unwrap();
        let portal = portal(&dir).await;
        let (stop, draining) = watch::channel(false);
        let (mut client, server) = tokio::io::duplex(4096);
        let serving = tokio::spawn(async move {
            serve(
                server,
                None,
                &portal,
                &HttpMetrics::new(),
                Timeouts::default(),
                draining,
            )
            .await
            .is_none()
        });
        // Half a request when the stop comes: it is still read whole and answered.
        client.write_all(&MISSING_KEY[..10]).await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        stop.send(true).unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        client.write_all(&MISSING_KEY[10..]).await.unwrap();
        let mut answer = Vec::new();
        client.read_to_end(&mut answer).await.unwrap();
        let answer = String::from_utf8(answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
        assert_eq!(answer.matches("HTTP/1.1").count(), 1, "{answer}");
        assert!(serving.await.unwrap(), "closed, not handed over");
    }
}
