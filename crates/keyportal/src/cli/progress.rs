//! Progress of long work (a legacy import, a backup, a restore) on standard error: a bar
//! redrawn in place (how much is done, the rate, the ETA) when it is a terminal, a plain line
//! every few seconds when it is not (a log file).

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use keyportal_service::ImportProgress;

const REDRAW: Duration = Duration::from_millis(100);
const LOG_EVERY: Duration = Duration::from_secs(5);
const BAR_WIDTH: usize = 24;

/// One stretch of work: what the line says while it runs and when it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Phase {
    /// `checking`, padded so that consecutive phases' bars line up.
    verb: &'static str,
    /// `checked`.
    past: &'static str,
    /// `entries`.
    noun: &'static str,
}

impl Phase {
    pub const CHECKING: Phase = Phase::new("checking", "checked", "entries");
    pub const STORING: Phase = Phase::new("storing ", "stored", "keys");
    pub const BACKING_UP: Phase = Phase::new("backing up", "backed up", "rows");
    pub const VERIFYING: Phase = Phase::new("verifying", "verified", "rows");
    pub const RESTORING: Phase = Phase::new("restoring", "restored", "rows");

    const fn new(verb: &'static str, past: &'static str, noun: &'static str) -> Phase {
        Phase { verb, past, noun }
    }
}

struct Shown {
    phase: Phase,
    phase_started: Instant,
    last: Option<Instant>,
    /// The latest figures, for the line that ends the phase.
    done: u64,
}

/// Progress shown phase after phase.
pub struct Bar {
    terminal: bool,
    shown: Mutex<Shown>,
}

/// Progress of one import; `bytes_read`/`size` measure the checking pass.
pub struct ImportBar {
    bar: Bar,
    bytes_read: Arc<AtomicU64>,
    size: u64,
}

/// `1234567` as `1,234,567`.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn clock(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    format!("{}:{:02}", s / 60, s % 60)
}

/// One progress line: `checking [#####-----]  41%  412,000 entries  83,000/s  ETA 0:07`.
fn line(phase: Phase, done: u64, fraction: f64, elapsed: f64, bar: bool) -> String {
    let fraction = fraction.clamp(0.0, 1.0);
    let rate = if elapsed > 0.0 {
        done as f64 / elapsed
    } else {
        0.0
    };
    let eta = if fraction > 0.0 {
        clock(elapsed * (1.0 - fraction) / fraction)
    } else {
        "?".into()
    };
    let (verb, noun) = (phase.verb, phase.noun);
    let filled = (fraction * BAR_WIDTH as f64) as usize;
    let drawn = if bar {
        format!(
            " [{}{}]",
            "#".repeat(filled),
            "-".repeat(BAR_WIDTH - filled)
        )
    } else {
        String::new()
    };
    format!(
        "{verb}{drawn} {:>3.0}%  {} {noun}  {}/s  ETA {eta}",
        fraction * 100.0,
        grouped(done),
        grouped(rate as u64)
    )
}

impl ImportBar {
    pub fn new(bytes_read: Arc<AtomicU64>, size: u64) -> ImportBar {
        ImportBar {
            bar: Bar::new(Phase::CHECKING),
            bytes_read,
            size,
        }
    }

    /// Ends the last phase's line (after the import, whatever its outcome).
    pub fn finish(&self) {
        self.bar.finish();
    }
}

impl Bar {
    pub fn new(first: Phase) -> Bar {
        Bar {
            terminal: std::io::stderr().is_terminal(),
            shown: Mutex::new(Shown {
                phase: first,
                phase_started: Instant::now(),
                last: None,
                done: 0,
            }),
        }
    }

    /// `done` of `total` in `phase` (a new phase ends the previous one's line).
    pub fn count(&self, phase: Phase, done: u64, total: u64) {
        let fraction = if total == 0 {
            1.0
        } else {
            done as f64 / total as f64
        };
        self.show(phase, done, fraction);
    }

    /// `done` in `phase`, `fraction` of the way through it.
    pub fn show(&self, phase: Phase, done: u64, fraction: f64) {
        let mut shown = self.shown.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if shown.phase != phase {
            self.end_phase(&shown);
            shown.phase = phase;
            shown.phase_started = now;
            shown.last = None;
        }
        shown.done = done;
        let every = if self.terminal { REDRAW } else { LOG_EVERY };
        match shown.last {
            // A plain log gets its first line after a period: short imports print only their
            // summaries.
            None => {
                shown.last = Some(now);
                if !self.terminal {
                    return;
                }
            }
            Some(last) if now.duration_since(last) < every => return,
            Some(_) => shown.last = Some(now),
        }
        let elapsed = now.duration_since(shown.phase_started).as_secs_f64();
        let text = line(phase, done, fraction, elapsed, self.terminal);
        let mut err = std::io::stderr().lock();
        let _ = if self.terminal {
            write!(err, "\r\x1b[2K{text}")
        } else {
            writeln!(err, "{text}")
        };
        let _ = err.flush();
    }

    /// The summary line of a phase.
    fn end_phase(&self, shown: &Shown) {
        let seconds = shown.phase_started.elapsed().as_secs_f64();
        let (what, noun) = (shown.phase.past, shown.phase.noun);
        let rate = if seconds > 0.0 {
            shown.done as f64 / seconds
        } else {
            0.0
        };
        let mut err = std::io::stderr().lock();
        if self.terminal {
            let _ = write!(err, "\r\x1b[2K");
        }
        let _ = writeln!(
            err,
            "{what} {} {noun} in {seconds:.1} s ({}/s)",
            grouped(shown.done),
            grouped(rate as u64)
        );
    }

    /// Ends the last phase's line (after the work, whatever its outcome).
    pub fn finish(&self) {
        let shown = self.shown.lock().unwrap_or_else(|p| p.into_inner());
        if shown.last.is_some() {
            self.end_phase(&shown);
        }
    }
}

impl ImportProgress for ImportBar {
    fn checked(&self, entries: u64) {
        let read = self.bytes_read.load(Ordering::Relaxed);
        let fraction = if self.size == 0 {
            1.0
        } else {
            read as f64 / self.size as f64
        };
        self.bar.show(Phase::CHECKING, entries, fraction);
    }

    fn stored(&self, stored: u64, total: u64) {
        self.bar.count(Phase::STORING, stored, total);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_shows_what_is_done_the_rate_and_the_time_left() {
        let text = line(Phase::STORING, 250_000, 0.25, 5.0, true);
        assert!(
            text.starts_with("storing  [######------------------]"),
            "{text}"
        );
        assert!(
            text.contains(" 25%  250,000 keys  50,000/s  ETA 0:15"),
            "{text}"
        );
        let plain = line(Phase::CHECKING, 0, 0.0, 0.0, false);
        assert_eq!(plain, "checking   0%  0 entries  0/s  ETA ?");
        assert_eq!(grouped(1_234_567), "1,234,567");
        assert_eq!(grouped(999), "999");
    }
}
