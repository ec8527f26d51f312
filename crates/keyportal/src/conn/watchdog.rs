//! The deadlines of a connection served by hyper (hyper 1 has no idle timeout, and its head
//! timeout counts from the end of the previous answer). [`Watch`] is the pure decision over
//! the connection's counters and the time; [`Watchdog`] is the future that runs it beside the
//! connection and resolves when the connection must be cut:
//!
//! - between requests, a connection that sends nothing is closed after the idle timeout;
//! - a head that has begun must end within the head timeout;
//! - while a handler waits for request body bytes, at least `min_body_rate` × window bytes
//!   must arrive in every window;
//! - an answer the client does not read (writes blocked, nothing written) is cut after the
//!   idle timeout.
//!
//! A request being handled (no body awaited, nothing blocked) has no deadline here.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::{Instant, Sleep};

use super::activity::{Activity, Snapshot};
use super::ConnectionLimits;

/// Why a connection was cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    Idle,
    SlowHead,
    SlowBody,
    NotReading,
}

impl Reason {
    pub fn describe(self) -> &'static str {
        match self {
            Reason::Idle => "idle for the whole idle timeout",
            Reason::SlowHead => "its request head did not end within the head timeout",
            Reason::SlowBody => "its request body came slower than the minimum rate",
            Reason::NotReading => "it did not read its answer for the whole idle timeout",
        }
    }
}

/// What to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Look {
    Close(Reason),
    /// Look again at this time (milliseconds since the connection began), or whenever the
    /// connection moves if `None`.
    WakeAt(Option<u64>),
}

/// Times are milliseconds since the connection began.
#[derive(Debug)]
pub struct Watch {
    idle_ms: u64,
    head_ms: u64,
    window_ms: u64,
    /// Bytes a waited-for body must bring per window (0: no minimum).
    window_bytes: u64,
    last: Snapshot,
    idle_since: u64,
    head_began: Option<u64>,
    /// (start, bytes read at start) of the current body window.
    body_window: Option<(u64, u64)>,
    /// (since, bytes written then) while writes are blocked.
    write_stall: Option<(u64, u64)>,
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis())
        .unwrap_or(u64::MAX)
        .max(1)
}

impl Watch {
    /// A connection handed over at `now` whose first head began at `head_began`.
    pub fn new(limits: &ConnectionLimits, now: u64, head_began: Option<u64>) -> Watch {
        let window_ms = millis(limits.body_rate_window);
        Watch {
            idle_ms: millis(limits.idle_timeout),
            head_ms: millis(limits.head_timeout),
            window_ms,
            window_bytes: limits.min_body_rate.saturating_mul(window_ms) / 1000,
            last: Snapshot::default(),
            idle_since: now,
            head_began,
            body_window: None,
            write_stall: None,
        }
    }

    /// Looks at the counters at `now`. A returned wake time is always after `now`.
    pub fn look(&mut self, snap: Snapshot, now: u64) -> Look {
        let last = std::mem::replace(&mut self.last, snap);
        let between = snap.started == snap.finished;
        let requests_moved = snap.started != last.started || snap.finished != last.finished;
        if !between {
            self.head_began = None;
        } else if requests_moved {
            // An answer just finished: idle from now (bytes read with it were its own).
            self.idle_since = now;
            self.head_began = None;
        } else if self.head_began.is_none() && snap.read > last.read {
            self.head_began = Some(now);
        }
        let mut wake: Option<u64> = None;
        let mut wake_at = |at: u64| wake = Some(wake.map_or(at, |w| w.min(at)));

        if between {
            let (deadline, reason) = match self.head_began {
                Some(began) => (began + self.head_ms, Reason::SlowHead),
                None => (self.idle_since + self.idle_ms, Reason::Idle),
            };
            if now >= deadline {
                return Look::Close(reason);
            }
            wake_at(deadline);
        }

        if self.window_bytes > 0 && !between && (snap.body_waiting || self.body_window.is_some()) {
            let (start, at) = *self.body_window.get_or_insert((now, snap.read));
            if now >= start + self.window_ms {
                // Judged only if the handler is still waiting for the body.
                if !snap.body_waiting {
                    self.body_window = None;
                } else if snap.read - at < self.window_bytes {
                    return Look::Close(Reason::SlowBody);
                } else {
                    self.body_window = Some((now, snap.read));
                }
            }
            if let Some((start, _)) = self.body_window {
                wake_at(start + self.window_ms);
            }
        } else {
            self.body_window = None;
        }

        if snap.write_blocked {
            let (since, at) = *self.write_stall.get_or_insert((now, snap.written));
            if snap.written != at {
                self.write_stall = Some((now, snap.written));
                wake_at(now + self.idle_ms);
            } else if now >= since + self.idle_ms {
                return Look::Close(Reason::NotReading);
            } else {
                wake_at(since + self.idle_ms);
            }
        } else {
            self.write_stall = None;
        }
        Look::WakeAt(wake)
    }
}

