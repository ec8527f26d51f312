//! The counters of each route template, found without a lock: an open-addressed table of
//! slots, each claimed once by the first request that a template answers (`OnceLock`, so
//! later lookups are one atomic load and a string comparison). Templates are the router's own
//! (a finite set fixed when the router is built), never raw paths, so the table cannot grow
//! with traffic; it has room for several times the routes keyportal serves.

use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use keyportal_service::metrics::histogram::{Histogram, REQUEST_BOUNDS};

/// Slots in the table (a power of two).
const SLOTS: usize = 512;
/// Distinct statuses counted exactly per route and method; more (never seen in practice:
/// Sharing routes answer 200 with an envelope) are counted under their class, `4xx`.
const STATUSES: usize = 8;
/// Names of the methods counted apart; anything else is `other`.
pub const METHODS: [&str; 8] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "other",
];
/// Status classes for the overflow, by `status / 100`.
const CLASSES: [&str; 6] = ["0xx", "1xx", "2xx", "3xx", "4xx", "5xx"];

/// The index into [`METHODS`] of a method.
pub fn method_index(method: &str) -> usize {
    METHODS[..7].iter().position(|m| *m == method).unwrap_or(7)
}

/// Requests by status and their durations, for one route and method.
#[derive(Debug)]
pub struct MethodCounts {
    codes: [AtomicU16; STATUSES],
    counts: [AtomicU64; STATUSES],
    by_class: [AtomicU64; CLASSES.len()],
    pub(super) duration: Histogram,
}

impl MethodCounts {
    fn new() -> MethodCounts {
        MethodCounts {
            codes: Default::default(),
            counts: Default::default(),
            by_class: Default::default(),
            duration: Histogram::new(REQUEST_BOUNDS),
        }
    }

    fn count(&self, status: u16, took: Duration) {
        self.duration.observe(took);
        for (code, count) in self.codes.iter().zip(&self.counts) {
            let held = match code.load(Ordering::Acquire) {
                0 => match code.compare_exchange(0, status, Ordering::AcqRel, Ordering::Acquire) {
                    Ok(_) => status,
                    Err(other) => other,
                },
                held => held,
            };
            if held == status {
                count.fetch_add(1, Ordering::Relaxed);
                return;
            }
        }
        let class = usize::from(status / 100).min(CLASSES.len() - 1);
        self.by_class[class].fetch_add(1, Ordering::Relaxed);
    }

    /// `(status label, count)` of every status seen.
    pub(super) fn statuses(&self) -> Vec<(String, u64)> {
        let exact = self
            .codes
            .iter()
            .zip(&self.counts)
            .map(|(code, count)| (code.load(Ordering::Acquire), count.load(Ordering::Relaxed)))
            .filter(|&(code, count)| code != 0 && count > 0)
            .map(|(code, count)| (code.to_string(), count));
        let classes = CLASSES
            .iter()
            .zip(&self.by_class)
            .map(|(class, count)| (class.to_string(), count.load(Ordering::Relaxed)))
            .filter(|&(_, count)| count > 0);
        exact.chain(classes).collect()
    }
}

/// One route template's counters, per method (each made at the method's first request).
#[derive(Debug)]
pub struct RouteEntry {
    template: Box<str>,
    methods: [OnceLock<Box<MethodCounts>>; METHODS.len()],
}

impl RouteEntry {
    fn new(template: &str) -> RouteEntry {
        RouteEntry {
            template: template.into(),
            methods: Default::default(),
        }
    }

    pub fn template(&self) -> &str {
        &self.template
    }

    pub fn count(&self, method: usize, status: u16, took: Duration) {
        let method = method.min(METHODS.len() - 1);
        self.methods[method]
            .get_or_init(|| Box::new(MethodCounts::new()))
            .count(status, took);
    }

