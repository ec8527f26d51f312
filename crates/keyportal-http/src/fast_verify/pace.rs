//! The front's one timer per connection. It fires at most every idle timeout, re-armed only
//! when it fires, so answering a request sets no timer. When it fires, the connection is
//! closed if nothing moved in either direction since it was armed (an idle client, or one
//! that stopped reading its answers), or if a head that began has not ended in time.

use std::pin::Pin;
use std::time::Duration;

use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::time::{Instant, Sleep};

/// How long the front waits (see `keyportal serve --help` for the knobs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// A connection with nothing moving for this long (at most twice as long: the timer is
    /// re-armed lazily) is closed.
    pub idle: Duration,
    /// A head that has begun must end within this long, however slowly its bytes arrive.
    pub head: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            idle: super::IDLE_TIMEOUT,
            head: super::HEAD_TIMEOUT,
        }
    }
}

/// What the timer knows about the connection.
pub(super) struct Pace {
    timeouts: Timeouts,
    /// Reads and writes that made progress.
    moved: u64,
    moved_when_armed: u64,
    /// When the head waiting in the buffer began, if one has.
    head_began: Option<Instant>,
}

impl Pace {
    pub(super) fn new(timeouts: Timeouts) -> Pace {
        Pace {
            timeouts,
            moved: 0,
            moved_when_armed: 0,
            head_began: None,
        }
    }

    pub(super) fn first_deadline(&self) -> Instant {
        Instant::now() + self.timeouts.idle
    }

    pub(super) fn moved(&mut self) {
        self.moved += 1;
    }

    pub(super) fn head_began(&self) -> Option<Instant> {
        self.head_began
    }

    /// Whether bytes of an unfinished head wait in the buffer (rare: heads usually arrive
    /// whole). A new one gets the head timeout, so the timer may have to fire earlier.
    pub(super) fn set_head_pending(&mut self, pending: bool, timer: Pin<&mut Sleep>) {
        if !pending {
            self.head_began = None;
        } else if self.head_began.is_none() {
            let now = Instant::now();
            self.head_began = Some(now);
            let deadline = now + self.timeouts.head;
            if deadline < timer.deadline() {
                timer.reset(deadline);
            }
        }
    }

    /// The timer fired: re-arms it and returns `true` to go on, or `false` to close.
    pub(super) fn fired(&mut self, timer: Pin<&mut Sleep>) -> bool {
        let now = Instant::now();
        let head_deadline = self.head_began.map(|began| began + self.timeouts.head);
        if head_deadline.is_some_and(|deadline| now >= deadline) {
            tracing::debug!("closing a connection whose head did not end in time");
            return false;
        }
        if self.moved == self.moved_when_armed {
            tracing::debug!("closing an idle connection");
            return false;
        }
        self.moved_when_armed = self.moved;
        let idle = now + self.timeouts.idle;
        timer.reset(head_deadline.map_or(idle, |deadline| deadline.min(idle)));
        true
    }
}

/// Writes `output` and flushes, under the timer: a client that stops reading is closed
/// once a whole timer period passes with nothing written. `false`: close the connection.
pub(super) async fn write_out<I>(
    io: &mut I,
    output: &[u8],
    pace: &mut Pace,
    timer: &mut Pin<&mut Sleep>,
) -> bool
where
    I: AsyncWrite + Unpin,
{
    let mut at = 0;
    while at < output.len() {
        tokio::select! {
            biased;
            written = io.write(&output[at..]) => match written {
                Ok(0) | Err(_) => return false,
                Ok(n) => {
                    at += n;
                    pace.moved();
                }
            },
            () = timer.as_mut() => if !pace.fired(timer.as_mut()) {
                return false;
            },
        }
    }
    loop {
        tokio::select! {
            biased;
            flushed = io.flush() => return flushed.is_ok(),
            () = timer.as_mut() => if !pace.fired(timer.as_mut()) {
                return false;
            },
        }
    }
}
