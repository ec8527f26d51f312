//! A histogram of durations that observing never locks or allocates: one atomic counter per
//! bucket and an atomic sum in nanoseconds. Buckets are kept apart (not cumulative) so an
//! observation touches one of them; the encoder adds them up at scrape time.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::exposition::HistogramSnapshot;

/// Request durations: `/verify` answers in microseconds, Sharing calls in milliseconds, a
/// slow search or a sign-in (Argon2) in a good part of a second.
pub const REQUEST_BOUNDS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

/// Batched database writes: milliseconds when healthy, seconds when the database struggles
/// (its pool gives up after about 3 s).
pub const WRITE_BOUNDS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The most bounds a histogram has (sizes the arrays, so a histogram is one allocation-free
/// value).
const MAX_BOUNDS: usize = 16;

#[derive(Debug)]
pub struct Histogram {
    bounds: &'static [f64],
    /// The bounds in nanoseconds, compared with each observation.
    limits: [u64; MAX_BOUNDS],
    /// One more than the bounds: the last holds what is above every bound.
    buckets: [AtomicU64; MAX_BOUNDS + 1],
    sum_nanos: AtomicU64,
}

impl Histogram {
    /// A histogram over `bounds` (seconds, ascending, at most 16).
    pub fn new(bounds: &'static [f64]) -> Histogram {
        assert!(bounds.len() <= MAX_BOUNDS, "at most {MAX_BOUNDS} bounds");
        let mut limits = [u64::MAX; MAX_BOUNDS];
        for (limit, bound) in limits.iter_mut().zip(bounds) {
            *limit = (bound * 1e9) as u64;
        }
        Histogram {
            bounds,
            limits,
            buckets: Default::default(),
            sum_nanos: AtomicU64::new(0),
        }
    }

    pub fn observe(&self, duration: Duration) {
        let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
        // A value equal to a bound belongs to that bound's bucket (`le`).
        let at = self.limits[..self.bounds.len()].partition_point(|&limit| limit < nanos);
        self.buckets[at].fetch_add(1, Ordering::Relaxed);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// Whether anything was observed (series never used are left out of a scrape).
    pub fn is_empty(&self) -> bool {
        self.buckets[..=self.bounds.len()]
            .iter()
            .all(|b| b.load(Ordering::Relaxed) == 0)
    }

    pub fn snapshot(&self) -> HistogramSnapshot {
        HistogramSnapshot {
            bounds: self.bounds,
            buckets: self.buckets[..=self.bounds.len()]
                .iter()
                .map(|b| b.load(Ordering::Relaxed))
                .collect(),
            sum: self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observations_land_in_the_bucket_of_the_first_bound_not_below_them() {
        let histogram = Histogram::new(&[0.001, 0.01]);
        assert!(histogram.is_empty());
        histogram.observe(Duration::from_micros(500));
        histogram.observe(Duration::from_millis(1)); // on the bound: le="0.001"
        histogram.observe(Duration::from_millis(5));
        histogram.observe(Duration::from_secs(3));
        let snapshot = histogram.snapshot();
        assert_eq!(snapshot.buckets, vec![2, 1, 1]);
        assert!((snapshot.sum - 3.0065).abs() < 1e-9, "{}", snapshot.sum);
        assert!(!histogram.is_empty());
    }

    #[test]
    fn the_standard_bounds_fit() {
        for bounds in [REQUEST_BOUNDS, WRITE_BOUNDS] {
            let histogram = Histogram::new(bounds);
            histogram.observe(Duration::from_secs(60));
            assert_eq!(histogram.snapshot().buckets.len(), bounds.len() + 1);
            assert!(bounds.windows(2).all(|w| w[0] < w[1]));
        }
    }
}