    /// `(method name, counts)` of the methods seen.
    pub(super) fn methods(&self) -> impl Iterator<Item = (&'static str, &MethodCounts)> {
        METHODS
            .iter()
            .zip(&self.methods)
            .filter_map(|(name, counts)| counts.get().map(|c| (*name, &**c)))
    }
}

/// The table.
#[derive(Debug)]
pub struct RouteTable {
    slots: Box<[OnceLock<RouteEntry>]>,
    /// Where requests go if the table were ever full.
    overflow: RouteEntry,
}

impl Default for RouteTable {
    fn default() -> Self {
        RouteTable {
            slots: (0..SLOTS).map(|_| OnceLock::new()).collect(),
            overflow: RouteEntry::new("other"),
        }
    }
}

/// FNV-1a: templates are short and chosen by the code, not by clients.
fn hash(text: &str) -> usize {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    hash as usize
}

impl RouteTable {
    /// The entry of `template`, claiming a slot the first time.
    pub fn entry(&self, template: &str) -> &RouteEntry {
        self.at(self.claim(template))
    }

    /// The slot of `template` (claimed the first time), to be read with [`RouteTable::at`]
    /// without hashing again; past the slots when the table is full.
    pub fn claim(&self, template: &str) -> usize {
        let mut at = hash(template) & (SLOTS - 1);
        for _ in 0..SLOTS {
            let entry = self.slots[at].get_or_init(|| RouteEntry::new(template));
            if &*entry.template == template {
                return at;
            }
            at = (at + 1) & (SLOTS - 1);
        }
        SLOTS
    }

    /// The entry in a slot [`RouteTable::claim`] returned.
    pub fn at(&self, slot: usize) -> &RouteEntry {
        self.slots
            .get(slot)
            .and_then(OnceLock::get)
            .unwrap_or(&self.overflow)
    }

    /// Every entry in use.
    pub fn entries(&self) -> impl Iterator<Item = &RouteEntry> {
        self.slots
            .iter()
            .filter_map(OnceLock::get)
            .chain(std::iter::once(&self.overflow))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_keep_their_own_counters() {
        let table = RouteTable::default();
        let ms = Duration::from_millis(1);
        table.entry("/a/{id}").count(method_index("GET"), 200, ms);
        table.entry("/a/{id}").count(method_index("GET"), 200, ms);
        table.entry("/b").count(method_index("BREW"), 404, ms);
        let a = table.entry("/a/{id}");
        let (method, counts) = a.methods().next().expect("GET");
        assert_eq!(method, "GET");
        assert_eq!(counts.statuses(), vec![("200".to_string(), 2)]);
        let b: Vec<_> = table.entry("/b").methods().map(|(m, _)| m).collect();
        assert_eq!(b, vec!["other"]);
        let mut seen: Vec<_> = table
            .entries()
            .filter(|e| e.methods().next().is_some())
            .map(RouteEntry::template)
            .collect();
        seen.sort_unstable();
        assert_eq!(seen, vec!["/a/{id}", "/b"]);
    }

    #[test]
    fn statuses_beyond_the_slots_count_under_their_class() {
        let entry = RouteEntry::new("/x");
        let ms = Duration::from_millis(1);
        for status in 400..410u16 {
            entry.count(0, status, ms);
        }
        entry.count(0, 400, ms);
        let (_, counts) = entry.methods().next().expect("GET");
        let statuses = counts.statuses();
        assert_eq!(statuses.len(), STATUSES + 1);
        assert!(statuses.contains(&("400".to_string(), 2)));
        assert!(statuses.contains(&("4xx".to_string(), 2)));
        assert_eq!(counts.duration.snapshot().buckets.iter().sum::<u64>(), 11);
    }

    #[test]
    fn a_full_table_still_counts() {
        let table = RouteTable::default();
        for n in 0..SLOTS + 3 {
            table.entry(&format!("/r{n}")).count(0, 200, Duration::ZERO);
        }
        assert_eq!(table.entry("/another").template(), "other");
    }
}