/// Runs a [`Watch`] beside the connection (polled in the same task, so it looks again
/// whenever the connection moves) and resolves with the reason to cut it.
pub struct Watchdog {
    activity: Arc<Activity>,
    watch: Watch,
    epoch: Instant,
    sleep: Pin<Box<Sleep>>,
    armed: Option<u64>,
}

impl Watchdog {
    pub fn new(
        activity: Arc<Activity>,
        limits: &ConnectionLimits,
        head_began: Option<Instant>,
    ) -> Watchdog {
        let now = Instant::now();
        // The epoch is set so the head's start is at or after time 0.
        let epoch = head_began.map_or(now, |began| began.min(now));
        let since = |t: Instant| millis_between(epoch, t);
        Watchdog {
            activity,
            watch: Watch::new(limits, since(now), head_began.map(since)),
            epoch,
            sleep: Box::pin(tokio::time::sleep_until(now)),
            armed: None,
        }
    }
}

fn millis_between(earlier: Instant, later: Instant) -> u64 {
    u64::try_from(later.saturating_duration_since(earlier).as_millis()).unwrap_or(u64::MAX)
}

impl Future for Watchdog {
    type Output = Reason;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Reason> {
        let this = &mut *self;
        loop {
            let now = millis_between(this.epoch, Instant::now());
            match this.watch.look(this.activity.snapshot(), now) {
                Look::Close(reason) => return Poll::Ready(reason),
                Look::WakeAt(None) => return Poll::Pending,
                Look::WakeAt(Some(at)) => {
                    if this.armed != Some(at) {
                        this.armed = Some(at);
                        let deadline = this.epoch + Duration::from_millis(at);
                        this.sleep.as_mut().reset(deadline);
                    }
                    if this.sleep.as_mut().poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> ConnectionLimits {
        ConnectionLimits {
            idle_timeout: Duration::from_secs(120),
            head_timeout: Duration::from_secs(30),
            min_body_rate: 1_000,
            body_rate_window: Duration::from_secs(10),
            ..ConnectionLimits::default()
        }
    }

    const S: u64 = 1_000;

    fn snap(read: u64, started: u64, finished: u64) -> Snapshot {
        Snapshot {
            read,
            started,
            finished,
            ..Snapshot::default()
        }
    }

    #[test]
    fn an_idle_connection_is_closed_after_the_idle_timeout() {
        let mut watch = Watch::new(&limits(), 0, None);
        assert_eq!(watch.look(snap(0, 0, 0), 0), Look::WakeAt(Some(120 * S)));
        assert_eq!(
            watch.look(snap(0, 0, 0), 120 * S),
            Look::Close(Reason::Idle)
        );
    }

    #[test]
    fn a_head_trickled_after_a_request_gets_the_head_timeout() {
        let mut watch = Watch::new(&limits(), 0, Some(0));
        // The first request's head, its answer at 1 s.
        assert_eq!(watch.look(snap(100, 1, 0), 0), Look::WakeAt(None));
        assert_eq!(watch.look(snap(100, 1, 1), S), Look::WakeAt(Some(121 * S)));
        // Idle for a minute, then a byte every few seconds.
        let mut read = 100;
        let mut now = 61 * S;
        let mut looks = Vec::new();
        while now < 200 * S {
            read += 1;
            looks.push(watch.look(snap(read, 1, 1), now));
            now += 5 * S;
        }
        assert_eq!(looks[0], Look::WakeAt(Some(91 * S)));
        assert_eq!(looks[6], Look::Close(Reason::SlowHead), "{looks:?}");
    }

    #[test]
    fn a_handed_over_head_keeps_its_start() {
        let mut watch = Watch::new(&limits(), 20 * S, Some(0));
        assert_eq!(
            watch.look(snap(1, 0, 0), 20 * S),
            Look::WakeAt(Some(30 * S))
        );
        assert_eq!(
            watch.look(snap(2, 0, 0), 30 * S),
            Look::Close(Reason::SlowHead)
        );
    }

    #[test]
    fn a_body_slower_than_the_minimum_rate_is_cut() {
        let waiting = |read| Snapshot {
            body_waiting: true,
            ..snap(read, 1, 0)
        };
        let mut watch = Watch::new(&limits(), 0, Some(0));
        assert_eq!(watch.look(waiting(500), 0), Look::WakeAt(Some(10 * S)));
        // 20 kB in the first window: fine; a new window starts.
        assert_eq!(
            watch.look(waiting(20_500), 10 * S),
            Look::WakeAt(Some(20 * S))
        );
        // 9 kB in the next: below 1 kB/s over 10 s.
        assert_eq!(
            watch.look(waiting(29_500), 20 * S),
            Look::Close(Reason::SlowBody)
        );
    }

    #[test]
    fn a_slow_handler_is_not_a_slow_body() {
        let mut watch = Watch::new(&limits(), 0, Some(0));
        let body = |read, body_waiting| Snapshot {
            body_waiting,
            ..snap(read, 1, 0)
        };
        assert_eq!(watch.look(body(10, true), 0), Look::WakeAt(Some(10 * S)));
        // The body came; the handler works for a minute without waiting on the client.
        assert_eq!(
            watch.look(body(5_000, false), S),
            Look::WakeAt(Some(10 * S))
        );
        assert_eq!(watch.look(body(5_000, false), 10 * S), Look::WakeAt(None));
        assert_eq!(watch.look(body(5_000, false), 70 * S), Look::WakeAt(None));
        // Its answer is done: idle from then.
        assert_eq!(
            watch.look(snap(5_000, 1, 1), 71 * S),
            Look::WakeAt(Some(191 * S))
        );
    }

    #[test]
    fn a_client_that_does_not_read_its_answer_is_cut() {
        let mut watch = Watch::new(&limits(), 0, Some(0));
        let writing = |written, write_blocked| Snapshot {
            written,
            write_blocked,
            ..snap(10, 1, 0)
        };
        assert_eq!(watch.look(writing(0, true), 0), Look::WakeAt(Some(120 * S)));
        // Progress restarts the wait.
        assert_eq!(
            watch.look(writing(65_536, true), 100 * S),
            Look::WakeAt(Some(220 * S))
        );
        assert_eq!(
            watch.look(writing(65_536, true), 220 * S),
            Look::Close(Reason::NotReading)
        );
    }

    #[test]
    fn no_minimum_rate_when_it_is_zero() {
        let limits = ConnectionLimits {
            min_body_rate: 0,
            ..limits()
        };
        let mut watch = Watch::new(&limits, 0, Some(0));
        let waiting = Snapshot {
            body_waiting: true,
            ..snap(1, 1, 0)
        };
        assert_eq!(watch.look(waiting, 0), Look::WakeAt(None));
        assert_eq!(watch.look(waiting, 1_000 * S), Look::WakeAt(None));
    }

    #[tokio::test(start_paused = true)]
    async fn the_watchdog_fires_at_the_deadline() {
        let activity = Arc::new(Activity::default());
        let limits = ConnectionLimits {
            idle_timeout: Duration::from_secs(7),
            ..limits()
        };
        let started = Instant::now();
        let reason = Watchdog::new(activity, &limits, None).await;
        assert_eq!(reason, Reason::Idle);
        assert_eq!(started.elapsed(), Duration::from_secs(7));
    }
}
